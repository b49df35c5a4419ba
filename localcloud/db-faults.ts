/**
 * What makes the local database as hard as CloudBase's: network time per request (fixed, or
 * CloudBase's seeded jitter, with the round trips a caller waits counted) and injected failures
 * (`failNext`). The engine runs every request through `Wire.around`; nothing here reads documents.
 */
import { DbError } from './db-values'

/** Per-request database latency in ms (`LOCALCLOUD_DB_LATENCY=1-8`), with the seed of its jitter. */
export interface LatencyRange {
  min: number
  max: number
  seed?: number
}

/**
 * `LOCALCLOUD_DB_LATENCY`'s value: `N` or `MIN-MAX` milliseconds, optionally `@SEED`
 * (e.g. `1-8@42`). Anything else is an error naming the shape, so a typo is never "no latency".
 */
export function parseLatency(text: string | undefined): LatencyRange | null {
  const t = (text ?? '').trim()
  if (!t || t === '0') return null
  const m = /^(\d{1,4})(?:-(\d{1,4}))?(?:@(\d{1,9}))?$/.exec(t)
  if (!m)
    throw new Error(
      `LOCALCLOUD_DB_LATENCY must be N or MIN-MAX milliseconds, optionally @SEED (e.g. 1-8 or 1-8@42); got "${t.slice(0, 40)}"`,
    )
  const min = Number(m[1])
  const max = m[2] === undefined ? min : Number(m[2])
  if (max < min) throw new Error(`LOCALCLOUD_DB_LATENCY: ${max} is below ${min}`)
  return { min, max, ...(m[3] ? { seed: Number(m[3]) } : {}) }
}

/** mulberry32: a small seeded generator, so a run with latency can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Network time around each request, and the count of round trips callers waited for. */
export class Wire {
  /**
   * Network time per request (ms), 0 by default. With it set, `roundTrips` counts the waits a
   * caller makes: a request that starts while another is in flight rides the same trip (as
   * Promise.all does), one that starts after the others answered is a new trip.
   * A fixed value applies each request after that wait; `setLatency` gives CloudBase's jitter.
   */
  fixedMs = 0
  roundTrips = 0
  private inFlight = 0
  private jitter: { min: number; max: number; random: () => number } | null = null

  /**
   * CloudBase's latency: each request takes a seeded random `min`-`max` ms, and is applied at a
   * random point of that time (the way there and the way back differ), so two requests sent
   * in one order may be applied, and answered, in the other, as on the real service. Read-then-
   * write windows open as wide as they are in production. `null` turns it off.
   */
  setLatency(range: LatencyRange | null): void {
    this.jitter = range ? { min: range.min, max: range.max, random: seededRandom(range.seed ?? 1) } : null
  }

  get latency(): LatencyRange | null {
    return this.jitter ? { min: this.jitter.min, max: this.jitter.max } : null
  }

  /** Runs `apply` (the request's effect) after the way there, and answers after the way back. */
  async around<T>(apply: () => T): Promise<T> {
    if (this.inFlight === 0) this.roundTrips += 1
    this.inFlight += 1
    try {
      if (this.jitter) {
        const { min, max, random } = this.jitter
        const total = min + random() * (max - min)
        const there = total * random()
        await sleep(there)
        const answer = apply()
        await sleep(total - there)
        return answer
      }
      if (this.fixedMs) await sleep(this.fixedMs)
      return apply()
    } finally {
      this.inFlight -= 1
    }
  }
}

/** Failures a test asks for: the next matching requests fail as a database hiccup would. */
export class Faults {
  private failures: Array<{ action?: string; collection?: string; skip: number }> = []

  /**
   * The next request matching `action` (e.g. 'database.modifyDocument') and/or `collection`
   * fails with DATABASE_REQUEST_FAILED, as a database hiccup would (the SDK throws it);
   * `skip` lets that many matching requests through first.
   */
  failNext(match: { action?: string; collection?: string; skip?: number }, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ ...match, skip: match.skip ?? 0 })
  }

  /** The injected failure for this request, if one is due (it is used up). */
  take(action: string, collection: string | undefined): DbError | null {
    const injected = this.failures.findIndex(
      (f) => (!f.action || f.action === action) && (!f.collection || f.collection === collection),
    )
    if (injected < 0) return null
    if (this.failures[injected]!.skip > 0) {
      this.failures[injected]!.skip -= 1
      return null
    }
    this.failures.splice(injected, 1)
    return new DbError('DATABASE_REQUEST_FAILED', 'injected by test')
  }

  clear(): void {
    this.failures = []
  }
}
