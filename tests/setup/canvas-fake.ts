/**
 * `<canvas type="2d">` for page tests. miniprogram-simulate (j-component) renders the canvas
 * element but its SelectorQuery has no `fields({ node: true })` and jsdom lays nothing out, so
 * this adds what the client documents (canvas/Canvas.html, SelectorQuery NodesRef.fields):
 * `node` is a Canvas whose `width`/`height` are the backing store and whose getContext('2d')
 * draws; `size` is the element's CSS size. The context records every call and property set,
 * so tests can compare the drawing with the computed geometry.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SelectorQuery = require('j-component/src/tool/selectorquery') as { prototype: Record<string, any> }

export type CanvasOp = [name: string, ...args: unknown[]]

export class FakeContext2D {
  readonly ops: CanvasOp[] = []
  private state: Record<string, unknown> = {}
  constructor() {
    return new Proxy(this, {
      get(t, k: string | symbol) {
        if (k in t || typeof k === 'symbol') return Reflect.get(t, k)
        if (k in t.state) return t.state[k]
        return (...args: unknown[]) => {
          t.ops.push([k, ...args])
        }
      },
      set(t, k: string | symbol, v: unknown) {
        if (typeof k === 'symbol' || k in t) return Reflect.set(t, k, v)
        t.state[k] = v
        t.ops.push([`set:${k}`, v])
        return true
      },
    })
  }
  /** The calls named `name`, with their arguments. */
  calls(name: string): unknown[][] {
    return this.ops.filter((o) => o[0] === name).map((o) => o.slice(1))
  }
  reset(): void {
    this.ops.length = 0
  }
}

export class FakeCanvas {
  width = 300
  height = 150
  readonly ctx = new FakeContext2D()
  contexts = 0
  /** Canvas.createImage(): an image that loads (async) when given a src; `failSrc` makes that src fail. */
  createImage(): { src: string; onload: (() => void) | null; onerror: ((e: unknown) => void) | null } {
    const img = {
      onload: null as (() => void) | null,
      onerror: null as ((e: unknown) => void) | null,
      _src: '',
      get src() {
        return this._src
      },
      set src(v: string) {
        this._src = v
        setTimeout(
          () => (v && !v.includes('missing') ? this.onload?.() : this.onerror?.({ errMsg: 'image load fail' })),
          0,
        )
      },
    }
    return img
  }
  getContext(kind: string): FakeContext2D | null {
    if (kind !== '2d') return null
    this.contexts += 1
    return this.ctx
  }
}

/** The CSS size every canvas reports (what layout would give it). */
export const canvasLayout = { width: 320, height: 200 }
/** Every canvas node handed out, in order. */
export const canvases: FakeCanvas[] = []
const byElement = new WeakMap<object, FakeCanvas>()

const isCanvas = (n: any) => String(n?.$$?.tagName ?? '').toLowerCase() === 'wx-canvas'

const exec = SelectorQuery.prototype.exec as (this: any, cb?: (res: unknown[]) => void) => unknown
SelectorQuery.prototype.exec = function (this: any, callback?: (res: unknown[]) => void) {
  const items = (
    this._queue as Array<{
      selector: string
      exparserNode: any
      isSelectSingle: boolean
      fields: Record<string, unknown>
    }>
  ).slice()
  return exec.call(this, (res: unknown[]) => {
    items.forEach((item, i) => {
      if (!item.exparserNode || !(item.fields.node || item.fields.size)) return
      const root = item.exparserNode.shadowRoot
      const nodes = item.isSelectSingle
        ? [root.querySelector(item.selector)]
        : [...root.querySelectorAll(item.selector)]
      const entries = (item.isSelectSingle ? [res[i]] : (res[i] as unknown[])) as Array<Record<string, unknown> | null>
      nodes.forEach((node, j) => {
        const entry = entries[j]
        if (!entry || !isCanvas(node)) return
        if (item.fields.node) {
          let c = byElement.get(node)
          if (!c) {
            c = new FakeCanvas()
            byElement.set(node, c)
            canvases.push(c)
          }
          entry.node = c
        }
        if (item.fields.size) Object.assign(entry, canvasLayout)
      })
    })
    callback?.(res)
  })
}

/** The canvas a page drew on, by the exparser node of its <canvas> (the gallery replays its calls on a real canvas). */
export function canvasOf(node: object): FakeCanvas | undefined {
  return byElement.get(node)
}
