/**
 * BLE light control: checks the phone first (Bluetooth, and on Android location), scans for
 * the lights' services, connects, then turns taps and slider drags into protocol frames.
 * Slider drags: the label follows the finger with at most one setData per frame, and the light
 * gets at most one write per 100 ms per control with the latest value. The last light and its
 * state are remembered for a one-tap reconnect; leaving the page closes the connection and the
 * adapter. Connection logic: ble/link.ts; bytes: protocol/; what is shown: view.ts; sliders
 * and status: controls.ts; sampling and batching: ble/schedule.ts. This file is only the glue.
 */
import { ensurePrivacy, privacyMessage } from '../../lib/privacy'
import { subpageTexts, textsOf } from '../../lib/i18n'
import { DEFAULT_STATE, PRESETS, framesFor } from './protocol/index'
import type { LightChange, LightState, LightStatus } from './protocol/types'
import { bleProblem, checkSystem } from './ble/errors'
import type { BleFix } from './ble/errors'
import { LightLink } from './ble/link'
import type { FoundDevice, LinkState } from './ble/device'
import { parseRemembered, STORAGE_KEY } from './ble/remember'
import type { Remembered } from './ble/remember'
import { FrameBatcher, LatestWins, SCAN_INTERVAL_MS, Sampler, listPatch } from './ble/schedule'
import { shareCard } from '../../lib/share'
import { sliderChange, withStatus } from './controls'
import type { SliderControl } from './controls'
import { TEXTS } from './texts'
import type { Texts } from './texts'
import { SWATCHES, deviceView, linkView, lastView, lightView, named, protocolLabel, sameRow, swatchViews } from './view'
import type { DeviceView, LightView } from './view'

export type LightPageState =
  'CHECKING' | 'BLOCKED' | 'IDLE' | 'SCANNING' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'LOST'

/** One write per control per this many ms while a slider moves (~10 writes/s). */
export const WRITE_INTERVAL_MS = 100

interface Data {
  /** The page's texts in the user's language. */
  t: Texts
  state: LightPageState
  message: string
  fix: BleFix
  devices: DeviceView[]
  last: { name: string; protocolLabel: string; usedText: string } | null
  device: { name: string; protocolLabel: string } | null
  attempt: number
  light: LightView
  hue: number
  effects: Array<{ id: string; label: string }>
  presets: Array<{ id: string; label: string }>
  swatches: Array<{ hex: string; r: number; g: number; b: number; label: string }>
  /** "Connecting to <name>…" and "Reconnecting (attempt n)…", in the user's language. */
  connectingText: string
}

type Dataset<T> = { currentTarget: { dataset: T } }
type SliderEvent = { detail: { value: number }; currentTarget: { dataset: { control?: SliderControl } } }
type LinkDetail = { attempt?: number; problem?: { message: string; fix: BleFix } }

const texts = () => textsOf(TEXTS)
/** Errors after which a remembered device is looked for by scanning instead. */
const NOT_REACHABLE = new Set([10002, 10003, 10012, 10013])

/**
 * The page's fields and every method. WechatMiniprogram.Page checks the options against it (an
 * undeclared method is an error) and types `this` from it; without it `this` is any.
 */
interface Custom {
  link: LightLink
  batch: FrameBatcher<Record<string, unknown>>
  /** Scan results, handed on at most every SCAN_INTERVAL_MS. */
  scan: Sampler<FoundDevice[]>
  /** The device rows sent to the batcher last (the next scan result is diffed against them). */
  shown: DeviceView[]
  showDevices(list: FoundDevice[]): void
  throttle: LatestWins<LightChange>
  /** The light's state as last sent or reported. */
  committed: LightState
  remembered: Remembered | null
  /** Connect as soon as the scan finds this device (quick reconnect that needed a scan). */
  autoConnectId: string
  start(): Promise<void>
  block(message: string, fix: BleFix): void
  connect(device: FoundDevice): Promise<void>
  apply(change: LightChange): void
  remember(): void
  onLinkState(state: LinkState, detail: LinkDetail): void
  onStatus(status: LightStatus): void
  onDevices(list: FoundDevice[]): void
  slide(key: SliderControl, value: number, done: boolean): void
  onFix(): Promise<void>
  onScan(): Promise<void>
  onStopScan(): void
  onPick(e: Dataset<{ id?: string }>): void
  onQuickConnect(): Promise<void>
  onDisconnect(): Promise<void>
  onPower(): void
  /** A slider moves (bindchanging) / is released (bindchange); `data-control` names what it sets. */
  onSliding(e: SliderEvent): void
  onSlid(e: SliderEvent): void
  onSwatch(e: Dataset<{ index?: number }>): void
  onPreset(e: Dataset<{ id?: string }>): void
  onEffect(e: Dataset<{ id?: string }>): void
}

Page<Data, Custom>({
  data: {
    t: texts(),
    connectingText: '',
    state: 'CHECKING',
    message: '',
    fix: 'NONE',
    devices: [],
    last: null,
    device: null,
    attempt: 0,
    light: lightView(DEFAULT_STATE, texts()),
    hue: 0,
    effects: [],
    presets: named(PRESETS, 'preset', texts()),
    swatches: swatchViews(texts()),
  },

  // Per-page objects, created in onLoad (WeChat copies option fields onto each page instance).
  link: null as unknown as LightLink,
  batch: null as unknown as FrameBatcher<Record<string, unknown>>,
  scan: null as unknown as Sampler<FoundDevice[]>,
  shown: [],
  throttle: null as unknown as LatestWins<LightChange>,
  committed: DEFAULT_STATE,
  remembered: null,
  autoConnectId: '',

  onLoad() {
    const t = subpageTexts(TEXTS, 'navTitle')
    this.setData({ t, presets: named(PRESETS, 'preset', t), swatches: swatchViews(t) })
    this.batch = new FrameBatcher((patch) => this.setData(patch))
    this.scan = new Sampler((list) => this.showDevices(list), SCAN_INTERVAL_MS)
    this.shown = []
    this.throttle = new LatestWins<LightChange>(WRITE_INTERVAL_MS, (_key, change) => this.apply(change))
    this.link = new LightLink(wx, {
      devices: (list) => this.onDevices(list),
      scanEnded: () => {
        if (this.data.state === 'SCANNING') this.setData({ state: 'IDLE' })
      },
      state: (state, detail) => this.onLinkState(state, detail),
      status: (status) => this.onStatus(status),
      adapter: (available) => {
        if (!available && this.data.state !== 'BLOCKED')
          this.block(this.data.t.bluetoothTurnedOff, 'OPEN_BLUETOOTH_SETTINGS')
      },
    })
    this.remembered = parseRemembered(wx.getStorageSync(STORAGE_KEY))
    this.committed = this.remembered?.state ?? { ...DEFAULT_STATE }
    this.autoConnectId = ''
    void this.start()
  },

  /** Back from the settings page: look again. */
  onShow() {
    if (this.data.state === 'BLOCKED' && this.link) void this.start()
  },

  onUnload() {
    this.throttle.cancel()
    this.scan.cancel()
    this.batch.cancel()
    void this.link.close()
  },

  async start() {
    const device = wx.getDeviceInfo()
    const system = wx.getSystemSetting()
    const auth = wx.getAppAuthorizeSetting()
    const check = checkSystem({
      platform: device.platform,
      bluetoothEnabled: system.bluetoothEnabled,
      locationEnabled: system.locationEnabled,
      bluetoothAuthorized: auth.bluetoothAuthorized,
      locationAuthorized: auth.locationAuthorized,
    })
    if (!check.ok) return this.block(check.message, check.fix)
    // The adapter is privacy-guarded: ask first, in this page's popup.
    if (!(await ensurePrivacy())) return this.block(privacyMessage('declined', 'bluetooth'), 'RETRY')
    try {
      await this.link.open()
    } catch (e) {
      const p = bleProblem(e)
      return this.block(p.message, p.fix)
    }
    const last = this.remembered
    this.setData({
      state: 'IDLE',
      message: '',
      fix: 'NONE',
      last: last ? lastView(last.name, protocolLabel(last.protocolId, this.data.t), this.data.t) : null,
      light: lightView(this.committed, this.data.t),
    })
  },

  block(message, fix) {
    this.setData({ state: 'BLOCKED', message, fix })
  },

  async onFix() {
    switch (this.data.fix) {
      case 'OPEN_BLUETOOTH_SETTINGS':
        await wx.openSystemBluetoothSetting({}).catch(() => undefined)
        return
      case 'OPEN_APP_SETTINGS':
        await wx.openAppAuthorizeSetting({}).catch(() => undefined)
        return
      case 'OPEN_MINIPROGRAM_SETTINGS': {
        const res = await wx.openSetting({})
        if (res.authSetting['scope.bluetooth']) await this.start()
        return
      }
      case 'SCAN':
        return this.onScan()
      default:
        return this.start()
    }
  },

  async onScan() {
    if (!(await ensurePrivacy())) {
      this.setData({ message: privacyMessage('declined', 'bluetooth'), fix: 'SCAN' })
      return
    }
    try {
      await this.link.startScan()
    } catch (e) {
      const p = bleProblem(e)
      if (p.fix === 'OPEN_BLUETOOTH_SETTINGS' || p.fix === 'OPEN_MINIPROGRAM_SETTINGS')
        return this.block(p.message, p.fix)
      this.setData({ message: p.message, fix: p.fix })
      return
    }
    this.scan.cancel()
    this.shown = []
    this.setData({ state: 'SCANNING', devices: [], message: '', fix: 'NONE' })
  },

  onStopScan() {
    this.autoConnectId = ''
    void this.link.stopScan()
  },

  onDevices(list) {
    const wanted = this.autoConnectId && list.find((d) => d.deviceId === this.autoConnectId)
    if (wanted) {
      this.autoConnectId = ''
      this.connect(wanted).catch(() => undefined)
      return
    }
    // Adverts arrive many times a second: sampled 4 times a second, only changed rows sent.
    this.scan.push(list)
  },

  showDevices(list) {
    const views = list.map((d) => deviceView(d, this.data.t))
    const patch = listPatch('devices', this.shown, views, sameRow)
    this.shown = views
    if (Object.keys(patch).length) this.batch.set(patch)
  },

  onPick(e) {
    const d = this.data.devices.find((x) => x.deviceId === e.currentTarget.dataset.id)
    if (d)
      this.connect({ deviceId: d.deviceId, name: d.name, rssi: d.rssi, protocolId: d.protocolId }).catch(
        () => undefined,
      )
  },

  async onQuickConnect() {
    const last = this.remembered
    if (!last) return
    try {
      await this.connect({ deviceId: last.deviceId, name: last.name, rssi: 0, protocolId: last.protocolId })
    } catch (e) {
      if (!NOT_REACHABLE.has(bleProblem(e).errCode)) return
      // Not reachable by its id (iOS ids change after a Bluetooth reset): find it by scanning.
      this.autoConnectId = last.deviceId
      await this.onScan()
    }
  },

  /** Rejects like the wx call that failed; onLinkState has already shown the problem. */
  async connect(device) {
    this.scan.cancel()
    this.batch.flush()
    await this.link.connect(device)
  },

  onLinkState(state, detail) {
    const device = this.link.device
    const protocol = this.link.protocol
    if (state === 'CONNECTED' && device && protocol) {
      this.remembered = {
        deviceId: device.deviceId,
        name: device.name,
        protocolId: protocol.id,
        state: this.committed,
        at: Date.now(),
      }
      this.remember()
    }
    const facts = { device, protocol, committed: this.committed, shown: this.data.device, ...detail }
    this.setData(linkView(state, facts, this.data.t))
  },

  onStatus(status) {
    this.committed = withStatus(this.committed, status)
    this.remember()
    // The light's own notifications come at its pace, not the user's: through the batcher.
    this.batch.set({ light: lightView(this.committed, this.data.t) })
  },

  apply(change) {
    const protocol = this.link.protocol
    if (!protocol) return
    const { after, frames } = framesFor(protocol, this.committed, change)
    this.committed = after
    this.remember()
    this.link.send(frames).catch((e) => {
      const p = bleProblem(e)
      // A drop is shown by the reconnect state; anything else once, on the page.
      if (p.errCode !== 10006) this.setData({ message: p.message })
    })
  },

  remember() {
    if (!this.remembered) return
    this.remembered = { ...this.remembered, state: this.committed, at: Date.now() }
    wx.setStorage({ key: STORAGE_KEY, data: this.remembered }).catch(() => undefined)
  },

  slide(key, value, done) {
    const { change, patch } = sliderChange(key, value)
    this.batch.set(patch)
    this.throttle.push(key, change)
    if (done) {
      this.throttle.flush(key)
      this.batch.flush()
    }
  },

  onSliding(e) {
    const key = e.currentTarget.dataset.control
    if (key) this.slide(key, e.detail.value, false)
  },
  onSlid(e) {
    const key = e.currentTarget.dataset.control
    if (key) this.slide(key, e.detail.value, true)
  },

  onPower() {
    const on = !this.committed.on
    this.apply({ kind: 'POWER', on })
    this.setData({ 'light.on': on })
  },

  onSwatch(e) {
    const c = SWATCHES[Number(e.currentTarget.dataset.index)]
    if (!c) return
    this.apply({ kind: 'COLOR', color: c })
    this.setData({ light: lightView(this.committed, this.data.t) })
  },

  onPreset(e) {
    const preset = PRESETS.find((p) => p.id === e.currentTarget.dataset.id)
    if (!preset) return
    for (const change of preset.changes) this.apply(change)
    this.setData({ light: lightView(this.committed, this.data.t) })
  },

  onEffect(e) {
    const id = e.currentTarget.dataset.id
    if (!id) return
    this.apply({ kind: 'EFFECT', effect: id, speed: this.committed.speed })
    this.setData({ light: lightView(this.committed, this.data.t) })
  },

  async onDisconnect() {
    this.throttle.cancel()
    await this.link.disconnect()
  },

  /** A light is personal: the card opens the home page. */
  onShareAppMessage() {
    return shareCard('pages/index/index', this.data.t.shareTitle)
  },
})
