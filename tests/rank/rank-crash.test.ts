/**
 * Rank's multi-step writes cut off at every request (tests/setup/crash.ts), then what follows:
 * the page reloaded and its offer taken (Leave again, Join again, the group card reopened), and
 * the rank timer on schedule. Invariants: a person who asked to leave is shown nowhere; a join or
 * a group entry ends on the boards as a ranking from scratch would have it.
 */
import type { Caller } from '../../localcloud'
import { crashPoints } from '../setup/crash'
import { gid, member, shown, timerPass, users, world, wrongRows, type World } from './helpers'

const [ANN] = users('crash') as [Caller]

/** A world where the timer has just finished a full pass (it rests): only its every-tick work runs after a crash. */
async function settledWorld(o: { optIn?: boolean; group?: boolean }): Promise<World> {
  const w = world()
  await w.setUp(ANN, 0, { sync: true, ...o })
  const [ben] = users('crash-other')
  await w.setUp(ben!, 1, { sync: true, optIn: true, group: true })
  await timerPass(w)
  return w
}

test('rank.optOut cut off anywhere: nothing of the user stays shown once the page is reloaded and the timer ticks', async () => {
  const report = await crashPoints({
    fn: 'rank',
    setUp: () => settledWorld({ optIn: true, group: true }),
    act: (w) => w.call('rank', 'optOut', {}, ANN),
    async recover(w) {
      // The page reloads its board; while it still shows the user as joined it offers Leave, which they tap again.
      const board = await w.call('rank', 'board', { period: 'today' }, ANN)
      if (board.data?.optedIn) await w.call('rank', 'optOut', {}, ANN)
      await timerPass(w)
    },
    async check(w) {
      const out: string[] = []
      if (member(w, ANN.openid!)) out.push('still a member')
      if (shown(w, ANN.openid!).length) out.push(`still shown on ${shown(w, ANN.openid!).length} rows`)
      return out
    },
  })
  expect(report.points).toBeGreaterThanOrEqual(4)
  expect(report.broken).toEqual([])
})

test('rank.optIn cut off anywhere: after a reload (and Join again if offered) and a tick, the boards are right', async () => {
  const report = await crashPoints({
    fn: 'rank',
    setUp: () => settledWorld({}),
    act: (w) => w.call('rank', 'optIn', {}, ANN),
    async recover(w) {
      const board = await w.call('rank', 'board', { period: 'today' }, ANN)
      if (!board.data?.optedIn) await w.call('rank', 'optIn', {}, ANN)
      await timerPass(w)
    },
    check: async (w) => [...wrongRows(w), ...(member(w, ANN.openid!) ? [] : ['not a member after joining again'])],
  })
  expect(report.points).toBeGreaterThanOrEqual(6)
  expect(report.broken).toEqual([])
})

test("share.groupEnter cut off anywhere: the group card reopened (or the next tick) puts the user on the group's board", async () => {
  const report = await crashPoints({
    fn: 'share',
    setUp: () => settledWorld({ optIn: true }),
    act: (w) => w.call('share', 'groupEnter', { groupInfo: w.groupCard(gid(7)) }, ANN),
    async recover(w) {
      await w.call('share', 'groupEnter', { groupInfo: w.groupCard(gid(7)) }, ANN)
      await timerPass(w)
    },
    check: async (w) => [
      ...wrongRows(w),
      ...(shown(w, ANN.openid!).some((r) => r.scope === gid(7)) ? [] : ["not on the group's board"]),
    ],
  })
  expect(report.points).toBeGreaterThanOrEqual(6)
  expect(report.broken).toEqual([])
})

test('a cut-off leave is finished by the timer alone, even while it rests after a full pass', async () => {
  const w = await settledWorld({ optIn: true, group: true })
  w.cloud.crashNext({ fn: 'rank', atDb: { k: 1, applied: true } })
  await expect(w.call('rank', 'optOut', {}, ANN)).rejects.toMatchObject({ errCode: -504003 })
  expect(shown(w, ANN.openid!).length).toBeGreaterThan(0)
  await timerPass(w)
  expect(shown(w, ANN.openid!)).toEqual([])
  expect(w.cloud.db.dump('rank_members').find((m) => m._id === ANN.openid)).toMatchObject({ state: 'LEFT' })
  expect(w.cloud.db.dump('rank_members').find((m) => m._id === ANN.openid)!.pending).toBeUndefined()
})
