/**
 * @jest-environment jsdom
 *
 * A fresh clone has no env.local.ts: launch must explain what to do, not crash, and call nothing.
 */
import { takeConsole } from '../setup/console'
import { createWorld, launchApp, render, settle } from '../setup/miniprogram'

jest.mock(
  '../../miniprogram/config/env.local',
  () => {
    throw new Error("module 'config/env.local.js' is not defined")
  },
  { virtual: true },
)

test('no env id: a clear message on the page and in globalData, no cloud call', async () => {
  const world = createWorld()
  const app = launchApp()
  expect(app.globalData.configError).toMatch(/No CloudBase environment is configured/)
  const page = render('pages/index/index')
  page.instance.onLoad({})
  await settle()
  expect(page.querySelector('#not-configured')!.dom.textContent).toMatch(/npm run configure -- --env/)
  expect(world.fake.calls).toHaveLength(0)
  // The developer sees the same sentence in DevTools' console.
  expect(takeConsole('error')).toEqual([app.globalData.configError])
})
