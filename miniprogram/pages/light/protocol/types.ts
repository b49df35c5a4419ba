/**
 * What a BLE light protocol is to the page: where to write (service + characteristic, 16-bit
 * short forms), where status arrives (if the protocol has notifications), and pure codecs from
 * a wanted change to the bytes of one or more frames. A new protocol is one file implementing
 * `LightProtocol`, added to PROTOCOLS in ./index.ts.
 */

export interface Rgb {
  r: number
  g: number
  b: number
}

/** What the light shows: a colour, plain white, or a built-in effect. */
export type LightMode = 'COLOR' | 'WHITE' | 'EFFECT'

/** The state the page keeps (and remembers per device). Percentages are 0-100. */
export interface LightState {
  on: boolean
  mode: LightMode
  color: Rgb
  brightness: number
  white: number
  effect: string
  speed: number
}

/** One change the user makes; `framesFor` turns it into bytes. */
export type LightChange =
  | { kind: 'POWER'; on: boolean }
  | { kind: 'COLOR'; color: Rgb }
  | { kind: 'BRIGHTNESS'; brightness: number }
  | { kind: 'WHITE'; white: number }
  | { kind: 'EFFECT'; effect: string; speed: number }
  | { kind: 'SPEED'; speed: number }

/** What a status notification says (only fields the protocol reports). */
export interface LightStatus {
  on: boolean
  mode: LightMode
  color: Rgb
  white: number
  effect: string | null
  speed: number
}

/** An effect a light offers; the page names it from its texts (`effect<ID>`). */
export interface Effect {
  id: string
}

/** The effects the page offers, in order; a protocol offers those its code table has. */
export const EFFECT_IDS = ['FADE_7', 'JUMP_7', 'FLASH_7', 'FADE_RED', 'FADE_GREEN', 'FADE_BLUE'] as const

export function effectsOf(codes: Record<string, number>): Effect[] {
  return EFFECT_IDS.filter((id) => id in codes).map((id) => ({ id }))
}

export type ProtocolId = 'ELK_BLEDOM' | 'TRIONES'

export interface LightProtocol {
  id: ProtocolId
  label: string
  /** Advertised primary service used to filter the scan, and the one holding `write`. */
  service: string
  write: string
  /** Where status notifications come from, when the protocol has them. */
  notify?: { service: string; characteristic: string }
  /**
   * Name prefixes these lights advertise. Real lights often advertise no service at all (ELK
   * strips advertise HID 1812, Triones none), so the unfiltered scan finds them by name.
   */
  namePrefixes: string[]
  /** The firmware variant these frames are for, when the family has several. */
  variant?: string
  /** The protocol for one device, chosen after connecting from the name it gave. */
  forDevice?(name: string): LightProtocol
  effects: Effect[]
  /** The frames that apply `change`; `after` is the state once it is applied (applyChange). */
  frames(change: LightChange, after: LightState): Uint8Array[]
  /** Bytes that ask the light for its status (answered by a notification). */
  statusQuery?: Uint8Array
  /** A status notification, or null when the bytes are not one. */
  decodeStatus?(bytes: Uint8Array): LightStatus | null
}

/** 0-100 → 0-max, rounded, clamped. */
export function scalePct(pct: number, max: number): number {
  const p = Math.max(0, Math.min(100, Number.isFinite(pct) ? pct : 0))
  return Math.round((p / 100) * max)
}

export function clampByte(n: number): number {
  return Math.max(0, Math.min(255, Math.round(Number.isFinite(n) ? n : 0)))
}
