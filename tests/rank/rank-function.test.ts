/** `rank` on the local cloud: boards by aggregation, ties, opt-out, groups, a user in two groups. */
import { CloudIdRef, LocalCloud, type Caller } from '../../localcloud'
import { stepList } from '../werun/helpers'
import { takeConsole } from '../setup/console'
import { periodDates } from '../../server/rank/board'

const U = (name: string): Caller => ({ openid: `o-${name}-000` })
const ANN = U('ann')
const BEN = U('ben')
const CAT = U('cat')
const DAN = U('dan')

async function world(steps: Record<string, number>) {
  const cloud = new LocalCloud()
  const call = async (fn: string, action: string, data: Record<string, unknown>, caller: Caller) =>
    (await cloud.callFromClient(fn, { action, ...data }, caller)).result as {
      ok: boolean
      data?: any
      error?: { code: string }
    }
  for (const [openid, today] of Object.entries(steps)) {
    const caller = { openid }
    await call('user', 'login', {}, caller)
    await call('user', 'updateProfile', { nickname: openid.slice(2, 5) }, caller)
    // Yesterday 1000 for everyone, today as given.
    const list = stepList(2, (d) => (d === 0 ? today : 1000))
    await call('werun', 'sync', { weRunData: new CloudIdRef(cloud.issueCloudId({ stepInfoList: list })) }, caller)
  }
  const join = async (caller: Caller, opengid: string) =>
    call('share', 'groupEnter', { groupInfo: new CloudIdRef(cloud.issueCloudId({ opengid })) }, caller)
  const rank = (action: string, data: Record<string, unknown>, caller: Caller) => call('rank', action, data, caller)
  return { cloud, call, join, rank }
}

const view = (rows: Array<{ rank: number; nickname: string; steps: number; me: boolean }>) =>
  rows.map((r) => `${r.rank}.${r.nickname}:${r.steps}${r.me ? '*' : ''}`)

test("everyone who opted in, by today's steps; equal steps share a rank; only nickname, avatar and steps", async () => {
  const w = await world({ [ANN.openid!]: 9000, [BEN.openid!]: 7000, [CAT.openid!]: 9000, [DAN.openid!]: 12000 })
  for (const u of [ANN, BEN, CAT]) await w.rank('optIn', {}, u)
  const board = await w.rank('board', { period: 'today' }, BEN)
  expect(view(board.data.rows)).toEqual(['1.ann:9000', '1.cat:9000', '3.ben:7000*'])
  expect(Object.keys(board.data.rows[0]).sort()).toEqual(['avatarFileId', 'me', 'nickname', 'rank', 'steps'])
  expect(board.data.me).toMatchObject({ rank: 3, steps: 7000 })
  const before = w.cloud.db.log.length
  const week = await w.rank('board', { period: 'week' }, BEN)
  // This calendar week: yesterday's 1,000 counts unless today is Monday (Beijing).
  const y = periodDates('week', Date.now()).length > 1 ? 1000 : 0
  expect(view(week.data.rows)).toEqual(
    [`1.ann:${9000 + y}`, `1.cat:${9000 + y}`, `3.ben:${7000 + y}`].map((r, i) => (i === 2 ? `${r}*` : r)),
  )
  expect(week.data.dates).toEqual(periodDates('week', Date.now()))
  expect(week.data).toMatchObject({ optedIn: true, groups: [] })
  // Precomputed: the board reads its rows, the member and their groups; never the days.
  const touched = new Set(w.cloud.db.log.slice(before).map((l) => l.collection))
  expect(touched).toEqual(new Set(['rank_boards', 'rank_members', 'group_members']))
})

/** Database round trips of one board call (each request waits 2 ms, so parallel reads share a trip). */
async function boardTrips(w: Awaited<ReturnType<typeof world>>, data: Record<string, unknown>, caller: Caller) {
  w.cloud.db.latencyMs = 2
  const start = w.cloud.db.roundTrips
  const res = await w.rank('board', data, caller)
  w.cloud.db.latencyMs = 0
  return { res, trips: w.cloud.db.roundTrips - start }
}

test('at most two database round trips for any caller: on the board, below it, in a group, not opted in', async () => {
  const w = await world({ [ANN.openid!]: 100, [BEN.openid!]: 900, [CAT.openid!]: 800, [DAN.openid!]: 700 })
  for (const u of [ANN, BEN, CAT]) await w.rank('optIn', {}, u)
  await w.join(ANN, 'G-trips-00001')
  const onBoard = await boardTrips(w, { period: 'today' }, BEN)
  expect(onBoard.trips).toBe(1)
  const below = await boardTrips(w, { period: 'today', limit: 1 }, ANN)
  expect(below.res.data.me).toMatchObject({ rank: 3, steps: 100 })
  expect(below.trips).toBe(2)
  expect((await boardTrips(w, { period: 'week', opengid: 'G-trips-00001' }, ANN)).trips).toBe(1)
  const outsider = await boardTrips(w, { period: 'today' }, DAN)
  expect(outsider.res.data).toMatchObject({ optedIn: false, me: null })
  expect(outsider.trips).toBe(1)
})

test("a sync shows on the board at once; the timer writes no member's rows, only tidies: old keys once a day, old tombstones", async () => {
  const w = await world({ [ANN.openid!]: 3000, [BEN.openid!]: 4000 })
  for (const u of [ANN, BEN]) await w.rank('optIn', {}, u)
  await w.call(
    'werun',
    'sync',
    { weRunData: new CloudIdRef(w.cloud.issueCloudId({ stepInfoList: stepList(2, (d) => (d === 0 ? 8000 : 1000)) })) },
    ANN,
  )
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.ann:8000*', '2.ben:4000'])
  // Rows of past keys, and a member who left two hours ago (their tombstone and a stray row).
  const old = { scope: 'all', period: 'today', key: '2020-01-01', steps: 5, nickname: 'old', avatarFileId: '' }
  w.cloud.db.seed('rank_boards', [
    { _id: `all|today|2020-01-01|${ANN.openid}`, openid: ANN.openid, ...old },
    { _id: `all|week|2020-01-06|${ANN.openid}`, openid: ANN.openid, ...old, period: 'week', key: '2020-01-06' },
  ])
  const gone = 'o-gone-000'
  w.cloud.db.seed('rank_members', [
    {
      _id: gone,
      state: 'LEFT',
      nickname: '',
      avatarFileId: '',
      joinedAt: new Date(0),
      leftAt: new Date(Date.now() - 2 * 3_600_000),
    },
  ])
  w.cloud.db.seed('rank_boards', [
    {
      _id: `all|today|${periodDates('today', Date.now())[0]}|${gone}`,
      openid: gone,
      ...old,
      key: periodDates('today', Date.now())[0],
    },
  ])
  const before = w.cloud.db.log.length
  expect(await w.cloud.runTimer('rank', 'boards')).toEqual({ finished: 0, forgotten: 1, cleaned: true })
  const rows = w.cloud.db.dump('rank_boards')
  expect(rows.filter((r) => r.key === '2020-01-01' || r.key === '2020-01-06' || r.openid === gone)).toEqual([])
  expect(w.cloud.db.dump('rank_members').some((m) => m._id === gone)).toBe(false)
  // It wrote no member's rows: the only writes were removals and its own record.
  expect(
    w.cloud.db.log
      .slice(before)
      .filter((l) => l.action === 'database.modifyDocument' && l.collection === 'rank_boards'),
  ).toEqual([])
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.ann:8000*', '2.ben:4000'])
  // The next tick the same day: nothing to do, and nothing read per member.
  expect(await w.cloud.runTimer('rank', 'boards')).toEqual({ finished: 0, forgotten: 0, cleaned: false })
  expect(takeConsole().map((l) => JSON.parse(l))).toEqual([
    { fn: 'rank', timer: 'boards', finished: 0, forgotten: 1, cleaned: true },
    { fn: 'rank', timer: 'boards', finished: 0, forgotten: 0, cleaned: false },
  ])
  // A client cannot run the timer by sending its event.
  expect((await w.cloud.callFromClient('rank', { Type: 'Timer', TriggerName: 'boards' }, ANN)).result).toMatchObject({
    ok: false,
    error: { code: 'INVALID_INPUT' },
  })
})

test('ties: equal steps share a rank, the next skips, and rows are ordered the same way every time', async () => {
  const w = await world({ [ANN.openid!]: 5000, [BEN.openid!]: 5000, [CAT.openid!]: 5000, [DAN.openid!]: 4000 })
  for (const u of [ANN, BEN, CAT, DAN]) await w.rank('optIn', {}, u)
  const a = await w.rank('board', { period: 'today' }, DAN)
  const b = await w.rank('board', { period: 'today' }, ANN)
  expect(a.data.rows.map((r: { rank: number; steps: number }) => `${r.rank}:${r.steps}`)).toEqual([
    '1:5000',
    '1:5000',
    '1:5000',
    '4:4000',
  ])
  expect(a.data.rows.map((r: { nickname: string }) => r.nickname)).toEqual(
    b.data.rows.map((r: { nickname: string }) => r.nickname),
  )
})

test('opting out removes the user from every board at once; syncing later keeps them out', async () => {
  const w = await world({ [ANN.openid!]: 5000, [BEN.openid!]: 6000 })
  await w.rank('optIn', {}, ANN)
  await w.rank('optIn', {}, BEN)
  await w.join(ANN, 'G-walkers-001')
  await w.join(BEN, 'G-walkers-001')
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-walkers-001' }, ANN)).data.rows)).toEqual([
    '1.ben:6000',
    '2.ann:5000*',
  ])
  await w.rank('optOut', {}, BEN)
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.ann:5000*'])
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-walkers-001' }, ANN)).data.rows)).toEqual([
    '1.ann:5000*',
  ])
  await w.call(
    'werun',
    'sync',
    { weRunData: new CloudIdRef(w.cloud.issueCloudId({ stepInfoList: stepList(1, () => 20000) })) },
    BEN,
  )
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.ann:5000*'])
  expect((await w.rank('status', {}, BEN)).data).toEqual({ optedIn: false, groups: ['G-walkers-001'] })
})

test("a user in two groups sees each group's own board; a stranger cannot see a group", async () => {
  const w = await world({ [ANN.openid!]: 3000, [BEN.openid!]: 4000, [CAT.openid!]: 5000 })
  for (const u of [ANN, BEN, CAT]) await w.rank('optIn', {}, u)
  await w.join(ANN, 'G-family-0001')
  await w.join(BEN, 'G-family-0001')
  await w.join(ANN, 'G-office-0001')
  await w.join(CAT, 'G-office-0001')
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-family-0001' }, ANN)).data.rows)).toEqual([
    '1.ben:4000',
    '2.ann:3000*',
  ])
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-office-0001' }, ANN)).data.rows)).toEqual([
    '1.cat:5000',
    '2.ann:3000*',
  ])
  expect((await w.rank('board', { period: 'today', opengid: 'G-office-0001' }, BEN)).error?.code).toBe('NOT_A_MEMBER')
})

test('my place below the shown rows is counted, not guessed', async () => {
  const w = await world({ [ANN.openid!]: 100, [BEN.openid!]: 900, [CAT.openid!]: 800, [DAN.openid!]: 700 })
  for (const u of [ANN, BEN, CAT, DAN]) await w.rank('optIn', {}, u)
  const board = await w.rank('board', { period: 'today', limit: 2 }, ANN)
  expect(view(board.data.rows)).toEqual(['1.ben:900', '2.cat:800'])
  expect(board.data.me).toMatchObject({ rank: 4, steps: 100, me: true })
  expect((await w.rank('board', { period: 'today' }, U('nobody'))).data.me).toBeNull()
})

test("a user without a nickname shows on the board as 微信用户, WeChat's own default name", async () => {
  const w = await world({ [ANN.openid!]: 3000 })
  const nameless: Caller = { openid: 'o-nameless-000' }
  await w.call('user', 'login', {}, nameless)
  await w.call(
    'werun',
    'sync',
    { weRunData: new CloudIdRef(w.cloud.issueCloudId({ stepInfoList: stepList(1, () => 4000) })) },
    nameless,
  )
  await w.rank('optIn', {}, ANN)
  await w.rank('optIn', {}, nameless)
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.微信用户:4000', '2.ann:3000*'])
})

test('right after Beijing midnight the boards are right with no timer pass: today starts empty with me at 0 steps, the week keeps its totals (a new week starts empty)', async () => {
  const w = await world({ [ANN.openid!]: 6000, [BEN.openid!]: 4000 })
  for (const u of [ANN, BEN]) await w.rank('optIn', {}, u)
  // 00:00:01 of the next Beijing day.
  const nextMidnight = Date.parse(`${periodDates('today', Date.now())[0]}T16:00:01Z`)
  const clock = jest.spyOn(Date, 'now').mockReturnValue(nextMidnight)
  try {
    const today = await w.rank('board', { period: 'today' }, ANN)
    expect(today.data.rows).toEqual([])
    expect(today.data.me).toMatchObject({ rank: 1, steps: 0, me: true })
    const week = await w.rank('board', { period: 'week' }, ANN)
    const newWeek = periodDates('week', nextMidnight).length === 1
    if (newWeek) expect(week.data.rows).toEqual([])
    else expect(view(week.data.rows)).toEqual([`1.ann:${week.data.rows[0].steps}*`, `2.ben:${week.data.rows[1].steps}`])
    if (!newWeek) expect(week.data.rows[0].steps - week.data.rows[1].steps).toBe(2000) // yesterday's 6,000 and 4,000 stand
    // The first sync of the day puts the user on today's board at once.
    const list = [{ timestamp: Math.floor(nextMidnight / 1000), step: 300 }]
    await w.call('werun', 'sync', { weRunData: new CloudIdRef(w.cloud.issueCloudId({ stepInfoList: list })) }, BEN)
    expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(
      ['1.ben:300', '2.ann:0*'.replace('0*', '0*')].slice(0, 1),
    )
    expect((await w.rank('board', { period: 'today' }, ANN)).data.me).toMatchObject({ rank: 2, steps: 0 })
  } finally {
    clock.mockRestore()
  }
  expect(takeConsole()).toEqual([])
})
