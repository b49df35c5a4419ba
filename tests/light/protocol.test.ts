/**
 * The light codecs against the byte sequences in the protocols' public descriptions:
 * ELK-BLEDOM: opengatt/registry services/led-elk/README.md ("For example" lines), with the power
 * frames per firmware family that public integrations record by device name (Home Assistant's
 * elkbledom models table);
 * Triones: madhead/saberlight protocols/Triones/protocol.md (example tables).
 */
import { elkBledom, elkVariant } from '../../miniprogram/pages/light/protocol/elk'
import { decodeTrionesStatus, triones, trionesSpeed } from '../../miniprogram/pages/light/protocol/triones'
import {
  DEFAULT_STATE,
  PROTOCOLS,
  applyChange,
  confirmProtocol,
  framesFor,
  hueColor,
  hex,
  protocolOfDevice,
} from '../../miniprogram/pages/light/protocol/index'
import type { LightChange, LightState } from '../../miniprogram/pages/light/protocol/types'
import { fullUuid, sameUuid, findUuid } from '../../miniprogram/pages/light/protocol/uuid'

const bytes = (hexText: string) => hexText.split(' ').map((h) => parseInt(h, 16))
const out = (frames: Uint8Array[]) => frames.map((f) => [...f])
const state = (over: Partial<LightState> = {}): LightState => ({ ...DEFAULT_STATE, ...over })
const elk = (change: LightChange) => out(elkBledom.frames(change, applyChange(state(), change)))
const tri = (change: LightChange, before: Partial<LightState> = {}) =>
  out(triones.frames(change, applyChange(state(before), change)))

describe('ELK-BLEDOM frames', () => {
  test.each([
    ['off (most ELK-BLEDOM firmware)', { kind: 'POWER', on: false }, '7E 04 04 00 00 00 FF 00 EF'],
    ['on (most ELK-BLEDOM firmware)', { kind: 'POWER', on: true }, '7E 04 04 F0 00 01 FF 00 EF'],
    ['yellow', { kind: 'COLOR', color: { r: 255, g: 255, b: 0 } }, '7E 07 05 03 FF FF 00 00 EF'],
    ['blue', { kind: 'COLOR', color: { r: 0, g: 0, b: 255 } }, '7E 07 05 03 00 00 FF 00 EF'],
    // White as equal RGB: the dedicated white frame does nothing on RGB-only strips.
    ['30% white', { kind: 'WHITE', white: 30 }, '7E 07 05 03 4D 4D 4D 00 EF'],
    ['90% white', { kind: 'WHITE', white: 90 }, '7E 07 05 03 E6 E6 E6 00 EF'],
    ['brightness 10%', { kind: 'BRIGHTNESS', brightness: 10 }, '7E 04 01 0A FF FF FF 00 EF'],
    ['brightness 100%', { kind: 'BRIGHTNESS', brightness: 100 }, '7E 04 01 64 FF FF FF 00 EF'],
    ['speed 10%', { kind: 'SPEED', speed: 10 }, '7E 04 02 0A FF FF FF 00 EF'],
  ] as Array<[string, LightChange, string]>)('%s', (_name, change, expected) => {
    expect(elk(change)).toEqual([bytes(expected)])
  })

  test.each([
    ['ELK-BLEDOM', 'ELK_04', '7E 04 04 F0 00 01 FF 00 EF', '7E 04 04 00 00 00 FF 00 EF'],
    ['ELK-BLEDOB', 'ELK_07', '7E 07 04 FF 00 01 02 01 EF', '7E 07 04 00 00 00 02 01 EF'],
    ['ELK-BLE', 'ELK_00', '7E 00 04 F0 00 01 FF 00 EF', '7E 00 04 00 00 00 FF 00 EF'],
    ['ELK-BULB2', 'ELK_00', '7E 00 04 F0 00 01 FF 00 EF', '7E 00 04 00 00 00 FF 00 EF'],
    ['ELK-BULB 3C', 'ELK_01', '7E 00 04 01 00 00 00 00 EF', '7E 00 04 00 00 00 FF 00 EF'],
    ['ELK-LAMPL', 'ELK_01', '7E 00 04 01 00 00 00 00 EF', '7E 00 04 00 00 00 FF 00 EF'],
    ['MELK-XYZ', 'ELK_01', '7E 00 04 01 00 00 00 00 EF', '7E 00 04 00 00 00 FF 00 EF'],
    ['MELK-OA10', 'ELK_04', '7E 04 04 F0 00 01 FF 00 EF', '7E 04 04 00 00 00 FF 00 EF'],
    ['MELK-OG10', 'ELK_07G', '7E 07 04 FF 00 01 02 01 EF', '7E 07 04 00 00 00 02 00 EF'],
    ['elk-bledom 01', 'ELK_04', '7E 04 04 F0 00 01 FF 00 EF', '7E 04 04 00 00 00 FF 00 EF'],
  ])('power frames follow the firmware family of %s (%s), chosen after connecting', (name, variant, on, off) => {
    expect(elkVariant(name)).toBe(variant)
    const p = elkBledom.forDevice!(name)
    expect(p.variant).toBe(variant)
    expect(out(p.frames({ kind: 'POWER', on: true }, state()))).toEqual([bytes(on)])
    expect(out(p.frames({ kind: 'POWER', on: false }, state()))).toEqual([bytes(off)])
  })

  test('an effect selects the preset (seven-colour flash is 95/03) and then sets its speed', () => {
    expect(elk({ kind: 'EFFECT', effect: 'FLASH_7', speed: 100 })).toEqual([
      bytes('7E 05 03 95 03 FF FF 00 EF'),
      bytes('7E 04 02 64 FF FF FF 00 EF'),
    ])
  })

  test('every frame is 9 bytes from 7E to EF; out-of-range values are clamped, unknown effects send nothing', () => {
    expect(elk({ kind: 'COLOR', color: { r: 300, g: -5, b: 12.6 } })).toEqual([bytes('7E 07 05 03 FF 00 0D 00 EF')])
    expect(elk({ kind: 'BRIGHTNESS', brightness: 250 })).toEqual([bytes('7E 04 01 64 FF FF FF 00 EF')])
    expect(elk({ kind: 'EFFECT', effect: 'NOPE', speed: 1 })).toEqual([])
    for (const effect of elkBledom.effects) {
      for (const f of elk({ kind: 'EFFECT', effect: effect.id, speed: 50 })) {
        expect(f).toHaveLength(9)
        expect([f[0], f[8]]).toEqual([0x7e, 0xef])
      }
    }
  })
})

describe('Triones frames', () => {
  test.each([
    ['on', { kind: 'POWER', on: true }, 'CC 23 33'],
    ['off', { kind: 'POWER', on: false }, 'CC 24 33'],
    ['static red', { kind: 'COLOR', color: { r: 255, g: 0, b: 0 } }, '56 FF 00 00 00 F0 AA'],
    ['static violet', { kind: 'COLOR', color: { r: 0x5a, g: 0, b: 0x9d } }, '56 5A 00 9D 00 F0 AA'],
    ['highest white', { kind: 'WHITE', white: 100 }, '56 00 00 00 FF 0F AA'],
    ['green gradual change at the slowest speed', { kind: 'EFFECT', effect: 'FADE_GREEN', speed: 0 }, 'BB 27 1F 44'],
  ] as Array<[string, LightChange, string]>)('%s', (_name, change, expected) => {
    expect(tri(change)).toEqual([bytes(expected)])
  })

  test('speed: 100 % is 0x01 (fastest), 0 % is 0x1F (slowest)', () => {
    expect(trionesSpeed(100)).toBe(0x01)
    expect(trionesSpeed(0)).toBe(0x1f)
    expect(trionesSpeed(50)).toBe(0x10)
  })

  test('brightness has no command: it resends the colour (or white) scaled', () => {
    expect(tri({ kind: 'BRIGHTNESS', brightness: 50 }, { mode: 'COLOR', color: { r: 200, g: 100, b: 0 } })).toEqual([
      bytes('56 64 32 00 00 F0 AA'),
    ])
    expect(tri({ kind: 'BRIGHTNESS', brightness: 50 }, { mode: 'WHITE', white: 100 })).toEqual([
      bytes('56 00 00 00 80 0F AA'),
    ])
    expect(tri({ kind: 'BRIGHTNESS', brightness: 50 }, { mode: 'EFFECT' })).toEqual([])
    // A colour chosen while dimmed goes out dimmed.
    expect(tri({ kind: 'COLOR', color: { r: 255, g: 255, b: 255 } }, { brightness: 20 })).toEqual([
      bytes('56 33 33 33 00 F0 AA'),
    ])
  })

  test('status notifications decode as the examples describe', () => {
    expect(decodeTrionesStatus(Uint8Array.from(bytes('66 15 23 41 20 00 FF 00 00 00 06 99')))).toEqual({
      on: true,
      mode: 'COLOR',
      color: { r: 255, g: 0, b: 0 },
      white: 0,
      effect: null,
      speed: 100,
    })
    expect(decodeTrionesStatus(Uint8Array.from(bytes('66 15 23 41 20 00 00 00 00 30 06 99')))).toMatchObject({
      on: true,
      mode: 'WHITE',
      white: 19,
    })
    expect(decodeTrionesStatus(Uint8Array.from(bytes('66 15 23 27 20 1F FF 00 00 00 06 99')))).toMatchObject({
      on: true,
      mode: 'EFFECT',
      effect: 'FADE_GREEN',
      speed: 0,
    })
    expect(decodeTrionesStatus(Uint8Array.from(bytes('66 15 24 34 20 10 FF 00 00 00 06 99')))).toMatchObject({
      on: false,
      mode: 'EFFECT',
      effect: null,
    })
  })

  test('anything else is not a status', () => {
    expect(decodeTrionesStatus(Uint8Array.from(bytes('66 15 23 41 20 00 FF 00 00 00 06')))).toBeNull() // 11 bytes
    expect(decodeTrionesStatus(Uint8Array.from(bytes('67 15 23 41 20 00 FF 00 00 00 06 99')))).toBeNull()
    expect(decodeTrionesStatus(Uint8Array.from(bytes('66 15 23 41 20 00 FF 00 00 00 06 98')))).toBeNull()
    expect(decodeTrionesStatus(Uint8Array.from(bytes('66 15 25 41 20 00 FF 00 00 00 06 99')))).toBeNull() // power neither 23 nor 24
  })

  test('the status query is EF 01 77 and notifications come from FFD4 in FFD0', () => {
    expect([...triones.statusQuery!]).toEqual(bytes('EF 01 77'))
    expect(triones.notify).toEqual({ service: 'FFD0', characteristic: 'FFD4' })
  })
})

describe('frames for a user change', () => {
  test('lighting an off light powers it on first; turning off sends only the power frame', () => {
    const off = state({ on: false })
    const { after, frames } = framesFor(elkBledom, off, { kind: 'COLOR', color: { r: 0, g: 0, b: 255 } })
    expect(after.on).toBe(true)
    expect(out(frames)).toEqual([bytes('7E 04 04 F0 00 01 FF 00 EF'), bytes('7E 07 05 03 00 00 FF 00 EF')])
    expect(out(framesFor(triones, state(), { kind: 'POWER', on: false }).frames)).toEqual([bytes('CC 24 33')])
    // Brightness does not light an off light.
    expect(out(framesFor(elkBledom, off, { kind: 'BRIGHTNESS', brightness: 40 }).frames)).toEqual([
      bytes('7E 04 01 28 FF FF FF 00 EF'),
    ])
  })

  test('every frame of every protocol fits one 20-byte write', () => {
    const changes: LightChange[] = [
      { kind: 'POWER', on: true },
      { kind: 'COLOR', color: { r: 1, g: 2, b: 3 } },
      { kind: 'BRIGHTNESS', brightness: 55 },
      { kind: 'WHITE', white: 70 },
      { kind: 'EFFECT', effect: 'FADE_7', speed: 30 },
      { kind: 'SPEED', speed: 90 },
    ]
    for (const p of PROTOCOLS)
      for (const c of changes)
        for (const f of framesFor(p, state({ on: false }), c).frames) expect(f.length).toBeLessThanOrEqual(20)
  })
})

describe('UUIDs', () => {
  test('16-bit, 128-bit, any case, 0x prefix all compare equal; garbage never matches', () => {
    expect(fullUuid('fff0')).toBe('0000FFF0-0000-1000-8000-00805F9B34FB')
    expect(sameUuid('FFF0', '0000fff0-0000-1000-8000-00805f9b34fb')).toBe(true)
    expect(sameUuid('0xFFD5', '0000FFD5-0000-1000-8000-00805F9B34FB')).toBe(true)
    expect(sameUuid('FFF0', 'FFF3')).toBe(false)
    expect(sameUuid('', '')).toBe(false)
    expect(sameUuid('not-a-uuid', 'not-a-uuid')).toBe(false)
    expect(findUuid([{ uuid: '0000fff3-0000-1000-8000-00805f9b34fb' }], 'FFF3')?.uuid).toBe(
      '0000fff3-0000-1000-8000-00805f9b34fb',
    )
  })

  test('found devices are lights by advertised service or, as real ones advertise, by name', () => {
    expect(protocolOfDevice({ advertisServiceUUIDs: ['0000ffd5-0000-1000-8000-00805f9b34fb'] })?.id).toBe('TRIONES')
    expect(
      protocolOfDevice({ advertisServiceUUIDs: ['00001812-0000-1000-8000-00805F9B34FB'], name: 'ELK-BLEDOM' })?.id,
    ).toBe('ELK_BLEDOM')
    expect(protocolOfDevice({ advertisServiceUUIDs: [], localName: 'Triones-0004BB' })?.id).toBe('TRIONES')
    expect(protocolOfDevice({ name: 'QHM-A1B2' })?.id).toBe('TRIONES')
    expect(protocolOfDevice({ name: 'MELK-OA10' })?.id).toBe('ELK_BLEDOM')
    expect(protocolOfDevice({ advertisServiceUUIDs: ['180D'], name: 'Heart' })).toBeUndefined()
    expect(protocolOfDevice({ advertisServiceUUIDs: ['1812'], name: '' })).toBeUndefined()
  })

  test('after connecting the GATT services decide: the guess if it is there, another of ours if not, none otherwise', () => {
    const elkGatt = [{ uuid: '00001800-0000-1000-8000-00805F9B34FB' }, { uuid: '0000FFF0-0000-1000-8000-00805F9B34FB' }]
    expect(confirmProtocol(elkBledom, elkGatt, 'ELK-BLEDOB')).toMatchObject({ id: 'ELK_BLEDOM', variant: 'ELK_07' })
    // Named like a Triones (LEDBLE), built like an ELK strip.
    expect(confirmProtocol(triones, elkGatt, 'LEDBLE-1234')).toMatchObject({ id: 'ELK_BLEDOM', variant: 'ELK_04' })
    expect(confirmProtocol(elkBledom, [{ uuid: 'FFE0' }], 'ELK-BLEDOM')).toBeUndefined()
  })
})

test('hue colours and hex', () => {
  expect(hueColor(0)).toEqual({ r: 255, g: 0, b: 0 })
  expect(hueColor(120)).toEqual({ r: 0, g: 255, b: 0 })
  expect(hueColor(240)).toEqual({ r: 0, g: 0, b: 255 })
  expect(hueColor(60)).toEqual({ r: 255, g: 255, b: 0 })
  expect(hueColor(-60)).toEqual({ r: 255, g: 0, b: 255 })
  expect(hex({ r: 255, g: 147, b: 41 })).toBe('#ff9329')
})
