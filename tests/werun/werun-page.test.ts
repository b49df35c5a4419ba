/**
 * @jest-environment jsdom
 *
 * The WeRun page: asking for scope.werun, the way back through settings after a denial,
 * reading steps through a CloudID into `werun`, an expired CloudID fetched again, the chart and
 * the stats, the 7/31-day switch with one setData.
 */
import { markCloudReady } from '../../miniprogram/lib/call'
import { beijingDate } from '../../server/werun/days'
import { COLORS } from '../../miniprogram/pages/werun/components/kit-step-chart/paint'
import { canvases } from '../setup/canvas-fake'
import { createWorld, render, settle, type Rendered } from '../setup/miniprogram'
import { stepList } from './helpers'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const USER = { openid: 'o-werun-page' }
const world = createWorld(USER, { vars: { WERUN_GOAL: '5000' } })
markCloudReady(true)

const text = (page: Rendered, sel: string) =>
  page.querySelector(sel)?.dom.textContent?.replace(/\s+/g, ' ').trim() ?? ''
let page: Rendered

async function open(): Promise<Rendered> {
  if (!page) page = render('pages/werun/index')
  page.instance.onLoad()
  await settle(30)
  return page
}

beforeEach(() => {
  world.fake.scopes = {}
  world.fake.authorizeAnswer = 'allow'
  world.fake.settingsChange = {}
  world.fake.weRunSteps = stepList(31, (d) => (d % 2 ? 6000 : 3000))
})

test('first visit: asks for WeRun, then syncs and shows the week, today highlighted on the chart', async () => {
  const p = await open()
  expect(p.data.state).toBe('NEED_AUTH')
  expect(world.fake.calls.filter((c) => c.name === 'werun')).toEqual([])
  p.querySelector('#authorize')!.dispatchEvent('tap')
  await settle(30)
  expect(p.data.state).toBe('READY')
  expect(world.fake.scopes['scope.werun']).toBe(true)
  expect(world.cloud.db.dump('werun_days').filter((d) => d._openid === USER.openid)).toHaveLength(31)
  expect(p.data.days).toHaveLength(7)
  expect(p.data.today).toBe(beijingDate(Date.now()))
  expect(text(p, '#total')).toBe('30,000') // 3000 today, 6000 yesterday, alternating back
  expect(text(p, '#average')).toBe('4,286')
  expect(text(p, '#streak')).toBe('1') // today (3000) is not over yet; yesterday reached 5000
  expect(text(p, '#best')).toBe(`6,000 (${beijingDate(Date.now() - 5 * 86_400_000).slice(5)})`)
  const chart = canvases.at(-1)!
  expect(chart.ctx.calls('fillRect')).toHaveLength(7)
  // Today's bar (the last) is drawn in the highlight colour, the others not.
  const fills = chart.ctx.ops.filter((o) => o[0] === 'set:fillStyle' || o[0] === 'fillRect')
  const barColours = fills.flatMap((o, i) => (o[0] === 'fillRect' ? [fills[i - 1]![1]] : []))
  expect(barColours.at(-1)).toBe(COLORS.today)
  expect(barColours.slice(0, -1)).not.toContain(COLORS.today)
  // The canvas says nothing to a screen reader: the chart carries its data in words.
  const chartBox = p.querySelector('#chart')!
  expect(chartBox.data.summary).toBe(
    `7 days of steps: 30,000 in all, 4,286 a day on average, best day ${text(p, '#best')}; goal 5,000 steps.`,
  )
  expect(text(p, '.legend')).toBe('Goal 5,000 steps · today highlighted')
})

test('31 days with one setData; bars to line without asking the server', async () => {
  world.fake.scopes = { 'scope.werun': true }
  const p = await open()
  const spy = jest.spyOn(p.instance, 'setData')
  const calls = world.fake.calls.length
  p.querySelector('#range-31')!.dispatchEvent('tap')
  await settle(20)
  expect(spy).toHaveBeenCalledTimes(1)
  expect(p.data.days).toHaveLength(31)
  expect(world.fake.calls.slice(calls).map((c) => c.data.action)).toEqual(['history'])
  p.querySelector('#mode-line')!.dispatchEvent('tap')
  await settle(5)
  expect(p.data.mode).toBe('line')
  expect(world.fake.calls.length).toBe(calls + 1)
  spy.mockRestore()
  p.instance.setData({ range: 7, mode: 'bar' })
})

test('denied: the page explains and offers settings; turning it on there syncs', async () => {
  world.fake.authorizeAnswer = 'deny'
  const p = await open()
  p.querySelector('#authorize')!.dispatchEvent('tap')
  await settle(10)
  expect(p.data.state).toBe('DENIED')
  // Asking again fails at once (WeChat does not prompt twice): the page keeps the settings path.
  p.instance.onLoad()
  await settle(10)
  expect(p.data.state).toBe('DENIED')
  world.fake.settingsChange = { 'scope.werun': true }
  p.querySelector('#open-setting')!.dispatchEvent('tap')
  await settle(30)
  expect(p.data.state).toBe('READY')
})

test('an expired CloudID is fetched again once; WeRun not enabled is explained', async () => {
  world.fake.scopes = { 'scope.werun': true }
  // The first sync call fails as if 5 minutes had passed.
  const cloud = world.cloud as unknown as { resolveCloudId(id: string): unknown }
  const real = cloud.resolveCloudId.bind(world.cloud)
  let first = true
  cloud.resolveCloudId = (id: string) =>
    first ? ((first = false), { cloudID: id, errCode: -601006, errMsg: 'cloudID expired' }) : real(id)
  const before = world.fake.calls.length
  const p = await open()
  cloud.resolveCloudId = real
  expect(p.data.state).toBe('READY')
  expect(world.fake.calls.slice(before).map((c) => c.data.action)).toEqual(['sync', 'sync', 'history'])

  world.fake.weRunSteps = undefined
  p.instance.onLoad()
  await settle(20)
  expect(p.data.state).toBe('ERROR')
  expect(text(p, '#error')).toMatch(/WeRun is not enabled in your WeChat/)
})
