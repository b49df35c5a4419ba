/**
 * Tap targets at least 44 px (#17): every class a page uses on a tappable element that is not a
 * <button> (segmented-control items, chips, scopes, colour swatches) gets a height of at least
 * 88rpx (44 px on a 375 px wide screen) from app.wxss or its page's WXSS. Read from the styles
 * themselves; the rendered sizes are DevTools' to show.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..', 'miniprogram')
const RPX_PER_PX = 2 // 750rpx across a 375 px screen
const MIN_PX = 44

/** The tappable non-button elements, by page and the class that styles them. */
const TARGETS: Array<[page: string, selector: string]> = [
  ['pages/werun/index', '.seg text'],
  ['pages/rank/index', '.seg text'],
  ['pages/rank/index', '.scope'],
  ['pages/light/index', '.chip'],
  ['pages/light/index', '.swatch'],
]

/** The declarations of rules whose selector list contains `selector` exactly, in order. */
function declarations(wxss: string, selector: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = []
  for (const m of wxss.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    if (
      !m[1]!
        .split(',')
        .map((s) => s.trim())
        .includes(selector)
    )
      continue
    const decl: Record<string, string> = {}
    for (const d of m[2]!.split(';')) {
      const [k, v] = d.split(':').map((s) => s?.trim())
      if (k && v) decl[k] = v
    }
    out.push(decl)
  }
  return out
}

const px = (v: string | undefined) => {
  const m = /^(\d+(?:\.\d+)?)(rpx|px)$/.exec(v ?? '')
  return m ? Number(m[1]) / (m[2] === 'rpx' ? RPX_PER_PX : 1) : 0
}

test.each(TARGETS)('%s: %s is at least 44 px tall', (page, selector) => {
  const app = readFileSync(join(ROOT, 'app.wxss'), 'utf8')
  const own = readFileSync(join(ROOT, `${page}.wxss`), 'utf8')
  // The page's rules come after app.wxss's: the last height or min-height wins.
  const rules = [...declarations(app, selector), ...declarations(own, selector)]
  let height = 0
  for (const r of rules) {
    if (r['min-height']) height = Math.max(height, px(r['min-height']))
    if (r.height) height = Math.max(height, px(r.height))
  }
  expect(height).toBeGreaterThanOrEqual(MIN_PX)
  // The class is really used on that page.
  const wxml = readFileSync(join(ROOT, `${page}.wxml`), 'utf8')
  const cls = selector.split(' ')[0]!.slice(1)
  expect(wxml).toMatch(new RegExp(`class="[^"]*\\b${cls}\\b`))
})

test('the reader of the styles: a smaller size fails', () => {
  expect(declarations('.a, .b { min-height: 60rpx; }', '.b')).toEqual([{ 'min-height': '60rpx' }])
  expect(px('60rpx')).toBeLessThan(MIN_PX)
  expect(px('88rpx')).toBe(MIN_PX)
})
