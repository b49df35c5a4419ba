/**
 * The lights the simulated Bluetooth world (ble-fake.ts) holds: a peripheral's services and
 * characteristics with their properties, written back in the UUID style a phone reports (Android:
 * 128-bit upper case; iOS may give 16-bit short forms or lower case), and the two lights the
 * protocols know: an ELK-BLEDOM strip (FFF0 / FFF3, no status) and a Triones light (FFD5 / FFD9,
 * status notifications on FFD4).
 */

export type UuidStyle = 'full-upper' | 'full-lower' | 'short'

export interface Characteristic {
  uuid: string
  properties: { read: boolean; write: boolean; writeNoResponse: boolean; notify: boolean; indicate: boolean }
}

export interface Peripheral {
  deviceId: string
  name: string
  rssi: number
  advertised: string[]
  gatt: Array<{ uuid: string; characteristics: Characteristic[] }>
  uuidStyle: UuidStyle
  /** ms after the scan starts when the first advertisement is seen. */
  foundAfterMs: number
  /** false: out of reach (connections time out). */
  inRange: boolean
  /** With inRange false: createBLEConnection never answers (ignoring `timeout`). */
  hangs: boolean
  /** The next n connection attempts are refused with 10003. */
  refuseConnections: number
  connected: boolean
  /** Every successful write, in order. */
  received: number[][]
  notifying: Set<string>
  /** What a Triones light shows (for its status notifications). */
  triones: { on: boolean; mode: number; speed: number; r: number; g: number; b: number; w: number }
  /** Services come back empty this many times right after connecting (an Android quirk). */
  emptyServices: number
}

// UUID forms are handled here on their own, not with the page's protocol/uuid.ts: the fake must not share the code it tests.
export const full = (u: string) =>
  /^[0-9a-f]{4}$/i.test(u) ? `0000${u.toUpperCase()}-0000-1000-8000-00805F9B34FB` : u.toUpperCase()
export const styled = (u: string, style: UuidStyle) =>
  style === 'short' ? u.toUpperCase() : style === 'full-lower' ? full(u).toLowerCase() : full(u)
export const same = (a: string, b: string) => full(a) === full(b)

const prop = (p: Partial<Characteristic['properties']>): Characteristic['properties'] => ({
  read: false,
  write: false,
  writeNoResponse: false,
  notify: false,
  indicate: false,
  ...p,
})

export function elkPeripheral(over: Partial<Peripheral> = {}): Peripheral {
  return {
    deviceId: 'BE:FF:20:00:0A:01',
    name: 'ELK-BLEDOM',
    rssi: -58,
    // What real ELK-BLEDOM strips advertise: the HID service, not FFF0 (public scans, e.g. Home
    // Assistant's integrations, find them by name).
    advertised: ['1812'],
    gatt: [
      {
        uuid: 'FFF0',
        characteristics: [
          { uuid: 'FFF3', properties: prop({ write: true, writeNoResponse: true }) },
          { uuid: 'FFF4', properties: prop({ read: true, notify: true }) },
        ],
      },
      { uuid: '180A', characteristics: [{ uuid: '2A29', properties: prop({ read: true }) }] },
    ],
    uuidStyle: 'full-upper',
    foundAfterMs: 5,
    inRange: true,
    hangs: false,
    refuseConnections: 0,
    connected: false,
    received: [],
    notifying: new Set(),
    triones: { on: true, mode: 0x41, speed: 0x10, r: 0, g: 0, b: 0, w: 0 },
    emptyServices: 0,
    ...over,
  }
}

export function trionesPeripheral(over: Partial<Peripheral> = {}): Peripheral {
  return elkPeripheral({
    deviceId: '53:02:02:00:04:BB',
    name: 'Triones-0004BB',
    rssi: -72,
    advertised: [], // Triones lights advertise no service at all
    gatt: [
      { uuid: 'FFD5', characteristics: [{ uuid: 'FFD9', properties: prop({ write: true, writeNoResponse: true }) }] },
      { uuid: 'FFD0', characteristics: [{ uuid: 'FFD4', properties: prop({ notify: true }) }] },
    ],
    triones: { on: true, mode: 0x41, speed: 0x10, r: 0x12, g: 0x34, b: 0x56, w: 0 },
    ...over,
  })
}

/** Bytes as upper-case hex pairs separated by spaces (how the tests name frames). */
export const hexOf = (bytes: number[] | Uint8Array) =>
  [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')
