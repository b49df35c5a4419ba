/**
 * @jest-environment jsdom
 *
 * The light page end to end against simulated peripherals behind a fake of the wx Bluetooth
 * APIs (tests/setup/ble-fake.ts): system checks, scan, connect, control, the write queue and
 * throttle as seen by the light, drops and reconnects, timeouts, leaving the page, and the
 * remembered light.
 */
import { TIMING } from '../../miniprogram/pages/light/ble/timing'
import { STORAGE_KEY } from '../../miniprogram/pages/light/ble/remember'
import { markCloudReady } from '../../miniprogram/lib/call'
import { createWorld, render, settle, simulate, until, type Rendered } from '../setup/miniprogram'
import { installBle, type BleWorld } from '../setup/ble-fake'
import { elkPeripheral, hexOf, trionesPeripheral, type Peripheral } from '../setup/ble-peripherals'
import { connectTo, frames, tap, TEST_TIMING, text } from './page-harness'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = createWorld({ openid: 'o-light-page' })
markCloudReady(true)
let ble: BleWorld
let elk: Peripheral
let tri: Peripheral
let page: Rendered | null = null

Object.assign(TIMING, TEST_TIMING)

async function open(): Promise<Rendered> {
  page = render('pages/light/index')
  page.instance.onLoad()
  await settle(10)
  return page
}

beforeEach(() => {
  ble = installBle(world.fake)
  elk = ble.add(elkPeripheral())
  tri = ble.add(trionesPeripheral({ foundAfterMs: 20 }))
  ble.add(elkPeripheral({ deviceId: 'AA:00:00:00:00:01', name: 'Heart rate', advertised: ['180D'], foundAfterMs: 1 }))
  world.fake.scopes = {}
  world.fake.authorizeAnswer = 'allow'
  world.fake.storage = {}
})

afterEach(async () => {
  page?.instance.onUnload()
  page = null
  await simulate.sleep(20)
})

describe('before scanning', () => {
  test('Bluetooth off on Android: a message, the settings button, and a fresh look on return', async () => {
    ble.bluetoothEnabled = false
    const p = await open()
    expect(p.data.state).toBe('BLOCKED')
    expect(text(p, '#blocked-message')).toBe('Bluetooth is off. Turn it on to find your light.')
    expect(ble.log).not.toContain('openBluetoothAdapter')
    tap(p, '#fix')
    await settle(5)
    expect(ble.opened).toEqual(['openSystemBluetoothSetting'])
    ble.bluetoothEnabled = true
    p.instance.onShow()
    await settle(10)
    expect(p.data.state).toBe('IDLE')
    expect(p.querySelector('#scan')).toBeTruthy()
  })

  test('Android location off, or not allowed, each have their own message; iOS does not need location', async () => {
    ble.locationEnabled = false
    let p = await open()
    expect(p.data.state).toBe('BLOCKED')
    expect(text(p, '#blocked-message')).toContain('Turn on Location')
    expect(p.querySelector('#fix')).toBeFalsy() // no API opens the location switch
    p.instance.onUnload()

    ble.locationEnabled = true
    ble.locationAuthorized = 'denied'
    p = await open()
    expect(text(p, '#blocked-message')).toContain('Allow Location for WeChat')
    tap(p, '#fix')
    await settle(5)
    expect(ble.opened).toEqual(['openAppAuthorizeSetting'])
    p.instance.onUnload()

    ble.platform = 'ios'
    p = await open()
    expect(p.data.state).toBe('IDLE')
  })

  test('scope.bluetooth refused: explained, and allowed again through the settings page', async () => {
    world.fake.authorizeAnswer = 'deny'
    world.fake.settingsChange = { 'scope.bluetooth': true }
    const p = await open()
    expect(p.data.state).toBe('BLOCKED')
    expect(text(p, '#blocked-message')).toContain('not allowed for this mini-program')
    tap(p, '#fix')
    await settle(10)
    expect(p.data.state).toBe('IDLE')
  })
})

describe('scan and connect', () => {
  test('real adverts: the scan has no service filter; lights that advertise HID 1812 or nothing are found by name, other devices are not listed', async () => {
    ble.add(
      elkPeripheral({
        deviceId: 'AA:00:00:00:00:02',
        name: 'Mi Smart Band',
        advertised: ['FEE0'],
        gatt: [{ uuid: 'FEE0', characteristics: [] }],
        foundAfterMs: 2,
      }),
    )
    ble.add(elkPeripheral({ deviceId: 'AA:00:00:00:00:03', name: '', advertised: [], foundAfterMs: 3 }))
    const calls: Array<Record<string, unknown>> = []
    const start = world.fake.wx.startBluetoothDevicesDiscovery as (o: Record<string, unknown>) => Promise<unknown>
    world.fake.wx.startBluetoothDevicesDiscovery = (o: Record<string, unknown>) => {
      calls.push(o)
      return start(o)
    }
    wx.startBluetoothDevicesDiscovery = world.fake.wx.startBluetoothDevicesDiscovery
    const p = await open()
    tap(p, '#scan')
    await until(() => p.data.devices.length === 2, 'two lights')
    await settle(5)
    expect(calls).toHaveLength(1)
    expect(calls[0]).not.toHaveProperty('services')
    expect(p.data.devices.map((d: { name: string }) => d.name).sort()).toEqual(['ELK-BLEDOM', 'Triones-0004BB'])
    expect(elk.advertised).toEqual(['1812'])
    expect(tri.advertised).toEqual([])
  })

  test('an ELK-BLEDOB strip gets its own power frames, chosen after connecting', async () => {
    elk.name = 'ELK-BLEDOB'
    const p = await open()
    await connectTo(p, elk)
    p.querySelector('#power')!.dispatchEvent('change', { detail: { value: false } })
    await until(() => elk.received.length === 1, 'power frame')
    expect(frames(elk)).toEqual(['7E 07 04 00 00 00 02 01 EF'])
  })

  test('lists only lights, strongest first, then connects to the one picked', async () => {
    const p = await open()
    tap(p, '#scan')
    await settle(2)
    expect(p.data.state).toBe('SCANNING')
    expect(text(p, '#none-yet')).toContain('Nothing yet')
    await until(() => p.data.devices.length === 2, 'two lights')
    await settle(5)
    expect(
      p.data.devices.map((d: { name: string; protocolLabel: string }) => `${d.name} (${d.protocolLabel})`),
    ).toEqual(['ELK-BLEDOM (ELK-BLEDOM strip)', 'Triones-0004BB (Triones bulb)'])
    expect(text(p, '.device')).toContain('-56 dBm') // the repeated advertisement updated the signal
    p.querySelectorAll('.device')[1]!.dispatchEvent('tap')
    await until(() => p.data.state === 'CONNECTED', 'CONNECTED')
    expect(ble.log).toContain('stopBluetoothDevicesDiscovery')
    expect(ble.discovering).toBe(false)
    expect(text(p, '#device-name')).toBe('Triones-0004BB')
  })

  test('UUIDs in short or lower-case form, and services that come back empty once, still connect', async () => {
    elk.uuidStyle = 'short'
    elk.emptyServices = 1
    tri.uuidStyle = 'full-lower'
    const p = await open()
    await connectTo(p, elk)
    tap(p, '#disconnect')
    await until(() => p.data.state === 'IDLE', 'IDLE')
    await connectTo(p, tri)
    expect(tri.notifying.has('0000FFD4-0000-1000-8000-00805F9B34FB')).toBe(true)
  })

  test.each([
    [
      'named like a light but without its service: refused after connecting (10004)',
      [{ uuid: 'FFE0', characteristics: [] }],
      'does not offer the light service',
    ],
    [
      'a device without the write characteristic: 10005 explained',
      [{ uuid: 'FFF0', characteristics: [] }],
      'lacks the control characteristic',
    ],
  ])('%s, nothing left open', async (_name, gatt, message) => {
    elk.gatt = gatt
    const p = await open()
    tap(p, '#scan')
    await until(() => p.data.devices.length > 0, 'a device')
    await settle(5)
    p.querySelectorAll('.device')
      .find((n) => n.dom.textContent?.includes('ELK-BLEDOM'))!
      .dispatchEvent('tap')
    await until(() => p.data.state === 'IDLE' && !!p.data.message, 'the problem')
    expect(text(p, '#message')).toContain(message)
    expect(elk.connected).toBe(false)
  })

  test('a light that never answers: the connection times out with 10012 and is cancelled', async () => {
    const p = await open()
    tap(p, '#scan')
    await until(() => p.data.devices.length > 0, 'a device')
    elk.inRange = false
    elk.hangs = true
    await settle(5)
    p.querySelectorAll('.device')
      .find((n) => n.dom.textContent?.includes('ELK'))!
      .dispatchEvent('tap')
    await until(() => p.data.state === 'CONNECTING', 'CONNECTING')
    expect(text(p, '#connecting')).toBe('Connecting to ELK-BLEDOM…')
    await until(() => p.data.state === 'IDLE', 'IDLE after the timeout')
    expect(text(p, '#message')).toContain('Connecting took too long')
    expect(ble.log.filter((c) => c === 'closeBLEConnection').length).toBeGreaterThan(0)
  })
})

describe('control', () => {
  test('power, colour swatch, presets and effects write the ELK-BLEDOM frames in order, one setData per tap', async () => {
    const p = await open()
    await connectTo(p, elk)
    const spy = jest.spyOn(p.instance, 'setData')
    p.querySelector('#power')!.dispatchEvent('change', { detail: { value: false } })
    await until(() => elk.received.length === 1, 'power frame')
    expect(frames(elk)).toEqual(['7E 04 04 00 00 00 FF 00 EF'])
    expect(spy).toHaveBeenCalledTimes(1)
    tap(p, '#swatch-5') // blue, while off: power on first
    await until(() => elk.received.length === 3, 'colour frames')
    expect(frames(elk).slice(1)).toEqual(['7E 04 04 F0 00 01 FF 00 EF', '7E 07 05 03 00 00 FF 00 EF'])
    expect(p.data.light.colorHex).toBe('#0000ff')
    tap(p, '#preset-READING')
    tap(p, '#effect-FLASH_7')
    await until(() => elk.received.length === 7, 'preset and effect frames')
    expect(frames(elk).slice(3)).toEqual([
      '7E 07 05 03 FF FF FF 00 EF',
      '7E 04 01 64 FF FF FF 00 EF',
      '7E 05 03 95 03 FF FF 00 EF',
      '7E 04 02 32 FF FF FF 00 EF',
    ])
    expect(spy).toHaveBeenCalledTimes(4)
    expect(p.data.light.mode).toBe('EFFECT')
    // The running effect by its name; swatches, presets and effects named for people and screen readers.
    expect(p.querySelector('#mode')!.dom.textContent!.trim()).toBe('Seven-colour flash')
    expect(p.data.swatches[5].label).toBe('Colour 6 of 8')
    expect(p.querySelector('#preset-READING')!.dom.textContent!.trim()).toBe('Reading')
    expect(p.data.effects.map((e: { label: string }) => e.label)).toContain('Red breathing')
    spy.mockRestore()
  })

  test('a brightness drag: one setData per frame, ≤ ~10 writes/s with the last value, never two writes at once', async () => {
    const p = await open()
    await connectTo(p, elk)
    const spy = jest.spyOn(p.instance, 'setData')
    const slider = p.querySelector('#brightness-slider')!
    for (let v = 100; v >= 41; v--) slider.dispatchEvent('changing', { detail: { value: v } })
    expect(spy).toHaveBeenCalledTimes(0) // the label waits for the frame
    // One frame later (waited for, not slept: a loaded machine may take longer than a frame).
    await until(() => spy.mock.calls.length > 0, 'the frame')
    await simulate.sleep(5)
    expect(spy).toHaveBeenCalledTimes(1)
    expect(p.data.light.brightness).toBe(41)
    slider.dispatchEvent('change', { detail: { value: 40 } })
    await until(() => elk.received.some((f) => hexOf(f) === '7E 04 01 28 FF FF FF 00 EF'), 'the final brightness')
    await simulate.sleep(150)
    // 61 events in a few ms: the first value at once, the last on release; at most one in between.
    expect(elk.received.length).toBeGreaterThanOrEqual(2)
    expect(elk.received.length).toBeLessThanOrEqual(3)
    expect(frames(elk)[0]).toBe('7E 04 01 64 FF FF FF 00 EF')
    expect(frames(elk).at(-1)).toBe('7E 04 01 28 FF FF FF 00 EF')
    expect(text(p, '#brightness')).toBe('40%')
    spy.mockRestore()
  })

  test('Triones: notifications on, status read at connect and shown; colour writes follow its protocol', async () => {
    const p = await open()
    await connectTo(p, tri)
    await until(() => p.data.light.colorHex === '#123456', "the light's own colour")
    expect(frames(tri)[0]).toBe('EF 01 77')
    p.querySelector('#hue-slider')!.dispatchEvent('change', { detail: { value: 120 } })
    await until(() => tri.received.length === 2, 'colour')
    expect(frames(tri)[1]).toBe('56 00 FF 00 00 F0 AA')
    expect(tri.triones).toMatchObject({ r: 0, g: 255, b: 0 })
  })

  test('a write failing with 10008 is retried once and lands; two in a row show a message', async () => {
    const p = await open()
    await connectTo(p, elk)
    ble.failWrites = [10008]
    p.querySelector('#power')!.dispatchEvent('change', { detail: { value: false } })
    await until(() => elk.received.length === 1, 'the retried write')
    expect(p.data.message).toBe('')
    ble.failWrites = [10008, 10008]
    p.querySelector('#power')!.dispatchEvent('change', { detail: { value: true } })
    await until(() => !!p.data.message, 'a message')
    expect(text(p, '#message')).toContain('Bluetooth system error')
    expect(elk.received).toHaveLength(1)
  })
})

describe('connection loss', () => {
  test('a drop shows the state and reconnects with backoff; controls work again', async () => {
    const p = await open()
    await connectTo(p, tri)
    await until(() => p.data.light.colorHex === '#123456', 'the first status')
    ble.drop(tri.deviceId)
    await until(() => p.data.state === 'RECONNECTING', 'RECONNECTING')
    expect(text(p, '#lost-message')).toContain('Reconnecting (attempt 1)')
    await until(() => p.data.state === 'CONNECTED', 'CONNECTED again')
    // The status is read again after the reconnect.
    await until(() => frames(tri).filter((f) => f === 'EF 01 77').length === 2, 'a second status query')
    tap(p, '#swatch-0')
    await until(() => frames(tri).includes('56 FF 00 00 00 F0 AA'), 'red')
  })

  test('out of reach: a few attempts, then LOST with a Reconnect button that works once it is back', async () => {
    const p = await open()
    await connectTo(p, elk)
    elk.inRange = false
    ble.drop(elk.deviceId)
    await until(() => p.data.state === 'LOST', 'LOST', 3000)
    expect(ble.log.filter((c) => c === 'createBLEConnection').length).toBe(1 + TIMING.reconnectAttempts)
    expect(text(p, '#lost-message')).toContain('out of reach')
    elk.inRange = true
    tap(p, '#reconnect')
    await until(() => p.data.state === 'CONNECTED', 'CONNECTED')
  })

  test('Bluetooth turned off while connected: the page says so instead of reconnecting forever', async () => {
    const p = await open()
    await connectTo(p, elk)
    ble.bluetoothOff()
    await until(() => p.data.state === 'BLOCKED', 'BLOCKED')
    expect(text(p, '#blocked-message')).toContain('Bluetooth was turned off')
  })

  test('leaving the page closes the connection and the adapter, removes listeners, and stops reconnecting', async () => {
    const p = await open()
    await connectTo(p, elk)
    p.instance.onUnload()
    page = null
    await simulate.sleep(50)
    expect(ble.log.slice(-2)).toEqual(['closeBLEConnection', 'closeBluetoothAdapter'])
    expect(elk.connected).toBe(false)
    expect(ble.adapterOpen).toBe(false)
    expect(ble.listeners()).toEqual({ found: 0, state: 0, value: 0 })
    expect(ble.log.filter((c) => c === 'createBLEConnection')).toHaveLength(1)
  })
})

describe('the remembered light', () => {
  test('is stored with its state and offered for a one-tap reconnect without scanning', async () => {
    let p = await open()
    await connectTo(p, elk)
    tap(p, '#swatch-0')
    await until(() => elk.received.length === 1, 'red')
    await settle(5)
    expect(world.fake.storage[STORAGE_KEY]).toMatchObject({
      deviceId: elk.deviceId,
      name: 'ELK-BLEDOM',
      protocolId: 'ELK_BLEDOM',
      state: { color: { r: 255, g: 0, b: 0 }, mode: 'COLOR' },
    })
    p.instance.onUnload()
    await simulate.sleep(20)

    ble.log.length = 0
    p = await open()
    expect(text(p, '#last')).toContain('ELK-BLEDOM')
    tap(p, '#quick-connect')
    await until(() => p.data.state === 'CONNECTED', 'CONNECTED')
    expect(ble.log).not.toContain('startBluetoothDevicesDiscovery')
    expect(p.data.light.colorHex).toBe('#ff0000')
  })

  test('not reachable by its id: the page scans and connects when it shows up', async () => {
    world.fake.storage[STORAGE_KEY] = {
      deviceId: elk.deviceId,
      name: 'Desk strip',
      protocolId: 'ELK_BLEDOM',
      state: { on: true, mode: 'WHITE', white: 30 },
      at: 1,
    }
    elk.refuseConnections = 1
    const p = await open()
    expect(text(p, '#last')).toContain('Desk strip')
    tap(p, '#quick-connect')
    await until(() => p.data.state === 'CONNECTED', 'CONNECTED after a scan')
    expect(ble.log).toContain('startBluetoothDevicesDiscovery')
    expect(p.data.light.white).toBe(30)
  })

  test('a malformed stored value is ignored', async () => {
    world.fake.storage[STORAGE_KEY] = { deviceId: 42, protocolId: 'NOPE' }
    const p = await open()
    expect(p.data.state).toBe('IDLE')
    expect(p.querySelector('#last')).toBeFalsy()
  })
})
