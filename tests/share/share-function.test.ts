/** `share` on the local cloud: intents bound to their sharer, attributed entries, group entries through CloudID, counts. */
import { CloudIdRef, LocalCloud, type Caller } from '../../localcloud'
import { pngText } from '../../localcloud/wxacode-png'
import { underLatency } from '../setup/races'
import { COUNT_SHARDS } from '../../server/share/counts'

const SHARER: Caller = { openid: 'o-sharer' }
const FRIEND: Caller = { openid: 'o-friend' }
const OLD_FRIEND: Caller = { openid: 'o-old-friend' }

function world() {
  const cloud = new LocalCloud()
  const call = async (fn: string, action: string, data: Record<string, unknown>, caller: Caller) =>
    (await cloud.callFromClient(fn, { action, ...data }, caller)).result as {
      ok: boolean
      data?: any
      error?: { code: string }
    }
  const share = (action: string, data: Record<string, unknown>, caller: Caller = SHARER) =>
    call('share', action, data, caller)
  return { cloud, call, share }
}

test('an intent binds the share id to the caller, once; another user cannot take it', async () => {
  const w = world()
  expect(await w.share('recordIntent', { shareId: 'abc12345xyz', page: 'pages/index/index', via: 'menu' })).toEqual({
    ok: true,
    data: { recorded: true },
  })
  expect(
    (await w.share('recordIntent', { shareId: 'abc12345xyz', page: 'pages/index/index', via: 'menu' })).data,
  ).toEqual({ recorded: false })
  expect(
    (await w.share('recordIntent', { shareId: 'abc12345xyz', page: 'pages/index/index', via: 'menu' }, FRIEND)).error
      ?.code,
  ).toBe('SHARE_ID_TAKEN')
  expect(
    (await w.share('recordIntent', { shareId: 'BAD ID', page: 'pages/index/index', via: 'menu' })).error?.code,
  ).toBe('INVALID_INPUT')
  expect(w.cloud.db.dump('shares')).toEqual([expect.objectContaining({ _id: 'abc12345xyz', _openid: SHARER.openid })])
})

test('entries are attributed once per person, new and returning users told apart, the sharer not counted; counts from counters', async () => {
  const w = world()
  await w.share('recordIntent', { shareId: 'share00001', page: 'pages/index/index', via: 'button' })
  await new Promise((r) => setTimeout(r, 5)) // newest first needs distinct times
  await w.share('recordIntent', { shareId: 'share00002', page: 'pages/pay/index', via: 'menu' })
  // The friend signs in for the first time; the old friend has signed in before.
  await w.call('user', 'login', {}, FRIEND)
  await w.call('user', 'login', {}, OLD_FRIEND)
  await w.call('user', 'login', {}, OLD_FRIEND)
  const entry = (caller: Caller, shareId = 'share00001') =>
    w.share('recordEntry', { shareId, scene: 1007, page: 'pages/index/index' }, caller)
  expect((await entry(FRIEND)).data).toEqual({ attributed: true, newUser: true })
  expect((await entry(FRIEND)).data).toEqual({ attributed: false, newUser: false }) // opened the same card again
  expect((await entry(OLD_FRIEND)).data).toEqual({ attributed: true, newUser: false })
  expect((await entry(SHARER)).data).toEqual({ attributed: false, newUser: false }) // own card
  expect((await entry(FRIEND, 'nosuchshare')).data).toEqual({ attributed: false, newUser: false })
  const mine = await w.share('myShares', {})
  expect(
    mine.data.shares.map((s: { shareId: string; entries: number; newUsers: number }) => [
      s.shareId,
      s.entries,
      s.newUsers,
    ]),
  ).toEqual([
    ['share00002', 0, 0],
    ['share00001', 2, 1],
  ])
  expect(mine.data.totals).toEqual({ shares: 2, entries: 2, newUsers: 1 })
  expect((await w.share('myShares', {}, FRIEND)).data.shares).toEqual([])
})

test('counts kept before sharding (on the share and in share_totals) are still added in', async () => {
  const w = world()
  await w.share('recordIntent', { shareId: 'share00009', page: 'pages/index/index', via: 'menu' })
  w.cloud.db.seed('shares', [{ ...w.cloud.db.dump('shares')[0]!, entries: 4, newUsers: 2 }])
  w.cloud.db.seed('share_totals', [{ _id: SHARER.openid!, entries: 7, newUsers: 3 }])
  await w.call('user', 'login', {}, FRIEND)
  await w.share('recordEntry', { shareId: 'share00009', scene: 1007, page: 'pages/index/index' }, FRIEND)
  const mine = (await w.share('myShares', {})).data
  expect(mine.shares[0]).toMatchObject({ shareId: 'share00009', entries: 5, newUsers: 3 })
  expect(mine.totals).toEqual({ shares: 1, entries: 8, newUsers: 4 })
})

test('counts are counters: the same friend entering 6 times at once counts once; reading never walks the entries; one round trip', async () => {
  const w = world()
  await w.share('recordIntent', { shareId: 'share00003', page: 'pages/index/index', via: 'menu' })
  await w.call('user', 'login', {}, FRIEND)
  const answers = await underLatency(w.cloud, 6, () =>
    Promise.all(
      Array.from({ length: 6 }, () =>
        w.share('recordEntry', { shareId: 'share00003', scene: 1007, page: 'pages/index/index' }, FRIEND),
      ),
    ),
  )
  expect(answers.filter((a) => a.data?.attributed)).toHaveLength(1)
  expect(w.cloud.db.dump('share_entries')).toHaveLength(1)
  // The sharer's count documents (server/share/counts.ts), made when they shared: one of them holds the one entry.
  const counts = w.cloud.db.dump('share_counts')
  expect(counts).toHaveLength(COUNT_SHARDS)
  expect(counts.filter((c) => c.entries)).toEqual([
    {
      _id: expect.stringMatching(new RegExp(`^${SHARER.openid}#\\d+$`)),
      sharer: SHARER.openid,
      entries: 1,
      newUsers: 1,
      byShare: { share00003: { e: 1, n: 1 } },
    },
  ])
  // Reading: no aggregation and no read of share_entries, whatever their number; one round trip.
  const from = w.cloud.db.log.length
  w.cloud.db.latencyMs = 2
  const trips = w.cloud.db.roundTrips
  const mine = await w.share('myShares', {})
  w.cloud.db.latencyMs = 0
  expect(mine.data.totals).toEqual({ shares: 1, entries: 1, newUsers: 1 })
  expect(mine.data.shares[0]).toMatchObject({ entries: 1, newUsers: 1 })
  expect(w.cloud.db.roundTrips - trips).toBe(1)
  expect(
    w.cloud.db.log
      .slice(from)
      .filter((l) => l.collection === 'share_entries' || l.action === 'database.aggregateDocuments'),
  ).toEqual([])
})

test('a group entry with a genuine CloudID records membership; a forged object and an expired id are refused', async () => {
  const w = world()
  const genuine = new CloudIdRef(
    w.cloud.issueCloudId({ opengid: 'G-team-0001', watermark: { appid: w.cloud.appid, timestamp: 1 } }),
  )
  expect((await w.share('groupEnter', { groupInfo: genuine }, FRIEND)).data).toEqual({
    opengid: 'G-team-0001',
    firstTime: true,
  })
  expect(
    (
      await w.share(
        'groupEnter',
        { groupInfo: new CloudIdRef(w.cloud.issueCloudId({ opengid: 'G-team-0001' })) },
        FRIEND,
      )
    ).data,
  ).toEqual({ opengid: 'G-team-0001', firstTime: false })
  const forged = await w.share(
    'groupEnter',
    { groupInfo: { cloudID: 'x', data: { opengid: 'G-someone-elses' } } },
    FRIEND,
  )
  expect(forged.error?.code).toBe('FORGED_DATA')
  let now = Date.now()
  const timed = new LocalCloud({ now: () => now })
  const id = new CloudIdRef(timed.issueCloudId({ opengid: 'G-late-00001' }))
  now += 5 * 60_000 + 1
  const late = (await timed.callFromClient('share', { action: 'groupEnter', groupInfo: id }, FRIEND)).result as {
    error?: { code: string }
  }
  expect(late.error?.code).toBe('CLOUDID_EXPIRED')
  expect(w.cloud.db.dump('group_members').map((g) => g._id)).toEqual(['G-team-0001:o-friend'])
})

describe('poster codes', () => {
  beforeAll(() => jest.spyOn(console, 'error').mockImplementation(() => {}))
  const PNG = '89504e470d0a1a0a'
  test('a code whose scene names a share of the caller, stored once and reused', async () => {
    const w = world()
    w.cloud.openapi.publishedPages.add('pages/index/index')
    const first = await w.share('poster', { page: 'pages/index/index' })
    expect(first.ok).toBe(true)
    const { fileID, shareId, reused } = first.data
    expect(reused).toBe(false)
    const [call] = w.cloud.openapi.callsTo('wxacode.getUnlimited')
    expect(call!.params).toMatchObject({
      scene: `s=${shareId}`,
      page: 'pages/index/index',
      check_path: true,
      env_version: 'release',
      width: 430,
    })
    expect(String(call!.params.scene).length).toBeLessThanOrEqual(32)
    const image = w.cloud.storage.get(fileID)!
    expect(image.subarray(0, 8).toString('hex')).toBe(PNG)
    expect(pngText(image)).toEqual({ scene: `s=${shareId}`, page: 'pages/index/index' }) // what a scan opens
    expect(w.cloud.db.dump('shares').find((s) => s._id === shareId)).toMatchObject({
      _openid: SHARER.openid,
      via: 'poster',
    })
    const again = await w.share('poster', { page: 'pages/index/index' })
    expect(again.data).toEqual({ fileID, shareId, reused: true })
    expect(w.cloud.openapi.callsTo('wxacode.getUnlimited')).toHaveLength(1)
    // Someone scanning it is attributed to the sharer through the scene.
    expect(
      (await w.share('recordEntry', { shareId, scene: 1047, page: 'pages/index/index' }, FRIEND)).data.attributed,
    ).toBe(true)
  })

  test('a page not published yet: a clear CODE_FAILED in release; a develop build skips check_path', async () => {
    const w = world()
    expect((await w.share('poster', { page: 'pages/rank/index' })).error?.code).toBe('CODE_FAILED')
    expect(w.cloud.db.dump('shares')).toEqual([])
    const dev = new LocalCloud({ vars: { MINIPROGRAM_STATE: 'developer' } })
    const res = (await dev.callFromClient('share', { action: 'poster', page: 'pages/rank/index' }, SHARER)).result as {
      ok: boolean
    }
    expect(res.ok).toBe(true)
    expect(dev.openapi.callsTo('wxacode.getUnlimited')[0]!.params).toMatchObject({
      check_path: false,
      env_version: 'develop',
    })
  })

  test('WeChat busy (45009) is WECHAT_BUSY; a missing permission is PERMISSION_MISSING', async () => {
    const w = world()
    w.cloud.openapi.publishedPages.add('pages/index/index')
    w.cloud.openapi.failNext('wxacode.getUnlimited', 45009)
    expect((await w.share('poster', { page: 'pages/index/index' })).error?.code).toBe('WECHAT_BUSY')
    w.cloud.deniedPermissions.add('share:wxacode.getUnlimited')
    expect((await w.share('poster', { page: 'pages/index/index' })).error?.code).toBe('PERMISSION_MISSING')
  })
})

test('an entry is three round trips (share, user and transaction at once; entry and count; commit), from the first entry on', async () => {
  const w = world()
  await w.share('recordIntent', { shareId: 'share00011', page: 'pages/index/index', via: 'menu' })
  await w.call('user', 'login', {}, FRIEND)
  w.cloud.db.latencyMs = 2
  const before = w.cloud.db.roundTrips
  expect(
    (await w.share('recordEntry', { shareId: 'share00011', scene: 1007, page: 'pages/index/index' }, FRIEND)).data,
  ).toEqual({ attributed: true, newUser: true })
  const trips = w.cloud.db.roundTrips - before
  w.cloud.db.latencyMs = 0
  expect(trips).toBe(3)
  expect((await w.share('myShares', {})).data.totals).toEqual({ shares: 1, entries: 1, newUsers: 1 })
})

test('a sharer whose count documents were never made (shared before they existed) is counted, and counts kept per share as [entries, newUsers] still add in', async () => {
  const w = world()
  // A share written before count documents were made ahead, and a count document of the older shape.
  w.cloud.db.seed('shares', [
    { _id: 'share00012', _openid: SHARER.openid, page: 'pages/index/index', via: 'menu', createdAt: new Date() },
  ])
  w.cloud.db.seed('share_counts', [
    { _id: `${SHARER.openid}#legacy`, sharer: SHARER.openid, entries: 2, newUsers: 1, shares: { share00012: [2, 1] } },
  ])
  await w.call('user', 'login', {}, FRIEND)
  await w.call('user', 'login', {}, OLD_FRIEND)
  await w.call('user', 'login', {}, OLD_FRIEND)
  const entries = await Promise.all(
    [FRIEND, OLD_FRIEND].map((c) =>
      w.share('recordEntry', { shareId: 'share00012', scene: 1007, page: 'pages/index/index' }, c),
    ),
  )
  expect(entries.map((e) => e.data)).toEqual([
    { attributed: true, newUser: true },
    { attributed: true, newUser: false },
  ])
  const mine = (await w.share('myShares', {})).data
  expect(mine.shares[0]).toMatchObject({ shareId: 'share00012', entries: 4, newUsers: 2 })
  expect(mine.totals).toEqual({ shares: 1, entries: 4, newUsers: 2 })
})
