/**
 * Triones bulbs and controllers (app "HappyLighting"): service FFD5, write FFD9, status
 * notifications on FFD4 (service FFD0). Byte layouts follow madhead/saberlight,
 * protocols/Triones/protocol.md:
 *   power    CC 23 33 (on) / CC 24 33 (off)
 *   colour   56 RR GG BB 00 F0 AA
 *   white    56 00 00 00 WW 0F AA            (WW intensity 00-FF)
 *   mode     BB MM SS 44                     (MM 25-38 built-in modes, SS speed 01 fast … 1F slow)
 *   status   write EF 01 77 → 12-byte notification 66 ?? PW MM ?? SS RR GG BB WW ?? 99
 *            (PW 23 on / 24 off; MM 41 static colour or white, 25-38 built-in mode)
 * The protocol has no brightness command: brightness scales the colour (or the white
 * intensity) that is sent, which is what the vendor app does too.
 */
import { clampByte, effectsOf, scalePct } from './types'
import type { LightProtocol, LightStatus, Rgb } from './types'

export const TRIONES_MODES: Record<string, number> = {
  FADE_7: 0x25,
  FADE_RED: 0x26,
  FADE_GREEN: 0x27,
  FADE_BLUE: 0x28,
  FLASH_7: 0x30,
  JUMP_7: 0x38,
}
const MODE_IDS = new Map(Object.entries(TRIONES_MODES).map(([id, code]) => [code, id]))

const STATIC = 0x41
const ON = 0x23
const OFF = 0x24
/** Speed byte: 0x01 is the fastest, 0x1F the slowest the vendor app uses. */
const SPEED_FAST = 0x01
const SPEED_SLOW = 0x1f

export function trionesSpeed(pct: number): number {
  return SPEED_SLOW - scalePct(pct, SPEED_SLOW - SPEED_FAST)
}

function speedPct(byte: number): number {
  const b = Math.max(SPEED_FAST, Math.min(SPEED_SLOW, byte))
  return Math.round(((SPEED_SLOW - b) / (SPEED_SLOW - SPEED_FAST)) * 100)
}

const dim = (c: Rgb, brightness: number): Rgb => ({
  r: clampByte((c.r * brightness) / 100),
  g: clampByte((c.g * brightness) / 100),
  b: clampByte((c.b * brightness) / 100),
})
const colorFrame = (c: Rgb) => Uint8Array.from([0x56, clampByte(c.r), clampByte(c.g), clampByte(c.b), 0x00, 0xf0, 0xaa])
const whiteFrame = (intensity: number) => Uint8Array.from([0x56, 0x00, 0x00, 0x00, clampByte(intensity), 0x0f, 0xaa])
const modeFrame = (mode: number, speedPctValue: number) =>
  Uint8Array.from([0xbb, mode, trionesSpeed(speedPctValue), 0x44])

export function decodeTrionesStatus(bytes: Uint8Array): LightStatus | null {
  if (bytes.length !== 12 || bytes[0] !== 0x66 || bytes[11] !== 0x99) return null
  const power = bytes[2]
  if (power !== ON && power !== OFF) return null
  const mode = bytes[3]!
  const color = { r: bytes[6]!, g: bytes[7]!, b: bytes[8]! }
  const white = bytes[9]!
  const effect = MODE_IDS.get(mode) ?? null
  const isStatic = mode === STATIC
  return {
    on: power === ON,
    mode: isStatic ? (color.r === 0 && color.g === 0 && color.b === 0 && white > 0 ? 'WHITE' : 'COLOR') : 'EFFECT',
    color,
    white: Math.round((white / 255) * 100),
    effect: isStatic ? null : effect,
    speed: speedPct(bytes[5]!),
  }
}

export const triones: LightProtocol = {
  id: 'TRIONES',
  label: 'Triones bulb',
  service: 'FFD5',
  write: 'FFD9',
  notify: { service: 'FFD0', characteristic: 'FFD4' },
  namePrefixes: ['Triones', 'QHM-', 'LEDBlue', 'LEDBLE'],
  effects: effectsOf(TRIONES_MODES),
  statusQuery: Uint8Array.from([0xef, 0x01, 0x77]),
  decodeStatus: decodeTrionesStatus,
  frames(change, state) {
    // `state` is the state after the change (see LightProtocol.frames).
    switch (change.kind) {
      case 'POWER':
        return [Uint8Array.from([0xcc, change.on ? ON : OFF, 0x33])]
      case 'COLOR':
        return [colorFrame(dim(change.color, state.brightness))]
      case 'WHITE':
        return [whiteFrame(scalePct((change.white * state.brightness) / 100, 0xff))]
      case 'BRIGHTNESS':
        // No brightness command: resend what is shown, scaled.
        if (state.mode === 'WHITE') return [whiteFrame(scalePct((state.white * change.brightness) / 100, 0xff))]
        if (state.mode === 'COLOR') return [colorFrame(dim(state.color, change.brightness))]
        return []
      case 'EFFECT':
      case 'SPEED': {
        const effect = change.kind === 'EFFECT' ? change.effect : state.effect
        const code = TRIONES_MODES[effect]
        return code === undefined ? [] : [modeFrame(code, change.speed)]
      }
    }
  },
}
