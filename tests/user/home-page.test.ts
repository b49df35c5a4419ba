/**
 * @jest-environment jsdom
 *
 * Launch: the app signs in once, retries network failures with a visible attempt count,
 * and shows a retry button when it gives up.
 */
import { createWorld, launchApp, render, settle, type Rendered } from '../setup/miniprogram'
import { session } from '../../miniprogram/lib/session'
import { resetLocale, setLocale } from '../../miniprogram/lib/i18n'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = createWorld({ openid: 'o-home' })
// Backoff without real waiting (the delays are the session's constructor argument).
;(session as unknown as { delays: number[] }).delays = [0, 0, 0]
world.fake.failNextCalls(3, { errMsg: 'request:fail' })
launchApp()

let page: Rendered
const logins = () => world.fake.calls.filter((c) => c.data.action === 'login').length

beforeAll(async () => {
  page = render('pages/index/index')
  page.instance.onLoad({})
  await settle(20)
})

test('three network failures: three attempts, then a visible error with a retry button', () => {
  expect(logins()).toBe(3)
  expect(page.data.state).toBe('FAILED')
  expect(page.querySelector('#failed')!.dom.textContent).toContain(
    'Could not reach the server. Check your network and try again.',
  )
  expect(page.querySelector('#retry')).not.toBeNull()
  expect(world.cloud.db.dump('users')).toHaveLength(0)
})

test('tapping retry signs in and shows the greeting; the page asks again only once', async () => {
  page.querySelector('#retry')!.dispatchEvent('tap')
  await settle(20)
  expect(logins()).toBe(4)
  expect(page.data.state).toBe('READY')
  expect(page.querySelector('#signed-in')!.dom.textContent).toContain('Welcome! Set up your profile')
  await session.ensure()
  expect(logins()).toBe(4)
})

test('tapping the greeting opens the profile page', async () => {
  page.querySelector('#signed-in')!.dispatchEvent('tap')
  await settle()
  expect(world.fake.navigations).toEqual(['/pages/profile/index'])
})

test('each menu row opens its page', async () => {
  const rows = ['#go-shop', '#go-werun', '#go-rank', '#go-light', '#go-soter', '#go-share']
  for (const sel of rows) page.querySelector(sel)!.dispatchEvent('tap')
  await settle()
  expect(world.fake.navigations.slice(-rows.length)).toEqual([
    '/pages/pay/index',
    '/pages/werun/index',
    '/pages/rank/index',
    '/pages/light/index',
    '/pages/soter/index',
    '/pages/share/index',
  ])
})

test('back from a language switch on the profile page: the home page shows the new language in one setData', async () => {
  setLocale('zh_CN')
  const setData = jest.spyOn(page.instance, 'setData')
  page.instance.onShow()
  await settle()
  expect(setData).toHaveBeenCalledTimes(1)
  expect(page.querySelector('#signed-in')!.dom.textContent).toContain('欢迎！完善你的资料')
  expect(page.querySelector('#go-shop')!.dom.textContent).toContain('商店（微信支付）')
  expect(world.fake.navigationTitle).toBe('云开发示例')
  // Shown again without a change: nothing to set.
  page.instance.onShow()
  expect(setData).toHaveBeenCalledTimes(1)
  setData.mockRestore()
})

afterAll(() => {
  wx.removeStorageSync('locale')
  resetLocale()
})
