/**
 * The connection to one light, over the wx Bluetooth APIs (device/bluetooth and
 * device/bluetooth-ble in the API docs): open the adapter, scan for the protocols' services,
 * connect with a timeout, find the service and characteristics (UUIDs compared in any case and
 * in 16- or 128-bit form), turn on notifications where the protocol has them, write through one
 * queue, and come back after a drop with backoff. The page only maps its events to setData.
 */
import { confirmProtocol, protocolById, protocolOfDevice } from '../protocol/index'
import type { LightProtocol, LightStatus } from '../protocol/types'
import { findUuid } from '../protocol/uuid'
import { bleError, bleProblem, errCodeOf } from './errors'
import type { BleProblem } from './errors'
import { backoffDelay, realTimers, WriteQueue } from './schedule'
import type { Timers } from './schedule'
import { TIMING } from './timing'
import type { FoundDevice, LinkState } from './device'

export interface LinkEvents {
  devices(list: FoundDevice[]): void
  scanEnded(): void
  state(state: LinkState, detail: { attempt?: number; problem?: BleProblem }): void
  status(status: LightStatus): void
  adapter(available: boolean): void
}

/** The subset of `wx` this file uses, typed by the official miniprogram-api-typings. */
export type BleWx = Pick<
  WechatMiniprogram.Wx,
  | 'openBluetoothAdapter'
  | 'closeBluetoothAdapter'
  | 'startBluetoothDevicesDiscovery'
  | 'stopBluetoothDevicesDiscovery'
  | 'onBluetoothDeviceFound'
  | 'offBluetoothDeviceFound'
  | 'onBluetoothAdapterStateChange'
  | 'offBluetoothAdapterStateChange'
  | 'createBLEConnection'
  | 'closeBLEConnection'
  | 'getBLEDeviceServices'
  | 'getBLEDeviceCharacteristics'
  | 'notifyBLECharacteristicValueChange'
  | 'onBLECharacteristicValueChange'
  | 'offBLECharacteristicValueChange'
  | 'onBLEConnectionStateChange'
  | 'offBLEConnectionStateChange'
  | 'writeBLECharacteristicValue'
>

interface Target {
  device: FoundDevice
  protocol: LightProtocol
  serviceId: string
  writeId: string
  writeType: 'write' | 'writeNoResponse'
  notify: { serviceId: string; characteristicId: string } | null
}

export class LightLink {
  private adapterOpen = false
  private scanning = false
  private scanTimer: unknown = null
  private found = new Map<string, FoundDevice>()
  private target: Target | null = null
  private connecting: FoundDevice | null = null
  private linkState: LinkState = 'DISCONNECTED'
  /** Set by close() and disconnect(): a drop after it is expected, not lost. */
  private leaving = false
  private reconnectTimer: unknown = null
  private attempt = 0
  readonly queue: WriteQueue

  constructor(
    private readonly wx: BleWx,
    private readonly events: LinkEvents,
    private readonly timers: Timers = realTimers,
  ) {
    this.queue = new WriteQueue((bytes) => this.writeNow(bytes))
  }

  get state(): LinkState {
    return this.linkState
  }

  get protocol(): LightProtocol | null {
    return this.target?.protocol ?? null
  }

  /** The light connected, or being connected to. */
  get device(): FoundDevice | null {
    return this.target?.device ?? this.connecting
  }

  /** Opens the adapter once and starts listening. Rejects with the wx error (see bleProblem). */
  async open(): Promise<void> {
    if (this.adapterOpen) return
    await this.wx.openBluetoothAdapter({})
    this.adapterOpen = true
    this.leaving = false
    this.wx.onBLEConnectionStateChange(this.onConnectionChange)
    this.wx.onBLECharacteristicValueChange(this.onValue)
    this.wx.onBluetoothAdapterStateChange(this.onAdapter)
  }

  async startScan(): Promise<void> {
    await this.open()
    if (this.scanning) return
    this.found.clear()
    this.wx.onBluetoothDeviceFound(this.onFound)
    // No `services` filter: it reports only devices that advertise those UUIDs, and real lights
    // do not (ELK strips advertise HID 1812, Triones nothing); onFound keeps lights by name.
    // allowDuplicatesKey: keep reporting a device so its signal strength stays current.
    await this.wx.startBluetoothDevicesDiscovery({ allowDuplicatesKey: true, interval: 0, powerLevel: 'high' })
    this.scanning = true
    this.scanTimer = this.timers.setTimeout(() => void this.stopScan(), TIMING.scanMs)
  }

  async stopScan(): Promise<void> {
    if (this.scanTimer !== null) this.timers.clearTimeout(this.scanTimer)
    this.scanTimer = null
    if (!this.scanning) return
    this.scanning = false
    this.wx.offBluetoothDeviceFound()
    try {
      await this.wx.stopBluetoothDevicesDiscovery({})
    } catch {
      // The adapter may already be gone; nothing to stop then.
    }
    this.events.scanEnded()
  }

  /** Connects to `device`; rejects with a wx-shaped { errCode, errMsg } on failure. */
  async connect(device: FoundDevice): Promise<void> {
    await this.open()
    await this.stopScan()
    const protocol = protocolById(device.protocolId)
    if (!protocol) throw bleError(10004, 'unknown protocol')
    this.leaving = false
    this.cancelReconnect()
    this.connecting = device
    this.setState('CONNECTING', {})
    try {
      this.target = await this.establish(device, protocol)
    } catch (e) {
      this.target = null
      this.setState('DISCONNECTED', { problem: bleProblem(e) })
      throw e
    } finally {
      this.connecting = null
    }
    this.attempt = 0
    this.setState('CONNECTED', {})
    await this.queryStatus()
  }

  /** Writes frames in order through the queue. */
  async send(frames: Uint8Array[]): Promise<void> {
    if (!this.target || this.linkState !== 'CONNECTED') throw bleError(10006, 'no connection')
    for (const f of frames) await this.queue.push(f)
  }

  /** The user ends the connection (keeps the adapter for a new scan). */
  async disconnect(): Promise<void> {
    this.leaving = true
    this.cancelReconnect()
    this.queue.clear()
    const t = this.target
    this.target = null
    if (t) await this.wx.closeBLEConnection({ deviceId: t.device.deviceId }).catch(() => undefined)
    this.setState('DISCONNECTED', {})
  }

  /** Leaving the page: stop everything and release the adapter. */
  async close(): Promise<void> {
    this.leaving = true
    await this.stopScan()
    await this.disconnect()
    if (!this.adapterOpen) return
    this.adapterOpen = false
    this.wx.offBLEConnectionStateChange(this.onConnectionChange)
    this.wx.offBLECharacteristicValueChange()
    this.wx.offBluetoothAdapterStateChange()
    await this.wx.closeBluetoothAdapter({}).catch(() => undefined)
  }

  // ---- internals ----

  private setState(state: LinkState, detail: { attempt?: number; problem?: BleProblem }): void {
    this.linkState = state
    this.events.state(state, detail)
  }

  private async establish(device: FoundDevice, guess: LightProtocol): Promise<Target> {
    const { deviceId } = device
    await this.connectWithTimeout(deviceId)
    try {
      let { services } = await this.wx.getBLEDeviceServices({ deviceId })
      if (!services.length) {
        await new Promise((r) => this.timers.setTimeout(() => r(undefined), TIMING.servicesRetryMs))
        services = (await this.wx.getBLEDeviceServices({ deviceId })).services
      }
      // The scan only guessed from the name: the services decide, and the name picks the firmware variant.
      const protocol = confirmProtocol(guess, services, device.name)
      if (!protocol) throw bleError(10004, `no light service (${guess.service}) on ${device.name}`)
      const service = findUuid(services, protocol.service)
      if (!service) throw bleError(10004, `no service ${protocol.service}`)
      const { characteristics } = await this.wx.getBLEDeviceCharacteristics({ deviceId, serviceId: service.uuid })
      const write = findUuid(characteristics, protocol.write)
      if (!write) throw bleError(10005, `no characteristic ${protocol.write}`)
      if (!write.properties.write && !write.properties.writeNoResponse)
        throw bleError(10007, `${protocol.write} is not writable`)
      const target: Target = {
        device,
        protocol,
        serviceId: service.uuid,
        writeId: write.uuid,
        writeType: write.properties.write ? 'write' : 'writeNoResponse',
        notify: null,
      }
      if (protocol.notify) target.notify = await this.enableNotify(deviceId, services, protocol.notify)
      return target
    } catch (e) {
      // Do not leave a half-set-up connection open.
      await this.wx.closeBLEConnection({ deviceId }).catch(() => undefined)
      throw e
    }
  }

  /** createBLEConnection with WeChat's own timeout, guarded by ours in case it never answers. */
  private async connectWithTimeout(deviceId: string): Promise<void> {
    let guard: unknown = null
    const timedOut = new Promise<never>((_, reject) => {
      guard = this.timers.setTimeout(
        () => reject(bleError(10012, 'operate time out')),
        TIMING.connectTimeoutMs + TIMING.connectGuardMs,
      )
    })
    try {
      await Promise.race([this.wx.createBLEConnection({ deviceId, timeout: TIMING.connectTimeoutMs }), timedOut])
    } catch (e) {
      if (errCodeOf(e) === 10012) await this.wx.closeBLEConnection({ deviceId }).catch(() => undefined)
      throw e
    } finally {
      this.timers.clearTimeout(guard)
    }
  }

  /** Notifications are optional: a light without them is still controllable. */
  private async enableNotify(
    deviceId: string,
    services: WechatMiniprogram.BLEService[],
    wanted: { service: string; characteristic: string },
  ): Promise<Target['notify']> {
    const service = findUuid(services, wanted.service)
    if (!service) return null
    try {
      const { characteristics } = await this.wx.getBLEDeviceCharacteristics({ deviceId, serviceId: service.uuid })
      const ch = findUuid(characteristics, wanted.characteristic)
      if (!ch || (!ch.properties.notify && !ch.properties.indicate)) return null
      await this.wx.notifyBLECharacteristicValueChange({
        deviceId,
        serviceId: service.uuid,
        characteristicId: ch.uuid,
        state: true,
      })
      return { serviceId: service.uuid, characteristicId: ch.uuid }
    } catch {
      return null
    }
  }

  private async queryStatus(): Promise<void> {
    const t = this.target
    if (!t?.notify || !t.protocol.statusQuery) return
    // Best effort: without an answer the page keeps showing the remembered state.
    await this.queue.push(t.protocol.statusQuery).catch(() => undefined)
  }

  private async writeNow(bytes: Uint8Array): Promise<void> {
    const t = this.target
    if (!t) throw bleError(10006, 'no connection')
    const value = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    try {
      await this.wx.writeBLECharacteristicValue({
        deviceId: t.device.deviceId,
        serviceId: t.serviceId,
        characteristicId: t.writeId,
        value,
        writeType: t.writeType,
      })
    } catch (e) {
      // Some phones report a drop only through the failing write.
      if (errCodeOf(e) === 10006) this.lost(t.device.deviceId)
      throw e
    }
  }

  private onFound = (res: WechatMiniprogram.OnBluetoothDeviceFoundListenerResult): void => {
    for (const d of res.devices) {
      const protocol = protocolOfDevice(d)
      if (!protocol) continue
      this.found.set(d.deviceId, {
        deviceId: d.deviceId,
        name: d.name || d.localName || protocol.label,
        rssi: d.RSSI,
        protocolId: protocol.id,
      })
    }
    this.events.devices([...this.found.values()].sort((a, b) => b.rssi - a.rssi))
  }

  private onValue = (res: WechatMiniprogram.OnBLECharacteristicValueChangeListenerResult): void => {
    const t = this.target
    if (!t?.notify || res.deviceId !== t.device.deviceId) return
    if (!findUuid([{ uuid: res.characteristicId }], t.notify.characteristicId)) return
    const status = t.protocol.decodeStatus?.(new Uint8Array(res.value))
    if (status) this.events.status(status)
  }

  private onConnectionChange = (res: WechatMiniprogram.OnBLEConnectionStateChangeListenerResult): void => {
    if (!res.connected) this.lost(res.deviceId)
  }

  private onAdapter = (res: WechatMiniprogram.OnBluetoothAdapterStateChangeListenerResult): void => {
    this.events.adapter(res.available)
  }

  private lost(deviceId: string): void {
    const t = this.target
    if (this.leaving || !t || t.device.deviceId !== deviceId || this.linkState !== 'CONNECTED') return
    this.queue.clear()
    this.attempt = 0
    this.scheduleReconnect(t)
  }

  private scheduleReconnect(t: Target): void {
    this.attempt++
    if (this.attempt > TIMING.reconnectAttempts) {
      this.target = null
      this.setState('LOST', { problem: bleProblem(bleError(10006, 'no connection')) })
      return
    }
    this.setState('RECONNECTING', { attempt: this.attempt })
    this.reconnectTimer = this.timers.setTimeout(
      () => {
        this.reconnectTimer = null
        void this.reconnect(t)
      },
      backoffDelay(this.attempt, TIMING.backoffBaseMs, TIMING.backoffMaxMs),
    )
  }

  private async reconnect(t: Target): Promise<void> {
    if (this.leaving) return
    try {
      const fresh = await this.establish(t.device, t.protocol)
      if (this.leaving) {
        await this.wx.closeBLEConnection({ deviceId: t.device.deviceId }).catch(() => undefined)
        return
      }
      this.target = fresh
      this.attempt = 0
      this.setState('CONNECTED', {})
      await this.queryStatus()
    } catch {
      if (!this.leaving) this.scheduleReconnect(t)
    }
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
  }
}
