/**
 * A customer-service push cut off at every request (tests/setup/crash.ts), then what follows:
 * WeChat pushes again when no answer came (3 times), and the hourly timer finishes what no push
 * took over. Invariants: every planned reply is sent once, or, when the cut fell inside its send
 * (it may have reached WeChat), logged as TIMEOUT and not sent again (replies are at most once);
 * the delivery ends DONE; nothing stays owed.
 */
import type { LocalCloud } from '../../localcloud'
import { takeConsole } from '../setup/console'
import { crashPoints } from '../setup/crash'
import { ALICE, csWorld } from './helpers'

type World = ReturnType<typeof csWorld> & { cloud: LocalCloud }

function world(): World {
  // A short push wait and a budget short enough that the copies which find the cut run's lease
  // give up soon, yet long enough that the uncut run never spends it on a loaded 2-core machine
  // (a reply skipped for time is correct behaviour, but not the invariant checked here).
  const w = csWorld({ vars: { CS_BUDGET_MS: '1200', CS_CALL_TIMEOUT_MS: '400' }, waitMs: 50 })
  w.addRule({
    _id: 'two',
    match: { kind: 'keyword', words: ['two'] },
    replies: [
      { type: 'text', content: 'one' },
      { type: 'text', content: 'two' },
    ],
  })
  return w
}

test('a push cut off anywhere: each reply sent once (or logged TIMEOUT when cut inside its send), the delivery DONE', async () => {
  const report = await crashPoints<World>({
    fn: 'customerService',
    setUp: async () => world(),
    async act(w) {
      const ev = w.push.text(ALICE, 'two')
      w.push.act(ev)
      await w.push.deliver(ev)
      await w.push.idle()
    },
    async recover(w) {
      // An hour later: the hourly timer finds a run whose lease ran out and finishes it.
      for (const s of w.cloud.db.dump('cs_seen'))
        if (s.state === 'WORKING') w.cloud.db.seed('cs_seen', [{ ...s, leaseUntil: new Date(Date.now() - 1) }])
      await w.cloud.runTimer('customerService', 'cleanup')
      takeConsole()
    },
    async check(w) {
      const out: string[] = []
      const texts = w.texts(ALICE)
      for (const [i, t] of ['one', 'two'].entries()) {
        const n = texts.filter((x) => x === t).length
        const logged = w.log(ALICE).find((m) => m._id.endsWith(`:${i}`) && m.dir === 'out')
        if (n > 1) out.push(`"${t}" sent ${n} times`)
        if (n === 0 && logged?.status !== 'TIMEOUT')
          out.push(`"${t}" never sent, logged ${String(logged?.status ?? 'nowhere')}`)
      }
      const seen = w.cloud.db.dump('cs_seen')
      if (seen.length !== 1 || seen[0]!.state !== 'DONE')
        out.push(`delivery ${JSON.stringify(seen.map((s) => s.state))}`)
      return out
    },
  })
  expect(report.points).toBeGreaterThanOrEqual(16)
  expect(report.broken).toEqual([])
}, 180_000)
