/**
 * @jest-environment jsdom
 *
 * Other mini-programs: the home page links to the configured partners (<navigator
 * target="miniProgram">); opened by one (scene 1037), the app attributes extraData.sid as a share
 * entry, opens extraData.page when it is ours, and the home page offers the way back
 * (wx.navigateBackMiniProgram).
 */
import { resetLocale } from '../../miniprogram/lib/i18n'
import { readFileSync } from 'node:fs'
import type * as PartnersModule from '../../miniprogram/config/partners'
import { join } from 'node:path'
import {
  extraDataOf,
  FROM_MINIPROGRAM_SCENE,
  openedBy,
  partnerEntry,
  partnerReturn,
  setOpener,
  type ReferrerInfo,
} from '../../miniprogram/lib/partner'
import { ROUTABLE_PAGES } from '../../miniprogram/shared/routes'
import { attrsOf, createWorld, launchApp, render, settle } from '../setup/miniprogram'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })
const PARTNER = {
  key: 'coffee',
  appId: 'wx1234567890abcdef',
  path: 'pages/index/index?from=kit',
  extraData: { from: 'kit' },
  envVersion: 'release',
  name: { zh_CN: '咖啡小程序', en: 'Coffee app' },
}
const { SAMPLE_PARTNER, SAMPLE_PARTNER_SHARE_ID } = jest.requireActual<typeof PartnersModule>(
  '../../miniprogram/config/partners',
)
jest.mock('../../miniprogram/config/partners', () => ({
  ...jest.requireActual('../../miniprogram/config/partners'),
  PARTNERS: [PARTNER],
}))

const SHARER = { openid: 'o-partner-sharer' }
const VISITOR = { openid: 'o-partner-visitor' }
const world = createWorld(SHARER)
beforeAll(() => jest.spyOn(console, 'error').mockImplementation(() => {}))
const app = launchApp()

afterEach(() => {
  world.fake.language = 'en'
  resetLocale()
  setOpener(null)
})

test('who opened us: only scene 1037 with a real AppID counts; sid and page are taken only when they are valid and ours', () => {
  const base = {
    scene: FROM_MINIPROGRAM_SCENE,
    referrerInfo: { appId: PARTNER.appId, extraData: { sid: 'abc12345xyz', page: '/pages/cards/index' } },
  }
  expect(partnerEntry(base, [PARTNER as never], 'zh_CN')).toEqual({
    appId: PARTNER.appId,
    name: '咖啡小程序',
    shareId: 'abc12345xyz',
    page: 'pages/cards/index',
  })
  expect(partnerEntry({ ...base, scene: 1001 }, [], 'en')).toBeNull()
  expect(partnerEntry({ ...base, referrerInfo: { appId: 'not-an-appid' } }, [], 'en')).toBeNull()
  expect(
    partnerEntry(
      {
        scene: 1037,
        referrerInfo: { appId: 'wx00000000000000aa', extraData: { sid: 'BAD ID!', page: 'pages/admin/secret' } },
      },
      [],
      'en',
    ),
  ).toEqual({ appId: 'wx00000000000000aa', name: '', shareId: null, page: null })
})

test("the home page links to the partners with the configured target, in the user's language", async () => {
  world.fake.language = 'zh_CN'
  resetLocale()
  const home = render('pages/index/index')
  home.instance.onLoad()
  await settle(20)
  const link = home.querySelector('#partner-coffee')!
  expect(link.dom.textContent).toContain('咖啡小程序')
  expect(attrsOf(link)).toMatchObject({
    target: 'miniProgram',
    appId: PARTNER.appId,
    path: PARTNER.path,
    extraData: PARTNER.extraData,
    version: 'release',
  })
  expect(home.querySelector('#back-to-opener')).toBeFalsy() // we were not opened by another mini-program
})

test('opened by a partner: the entry is attributed to the share, its page opened, and the home page offers the way back', async () => {
  const card = render('pages/index/index').instance.onShareAppMessage({ from: 'menu' })
  await settle(10)
  const sid = /sid=([a-z0-9]+)/.exec(card.path)![1]!
  world.fake.user = VISITOR
  await app.onShow.call(app, {
    scene: 1037,
    path: 'pages/index/index',
    query: {},
    referrerInfo: { appId: PARTNER.appId, extraData: { sid, page: 'pages/cards/index' } },
  })
  await settle(30)
  world.fake.user = SHARER
  expect(world.cloud.db.dump('share_entries')).toEqual([
    expect.objectContaining({ shareId: sid, openid: VISITOR.openid, scene: 1037 }),
  ])
  expect(world.fake.navigations).not.toContain('/pages/cards/index') // not from App.onShow: no page exists yet
  const home = render('pages/index/index')
  home.instance.onLoad()
  home.instance.onShow()
  await settle(10)
  expect(world.fake.navigations.at(-1)).toBe('/pages/cards/index') // the home page opens it, once
  home.instance.onShow()
  expect(world.fake.navigations.filter((u) => u === '/pages/cards/index')).toHaveLength(1)
  expect(home.querySelector('#back-to-opener')!.dom.textContent).toContain('Back to Coffee app')
  home.querySelector('#back-to-opener')!.dispatchEvent('tap')
  await settle()
  expect(world.fake.miniProgramNavigations.at(-1)).toEqual({
    api: 'navigateBackMiniProgram',
    options: { extraData: { from: 'wechat-cloudbase-kit', page: 'pages/index/index' } },
  })
})

test('the way back stays after the app goes to the background and returns; a partner sending the user back (1038) opens the page it names', async () => {
  await app.onShow.call(app, {
    scene: 1037,
    path: 'pages/index/index',
    query: {},
    referrerInfo: { appId: PARTNER.appId, extraData: {} },
  })
  await settle(10)
  // Back from the background: WeChat shows the app again with another scene.
  await app.onShow.call(app, { scene: 1089, path: 'pages/index/index', query: {} })
  await settle(10)
  const home = render('pages/index/index')
  home.instance.onLoad()
  home.instance.onShow()
  await settle(10)
  expect(home.querySelector('#back-to-opener')!.dom.textContent).toContain('Back to Coffee app')
  // A partner we opened returns the user here with a page of ours (and one that is not: ignored).
  const before = world.fake.navigations.length
  await app.onShow.call(app, {
    scene: 1038,
    path: 'pages/index/index',
    query: {},
    referrerInfo: { appId: PARTNER.appId, extraData: { page: '/pages/rank/index' } },
  })
  home.instance.onShow()
  await settle(10)
  expect(world.fake.navigations.slice(before)).toEqual(['/pages/rank/index'])
  await app.onShow.call(app, {
    scene: 1038,
    path: 'pages/index/index',
    query: {},
    referrerInfo: { appId: PARTNER.appId, extraData: { page: 'pages/admin/secret' } },
  })
  home.instance.onShow()
  await settle(10)
  expect(world.fake.navigations.slice(before)).toEqual(['/pages/rank/index'])
  // Going back to the opener ends it.
  home.querySelector('#back-to-opener')!.dispatchEvent('tap')
  await settle()
  expect(openedBy()).toBeNull()
})

test("DevTools' compile mode hands extraData over as a JSON string: read the same; a broken or oversized string is no data", () => {
  const asString = {
    scene: 1037,
    referrerInfo: { appId: PARTNER.appId, extraData: JSON.stringify({ sid: 'abc12345xyz', page: 'pages/pay/index' }) },
  }
  expect(partnerEntry(asString, [PARTNER as never], 'en')).toEqual({
    appId: PARTNER.appId,
    name: 'Coffee app',
    shareId: 'abc12345xyz',
    page: 'pages/pay/index',
  })
  expect(extraDataOf({ extraData: '{not json' })).toEqual({})
  expect(extraDataOf({ extraData: '[1,2]' })).toEqual({})
  expect(extraDataOf({ extraData: JSON.stringify({ sid: 'x'.repeat(2000) }) })).toEqual({})
  expect(
    partnerReturn({ scene: 1038, referrerInfo: { appId: PARTNER.appId, extraData: '{"page":"pages/cards/index"}' } }),
  ).toEqual({ appId: PARTNER.appId, page: 'pages/cards/index' })
})

test('the committed DevTools compile modes play the sample partner of local mode: scene 1037 with its share id and a page of ours, and the way back (1038)', () => {
  const project = JSON.parse(readFileSync(join(__dirname, '..', '..', 'project.config.json'), 'utf8')) as {
    condition: {
      miniprogram: { list: Array<{ name: string; pathName: string; scene: number; referrerInfo: ReferrerInfo }> }
    }
  }
  const [enter, back] = project.condition.miniprogram.list
  expect(enter!.scene).toBe(FROM_MINIPROGRAM_SCENE)
  expect(partnerEntry({ scene: enter!.scene, referrerInfo: enter!.referrerInfo }, [SAMPLE_PARTNER], 'zh_CN')).toEqual({
    appId: SAMPLE_PARTNER.appId,
    name: '示例合作小程序',
    shareId: SAMPLE_PARTNER_SHARE_ID,
    page: 'pages/pay/index',
  })
  expect(partnerReturn({ scene: back!.scene, referrerInfo: back!.referrerInfo })).toEqual({
    appId: SAMPLE_PARTNER.appId,
    page: 'pages/cards/index',
  })
  for (const c of [enter!, back!]) expect(ROUTABLE_PAGES).toContain(c.pathName)
})
