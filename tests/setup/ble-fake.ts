/**
 * A simulated Bluetooth world behind the wx BLE APIs, installed on a WxFake. Behaviour follows
 * the API documentation (device/bluetooth/*, device/bluetooth-ble/*) and its errCode table:
 * - every call before openBluetoothAdapter fails with 10000; openBluetoothAdapter fails with
 *   10001 while Bluetooth is off, and with "auth deny" when scope.bluetooth is refused;
 * - startBluetoothDevicesDiscovery reports only devices advertising one of `services`, each
 *   after its own delay, again (with a new RSSI) when allowDuplicatesKey is set. On Android with
 *   location off or not allowed it finds nothing and says nothing (what phones do);
 * - createBLEConnection: 10013 for an empty id, -1 when already connected, 10003 when the
 *   peripheral refuses, and for one out of reach either 10012 after `timeout` or never answering
 *   (`hangs`, some Android builds), or 10003 without a timeout;
 * - services and characteristics come back in the peripheral's `uuidStyle` (Android: 128-bit upper
 *   case; iOS may give 16-bit short forms or lower case);
 * - writeBLECharacteristicValue: 10006 when not connected, 10005 unknown characteristic, 10007 not
 *   writable, 10008 for more than 20 bytes or a write started while one is in flight ("并行调用多次
 *   会存在写失败的可能性"), or failures queued with failWrites;
 * - a drop fires onBLEConnectionStateChange({ deviceId, connected: false }); so do
 *   closeBLEConnection and closeBluetoothAdapter for open connections.
 * Peripherals behave as their protocol says: a Triones light answers the status query EF 01 77
 * with a 12-byte notification on FFD4 (when notifications are on) and tracks power and colour.
 * The peripherals themselves: ble-peripherals.ts.
 */
import type { WxFake } from './wx-fake-types'
import { full, same, styled, type Peripheral } from './ble-peripherals'

type Cb<T> = (r: T) => void

export interface BleWorld {
  peripherals: Peripheral[]
  platform: 'android' | 'ios'
  bluetoothEnabled: boolean
  locationEnabled: boolean
  bluetoothAuthorized: 'authorized' | 'denied' | 'not determined'
  locationAuthorized: 'authorized' | 'denied' | 'not determined'
  /** ms a write takes. */
  writeMs: number
  /**
   * With allowDuplicatesKey: every peripheral advertises again this often (ms), its RSSI
   * wandering by a few dBm, as phones report a busy room; 0: twice only.
   */
  advertEveryMs: number
  adapterOpen: boolean
  discovering: boolean
  /** errCodes the next writes fail with, in order. */
  failWrites: number[]
  /** Every wx BLE call by name, in order. */
  log: string[]
  /** Calls to the settings openers. */
  opened: string[]
  /** The peripheral drops the connection. */
  drop(deviceId: string): void
  /** The user turns Bluetooth off in the control centre: connections drop, the adapter reports it. */
  bluetoothOff(): void
  add(p: Peripheral): Peripheral
  listeners(): { found: number; state: number; value: number }
}

export function installBle(fake: WxFake): BleWorld {
  let found: Cb<{ devices: unknown[] }> | null = null
  const stateCbs = new Set<Cb<{ deviceId: string; connected: boolean }>>()
  let valueCb: Cb<{ deviceId: string; serviceId: string; characteristicId: string; value: ArrayBuffer }> | null = null
  let adapterCb: Cb<{ available: boolean; discovering: boolean }> | null = null
  let scanTimers: ReturnType<typeof setTimeout>[] = []
  let writing = false
  const world: BleWorld = {
    peripherals: [],
    platform: 'android',
    bluetoothEnabled: true,
    advertEveryMs: 0,
    locationEnabled: true,
    bluetoothAuthorized: 'authorized',
    locationAuthorized: 'authorized',
    writeMs: 2,
    adapterOpen: false,
    discovering: false,
    failWrites: [],
    log: [],
    opened: [],
    drop(deviceId) {
      const p = byId(deviceId)
      if (!p?.connected) return
      disconnect(p)
    },
    bluetoothOff() {
      world.bluetoothEnabled = false
      for (const p of world.peripherals) if (p.connected) disconnect(p)
      world.discovering = false
      setTimeout(() => adapterCb?.({ available: false, discovering: false }), 0)
    },
    add(p) {
      world.peripherals.push(p)
      return p
    },
    listeners: () => ({ found: found ? 1 : 0, state: stateCbs.size, value: valueCb ? 1 : 0 }),
  }
  const byId = (id: string) => world.peripherals.find((p) => p.deviceId === id)
  const fail = (api: string, errCode: number, msg: string) => ({
    errCode,
    errno: 1500100 + (errCode % 100),
    errMsg: `${api}:fail ${msg}`,
  })
  const needAdapter = (api: string) => {
    world.log.push(api)
    if (!world.adapterOpen) throw fail(api, 10000, 'not init')
  }
  const connectedPeripheral = (api: string, deviceId: string) => {
    const p = byId(deviceId)
    if (!p || !p.connected) throw fail(api, 10006, 'no connection')
    return p
  }
  /** The characteristic a notify/write call names on a connected peripheral (10006, 10005 otherwise). */
  const characteristicOf = (api: string, deviceId: string, serviceId: string, characteristicId: string) => {
    needAdapter(api)
    const p = connectedPeripheral(api, deviceId)
    const c = p.gatt.find((x) => same(x.uuid, serviceId))?.characteristics.find((x) => same(x.uuid, characteristicId))
    if (!c) throw fail(api, 10005, 'no characteristic')
    return { p, c }
  }
  const disconnect = (p: Peripheral) => {
    p.connected = false
    p.notifying.clear()
    for (const cb of [...stateCbs]) setTimeout(() => cb({ deviceId: p.deviceId, connected: false }), 0)
  }
  const notify = (p: Peripheral, service: string, characteristic: string, bytes: number[]) => {
    const key = full(characteristic)
    if (!p.notifying.has(key)) return
    setTimeout(
      () =>
        valueCb?.({
          deviceId: p.deviceId,
          serviceId: styled(service, p.uuidStyle),
          characteristicId: styled(characteristic, p.uuidStyle),
          value: Uint8Array.from(bytes).buffer,
        }),
      3,
    )
  }
  /** Triones firmware: applies frames and answers status queries (madhead/saberlight protocol.md). */
  const trionesReceives = (p: Peripheral, b: number[]) => {
    const s = p.triones
    if (b[0] === 0xcc && b[2] === 0x33) s.on = b[1] === 0x23
    else if (b[0] === 0x56 && b[6] === 0xaa && b[5] === 0xf0)
      Object.assign(s, { mode: 0x41, r: b[1], g: b[2], b: b[3], w: 0 })
    else if (b[0] === 0x56 && b[6] === 0xaa && b[5] === 0x0f)
      Object.assign(s, { mode: 0x41, r: 0, g: 0, b: 0, w: b[4] })
    else if (b[0] === 0xbb && b[3] === 0x44) Object.assign(s, { mode: b[1], speed: b[2] })
    else if (b[0] === 0xef && b[1] === 0x01 && b[2] === 0x77)
      notify(p, 'FFD0', 'FFD4', [0x66, 0x15, s.on ? 0x23 : 0x24, s.mode, 0x20, s.speed, s.r, s.g, s.b, s.w, 0x06, 0x99])
  }

  Object.assign(fake.wx, {
    getDeviceInfo: () => ({
      platform: world.platform,
      brand: 'devtools',
      model: 'sim',
      system: world.platform === 'android' ? 'Android 13' : 'iOS 17.0',
      abi: '',
      benchmarkLevel: 1,
      cpuType: '',
      deviceAbi: '',
      memorySize: '4096',
    }),
    getSystemSetting: () => ({
      bluetoothEnabled: world.bluetoothEnabled,
      locationEnabled: world.locationEnabled,
      wifiEnabled: true,
      deviceOrientation: 'portrait',
    }),
    getAppAuthorizeSetting: () => ({
      bluetoothAuthorized: world.bluetoothAuthorized,
      locationAuthorized: world.locationAuthorized,
      albumAuthorized: 'authorized',
      cameraAuthorized: 'authorized',
      microphoneAuthorized: 'authorized',
      notificationAuthorized: 'authorized',
      phoneCalendarAuthorized: 'authorized',
      locationReducedAccuracy: false,
    }),
    async openSystemBluetoothSetting() {
      world.opened.push('openSystemBluetoothSetting')
      if (world.platform !== 'android') throw { errMsg: 'openSystemBluetoothSetting:fail not supported' }
      return { errMsg: 'openSystemBluetoothSetting:ok' }
    },
    async openAppAuthorizeSetting() {
      world.opened.push('openAppAuthorizeSetting')
      return { errMsg: 'openAppAuthorizeSetting:ok' }
    },
    async openBluetoothAdapter() {
      world.log.push('openBluetoothAdapter')
      await fake.guardPrivacy('openBluetoothAdapter')
      if (fake.scopes['scope.bluetooth'] === undefined)
        fake.scopes['scope.bluetooth'] = fake.authorizeAnswer === 'allow'
      if (!fake.scopes['scope.bluetooth']) throw { errno: 103, errMsg: 'openBluetoothAdapter:fail auth deny' }
      if (!world.bluetoothEnabled) throw fail('openBluetoothAdapter', 10001, 'not available')
      world.adapterOpen = true
      return { errMsg: 'openBluetoothAdapter:ok' }
    },
    async closeBluetoothAdapter() {
      world.log.push('closeBluetoothAdapter')
      for (const t of scanTimers) clearTimeout(t) // clears the intervals too (one id space in Node)
      scanTimers = []
      world.discovering = false
      for (const p of world.peripherals) if (p.connected) disconnect(p)
      world.adapterOpen = false
      return { errMsg: 'closeBluetoothAdapter:ok' }
    },
    onBluetoothDeviceFound(cb: typeof found) {
      found = cb
    },
    offBluetoothDeviceFound() {
      found = null
    },
    onBluetoothAdapterStateChange(cb: typeof adapterCb) {
      adapterCb = cb
    },
    offBluetoothAdapterStateChange() {
      adapterCb = null
    },
    async startBluetoothDevicesDiscovery({
      services = [],
      allowDuplicatesKey = false,
    }: {
      services?: string[]
      allowDuplicatesKey?: boolean
    }) {
      needAdapter('startBluetoothDevicesDiscovery')
      world.discovering = true
      const blind =
        world.platform === 'android' && (!world.locationEnabled || world.locationAuthorized !== 'authorized')
      if (blind) return { errMsg: 'startBluetoothDevicesDiscovery:ok' }
      for (const p of world.peripherals) {
        if (services.length && !p.advertised.some((a) => services.some((s) => same(a, s)))) continue
        const report = (rssi: number) => {
          if (!world.discovering || !p.inRange) return
          found?.({
            devices: [
              {
                deviceId: p.deviceId,
                name: p.name,
                localName: p.name,
                RSSI: rssi,
                advertisData: new ArrayBuffer(0),
                advertisServiceUUIDs: p.advertised.map(full),
                serviceData: {},
                connectable: true,
              },
            ],
          })
        }
        scanTimers.push(setTimeout(() => report(p.rssi), p.foundAfterMs))
        if (allowDuplicatesKey) scanTimers.push(setTimeout(() => report(p.rssi + 2), p.foundAfterMs + 10))
        if (allowDuplicatesKey && world.advertEveryMs > 0) {
          let n = 0
          scanTimers.push(
            setInterval(() => report(p.rssi + ((n++ % 5) - 2)), world.advertEveryMs) as unknown as ReturnType<
              typeof setTimeout
            >,
          )
        }
      }
      return { errMsg: 'startBluetoothDevicesDiscovery:ok' }
    },
    async stopBluetoothDevicesDiscovery() {
      needAdapter('stopBluetoothDevicesDiscovery')
      world.discovering = false
      for (const t of scanTimers) clearTimeout(t)
      scanTimers = []
      return { errMsg: 'stopBluetoothDevicesDiscovery:ok' }
    },
    async createBLEConnection({ deviceId, timeout }: { deviceId: string; timeout?: number }) {
      needAdapter('createBLEConnection')
      if (!deviceId) throw fail('createBLEConnection', 10013, 'invalid_data')
      const p = byId(deviceId)
      if (p?.connected) throw { errCode: -1, errMsg: 'createBLEConnection:fail already connect' }
      await new Promise((r) => setTimeout(r, 3))
      if (!p || !p.inRange) {
        if (p?.hangs) return new Promise(() => undefined)
        if (timeout) {
          await new Promise((r) => setTimeout(r, timeout))
          throw fail('createBLEConnection', 10012, 'operate time out')
        }
        throw fail('createBLEConnection', 10003, 'connection fail')
      }
      if (p.refuseConnections > 0) {
        p.refuseConnections--
        throw fail('createBLEConnection', 10003, 'connection fail')
      }
      p.connected = true
      return { errMsg: 'createBLEConnection:ok' }
    },
    async closeBLEConnection({ deviceId }: { deviceId: string }) {
      needAdapter('closeBLEConnection')
      const p = byId(deviceId)
      if (p?.connected) disconnect(p)
      return { errMsg: 'closeBLEConnection:ok' }
    },
    onBLEConnectionStateChange(cb: Cb<{ deviceId: string; connected: boolean }>) {
      stateCbs.add(cb)
    },
    offBLEConnectionStateChange(cb: Cb<{ deviceId: string; connected: boolean }>) {
      stateCbs.delete(cb)
    },
    async getBLEDeviceServices({ deviceId }: { deviceId: string }) {
      needAdapter('getBLEDeviceServices')
      const p = connectedPeripheral('getBLEDeviceServices', deviceId)
      if (p.emptyServices > 0) {
        p.emptyServices--
        return { services: [], errMsg: 'getBLEDeviceServices:ok' }
      }
      return {
        services: p.gatt.map((s) => ({ uuid: styled(s.uuid, p.uuidStyle), isPrimary: true })),
        errMsg: 'getBLEDeviceServices:ok',
      }
    },
    async getBLEDeviceCharacteristics({ deviceId, serviceId }: { deviceId: string; serviceId: string }) {
      needAdapter('getBLEDeviceCharacteristics')
      const p = connectedPeripheral('getBLEDeviceCharacteristics', deviceId)
      const s = p.gatt.find((x) => same(x.uuid, serviceId))
      if (!s) throw fail('getBLEDeviceCharacteristics', 10004, 'no service')
      return {
        characteristics: s.characteristics.map((c) => ({
          uuid: styled(c.uuid, p.uuidStyle),
          properties: { ...c.properties },
        })),
        errMsg: 'getBLEDeviceCharacteristics:ok',
      }
    },
    async notifyBLECharacteristicValueChange({
      deviceId,
      serviceId,
      characteristicId,
      state,
    }: {
      deviceId: string
      serviceId: string
      characteristicId: string
      state: boolean
    }) {
      const { p, c } = characteristicOf('notifyBLECharacteristicValueChange', deviceId, serviceId, characteristicId)
      if (!c.properties.notify && !c.properties.indicate)
        throw fail('notifyBLECharacteristicValueChange', 10007, 'property not support')
      if (state) p.notifying.add(full(characteristicId))
      else p.notifying.delete(full(characteristicId))
      return { errMsg: 'notifyBLECharacteristicValueChange:ok' }
    },
    onBLECharacteristicValueChange(cb: typeof valueCb) {
      valueCb = cb
    },
    offBLECharacteristicValueChange() {
      valueCb = null
    },
    async writeBLECharacteristicValue({
      deviceId,
      serviceId,
      characteristicId,
      value,
    }: {
      deviceId: string
      serviceId: string
      characteristicId: string
      value: ArrayBuffer
    }) {
      const { p, c } = characteristicOf('writeBLECharacteristicValue', deviceId, serviceId, characteristicId)
      if (!c.properties.write && !c.properties.writeNoResponse)
        throw fail('writeBLECharacteristicValue', 10007, 'property not support')
      if (value.byteLength > 20)
        throw fail('writeBLECharacteristicValue', 10008, 'system error, data length exceeds MTU')
      if (writing) throw fail('writeBLECharacteristicValue', 10008, 'system error, a write is in progress')
      writing = true
      try {
        await new Promise((r) => setTimeout(r, world.writeMs))
        const injected = world.failWrites.shift()
        if (injected) throw fail('writeBLECharacteristicValue', injected, 'injected')
        if (!p.connected) throw fail('writeBLECharacteristicValue', 10006, 'no connection')
        const bytes = [...new Uint8Array(value)]
        p.received.push(bytes)
        if (p.gatt.some((s) => same(s.uuid, 'FFD5'))) trionesReceives(p, bytes) // a Triones light by its GATT, not by what it advertises
      } finally {
        writing = false
      }
      return { errMsg: 'writeBLECharacteristicValue:ok' }
    },
  })
  return world
}
