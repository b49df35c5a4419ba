/**
 * What the light page shows, worked out from the link's facts (pure, no wx): the device rows of a
 * scan (name, signal bars in figures and words), the light's state with its colour and effect
 * named, the last light's card, the effects and presets named in the user's language, and the
 * colour swatches. Texts come from texts.ts by id (`effectFADE_7`, `presetWARM`, `protocolELK_BLEDOM`).
 */
import type { Texts } from './texts'
import { fmt } from '../../lib/i18n'
import { hex, protocolById } from './protocol/index'
import type { LightState, Rgb } from './protocol/types'
import { signalBars } from './ble/device'
import type { FoundDevice, LinkState } from './ble/device'
import type { BleFix } from './ble/errors'
import type { LightProtocol } from './protocol/types'

export interface DeviceView {
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

export interface LightView extends LightState {
  colorHex: string
  /** The running effect's name in the user's language ('' when no effect runs). */
  effectLabel: string
}

/** The swatches the colour row offers, in order. */
export const SWATCHES: Rgb[] = [
  { r: 255, g: 0, b: 0 },
  { r: 255, g: 147, b: 41 },
  { r: 255, g: 255, b: 0 },
  { r: 0, g: 255, b: 0 },
  { r: 0, g: 255, b: 255 },
  { r: 0, g: 0, b: 255 },
  { r: 255, g: 0, b: 255 },
  { r: 255, g: 255, b: 255 },
]

/** Effects and presets are named in the texts by their id (`effectFADE_7`, `presetWARM`); an unknown id shows as itself. */
const nameOf = (prefix: 'effect' | 'preset', id: string, t: Texts) => (t as Record<string, string>)[prefix + id] ?? id

/** The light's state as the page shows it. */
export const lightView = (s: LightState, t: Texts): LightView => ({
  ...s,
  color: { ...s.color },
  colorHex: hex(s.color),
  effectLabel: s.mode === 'EFFECT' && s.effect ? nameOf('effect', s.effect, t) : '',
})

/** The four signal bars, weakest first; a device lights those its strength reaches. */
const SIGNAL_BARS = [1, 2, 3, 4]

/** A protocol's name in the user's language (`protocolELK_BLEDOM`), else its own label. */
export const protocolLabel = (protocolId: string, t: Texts): string =>
  (t as Record<string, string>)[`protocol${protocolId}`] ?? protocolById(protocolId)?.label ?? t.unknownLight

/** One row of the scan list. */
export const deviceView = (d: FoundDevice, t: Texts): DeviceView => {
  const label = protocolLabel(d.protocolId, t)
  const bars = signalBars(d.rssi)
  return {
    ...d,
    bars,
    barClasses: SIGNAL_BARS.map((b) => (bars >= b ? 'on' : '')),
    barsText: fmt(t.signalBars, { bars }),
    protocolLabel: label,
    signalText: fmt(t.signal, { protocol: label, rssi: d.rssi }),
  }
}

/** Two rows show the same thing (the scan list sends only rows that changed). */
export const sameRow = (a: DeviceView, b: DeviceView): boolean =>
  a.deviceId === b.deviceId && a.signalText === b.signalText && a.bars === b.bars && a.name === b.name

/** The card of the light used last time (one tap reconnects). */
export const lastView = (name: string, label: string, t: Texts) => ({
  name,
  protocolLabel: label,
  usedText: fmt(t.usedLastTime, { protocol: label }),
})

/** Effects or presets with their names in the user's language. */
export const named = (items: ReadonlyArray<{ id: string }>, prefix: 'effect' | 'preset', t: Texts) =>
  items.map(({ id }) => ({ id, label: nameOf(prefix, id, t) }))

/** The swatches with their colour and their name for screen readers. */
export const swatchViews = (t: Texts) =>
  SWATCHES.map((c, i) => ({ ...c, hex: hex(c), label: fmt(t.swatch, { n: i + 1, count: SWATCHES.length }) }))

/** What the page knows when the link changes state. */
export interface LinkFacts {
  /** The link's device and protocol (both set once connected). */
  device: FoundDevice | null
  protocol: LightProtocol | null
  /** The light's state the page holds. */
  committed: LightState
  /** The device the page shows now. */
  shown: { name: string; protocolLabel: string } | null
  attempt?: number
  problem?: { message: string; fix: BleFix }
}

/** The page fields for a link state (the page's state, message, fix, device, and once connected the light). */
export function linkView(state: LinkState, f: LinkFacts, t: Texts): Record<string, unknown> {
  switch (state) {
    case 'CONNECTING': {
      const shown = f.device ? { name: f.device.name, protocolLabel: protocolLabel(f.device.protocolId, t) } : f.shown
      return {
        state: 'CONNECTING',
        message: '',
        fix: 'NONE',
        device: shown,
        connectingText: fmt(t.connecting, { name: shown?.name ?? '' }),
      }
    }
    case 'CONNECTED': {
      const protocol = f.protocol!
      const name = f.device!.name
      const label = protocolLabel(protocol.id, t)
      return {
        state: 'CONNECTED',
        message: '',
        fix: 'NONE',
        attempt: 0,
        device: { name, protocolLabel: label },
        last: lastView(name, label, t),
        effects: named(protocol.effects, 'effect', t),
        light: lightView(f.committed, t),
      }
    }
    case 'RECONNECTING':
      return {
        state: 'RECONNECTING',
        attempt: f.attempt ?? 1,
        message: fmt(t.reconnecting, { n: f.attempt ?? 1 }),
      }
    case 'LOST':
      return { state: 'LOST', message: t.outOfReach, fix: 'RETRY' }
    default:
      return { state: 'IDLE', message: f.problem?.message ?? '', fix: f.problem?.fix ?? 'NONE', device: null }
  }
}
