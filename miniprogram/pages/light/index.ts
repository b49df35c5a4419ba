/**
 * BLE light control: checks the phone first (Bluetooth, and on Android location), scans for
 * the lights' services, connects, then turns taps and slider drags into protocol frames.
 * Slider drags: the label follows the finger with at most one setData per frame, and the light
 * gets at most one write per 100 ms per control with the latest value. The last light and its
 * state are remembered for a one-tap reconnect; leaving the page closes the connection and the
 * adapter. Connection logic: ble/link.ts; bytes: protocol/.
 */
import { ensurePrivacy, privacyMessage } from '../../lib/privacy'
import { fmt, subpageTexts, textsOf } from '../../lib/i18n'
import { DEFAULT_STATE, PRESETS, framesFor, hex, hueColor, protocolById } from './protocol/index'
import type { LightChange, LightState, LightStatus, Rgb } from './protocol/types'
import { bleProblem, checkSystem } from './ble/errors'
import type { BleFix } from './ble/errors'
import { LightLink, signalBars } from './ble/link'
import type { FoundDevice, LinkState } from './ble/link'
import { parseRemembered, STORAGE_KEY } from './ble/remember'
import type { Remembered } from './ble/remember'
import { FrameBatcher, LatestWins, SCAN_INTERVAL_MS, Sampler, listPatch } from './ble/schedule'
import { shareCard } from '../../lib/share'
import { TEXTS } from './texts'
import type { Texts } from './texts'

export type LightPageState =
  'CHECKING' | 'BLOCKED' | 'IDLE' | 'SCANNING' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'LOST'

/** One write per control per this many ms while a slider moves (~10 writes/s). */
export const WRITE_INTERVAL_MS = 100

interface DeviceView {
  deviceId: string
  name: string
  rssi: number
  bars: number
  protocolId: FoundDevice['protocolId']
  protocolLabel: string
  /** "<protocol> · <rssi> dBm". */
  signalText: string
  /** The bars in words, for screen readers ("信号 3/4"). */
  barsText: string
  /** 'on' for each of the four bars the strength reaches, '' for the others. */
  barClasses: string[]
}

interface LightView extends LightState {
  colorHex: string
  /** The running effect's name in the user's language ('' when no effect runs). */
  effectLabel: string
}

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
type SliderControl = 'BRIGHTNESS' | 'WHITE' | 'SPEED' | 'COLOR'
type SliderEvent = { detail: { value: number }; currentTarget: { dataset: { control?: SliderControl } } }

interface Custom {
  link: LightLink
  batch: FrameBatcher<Record<string, unknown>>
  /** Scan results, handed on at most every SCAN_INTERVAL_MS. */
  scan: Sampler<FoundDevice[]>
  /** The device rows sent to the batcher last (the next scan result is diffed against them). */
  shown: DeviceView[]
  showDevices(list: FoundDevice[]): void
  throttle: LatestWins<LightChange>
  committed: LightState
  remembered: Remembered | null
  /** Connect as soon as the scan finds this device (quick reconnect that needed a scan). */
  autoConnectId: string
  start(): Promise<void>
  block(message: string, fix: BleFix): void
  connect(device: FoundDevice): Promise<void>
  apply(change: LightChange): void
  remember(): void
  onLinkState(state: LinkState, detail: { attempt?: number; problem?: { message: string; fix: BleFix } }): void
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

const SWATCHES: Rgb[] = [
  { r: 255, g: 0, b: 0 },
  { r: 255, g: 147, b: 41 },
  { r: 255, g: 255, b: 0 },
  { r: 0, g: 255, b: 0 },
  { r: 0, g: 255, b: 255 },
  { r: 0, g: 0, b: 255 },
  { r: 255, g: 0, b: 255 },
  { r: 255, g: 255, b: 255 },
]

const texts = () => textsOf(TEXTS)
/** Effects and presets are named in the texts by their id (`effectFADE_7`, `presetWARM`); an unknown id shows as itself. */
const nameOf = (prefix: 'effect' | 'preset', id: string, t: Texts) => (t as Record<string, string>)[prefix + id] ?? id
const lightView = (s: LightState): LightView => ({
  ...s,
  color: { ...s.color },
  colorHex: hex(s.color),
  effectLabel: s.mode === 'EFFECT' && s.effect ? nameOf('effect', s.effect, texts()) : '',
})
/** The four signal bars, weakest first; a device lights those its strength reaches. */
const SIGNAL_BARS = [1, 2, 3, 4]
/** A protocol's name in the user's language (`protocolELK_BLEDOM`), else its own label. */
const label = (protocolId: string) =>
  (texts() as Record<string, string>)[`protocol${protocolId}`] ??
  protocolById(protocolId)?.label ??
  texts().unknownLight
const deviceView = (d: FoundDevice, t: Texts): DeviceView => {
  const protocolLabel = label(d.protocolId)
  const bars = signalBars(d.rssi)
  return {
    ...d,
    bars,
    barClasses: SIGNAL_BARS.map((b) => (bars >= b ? 'on' : '')),
    barsText: fmt(t.signalBars, { bars }),
    protocolLabel,
    signalText: fmt(t.signal, { protocol: protocolLabel, rssi: d.rssi }),
  }
}
const lastView = (name: string, protocolLabel: string, t: Texts) => ({
  name,
  protocolLabel,
  usedText: fmt(t.usedLastTime, { protocol: protocolLabel }),
})
const named = (items: ReadonlyArray<{ id: string }>, prefix: 'effect' | 'preset', t: Texts) =>
  items.map(({ id }) => ({ id, label: nameOf(prefix, id, t) }))
const swatchViews = (t: Texts) =>
  SWATCHES.map((c, i) => ({ ...c, hex: hex(c), label: fmt(t.swatch, { n: i + 1, count: SWATCHES.length }) }))
/** Errors after which a remembered device is looked for by scanning instead. */
const NOT_REACHABLE = new Set([10002, 10003, 10012, 10013])

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
    light: lightView(DEFAULT_STATE),
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
      last: last ? lastView(last.name, label(last.protocolId), this.data.t) : null,
      light: lightView(this.committed),
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
    const patch = listPatch(
      'devices',
      this.shown,
      views,
      (a, b) => a.deviceId === b.deviceId && a.signalText === b.signalText && a.bars === b.bars && a.name === b.name,
    )
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
    switch (state) {
      case 'CONNECTING': {
        const shown = device ? { name: device.name, protocolLabel: label(device.protocolId) } : this.data.device
        this.setData({
          state: 'CONNECTING',
          message: '',
          fix: 'NONE',
          device: shown,
          connectingText: fmt(this.data.t.connecting, { name: shown?.name ?? '' }),
        })
        return
      }
      case 'CONNECTED': {
        const protocol = this.link.protocol!
        const d = this.link.device!
        this.remembered = {
          deviceId: d.deviceId,
          name: d.name,
          protocolId: protocol.id,
          state: this.committed,
          at: Date.now(),
        }
        this.remember()
        this.setData({
          state: 'CONNECTED',
          message: '',
          fix: 'NONE',
          attempt: 0,
          device: { name: d.name, protocolLabel: label(protocol.id) },
          last: lastView(d.name, label(protocol.id), this.data.t),
          effects: named(protocol.effects, 'effect', this.data.t),
          light: lightView(this.committed),
        })
        return
      }
      case 'RECONNECTING':
        this.setData({
          state: 'RECONNECTING',
          attempt: detail.attempt ?? 1,
          message: fmt(this.data.t.reconnecting, { n: detail.attempt ?? 1 }),
        })
        return
      case 'LOST':
        this.setData({ state: 'LOST', message: this.data.t.outOfReach, fix: 'RETRY' })
        return
      case 'DISCONNECTED':
        this.setData({
          state: 'IDLE',
          message: detail.problem?.message ?? '',
          fix: detail.problem?.fix ?? 'NONE',
          device: null,
        })
    }
  },

  onStatus(status) {
    this.committed = {
      ...this.committed,
      on: status.on,
      mode: status.mode,
      color: status.color,
      white: status.white,
      effect: status.effect ?? this.committed.effect,
      speed: status.speed,
    }
    this.remember()
    // The light's own notifications come at its pace, not the user's: through the batcher.
    this.batch.set({ light: lightView(this.committed) })
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
    const v = Math.round(value)
    let change: LightChange
    if (key === 'COLOR') {
      const color = hueColor(v)
      this.batch.set({
        hue: v,
        'light.color': color,
        'light.colorHex': hex(color),
        'light.mode': 'COLOR',
        'light.on': true,
      })
      change = { kind: 'COLOR', color }
    } else if (key === 'BRIGHTNESS') {
      this.batch.set({ 'light.brightness': v })
      change = { kind: 'BRIGHTNESS', brightness: v }
    } else if (key === 'WHITE') {
      this.batch.set({ 'light.white': v, 'light.mode': 'WHITE', 'light.on': true })
      change = { kind: 'WHITE', white: v }
    } else {
      this.batch.set({ 'light.speed': v })
      change = { kind: 'SPEED', speed: v }
    }
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
    this.setData({ light: lightView(this.committed) })
  },

  onPreset(e) {
    const preset = PRESETS.find((p) => p.id === e.currentTarget.dataset.id)
    if (!preset) return
    for (const change of preset.changes) this.apply(change)
    this.setData({ light: lightView(this.committed) })
  },

  onEffect(e) {
    const id = e.currentTarget.dataset.id
    if (!id) return
    this.apply({ kind: 'EFFECT', effect: id, speed: this.committed.speed })
    this.setData({ light: lightView(this.committed) })
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
