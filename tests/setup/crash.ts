/**
 * Crash consistency: an action cut off at each of its requests, then what the platform and the
 * user do next, then the invariant. A function can die anywhere: CloudBase kills it at its
 * timeout, recycles its instance, or a request times out after it was applied
 * (localcloud/index.ts CrashPlan). For every database request of the action (applied, and not)
 * and every WeChat call (done at WeChat with the answer lost, and not done), a fresh world is
 * cut off there; `recover` does what is documented to follow (payment notifications redelivered
 * until acknowledged, message push redelivered when no answer came, timers on schedule) and
 * what the page offers (tap again, reopen, rescan); `check` names what is wrong.
 */
import type { LocalCloud } from '../../localcloud'
import { takeConsole } from './console'

export interface CrashCase<W extends { cloud: LocalCloud }> {
  /** The function whose invocation is cut. */
  fn: string
  /** A fresh world with everything before the action. */
  setUp(): Promise<W>
  /** The action (its first invocation of `fn` is the one cut). */
  act(w: W): Promise<unknown>
  /** What follows a crash: redeliveries, timers, the user's retry. */
  recover(w: W): Promise<void>
  /** What is wrong afterwards (empty: the invariant holds). */
  check(w: W): Promise<string[]>
}

export interface CrashReport {
  /** Crash points tried: 2 per database request and 2 per WeChat call of the uncut action. */
  points: number
  broken: string[]
}

/** Every crash point of an action, each in a fresh world. */
export async function crashPoints<W extends { cloud: LocalCloud }>(c: CrashCase<W>): Promise<CrashReport> {
  const probe = await c.setUp()
  const from = probe.cloud.invocations.length
  await c.act(probe)
  const first = probe.cloud.invocations.slice(from).find((i) => i.fn === c.fn)
  if (!first?.io) throw new Error(`the action made no invocation of ${c.fn}`)
  // The uncut action, followed by the same recovery (which must do no harm), already holds the invariant.
  await c.recover(probe)
  const clean = await c.check(probe)
  if (clean.length) throw new Error(`the uncut action already breaks the invariant: ${clean.join('; ')}`)
  takeConsole()
  const plans = [
    ...Array.from({ length: first.io.db }, (_, i) =>
      [true, false].map((applied) => ({
        label: `database request ${i + 1} ${applied ? 'applied' : 'not applied'}`,
        plan: { fn: c.fn, atDb: { k: i + 1, applied } },
      })),
    ).flat(),
    ...Array.from({ length: first.io.wechat }, (_, i) =>
      [true, false].map((effect) => ({
        label: `WeChat call ${i + 1} ${effect ? 'done, answer lost' : 'not done'}`,
        plan: { fn: c.fn, atWeChat: { k: i + 1, effect } },
      })),
    ).flat(),
  ]
  const broken: string[] = []
  for (const { label, plan } of plans) {
    const w = await c.setUp()
    w.cloud.crashNext(plan)
    await c.act(w).catch(() => undefined)
    await c.recover(w)
    for (const wrong of await c.check(w)) broken.push(`${label}: ${wrong}`)
    takeConsole()
  }
  return { points: plans.length, broken }
}
