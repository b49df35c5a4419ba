/**
 * ELK-BLEDOM-family LED strips (apps "Lotus Lantern", "duoCo Strip", "Lotus Lamp X"): service
 * FFF0, write FFF3, 9-byte frames `7E … EF`, no status notifications. Base layouts from
 * opengatt/registry services/led-elk/README.md; the power frames differ by firmware, as public
 * integrations record per device name (e.g. Home Assistant's elkbledom models table):
 *   power (most ELK-BLEDOM)   7E 04 04 F0 00 01 FF 00 EF  /  7E 04 04 00 00 00 FF 00 EF
 *   power (ELK-BLE, -BULB2)   7E 00 04 F0 00 01 FF 00 EF  /  7E 00 04 00 00 00 FF 00 EF
 *   power (ELK-BULB, -LAMPL,  7E 00 04 01 00 00 00 00 EF  /  7E 00 04 00 00 00 FF 00 EF
 *          MELK)
 *   power (ELK-BLEDOB)        7E 07 04 FF 00 01 02 01 EF  /  7E 07 04 00 00 00 02 01 EF
 *   power (MELK-OG10)         7E 07 04 FF 00 01 02 01 EF  /  7E 07 04 00 00 00 02 00 EF
 * (the elkbledom project's models.json; its ELK-BULB2 "off" repeats the BULB "on" frame, which
 * looks like a slip: BULB2 keeps the ELK-BLE frames here).
 *   colour      7E 07 05 03 RR GG BB 00 EF
 *   preset      7E 05 03 VV 03 FF FF 00 EF   (animation presets 80-9C)
 *   brightness  7E 04 01 II FF FF FF 00 EF   (II 00-64)
 *   speed       7E 04 02 II FF FF FF 00 EF   (II 00-64)
 * White is sent as an equal-RGB colour: the dedicated white frame (7E 05 05 01 II FF FF 08 EF)
 * drives a separate white channel that RGB-only strips do not have, so it may do nothing.
 * The variant is chosen after connecting, from the name the device gave (`forDevice`).
 */
import { clampByte, effectsOf, scalePct } from './types'
import type { LightChange, LightProtocol } from './types'

const frame = (...body: number[]): Uint8Array => Uint8Array.from([0x7e, ...body, 0xef])

/** Animation presets (type 03) by the ids the page offers. */
export const ELK_EFFECTS: Record<string, number> = {
  JUMP_7: 0x88,
  FADE_7: 0x8a,
  FADE_RED: 0x8b,
  FADE_GREEN: 0x8c,
  FADE_BLUE: 0x8d,
  FLASH_7: 0x95,
}

export type ElkVariant = 'ELK_04' | 'ELK_00' | 'ELK_01' | 'ELK_07' | 'ELK_07G'

/** Power frames per firmware family: [on, off] bodies between 7E and EF. */
const POWER: Record<ElkVariant, [number[], number[]]> = {
  ELK_04: [
    [0x04, 0x04, 0xf0, 0x00, 0x01, 0xff, 0x00],
    [0x04, 0x04, 0x00, 0x00, 0x00, 0xff, 0x00],
  ],
  ELK_00: [
    [0x00, 0x04, 0xf0, 0x00, 0x01, 0xff, 0x00],
    [0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0x00],
  ],
  ELK_01: [
    [0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00],
    [0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0x00],
  ],
  ELK_07: [
    [0x07, 0x04, 0xff, 0x00, 0x01, 0x02, 0x01],
    [0x07, 0x04, 0x00, 0x00, 0x00, 0x02, 0x01],
  ],
  ELK_07G: [
    [0x07, 0x04, 0xff, 0x00, 0x01, 0x02, 0x01],
    [0x07, 0x04, 0x00, 0x00, 0x00, 0x02, 0x00],
  ],
}

/** Name prefixes to variants, most specific first; anything else of the family is ELK_04. */
const VARIANT_BY_NAME: Array<[string, ElkVariant]> = [
  ['ELK-BLEDOB', 'ELK_07'],
  ['MELK-OG10', 'ELK_07G'],
  ['ELK-BLEDOM', 'ELK_04'],
  ['ELK-BLEDDM', 'ELK_04'],
  ['ELK-BTC', 'ELK_04'],
  ['MELK-O', 'ELK_04'],
  ['ELK-BULB2', 'ELK_00'],
  ['ELK-BULB', 'ELK_01'],
  ['ELK-LAMPL', 'ELK_01'],
  ['ELK-BLE', 'ELK_00'],
  ['MELK', 'ELK_01'],
]

export function elkVariant(name: string): ElkVariant {
  const upper = name.toUpperCase()
  return VARIANT_BY_NAME.find(([prefix]) => upper.startsWith(prefix))?.[1] ?? 'ELK_04'
}

function elkFrames(variant: ElkVariant, change: LightChange): Uint8Array[] {
  switch (change.kind) {
    case 'POWER':
      return [frame(...POWER[variant][change.on ? 0 : 1])]
    case 'COLOR':
      return [
        frame(0x07, 0x05, 0x03, clampByte(change.color.r), clampByte(change.color.g), clampByte(change.color.b), 0x00),
      ]
    case 'WHITE': {
      const v = scalePct(change.white, 0xff)
      return [frame(0x07, 0x05, 0x03, v, v, v, 0x00)]
    }
    case 'BRIGHTNESS':
      return [frame(0x04, 0x01, scalePct(change.brightness, 0x64), 0xff, 0xff, 0xff, 0x00)]
    case 'SPEED':
      return [frame(0x04, 0x02, scalePct(change.speed, 0x64), 0xff, 0xff, 0xff, 0x00)]
    case 'EFFECT': {
      const code = ELK_EFFECTS[change.effect]
      if (code === undefined) return []
      return [
        frame(0x05, 0x03, code, 0x03, 0xff, 0xff, 0x00),
        frame(0x04, 0x02, scalePct(change.speed, 0x64), 0xff, 0xff, 0xff, 0x00),
      ]
    }
  }
}

function elkProtocol(variant: ElkVariant): LightProtocol {
  return {
    id: 'ELK_BLEDOM',
    label: 'ELK-BLEDOM strip',
    service: 'FFF0',
    write: 'FFF3',
    namePrefixes: ['ELK-', 'MELK'],
    effects: effectsOf(ELK_EFFECTS),
    variant,
    frames: (change) => elkFrames(variant, change),
    forDevice: (name) => elkProtocol(elkVariant(name)),
  }
}

export const elkBledom: LightProtocol = elkProtocol('ELK_04')
