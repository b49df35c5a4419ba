/**
 * A rendered page (miniprogram-simulate, the page tests' harness) as a standalone HTML file a
 * browser can lay out: an approximation of what DevTools shows, which stays the reference.
 * - The DOM is simulate's, with each component's class prefix (`main--card`) taken off: WeUI's
 *   and the kit's styles are global (`useExtendedLib.weui`, app.wxss, components share styles).
 * - The attributes of built-in components (button type and size, input value, switch, slider)
 *   live in j-component's virtual tree, not the DOM: they are copied to `data-wx-*`.
 * - Styles: WeUI's stylesheet, app.wxss, the page's and components' WXSS, rpx at a 375 px wide
 *   screen (750rpx = 375 px), `page` as `body`, plus base-library approximations of WeChat's
 *   built-in components (base.css).
 * - A <canvas type="2d"> becomes a real canvas replaying the calls the page made on it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { canvasOf } from '../setup/canvas-fake'
import { MINIPROGRAM, type Rendered } from '../setup/miniprogram'

const WEUI_DIST = join(__dirname, '..', '..', 'node_modules', 'weui-miniprogram', 'miniprogram_dist')
/** 750rpx across a 375 px wide screen. */
const PX_PER_RPX = 375 / 750
/** The built-in attributes the base styles read. */
const WX_ATTRS = ['type', 'size', 'disabled', 'loading', 'value', 'placeholder', 'checked', 'min', 'max']
/** The component tags whose class prefix simulate adds. */
const PREFIX = /^(?:main|kit-state|kit-privacy|kit-step-chart|mp-[a-z-]+)--/

/** Built-in components a WXSS selector can name, rendered by simulate as `wx-<name>`. */
const BUILT_INS = 'text|view|button|input|image|switch|slider|canvas|scroll-view|form|icon|navigator'
const BUILT_IN_SELECTOR = new RegExp(`(^|[\\s,>+~(])(${BUILT_INS})(?=$|[\\s,.:[>+~)])`, 'g')

/** WXSS as CSS: rpx to px; in selectors, WeChat's `page` as the body and built-ins as wx-*. */
export function wxssToCss(wxss: string): string {
  return wxss
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(-?\d*\.?\d+)rpx/g, (_, n: string) => `${+(Number(n) * PX_PER_RPX).toFixed(2)}px`)
    .replace(
      /(^|[{}])([^{}@]+)\{/g,
      (_, open: string, selector: string) =>
        `${open}${selector.replace(/(^|[\s,])page(?=$|[\s,.:[])/g, '$1body').replace(BUILT_IN_SELECTOR, '$1wx-$2')}{`,
    )
}

/** The stylesheet every gallery page shares: WeUI, the base-library approximations, app.wxss. */
export function sharedCss(): string {
  const weui = ['weui-wxss/dist/style/weui.wxss', 'cells/cells.wxss', 'cell/cell.wxss', 'loading/loading.wxss'].map(
    (f) => readFileSync(join(WEUI_DIST, f), 'utf8'),
  )
  return [
    readFileSync(join(__dirname, 'base.css'), 'utf8'),
    ...weui.map(wxssToCss),
    wxssToCss(readFileSync(join(MINIPROGRAM, 'app.wxss'), 'utf8')),
  ].join('\n')
}

/** The page's own styles and the kit components' (after the shared sheet, as WeChat orders them). */
export function pageCss(path: string): string {
  const files = [
    `${path}.wxss`,
    'components/kit-state/index.wxss',
    'components/kit-privacy/index.wxss',
    'pages/werun/components/kit-step-chart/index.wxss',
  ]
  return [...new Set(files)].map((f) => wxssToCss(readFileSync(join(MINIPROGRAM, f), 'utf8'))).join('\n')
}

type ExNode = {
  $$?: HTMLElement
  _vt?: { attrs?: Array<{ name: string; value: unknown }> }
  shadowRoot?: ExNode
  childNodes?: ExNode[]
}

/** Copies built-in attributes and canvas drawings onto the live DOM (before it is serialised). */
function annotate(node: ExNode): void {
  const dom = node.$$
  if (dom && dom.setAttribute) {
    for (const a of node._vt?.attrs ?? []) {
      if (WX_ATTRS.includes(a.name) && a.value !== undefined && a.value !== null && a.value !== '')
        dom.setAttribute(`data-wx-${a.name}`, String(a.value))
    }
    const canvas = canvasOf(node)
    if (canvas) {
      dom.setAttribute(
        'data-canvas',
        JSON.stringify({ width: canvas.width, height: canvas.height, ops: canvas.ctx.ops }),
      )
    }
  }
  if (node.shadowRoot) annotate(node.shadowRoot)
  for (const child of node.childNodes ?? []) annotate(child)
}

/** The page's body markup: annotated, un-prefixed, sliders positioned. */
export function pageMarkup(page: Rendered): string {
  annotate((page as unknown as { _exparserNode: ExNode })._exparserNode)
  const clone = page.dom.cloneNode(true) as HTMLElement
  for (const el of [clone, ...Array.from(clone.querySelectorAll('*'))]) {
    const cls = el.getAttribute('class')
    if (cls)
      el.setAttribute(
        'class',
        cls
          .split(/\s+/)
          .map((c) => c.replace(PREFIX, ''))
          .join(' '),
      )
    if (el.tagName === 'WX-SLIDER') {
      const min = Number(el.getAttribute('data-wx-min') ?? 0)
      const max = Number(el.getAttribute('data-wx-max') ?? 100)
      const value = Number(el.getAttribute('data-wx-value') ?? min)
      el.setAttribute(
        'style',
        `${el.getAttribute('style') ?? ''};--pos:${max > min ? ((value - min) / (max - min)) * 100 : 0}%`,
      )
    }
  }
  return clone.innerHTML
}

/** Replays each canvas's recorded 2d calls on a real canvas, at its backing-store size. */
const CANVAS_SCRIPT = `
for (const el of document.querySelectorAll('[data-canvas]')) {
  const { width, height, ops } = JSON.parse(el.getAttribute('data-canvas'))
  const c = document.createElement('canvas')
  c.width = width; c.height = height
  c.className = el.className
  c.style.cssText = el.style.cssText
  const ctx = c.getContext('2d')
  for (const [name, ...args] of ops) {
    if (name.startsWith('set:')) ctx[name.slice(4)] = args[0]
    else if (typeof ctx[name] === 'function') ctx[name](...args)
  }
  el.replaceWith(c)
}
`

export function galleryHtml(opts: { title: string; lang: string; body: string; css: string }): string {
  return `<!doctype html>
<html lang="${opts.lang === 'zh_CN' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${opts.title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="shared.css"><style>${opts.css}</style></head>
<body>${opts.body}<script>${CANVAS_SCRIPT}</script></body></html>
`
}
