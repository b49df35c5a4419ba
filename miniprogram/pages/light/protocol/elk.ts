/**
 * ELK-BLEDOM LED strips (apps "Lotus Lantern", "duoCo Strip"): service FFF0, write FFF3,
 * 9-byte frames `7E … EF`, no status notifications. Byte layouts follow the public description
 * in opengatt/registry, services/led-elk/README.md:
 *   power       7E 04 04 0X FF FF FF 00 EF   (01 on, 00 off)
 *   colour      7E 07 05 03 RR GG BB 00 EF
 *   white       7E 05 05 01 II FF FF 08 EF   (II 00-64, percent)
 *   preset      7E 05 03 VV TT FF FF 00 EF   (TT 03: colour and animation presets 80-9C)
 *   brightness  7E 04 01 II FF FF FF 00 EF   (II 00-64)
 *   speed       7E 04 02 II FF FF FF 00 EF   (II 00-64)
 */
import { clampByte, effectsOf, scalePct } from './types'
import type { LightProtocol } from './types'

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

export const elkBledom: LightProtocol = {
  id: 'ELK_BLEDOM',
  label: 'ELK-BLEDOM strip',
  service: 'FFF0',
  write: 'FFF3',
  namePrefixes: ['ELK-BLE', 'ELK-BLEDOM', 'ELK-BLEDW'],
  effects: effectsOf(ELK_EFFECTS),
  frames(change) {
    switch (change.kind) {
      case 'POWER':
        return [frame(0x04, 0x04, change.on ? 0x01 : 0x00, 0xff, 0xff, 0xff, 0x00)]
      case 'COLOR':
        return [frame(0x07, 0x05, 0x03, clampByte(change.color.r), clampByte(change.color.g), clampByte(change.color.b), 0x00)]
      case 'WHITE':
        return [frame(0x05, 0x05, 0x01, scalePct(change.white, 0x64), 0xff, 0xff, 0x08)]
      case 'BRIGHTNESS':
        return [frame(0x04, 0x01, scalePct(change.brightness, 0x64), 0xff, 0xff, 0xff, 0x00)]
      case 'SPEED':
        return [frame(0x04, 0x02, scalePct(change.speed, 0x64), 0xff, 0xff, 0xff, 0x00)]
      case 'EFFECT': {
        const code = ELK_EFFECTS[change.effect]
        if (code === undefined) return []
        return [frame(0x05, 0x03, code, 0x03, 0xff, 0xff, 0x00), frame(0x04, 0x02, scalePct(change.speed, 0x64), 0xff, 0xff, 0xff, 0x00)]
      }
    }
  },
}
