/** The light protocols the page speaks; the scan asks for all their services. */
import { elkBledom } from './elk'
import { triones } from './triones'
import type { LightChange, LightProtocol, LightState, ProtocolId } from './types'
import { sameUuid } from './uuid'

export const PROTOCOLS: readonly LightProtocol[] = [elkBledom, triones]

export function protocolById(id: string): LightProtocol | undefined {
  return PROTOCOLS.find((p) => p.id === id)
}

/**
 * Which protocol a found device probably speaks: by an advertised service, else by its name.
 * Only a guess: startBluetoothDevicesDiscovery runs without a service filter (real lights do
 * not advertise their GATT service), and `confirmProtocol` decides after connecting.
 */
export function protocolOfDevice(device: {
  advertisServiceUUIDs?: string[]
  name?: string
  localName?: string
}): LightProtocol | undefined {
  const advertised = device.advertisServiceUUIDs ?? []
  const byService = PROTOCOLS.find((p) => advertised.some((u) => sameUuid(u, p.service)))
  if (byService) return byService
  const name = (device.name || device.localName || '').toUpperCase()
  return PROTOCOLS.find((p) => p.namePrefixes.some((prefix) => name.startsWith(prefix.toUpperCase())))
}

/**
 * The protocol of a connected device, from the GATT services it really has (the guess first),
 * specialised for its name (firmware variants); undefined when none of ours is there.
 */
export function confirmProtocol(
  guess: LightProtocol,
  services: ReadonlyArray<{ uuid: string }>,
  name: string,
): LightProtocol | undefined {
  const has = (p: LightProtocol) => services.some((s) => sameUuid(s.uuid, p.service))
  const found = has(guess) ? guess : PROTOCOLS.find(has)
  return found ? (found.forDevice?.(name) ?? found) : undefined
}

export const DEFAULT_STATE: LightState = {
  on: true,
  mode: 'COLOR',
  color: { r: 255, g: 255, b: 255 },
  brightness: 100,
  white: 100,
  effect: 'FADE_7',
  speed: 50,
}

/** The state after `change` (pure; what the page shows and remembers). */
export function applyChange(state: LightState, change: LightChange): LightState {
  switch (change.kind) {
    case 'POWER':
      return { ...state, on: change.on }
    case 'COLOR':
      return { ...state, on: true, mode: 'COLOR', color: { ...change.color } }
    case 'BRIGHTNESS':
      return { ...state, brightness: change.brightness }
    case 'WHITE':
      return { ...state, on: true, mode: 'WHITE', white: change.white }
    case 'EFFECT':
      return { ...state, on: true, mode: 'EFFECT', effect: change.effect, speed: change.speed }
    case 'SPEED':
      return { ...state, speed: change.speed }
  }
}

export type { LightChange, LightProtocol, LightState, ProtocolId }

/**
 * Everything to write for one user change: the protocol's frames, preceded by power-on when
 * the change lights up a light that is off (a colour sent to an off light stays dark).
 */
export function framesFor(
  protocol: LightProtocol,
  before: LightState,
  change: LightChange,
): { after: LightState; frames: Uint8Array[] } {
  const after = applyChange(before, change)
  const frames = protocol.frames(change, after)
  if (change.kind !== 'POWER' && !before.on && after.on)
    frames.unshift(...protocol.frames({ kind: 'POWER', on: true }, after))
  return { after, frames }
}

/** A one-tap setting; the page names it from its texts (`preset<ID>`). */
export interface Preset {
  id: string
  changes: LightChange[]
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'READING',
    changes: [
      { kind: 'WHITE', white: 100 },
      { kind: 'BRIGHTNESS', brightness: 100 },
    ],
  },
  {
    id: 'WARM',
    changes: [
      { kind: 'COLOR', color: { r: 255, g: 147, b: 41 } },
      { kind: 'BRIGHTNESS', brightness: 70 },
    ],
  },
  {
    id: 'NIGHT',
    changes: [
      { kind: 'COLOR', color: { r: 255, g: 40, b: 0 } },
      { kind: 'BRIGHTNESS', brightness: 10 },
    ],
  },
  { id: 'PARTY', changes: [{ kind: 'EFFECT', effect: 'FLASH_7', speed: 80 }] },
]

/** A fully saturated colour for a hue in degrees (the page's colour slider), HSV with S = V = 1. */
export function hueColor(hue: number): { r: number; g: number; b: number } {
  const h = (((hue % 360) + 360) % 360) / 60
  const x = Math.round(255 * (1 - Math.abs((h % 2) - 1)))
  const [r, g, b] =
    h < 1
      ? [255, x, 0]
      : h < 2
        ? [x, 255, 0]
        : h < 3
          ? [0, 255, x]
          : h < 4
            ? [0, x, 255]
            : h < 5
              ? [x, 0, 255]
              : [255, 0, x]
  return { r, g, b }
}

export function hex(c: { r: number; g: number; b: number }): string {
  return `#${[c.r, c.g, c.b]
    .map((n) =>
      Math.max(0, Math.min(255, Math.round(n)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`
}
