/**
 * The sandbox's mini-program code (wxacode.getUnlimited): a real PNG that any decoder (the
 * page's canvas, a browser, an image viewer) opens, drawn like WeChat's round "sun" code: three
 * eyes, a centre disc and radial bars whose lengths come from the scene and page, so two codes
 * for different scenes look different. The scene and page also travel in tEXt chunks, which
 * decoders ignore and tests read back (what a scan of the code would open).
 * A PNG of 8-bit greyscale is a few lines over node:zlib: no image library is needed for it.
 */
import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'

const SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex')

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(buf: Buffer): number {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/** An 8-bit greyscale PNG of `size` × `size` from `shade(x, y)` (0 black … 255 white), with tEXt entries. */
export function greyPng(
  size: number,
  shade: (x: number, y: number) => number,
  text: Record<string, string> = {},
): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // colour type: greyscale
  const raw = Buffer.alloc((size + 1) * size)
  for (let y = 0; y < size; y++) {
    raw[y * (size + 1)] = 0 // filter: none
    for (let x = 0; x < size; x++) raw[y * (size + 1) + 1 + x] = shade(x, y)
  }
  const texts = Object.entries(text).map(([k, v]) => chunk('tEXt', Buffer.from(`${k}\0${v}`, 'latin1')))
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    ...texts,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** getUnlimited's `width`: 280 to 1280 pixels, 430 by default. */
export function codeWidth(width: unknown): number {
  const n = typeof width === 'number' && Number.isFinite(width) ? Math.round(width) : 430
  return Math.min(1280, Math.max(280, n))
}

const BARS = 64

/** The code for `scene` and `page`, `width` pixels square. */
export function wxacodePng(scene: string, page: string, width = 430): Buffer {
  const size = codeWidth(width)
  const bits = createHash('sha256').update(`${page}\n${scene}`).digest()
  const c = size / 2
  const eye = (x: number, y: number, ex: number, ey: number) => {
    const d = Math.hypot(x - ex, y - ey) / size
    return d < 0.035 || (d > 0.055 && d < 0.075)
  }
  const eyes: Array<[number, number]> = [
    [0.2, 0.2],
    [0.8, 0.2],
    [0.2, 0.8],
  ].map(([a, b]) => [a! * size, b! * size])
  return greyPng(
    size,
    (x, y) => {
      const r = Math.hypot(x - c, y - c) / size
      if (r > 0.49) return 255
      if (eyes.some(([ex, ey]) => eye(x, y, ex, ey))) return 0
      if (r < 0.1) return 0 // centre disc (where WeChat puts the avatar)
      if (r < 0.13) return 255
      const angle = (Math.atan2(y - c, x - c) + Math.PI) / (2 * Math.PI)
      const slot = angle * BARS
      const bar = Math.floor(slot)
      if (slot - bar > 0.55) return 255 // gap between bars
      const length = 0.16 + (bits[bar % bits.length]! / 255) * 0.2
      return r < length + (bar >= 32 ? 0.02 : 0) && r > 0.15 ? 0 : 255
    },
    { scene, page },
  )
}

/** The tEXt entries of a PNG (what a test, or a scan, reads back). */
export function pngText(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  for (let at = 8; at + 8 <= png.length;) {
    const len = png.readUInt32BE(at)
    const type = png.toString('latin1', at + 4, at + 8)
    if (type === 'tEXt') {
      const data = png.subarray(at + 8, at + 8 + len)
      const nul = data.indexOf(0)
      out[data.toString('latin1', 0, nul)] = data.toString('latin1', nul + 1)
    }
    at += 12 + len
  }
  return out
}
