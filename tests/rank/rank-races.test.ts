/**
 * Rank under CloudBase's latency (tests/setup/races.ts): one user's actions started together.
 * Invariants (typings/rank.ts): optOut leaves every board at once and for good (no later write
 * or timer pass puts the user back); right after concurrent writes the boards equal a ranking
 * computed from scratch from the stored members, groups and days; a day's steps only grow.
 */
import type { Caller } from '../../localcloud'
import { beijingDate } from '../../server/werun/days'
import { TOMBSTONE_MS } from '../../server/rank/store'
import { overSeeds, thenWhileInFlight } from '../setup/races'
import { gid, member, shown, timerPass, users, world, wrongRows, type World } from './helpers'

const SEEDS = Number(process.env.RACE_SEEDS ?? 4)

describe('leaving the rank while another write of the same user is in flight', () => {
  test.each([
    ['werun.sync', (w: World, u: Caller, i: number) => w.call('werun', 'sync', { weRunData: w.weRun(9000 + i) }, u)],
    ['a second rank.optIn (double tap)', (w: World, u: Caller) => w.call('rank', 'optIn', {}, u)],
    [
      'share.groupEnter',
      (w: World, u: Caller, i: number) =>
        w.call('share', 'groupEnter', { groupInfo: w.groupCard(gid(2 + (i % 2))) }, u),
    ],
  ])(
    'optOut sent while %s is on its way: nothing of the user on any board, now or after a timer pass',
    async (_name, other) => {
      const wrong = await overSeeds(SEEDS, async (seed) => {
        const w = world()
        const us = users(`leave${seed}`)
        for (const [i, u] of us.entries()) await w.setUp(u, i, { sync: true, optIn: true, group: true })
        await w.racing(seed, () =>
          Promise.all(
            us.map((u, i) =>
              thenWhileInFlight(
                () => other(w, u, i),
                () => w.call('rank', 'optOut', {}, u),
              ),
            ),
          ),
        )
        const out: string[] = []
        for (const u of us) {
          if (member(w, u.openid!)) out.push(`${u.openid} is still a member`)
          if (shown(w, u.openid!).length) out.push(`${u.openid} still shown on ${shown(w, u.openid!).length} rows`)
          if ((await w.call('rank', 'status', {}, u)).data.optedIn) out.push(`${u.openid}'s page says joined`)
        }
        await timerPass(w)
        for (const u of us) if (shown(w, u.openid!).length) out.push(`${u.openid} written back by the timer`)
        return out
      })
      expect(wrong).toEqual([])
    },
    60_000,
  )
})

describe("boards equal a ranking from scratch right after one user's concurrent writes", () => {
  test('optIn and the first sync at once', async () => {
    const wrong = await overSeeds(SEEDS, async (seed) => {
      const w = world()
      const us = users(`first${seed}`)
      for (const [i, u] of us.entries()) await w.setUp(u, i)
      await w.racing(seed, () =>
        Promise.all(
          us.flatMap((u, i) => [
            w.call('rank', 'optIn', {}, u),
            w.call('werun', 'sync', { weRunData: w.weRun(7000 + i) }, u),
          ]),
        ),
      )
      return wrongRows(w)
    })
    expect(wrong).toEqual([])
  }, 60_000)

  test('two WeRun snapshots of one phone (the later one 1500 steps further): the larger count is kept and shown', async () => {
    const wrong = await overSeeds(SEEDS, async (seed) => {
      const w = world()
      const us = users(`snap${seed}`)
      for (const [i, u] of us.entries()) await w.setUp(u, i, { sync: true, optIn: true })
      await w.racing(seed, () =>
        Promise.all(
          us.flatMap((u, i) => [
            w.call('werun', 'sync', { weRunData: w.weRun(6000 + i) }, u),
            w.call('werun', 'sync', { weRunData: w.weRun(7500 + i) }, u),
          ]),
        ),
      )
      const today = beijingDate(Date.now())
      const days = w.cloud.db.dump('werun_days').filter((d) => d.date === today)
      const lost = days
        .filter((d) => Number(d.steps) < 7500)
        .map((d) => `${String(d._openid)} kept ${String(d.steps)} steps today`)
      return [...lost, ...wrongRows(w)]
    })
    expect(wrong).toEqual([])
  }, 60_000)

  test('optIn or sync together with entering a group', async () => {
    const wrong = await overSeeds(SEEDS, async (seed) => {
      const w = world()
      const us = users(`grp${seed}`)
      for (const [i, u] of us.entries()) await w.setUp(u, i, { sync: true, optIn: i % 2 === 1 })
      await w.racing(seed, () =>
        Promise.all(
          us.flatMap((u, i) => [
            i % 2 === 0 ? w.call('rank', 'optIn', {}, u) : w.call('werun', 'sync', { weRunData: w.weRun(8000 + i) }, u),
            w.call('share', 'groupEnter', { groupInfo: w.groupCard(gid(i % 3)) }, u),
          ]),
        ),
      )
      return wrongRows(w)
    })
    expect(wrong).toEqual([])
  }, 60_000)

  test('a sync that lands while the timer writes its page is not overwritten with stale steps', async () => {
    const wrong = await overSeeds(SEEDS, async (seed) => {
      const w = world()
      const us = users(`tick${seed}`)
      for (const [i, u] of us.entries()) await w.setUp(u, i, { sync: true, optIn: true })
      // A new full pass that writes every member's rows (as on a new day, when no row of today's key exists).
      for (const coll of ['rank_jobs', 'rank_boards'])
        await w.cloud.db.handle('database.removeDocument', {
          collectionName: coll,
          query: JSON.stringify({}),
          multi: true,
        })
      // Syncs spread over the pass (user i starts i × 2 ms in), so some land between its reads and its writes.
      await w.racing(seed, () =>
        Promise.all(
          us.map((u, i) =>
            thenWhileInFlight(
              () => (i === 0 ? timerPass(w) : Promise.resolve()),
              () => w.call('werun', 'sync', { weRunData: w.weRun(12000 + i) }, u),
              2 * i,
            ),
          ),
        ),
      )
      return wrongRows(w)
    })
    expect(wrong).toEqual([])
  }, 60_000)

  test('a renamed user is shown with the new nickname at once', async () => {
    const w = world()
    const [u] = users('rename')
    await w.setUp(u!, 0, { sync: true, optIn: true, group: true })
    await w.call('user', 'updateProfile', { nickname: '新名字' }, u!)
    expect(wrongRows(w)).toEqual([])
    expect(new Set(shown(w, u!.openid!).map((r) => r.nickname))).toEqual(new Set(['新名字']))
  })
})

test('the timer finishes a leave cut off before its rows were removed, and forgets the record once no write can be in flight', async () => {
  const w = world()
  const [ann, ben] = users('tomb')
  await w.setUp(ann!, 0, { sync: true, optIn: true })
  await w.setUp(ben!, 1, { sync: true, optIn: true })
  const rows = shown(w, ann!.openid!)
  expect(rows).toHaveLength(2)
  // ANN's leave stopped after marking the record (an hour and a minute ago): her rows are still there.
  const leftAt = new Date(Date.now() - TOMBSTONE_MS - 60_000)
  w.cloud.db.seed('rank_members', [
    { _id: ann!.openid!, state: 'LEFT', nickname: '', avatarFileId: '', joinedAt: leftAt, leftAt },
  ])
  expect((await w.call('rank', 'status', {}, ann!)).data.optedIn).toBe(false)
  await timerPass(w)
  expect(shown(w, ann!.openid!)).toEqual([])
  expect(w.cloud.db.dump('rank_members').map((m) => m._id)).toEqual([ben!.openid])
  expect(shown(w, ben!.openid!)).toHaveLength(2)
  // And she may join again.
  expect((await w.call('rank', 'optIn', {}, ann!)).data).toEqual({ optedIn: true })
  expect(wrongRows(w)).toEqual([])
})
