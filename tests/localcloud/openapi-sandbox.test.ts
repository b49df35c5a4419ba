/**
 * The openapi sandbox refuses what WeChat refuses (sandbox.ts names the documents):
 * getUnlimited's scene length (40169) apart from its characters (40129); msgSecCheck's scene,
 * content length and the 2-hour visit rule (61010).
 */
import { LocalCloud, WxApiError } from '../../localcloud'
import { explainErrcode } from '../../localcloud/errcodes'

const info = { fn: 'test', appid: 'wx' }
const code = async (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: unknown) => (e instanceof WxApiError ? e.errcode : -999),
  )

test('wxacode.getUnlimited: empty or over 32 characters is 40169; a character WeChat refuses is 40129', async () => {
  const cloud = new LocalCloud()
  const get = (scene: string) =>
    code(cloud.openapi.call('wxacode.getUnlimited', { scene, page: 'pages/index/index', check_path: false }, info))
  expect(await get('')).toBe(40169)
  expect(await get('s='.padEnd(33, 'x'))).toBe(40169)
  expect(await get('s=中文')).toBe(40129)
  expect(await get('s='.padEnd(32, 'x'))).toBe(0)
})

describe('security.msgSecCheck', () => {
  const check = (cloud: LocalCloud, p: Record<string, unknown>) =>
    code(
      cloud.openapi.call('security.msgSecCheck', { version: 2, openid: 'o-1', scene: 1, content: 'hello', ...p }, info),
    )

  test('needs a visit to the mini-program in the last 2 hours (61010)', async () => {
    let now = Date.parse('2026-11-21T10:00:00Z')
    const cloud = new LocalCloud({ now: () => now })
    expect(await check(cloud, {})).toBe(61010) // never seen
    await cloud.callFromClient('user', { action: 'login' }, { openid: 'o-1' })
    expect(await check(cloud, {})).toBe(0)
    now += 2 * 3600_000 + 1
    expect(await check(cloud, {})).toBe(61010)
    // The console explains it with the same rule (2 hours).
    expect(explainErrcode(61010)).toMatch(/2 hours/)
  })

  test('scene 1-4 and content up to 2500 characters', async () => {
    const cloud = new LocalCloud()
    cloud.openapi.userVisited('o-1')
    expect(await check(cloud, { scene: 5 })).toBe(47001)
    expect(await check(cloud, { scene: '1' })).toBe(47001)
    expect(await check(cloud, { content: '字'.repeat(2501) })).toBe(47001)
    expect(await check(cloud, { content: '字'.repeat(2500), scene: 4 })).toBe(0)
  })
})

test('subscribeMessage.send: a page the app does not have is 41030; lang is one of the four documented values', async () => {
  const cloud = new LocalCloud()
  cloud.openapi.templates.add('tmpl-1')
  const send = (p: Record<string, unknown>) => {
    cloud.openapi.grantSubscription('o-1', 'tmpl-1')
    return code(
      cloud.openapi.call('subscribeMessage.send', { touser: 'o-1', template_id: 'tmpl-1', data: {}, ...p }, info),
    )
  }
  expect(await send({ page: 'pages/pay/order/index?id=x' })).toBe(0) // a subpackage page, with a query
  expect(await send({ page: '/pages/index/index' })).toBe(0)
  expect(await send({ page: 'pages/admin/index' })).toBe(41030)
  expect(await send({ page: 'pages/pay/order' })).toBe(41030)
  for (const lang of ['zh_CN', 'en_US', 'zh_HK', 'zh_TW']) expect(await send({ lang })).toBe(0)
  expect(await send({ lang: 'en' })).toBe(47003)
})

test('every explained errcode is explained in Chinese too', () => {
  for (const code of [
    -1, 40001, 40003, 40029, 40037, 40129, 41030, 43101, 45009, 45011, 45015, 45047, 47001, 47003, 61010, -604101,
  ]) {
    expect(explainErrcode(code)).toBeTruthy()
    expect(explainErrcode(code, '', 'zh')).toMatch(/[\u4e00-\u9fff]/)
  }
})
