/**
 * @jest-environment jsdom
 *
 * Sharing from the pages and entering through shares: every card carries a share id bound to
 * its sharer; the App attributes entries after login and records the group of a group card;
 * Moments' single-page mode shows a prompt instead of signing in; the share page counts.
 */
import { fitTitle, posterLayout } from '../../miniprogram/pages/share/poster'
import { TEXTS } from '../../miniprogram/pages/share/texts'
import { canvases } from '../setup/canvas-fake'
import { createWorld, launchApp, render, settle, type Rendered } from '../setup/miniprogram'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const SHARER = { openid: 'o-share-page' }
const world = createWorld(SHARER)
beforeAll(() => jest.spyOn(console, 'error').mockImplementation(() => {})) // functions log refusals as JSON lines
const app = launchApp()

const text = (page: Rendered, sel: string) =>
  page.querySelector(sel)?.dom.textContent?.replace(/\s+/g, ' ').trim() ?? ''
const sidOf = (path: string) => /[?&]sid=([a-z0-9]+)/.exec(path)![1]!

let home: Rendered

test('the home page offers both share menus with shareTicket, and its card carries a share id bound to the sharer', async () => {
  home = render('pages/index/index')
  home.instance.onLoad()
  await settle(20)
  expect(world.fake.shareMenus.at(-1)).toEqual({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] })
  const card = home.instance.onShareAppMessage({ from: 'menu' })
  expect(card.title).toMatch(/CloudBase Kit/)
  expect(card.path).toMatch(/^\/pages\/index\/index\?sid=[a-z0-9]{12}$/)
  await settle(10)
  expect(world.cloud.db.dump('shares').find((s) => s._id === sidOf(card.path))).toMatchObject({
    _openid: SHARER.openid,
    page: 'pages/index/index',
    via: 'menu',
  })
  const moments = home.instance.onShareTimeline()
  expect(moments.query).toMatch(/^sid=[a-z0-9]{12}$/)
})

test('every page defines a share card that leads somewhere sensible', async () => {
  for (const [path, lead] of [
    ['pages/profile/index', '/pages/index/index?'],
    ['pages/pay/index', '/pages/pay/index?'],
    ['pages/pay/orders/index', '/pages/pay/index?'],
    ['pages/werun/index', '/pages/werun/index?'],
    ['pages/share/index', '/pages/index/index?'],
  ] as const) {
    const page = render(path)
    const card = page.instance.onShareAppMessage({ from: 'button' })
    expect(card.path.startsWith(lead)).toBe(true)
    expect(card.title.length).toBeGreaterThan(5)
  }
  await settle(20)
  expect(world.cloud.db.dump('shares').filter((s) => s.via === 'button')).toHaveLength(5)
})

test('a friend opening the card is attributed once, as a new user; the share page counts it', async () => {
  const card = home.instance.onShareAppMessage({ from: 'menu' })
  await settle(10)
  const sid = sidOf(card.path)
  // The friend's app starts from the card (scene 1007): onShow after login records the entry.
  const friend = { openid: 'o-share-friend' }
  world.fake.user = friend
  await app.onShow.call(app, { scene: 1007, path: 'pages/index/index', query: { sid } })
  await settle(20)
  await app.onShow.call(app, { scene: 1007, path: 'pages/index/index', query: { sid } }) // opened again
  await settle(20)
  world.fake.user = SHARER
  expect(world.cloud.db.dump('share_entries')).toEqual([
    expect.objectContaining({ shareId: sid, sharer: SHARER.openid, openid: friend.openid, scene: 1007, newUser: true }),
  ])

  const page = render('pages/share/index')
  page.instance.onShow()
  await settle(20)
  expect(page.data.state).toBe('READY')
  expect(text(page, `#share-${sid}`)).toContain('1 in')
  expect(text(page, '#total-entries')).toBe('1')
})

test("opened from a group card: the group joins the user's groups through a genuine CloudID", async () => {
  const member = { openid: 'o-group-member' }
  world.fake.user = member
  world.fake.groupOpengid = 'G-hiking-club-01'
  await app.onShow.call(app, { scene: 1044, path: 'pages/index/index', query: {}, shareTicket: 'ticket-1' })
  await settle(30)
  world.fake.user = SHARER
  world.fake.groupOpengid = undefined
  expect(world.cloud.db.dump('group_members')).toEqual([
    expect.objectContaining({ _id: 'G-hiking-club-01:o-group-member', opengid: 'G-hiking-club-01' }),
  ])
})

test('single-page mode (Moments, scene 1154): a prompt to open the mini-program, no sign-in, no cloud calls', async () => {
  world.fake.enterOptions = { scene: 1154, path: 'pages/index/index', query: {} }
  const calls = world.fake.calls.length
  const page = render('pages/index/index')
  page.instance.onLoad()
  await settle(10)
  expect(page.querySelector('#single-page')).toBeTruthy()
  expect(page.querySelector('#session')).toBeFalsy()
  const shop = render('pages/pay/index')
  shop.instance.onLoad()
  await settle(10)
  expect(shop.data.state).toBe('SINGLE_PAGE')
  expect(world.fake.calls.length).toBe(calls)
  world.fake.enterOptions = { scene: 1001, path: 'pages/index/index', query: {} }
})

describe('the share poster', () => {
  test('made from the code, drawn with the title, saved to the album; a denial leads to settings', async () => {
    world.cloud.openapi.publishedPages.add('pages/index/index')
    world.fake.scopes = {}
    world.fake.authorizeAnswer = 'deny'
    const page = render('pages/share/index')
    page.instance.onShow()
    await settle(10)
    page.querySelector('#make-poster')!.dispatchEvent('tap')
    await settle(40)
    expect(page.data.poster).toBe('READY')
    const [code] = world.cloud.openapi.callsTo('wxacode.getUnlimited')
    expect(String(code!.params.scene)).toMatch(/^s=[a-z0-9]{12}$/)
    const canvas = canvases.at(-1)!
    expect([canvas.width, canvas.height]).toEqual([600, 840]) // 300 × 420 at pixel ratio 2
    const layout = posterLayout(TEXTS.en.posterTitle, TEXTS.en.posterHint)
    expect(canvas.ctx.calls('fillText').map((c) => c[0])).toEqual([layout.title.text, layout.hint.text])
    expect(canvas.ctx.calls('drawImage')[0]!.slice(1)).toEqual([
      layout.code.x,
      layout.code.y,
      layout.code.size,
      layout.code.size,
    ])

    page.querySelector('#save-poster')!.dispatchEvent('tap')
    await settle(10)
    expect(page.data.poster).toBe('DENIED')
    expect(world.fake.album).toEqual([])
    world.fake.settingsChange = { 'scope.writePhotosAlbum': true }
    page.querySelector('#album-setting')!.dispatchEvent('tap')
    await settle(10)
    expect(page.data.poster).toBe('SAVED')
    expect(world.fake.album).toEqual(['wxfile://tmp/canvas-600x840.png'])
  })

  test('long titles are cut to fit; WeChat refusing the code is shown, not thrown', async () => {
    expect(fitTitle('a'.repeat(30))).toBe(`${'a'.repeat(24)}…`)
    expect(fitTitle('微信云开发小程序模板工具箱登录支付分享')).toHaveLength(15)
    // The poster titles of both languages fit the line whole.
    for (const t of Object.values(TEXTS)) expect(fitTitle(t.posterTitle)).toBe(t.posterTitle)
    world.cloud.openapi.failNext('wxacode.getUnlimited', 45009)
    const page = render('pages/share/index')
    page.instance.setData({ poster: 'IDLE' })
    // A fresh poster for a page without one yet: the profile of another user.
    world.fake.user = { openid: 'o-poster-busy' }
    page.querySelector('#make-poster')!.dispatchEvent('tap')
    await settle(20)
    world.fake.user = SHARER
    expect(page.data.poster).toBe('FAILED')
    expect(text(page, '#poster-error')).toMatch(/busy/i)
  })
})

test('scanning the poster code: App reads options.scene ("s=<id>") and attributes the entry to the poster\'s sharer', async () => {
  const [poster] = world.cloud.db.dump('share_posters')
  const shareId = String(poster!.shareId)
  const scanner = { openid: 'o-poster-scanner' }
  world.fake.user = scanner
  await app.onShow.call(app, {
    scene: 1047,
    path: 'pages/index/index',
    query: { scene: encodeURIComponent(`s=${shareId}`) },
  })
  await settle(20)
  world.fake.user = SHARER
  expect(world.cloud.db.dump('share_entries').find((e) => e.openid === scanner.openid)).toMatchObject({
    shareId,
    sharer: SHARER.openid,
    scene: 1047,
  })
})

test('an entry that meets a busy moment (a crowd, a dropped request) is retried with back-off and counted once', async () => {
  const { recordEntry } = await import('../../miniprogram/lib/share')
  await world.cloud.callFromClient(
    'share',
    { action: 'recordIntent', shareId: 'busyshare001', page: 'pages/index/index', via: 'menu' },
    SHARER,
  )
  const before = world.fake.user
  world.fake.user = { openid: 'o-share-busy-visitor' }
  try {
    world.fake.failNextCalls(2, { errMsg: 'request:fail timeout' })
    const sent = world.fake.calls.length
    await recordEntry(
      { scene: 1007, path: 'pages/index/index', query: { sid: 'busyshare001' } } as never,
      async () => {},
      [1, 1, 1],
    )
    expect(world.fake.calls.slice(sent).map((c) => c.data.action)).toEqual([
      'recordEntry',
      'recordEntry',
      'recordEntry',
    ])
    expect(world.cloud.db.dump('share_entries').filter((e) => e.shareId === 'busyshare001')).toHaveLength(1)
    // A refusal a retry cannot cure (not a share of this app's) is not retried.
    const again = world.fake.calls.length
    await recordEntry(
      { scene: 1007, path: 'pages/index/index', query: { sid: 'BAD!' } } as never,
      async () => {},
      [1, 1, 1],
    )
    expect(world.fake.calls.length - again).toBeLessThanOrEqual(1)
  } finally {
    world.fake.user = before
  }
})
