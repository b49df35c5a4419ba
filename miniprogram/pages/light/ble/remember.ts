/**
 * The last light used and its state, kept in local storage for a quick reconnect. Anything
 * that does not parse (an older version, a hand-edited value) is ignored, never trusted.
 */
import { DEFAULT_STATE, protocolById } from '../protocol/index'
import type { LightState, ProtocolId } from '../protocol/types'

export const STORAGE_KEY = 'light.last'

export interface Remembered {
  deviceId: string
  name: string
  protocolId: ProtocolId
  state: LightState
  at: number
}

const pct = (x: unknown, fallback: number) =>
  typeof x === 'number' && Number.isFinite(x) ? Math.max(0, Math.min(100, Math.round(x))) : fallback
const byte = (x: unknown) =>
  typeof x === 'number' && Number.isFinite(x) ? Math.max(0, Math.min(255, Math.round(x))) : 255

export function parseRemembered(raw: unknown): Remembered | null {
  if (typeof raw !== 'object' || raw === null) return null
  const o = raw as Record<string, unknown>
  if (typeof o.deviceId !== 'string' || !o.deviceId || typeof o.protocolId !== 'string' || !protocolById(o.protocolId))
    return null
  const s = (typeof o.state === 'object' && o.state !== null ? o.state : {}) as Record<string, unknown>
  const c = (typeof s.color === 'object' && s.color !== null ? s.color : {}) as Record<string, unknown>
  const mode = s.mode === 'WHITE' || s.mode === 'EFFECT' || s.mode === 'COLOR' ? s.mode : DEFAULT_STATE.mode
  return {
    deviceId: o.deviceId,
    name: typeof o.name === 'string' && o.name ? o.name.slice(0, 40) : 'Light',
    protocolId: o.protocolId as ProtocolId,
    at: typeof o.at === 'number' ? o.at : 0,
    state: {
      on: typeof s.on === 'boolean' ? s.on : DEFAULT_STATE.on,
      mode,
      color: { r: byte(c.r), g: byte(c.g), b: byte(c.b) },
      brightness: pct(s.brightness, DEFAULT_STATE.brightness),
      white: pct(s.white, DEFAULT_STATE.white),
      effect: typeof s.effect === 'string' ? s.effect : DEFAULT_STATE.effect,
      speed: pct(s.speed, DEFAULT_STATE.speed),
    },
  }
}
