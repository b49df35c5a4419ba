/**
 * Timing for BLE writes, all pure of wx (timers are injected so tests drive them):
 * - WriteQueue: one write at a time, each ≤ 20 bytes, a write failing with 10008 retried once.
 * - LatestWins: at most one send per interval per channel, the latest value wins (slider drags).
 * - FrameBatcher: merges data patches and applies them at most once per frame.
 * - backoffDelay: reconnect delays.
 */
import { bleError, errCodeOf } from './errors'

/** BLE 4.0 ATT payload with the default MTU (23 - 3): WeChat documents 20 bytes per write. */
export const MAX_WRITE = 20

export interface Timers {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
}

interface Job {
  bytes: Uint8Array
  resolve(): void
  reject(e: unknown): void
}

export class WriteQueue {
  private jobs: Job[] = []
  private running = false
  /** Writes started (retries included); for tests and the page's diagnostics. */
  attempts = 0

  constructor(private readonly write: (bytes: Uint8Array) => Promise<unknown>) {}

  /** Queues `bytes` (split into ≤ 20-byte writes); resolves when all of them were written. */
  push(bytes: Uint8Array): Promise<void> {
    const parts: Uint8Array[] = []
    for (let i = 0; i < bytes.length; i += MAX_WRITE) parts.push(bytes.slice(i, i + MAX_WRITE))
    return Promise.all(
      parts.map(
        (p) =>
          new Promise<void>((resolve, reject) => {
            this.jobs.push({ bytes: p, resolve, reject })
            void this.pump()
          }),
      ),
    ).then(() => undefined)
  }

  get pending(): number {
    return this.jobs.length + (this.running ? 1 : 0)
  }

  /** Drops every queued write (the connection is gone); they reject with 10006. */
  clear(): void {
    const dropped = this.jobs.splice(0)
    for (const j of dropped) j.reject(bleError(10006, 'no connection'))
  }

  private async pump(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (let job = this.jobs.shift(); job; job = this.jobs.shift()) {
        try {
          await this.once(job.bytes)
          job.resolve()
        } catch (e) {
          job.reject(e)
        }
      }
    } finally {
      this.running = false
    }
  }

  private async once(bytes: Uint8Array): Promise<void> {
    this.attempts++
    try {
      await this.write(bytes)
    } catch (e) {
      if (errCodeOf(e) !== 10008) throw e
      // 10008 is "system error", often a busy stack: one more try, then give up.
      this.attempts++
      await this.write(bytes)
    }
  }
}

/**
 * At most one `send` per `intervalMs` per key: the first value goes at once, values arriving
 * inside the interval replace each other and the last one goes when the interval ends.
 */
export class LatestWins<T> {
  private last = new Map<string, number>()
  private waiting = new Map<string, { value: T; handle: unknown }>()

  constructor(
    private readonly intervalMs: number,
    private readonly send: (key: string, value: T) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  push(key: string, value: T): void {
    const pending = this.waiting.get(key)
    if (pending) {
      pending.value = value
      return
    }
    const since = this.timers.now() - (this.last.get(key) ?? -Infinity)
    if (since >= this.intervalMs) {
      this.fire(key, value)
      return
    }
    const handle = this.timers.setTimeout(() => {
      const w = this.waiting.get(key)
      this.waiting.delete(key)
      if (w) this.fire(key, w.value)
    }, this.intervalMs - since)
    this.waiting.set(key, { value, handle })
  }

  /** Sends a waiting value now (the slider was released). */
  flush(key: string): void {
    const w = this.waiting.get(key)
    if (!w) return
    this.timers.clearTimeout(w.handle)
    this.waiting.delete(key)
    this.fire(key, w.value)
  }

  cancel(): void {
    for (const w of this.waiting.values()) this.timers.clearTimeout(w.handle)
    this.waiting.clear()
  }

  private fire(key: string, value: T): void {
    this.last.set(key, this.timers.now())
    this.send(key, value)
  }
}

/** ~60 fps: a frame of user input. */
export const FRAME_MS = 16
/**
 * WeChat advises at most 20 setData a second (性能优化: setData 的频率): every patch the page
 * makes outside a user action goes through one batcher that applies at most once per this
 * (about 16 a second), which leaves room for the setData of the taps themselves.
 */
export const SETDATA_INTERVAL_MS = 60
/** Scan results (many adverts a second) reach the batcher at most 4 times a second. */
export const SCAN_INTERVAL_MS = 250

/**
 * Collects setData patches and applies them together: the first after a frame, then never
 * sooner than `intervalMs` after the previous one, so the rate stays ≤ 1000 / intervalMs.
 */
export class FrameBatcher<P extends Record<string, unknown>> {
  private pending: Partial<P> | null = null
  private handle: unknown = null
  private last = -Infinity

  constructor(
    private readonly apply: (patch: Partial<P>) => void,
    private readonly timers: Timers = realTimers,
    private readonly intervalMs: number = SETDATA_INTERVAL_MS,
  ) {}

  set(patch: Partial<P>): void {
    // A key set again moves to the end, and a whole value drops the paths into it that wait
    // (`devices` after `devices[1]`): setData applies keys in order, the newest must win.
    const pending: Record<string, unknown> = { ...(this.pending ?? {}) }
    for (const [k, v] of Object.entries(patch)) {
      for (const old of Object.keys(pending))
        if (old === k || old.startsWith(`${k}[`) || old.startsWith(`${k}.`)) delete pending[old]
      pending[k] = v
    }
    this.pending = pending as Partial<P>
    if (this.handle !== null) return
    const wait = Math.max(FRAME_MS, this.last + this.intervalMs - this.timers.now())
    this.handle = this.timers.setTimeout(() => this.flush(), wait)
  }

  flush(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle)
    this.handle = null
    const patch = this.pending
    this.pending = null
    if (patch) {
      this.last = this.timers.now()
      this.apply(patch)
    }
  }

  cancel(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle)
    this.handle = null
    this.pending = null
  }
}

/**
 * The patch that turns the list shown into `next`: only the rows that changed
 * (`devices[i]`), or the whole list when it got shorter. Empty when nothing changed.
 */
export function listPatch<T>(
  key: string,
  shown: readonly T[],
  next: readonly T[],
  same: (a: T, b: T) => boolean,
): Record<string, unknown> {
  if (next.length < shown.length) return { [key]: next }
  const patch: Record<string, unknown> = {}
  next.forEach((row, i) => {
    const before = shown[i]
    if (before === undefined || !same(before, row)) patch[`${key}[${i}]`] = row
  })
  return patch
}

/** Keeps the latest value and hands it on at most once per `intervalMs` (the first at once). */
export class Sampler<T> {
  private latest: { value: T } | null = null
  private handle: unknown = null
  private last = -Infinity

  constructor(
    private readonly emit: (value: T) => void,
    private readonly intervalMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  push(value: T): void {
    this.latest = { value }
    if (this.handle !== null) return
    const wait = Math.max(0, this.last + this.intervalMs - this.timers.now())
    if (wait === 0) this.fire()
    else this.handle = this.timers.setTimeout(() => this.fire(), wait)
  }

  private fire(): void {
    this.handle = null
    const l = this.latest
    this.latest = null
    if (!l) return
    this.last = this.timers.now()
    this.emit(l.value)
  }

  cancel(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle)
    this.handle = null
    this.latest = null
  }
}

/** Delay before reconnect attempt `attempt` (1-based): base·2^(n-1), capped, ±20 % jitter from `rand`. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, rand: () => number = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(raw * (0.8 + 0.4 * rand()))
}
