/**
 * The sandbox's mini-program code is a real PNG: pngjs (an independent decoder) opens it, its
 * CRCs and size are right, and it carries the scene and page for tests.
 */
import { PNG } from 'pngjs'
import { codeWidth, pngText, wxacodePng } from '../../localcloud/wxacode-png'

test('decodes as a square greyscale image of the requested width, with dark and light pixels', () => {
  const png = PNG.sync.read(wxacodePng('s=abc123', 'pages/index/index', 430), { checkCRC: true } as never)
  expect([png.width, png.height]).toEqual([430, 430])
  let dark = 0
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! < 128) dark++
  const share = dark / (430 * 430)
  expect(share).toBeGreaterThan(0.1)
  expect(share).toBeLessThan(0.6)
  // The corners are white (the code is round), the centre disc is dark.
  expect(png.data[0]).toBe(255)
  expect(png.data[(215 * 430 + 215) * 4]).toBe(0)
})

test('different scenes draw different codes; the same scene the same code', () => {
  const a = wxacodePng('s=aaaaaa', 'pages/index/index')
  expect(wxacodePng('s=aaaaaa', 'pages/index/index').equals(a)).toBe(true)
  expect(wxacodePng('s=bbbbbb', 'pages/index/index').equals(a)).toBe(false)
})

test('the scene and page travel in tEXt chunks; width is clamped to 280-1280 as documented', () => {
  expect(pngText(wxacodePng('s=x1', 'pages/rank/index', 280))).toEqual({ scene: 's=x1', page: 'pages/rank/index' })
  expect([codeWidth(undefined), codeWidth(100), codeWidth(5000), codeWidth(300.4)]).toEqual([430, 280, 1280, 300])
})
