/**
 * `share.recordEntry` under CloudBase's latency (tests/setup/races.ts): a crowd opening one
 * share. Invariants (typings/share.ts): every person's entry is recorded once, none lost, and
 * the counts equal the entries written.
 */
import { overSeeds, raceCloud } from '../setup/races'

const SHARER = { openid: 'o-sharer-crowd' }
const SHARE = 'sharecrowd01'
const SEEDS = Number(process.env.RACE_SEEDS ?? 2)

async function crowd(seed: number, people: number, spreadMs: number): Promise<string[]> {
  const w = raceCloud()
  await w.call('share', 'recordIntent', { shareId: SHARE, page: 'pages/index/index', via: 'menu' }, SHARER)
  // Every third person has logged in before (not a new user).
  for (let i = 0; i < people; i += 3) await w.call('user', 'login', {}, { openid: `o-crowd-${i}` })
  const answers = await w.racing(seed, () =>
    Promise.all(
      Array.from(
        { length: people },
        (_, i) =>
          new Promise<Awaited<ReturnType<typeof w.call>>>((r) =>
            setTimeout(
              () =>
                r(
                  w.call(
                    'share',
                    'recordEntry',
                    { shareId: SHARE, scene: 1007, page: 'pages/index/index' },
                    { openid: `o-crowd-${i}` },
                  ),
                ),
              Math.floor((i * spreadMs) / people),
            ),
          ),
      ),
    ),
  )
  const out: string[] = []
  const failed = answers.filter((a) => !a.ok)
  if (failed.length)
    out.push(`${failed.length} entries failed (${[...new Set(failed.map((a) => a.error?.code))].join(', ')})`)
  const entries = w.cloud.db.dump('share_entries')
  if (entries.length !== people) out.push(`${entries.length} of ${people} entries recorded`)
  const mine = (await w.call('share', 'myShares', {}, SHARER)).data
  const newUsers = entries.filter((e) => e.newUser).length
  if (mine.totals.entries !== entries.length || mine.totals.newUsers !== newUsers)
    out.push(`totals ${JSON.stringify(mine.totals)} for ${entries.length} entries, ${newUsers} new`)
  if (mine.shares[0].entries !== entries.length || mine.shares[0].newUsers !== newUsers)
    out.push(`the share counts ${mine.shares[0].entries}/${mine.shares[0].newUsers}`)
  return out
}

test('120 people opening one share at the same moment: none lost, counts exact', async () => {
  expect(await overSeeds(SEEDS, (seed) => crowd(seed, 120, 0))).toEqual([])
}, 60_000)

test('120 people over one second: none lost, counts exact', async () => {
  expect(await overSeeds(SEEDS, (seed) => crowd(seed, 120, 1000))).toEqual([])
}, 60_000)

describe("share.recordEntry cut off anywhere (tests/setup/crash.ts), then the App's retry", () => {
  test('the entry is recorded once and counted once', async () => {
    const { crashPoints } = await import('../setup/crash')
    const visitor = { openid: 'o-crash-visitor' }
    let retried: Awaited<ReturnType<ReturnType<typeof raceCloud>['call']>> | null = null
    const entry = (w: ReturnType<typeof raceCloud>) =>
      w.call('share', 'recordEntry', { shareId: SHARE, scene: 1007, page: 'pages/index/index' }, visitor)
    const report = await crashPoints({
      fn: 'share',
      async setUp() {
        const w = raceCloud()
        await w.call('share', 'recordIntent', { shareId: SHARE, page: 'pages/index/index', via: 'menu' }, SHARER)
        return w
      },
      act: entry,
      async recover(w) {
        retried = await entry(w)
      },
      async check(w) {
        const out: string[] = []
        if (retried && !retried.ok) out.push(`the retry answered ${retried.error?.code}`)
        const entries = w.cloud.db.dump('share_entries').length
        const mine = (await w.call('share', 'myShares', {}, SHARER)).data
        if (entries !== 1) out.push(`${entries} entries`)
        if (mine.totals.entries !== entries || mine.shares[0].entries !== entries)
          out.push(`counted ${mine.totals.entries}/${mine.shares[0].entries} for ${entries}`)
        retried = null
        return out
      },
    })
    expect(report.points).toBeGreaterThanOrEqual(6)
    expect(report.broken).toEqual([])
  })
})
