/**
 * @jest-environment jsdom
 *
 * Privacy authorisation on the light page that calls a privacy-guarded API (#15.3): the one listener
 * (lib/privacy.ts) hands WeChat's request to the popup of the page on screen, so a user who has
 * not agreed yet sees the popup on the WeRun, light and share pages too, not only on the profile
 * page; declining is told apart from an API the guidelines do not declare (errno 112).
 * WeChat's behaviour is the fake's (tests/setup/wx-fake.ts, PrivacyAuthorize.html).
 */
import { installBle } from '../setup/ble-fake'
import { elkPeripheral } from '../setup/ble-peripherals'
import { render, settle, simulate } from '../setup/miniprogram'
import { popupVisible, privacyWorld } from './helpers'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = privacyWorld()
const ble = installBle(world.fake)
ble.add(elkPeripheral())

const visible = popupVisible

describe('light', () => {
  test("the adapter is opened only after the page's popup is agreed to; declining blocks with the reason and a retry", async () => {
    const page = render('pages/light/index')
    page.instance.onLoad()
    await settle(20)
    expect(page.data.state).toBe('CHECKING')
    expect(visible(page)).toBe(true)
    expect(ble.log).not.toContain('openBluetoothAdapter')
    page.querySelector('#privacy')!.querySelector('#privacy-disagree')!.dispatchEvent('tap')
    await settle(20)
    expect(page.data).toMatchObject({ state: 'BLOCKED', fix: 'RETRY' })
    expect(page.data.message).toMatch(
      /^You have not agreed to the privacy guidelines, so using Bluetooth is not possible/,
    )
    expect(ble.log).not.toContain('openBluetoothAdapter')
    // Retry: asked again, agreed, the adapter opens and scanning works.
    page.instance.onFix()
    await settle(20)
    page.querySelector('#privacy')!.querySelector('#privacy-agree')!.dispatchEvent('agreeprivacyauthorization')
    await settle(20)
    expect(ble.log).toContain('openBluetoothAdapter')
    expect(page.data.state).toBe('IDLE')
    page.querySelector('#scan')!.dispatchEvent('tap')
    await settle(20)
    expect(page.data.state).toBe('SCANNING')
    page.instance.onUnload()
    await simulate.sleep(20)
  })
})
