/** `rank` on the local cloud: boards by aggregation, ties, opt-out, groups, a user in two groups. */
import { CloudIdRef, LocalCloud, type Caller } from '../../localcloud'
import { stepList } from '../werun/helpers'

const U = (name: string): Caller => ({ openid: `o-${name}-000` })
const ANN = U('ann')
const BEN = U('ben')
const CAT = U('cat')
const DAN = U('dan')

async function world(steps: Record<string, number>) {
  const cloud = new LocalCloud()
  const call = async (fn: string, action: string, data: Record<string, unknown>, caller: Caller) =>
    (await cloud.callFromClient(fn, { action, ...data }, caller)).result as { ok: boolean; data?: any; error?: { code: string } }
  for (const [openid, today] of Object.entries(steps)) {
    const caller = { openid }
    await call('user', 'login', {}, caller)
    await call('user', 'updateProfile', { nickname: openid.slice(2, 5) }, caller)
    // Yesterday 1000 for everyone, today as given.
    const list = stepList(2, (d) => (d === 0 ? today : 1000))
    await call('werun', 'sync', { weRunData: new CloudIdRef(cloud.issueCloudId({ stepInfoList: list })) }, caller)
  }
  const join = async (caller: Caller, opengid: string) => call('share', 'groupEnter', { groupInfo: new CloudIdRef(cloud.issueCloudId({ opengid })) }, caller)
  const rank = (action: string, data: Record<string, unknown>, caller: Caller) => call('rank', action, data, caller)
  return { cloud, call, join, rank }
}

const view = (rows: Array<{ rank: number; nickname: string; steps: number; me: boolean }>) => rows.map((r) => `${r.rank}.${r.nickname}:${r.steps}${r.me ? '*' : ''}`)

test('everyone who opted in, by today\'s steps; equal steps share a rank; only nickname, avatar and steps', async () => {
  const w = await world({ [ANN.openid!]: 9000, [BEN.openid!]: 7000, [CAT.openid!]: 9000, [DAN.openid!]: 12000 })
  for (const u of [ANN, BEN, CAT]) await w.rank('optIn', {}, u)
  const board = await w.rank('board', { period: 'today' }, BEN)
  expect(view(board.data.rows)).toEqual(['1.ann:9000', '1.cat:9000', '3.ben:7000*'])
  expect(Object.keys(board.data.rows[0]).sort()).toEqual(['avatarFileId', 'me', 'nickname', 'rank', 'steps'])
  expect(board.data.me).toMatchObject({ rank: 3, steps: 7000 })
  const before = w.cloud.db.log.length
  const week = await w.rank('board', { period: 'week' }, BEN)
  expect(view(week.data.rows)).toEqual(['1.ann:10000', '1.cat:10000', '3.ben:8000*'])
  // Computed in the database: the board touches werun_days only through aggregations, never a read of its documents.
  const touched = w.cloud.db.log.slice(before).filter((l) => l.collection === 'werun_days').map((l) => l.action)
  expect(touched.length).toBeGreaterThan(0)
  expect(new Set(touched)).toEqual(new Set(['database.aggregateDocuments']))
})

test('opting out removes the user from every board at once; syncing later keeps them out', async () => {
  const w = await world({ [ANN.openid!]: 5000, [BEN.openid!]: 6000 })
  await w.rank('optIn', {}, ANN)
  await w.rank('optIn', {}, BEN)
  await w.join(ANN, 'G-walkers-001')
  await w.join(BEN, 'G-walkers-001')
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-walkers-001' }, ANN)).data.rows)).toEqual(['1.ben:6000', '2.ann:5000*'])
  await w.rank('optOut', {}, BEN)
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.ann:5000*'])
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-walkers-001' }, ANN)).data.rows)).toEqual(['1.ann:5000*'])
  await w.call('werun', 'sync', { weRunData: new CloudIdRef(w.cloud.issueCloudId({ stepInfoList: stepList(1, () => 20000) })) }, BEN)
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.ann:5000*'])
  expect((await w.rank('status', {}, BEN)).data).toEqual({ optedIn: false, groups: ['G-walkers-001'] })
})

test('a user in two groups sees each group\'s own board; a stranger cannot see a group', async () => {
  const w = await world({ [ANN.openid!]: 3000, [BEN.openid!]: 4000, [CAT.openid!]: 5000 })
  for (const u of [ANN, BEN, CAT]) await w.rank('optIn', {}, u)
  await w.join(ANN, 'G-family-0001')
  await w.join(BEN, 'G-family-0001')
  await w.join(ANN, 'G-office-0001')
  await w.join(CAT, 'G-office-0001')
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-family-0001' }, ANN)).data.rows)).toEqual(['1.ben:4000', '2.ann:3000*'])
  expect(view((await w.rank('board', { period: 'today', opengid: 'G-office-0001' }, ANN)).data.rows)).toEqual(['1.cat:5000', '2.ann:3000*'])
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

test('a user without a nickname shows on the board as 微信用户, WeChat\'s own default name', async () => {
  const w = await world({ [ANN.openid!]: 3000 })
  const nameless: Caller = { openid: 'o-nameless-000' }
  await w.call('user', 'login', {}, nameless)
  await w.call('werun', 'sync', { weRunData: new CloudIdRef(w.cloud.issueCloudId({ stepInfoList: stepList(1, () => 4000) })) }, nameless)
  await w.rank('optIn', {}, ANN)
  await w.rank('optIn', {}, nameless)
  expect(view((await w.rank('board', { period: 'today' }, ANN)).data.rows)).toEqual(['1.微信用户:4000', '2.ann:3000*'])
})
