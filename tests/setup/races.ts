/**
 * The race suite's world: a local cloud whose database answers as CloudBase's does, each request
 * a seeded 1-8 ms round trip applied at a random point of it (localcloud/db-engine.ts
 * setLatency), so read-then-write windows open as wide as in production. Setup runs without
 * latency (fast); `racing` turns it on for the concurrent part only. A seed draws the same
 * delays again (timers of near-equal delays may still fire in either order), and a failure names
 * its seed.
 */
import { LocalCloud, type Caller, type LocalCloudOptions } from '../../localcloud'

/** An optimistic model of CloudBase: 1-8 ms per database request (the measurement). */
export const CLOUDBASE_LATENCY = { min: 1, max: 8 } as const

export type Result = { ok: boolean; data?: any; error?: { code: string; message: string } }

/** Runs `fn` with CloudBase's latency on `cloud`'s database (seeded), then answers at once again. */
export async function underLatency<T>(cloud: LocalCloud, seed: number, fn: () => Promise<T>): Promise<T> {
  cloud.db.setLatency({ ...CLOUDBASE_LATENCY, seed })
  try {
    return await fn()
  } finally {
    cloud.db.setLatency(null)
  }
}

export function raceCloud(opts: LocalCloudOptions = {}) {
  const cloud = new LocalCloud(opts)
  const call = async (fn: string, action: string, data: Record<string, unknown>, caller: Caller): Promise<Result> =>
    (await cloud.callFromClient(fn, { action, ...data }, caller)).result as Result
  const racing = <T>(seed: number, fn: () => Promise<T>): Promise<T> => underLatency(cloud, seed, fn)
  return { cloud, call, racing }
}

/** Starts `b` after `a` is already in flight (`ms` later): "a second tap while the first is on its way". */
export async function thenWhileInFlight<A, B>(a: () => Promise<A>, b: () => Promise<B>, ms = 2): Promise<[A, B]> {
  const first = a()
  await new Promise((r) => setTimeout(r, ms))
  return Promise.all([first, b()])
}

/** Runs `trial` for seeds 1..n and collects what each found wrong, so a failure names its seeds. */
export async function overSeeds(n: number, trial: (seed: number) => Promise<string[]>): Promise<string[]> {
  const wrong: string[] = []
  for (let seed = 1; seed <= n; seed++) for (const w of await trial(seed)) wrong.push(`seed ${seed}: ${w}`)
  return wrong
}
