/**
 * @jest-environment jsdom
 *
 * Launch: the app signs in once, retries network failures with a visible attempt count,
 * and shows a retry button when it gives up.
 */
import { createWorld, launchApp, render, settle, type Rendered } from '../setup/miniprogram'
import { session } from '../../miniprogram/lib/session'

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
  expect(page.querySelector('#failed')!.dom.textContent).toContain('Could not reach the server. Check your network and try again.')
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
  expect(world.fake.navigations.slice(-rows.length)).toEqual(['/pages/pay/index', '/pages/werun/index', '/pages/rank/index', '/pages/light/index', '/pages/soter/index', '/pages/share/index'])
})
