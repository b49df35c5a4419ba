/**
 * setData per second on the light page under hostile input, measured through the page harness
 * (shared by tests/light/light-page.test.ts and `npm run bench`):
 * - slider: a `changing` event every 2 ms for the whole window, as a fast drag on a 120 Hz screen;
 * - scan: 12 lights re-advertising every 20 ms each (600 adverts a second).
 * Answers the most setData calls seen in any one second of the window.
 */
import { markCloudReady } from '../../miniprogram/lib/call'
import { TIMING } from '../../miniprogram/pages/light/ble/timing'
import { installBle, type BleWorld } from '../setup/ble-fake'
import { elkPeripheral } from '../setup/ble-peripherals'
import { render, settle, simulate, until, type Rendered, type World } from '../setup/miniprogram'
import { busiestSecond } from './rate'

export const WINDOW_MS = 2000

function countSetData(page: Rendered): { at: number[]; stop(): void } {
  const at: number[] = []
  const original = page.instance.setData.bind(page.instance)
  page.instance.setData = (patch: Record<string, unknown>, cb?: () => void) => {
    at.push(Date.now())
    return original(patch, cb)
  }
  return { at, stop: () => void (page.instance.setData = original) }
}

export async function lightSetDataPerSecond(world: World): Promise<{ slider: number; scan: number }> {
  markCloudReady(true)
  Object.assign(TIMING, { connectTimeoutMs: 300, connectGuardMs: 100, scanMs: WINDOW_MS + 2000 })
  world.fake.scopes = { 'scope.bluetooth': true }

  // Scan: many lights, each advertising every 20 ms.
  let ble: BleWorld = installBle(world.fake)
  ble.advertEveryMs = 20
  for (let i = 0; i < 12; i++)
    ble.add(
      elkPeripheral({
        deviceId: `BE:FF:00:00:00:${String(i).padStart(2, '0')}`,
        name: `ELK-BLEDOM${i}`,
        rssi: -40 - i * 3,
        foundAfterMs: 1 + i,
      }),
    )
  let page = render('pages/light/index')
  page.instance.onLoad()
  await settle(10)
  let count = countSetData(page)
  page.querySelector('#scan')!.dispatchEvent('tap')
  const scanStart = Date.now()
  await until(() => page.data.devices.length === 12, '12 lights')
  while (Date.now() - scanStart < WINDOW_MS) await simulate.sleep(10)
  const scan = busiestSecond(count.at)
  count.stop()
  page.instance.onUnload()
  await simulate.sleep(20)

  // Slider: connected to one light, a drag event every 2 ms.
  ble = installBle(world.fake)
  ble.add(elkPeripheral())
  page = render('pages/light/index')
  page.instance.onLoad()
  await settle(10)
  page.querySelector('#scan')!.dispatchEvent('tap')
  await until(() => page.data.devices.length === 1, 'the light')
  await simulate.sleep(300)
  page.querySelector('.device')!.dispatchEvent('tap')
  await until(() => page.data.state === 'CONNECTED', 'CONNECTED')
  await settle(5)
  count = countSetData(page)
  const slider = page.querySelector('#brightness-slider')!
  const dragStart = Date.now()
  for (let v = 0; Date.now() - dragStart < WINDOW_MS; v++) {
    slider.dispatchEvent('changing', { detail: { value: 1 + (v % 100) } })
    await simulate.sleep(2)
  }
  slider.dispatchEvent('change', { detail: { value: 50 } })
  await simulate.sleep(200)
  const sliderRate = busiestSecond(count.at)
  count.stop()
  page.instance.onUnload()
  await simulate.sleep(20)
  return { slider: sliderRate, scan }
}
