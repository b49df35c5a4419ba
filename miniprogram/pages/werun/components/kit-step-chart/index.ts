/**
 * <kit-step-chart days goal mode today height>: WeRun steps on a `<canvas type="2d">`, as bars or a
 * line, with axis labels, a dashed goal line and today highlighted. Crisp on high-DPR screens
 * (the backing store is scaled by the pixel ratio). It draws only when the data or its size
 * changed: the geometry's inputs are compared with what was last drawn.
 */
import type { StepDay } from '../../../../../typings/werun'
import { isEmpty, layout } from './geometry'
import type { ChartMode } from './geometry'
import { paint } from './paint'
import type { Ctx2D } from './paint'

interface CanvasNode {
  width: number
  height: number
  getContext(kind: '2d'): Ctx2D & {
    scale(x: number, y: number): void
    setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void
  }
}

Component({
  properties: {
    days: { type: Array, value: [] as StepDay[] },
    goal: { type: Number, value: 0 },
    mode: { type: String, value: 'bar' },
    today: { type: String, value: '' },
    height: { type: Number, value: 200 },
    /** The chart in words, for screen readers (the canvas itself says nothing). */
    summary: { type: String, value: '' },
    /** Shown over an empty chart, in the user's language. */
    emptyText: { type: String, value: '' },
  },
  data: { empty: true },
  observers: {
    'days, goal, mode, today': function () {
      this.redraw()
    },
  },
  lifetimes: {
    ready() {
      this.redraw()
    },
  },
  pageLifetimes: {
    resize() {
      ;(this as unknown as { size: null }).size = null // measure again
      this.redraw()
    },
  },
  methods: {
    /** Draws when something changed since the last drawing. */
    redraw() {
      const self = this as unknown as {
        drawnKey?: string
        size: { width: number; height: number } | null
        canvas?: CanvasNode
      }
      const days = this.data.days as StepDay[]
      const empty = isEmpty(days)
      if (empty !== this.data.empty) this.setData({ empty })
      this.measure((canvas, width, height) => {
        const key = JSON.stringify([days, this.data.goal, this.data.mode, this.data.today, width, height])
        if (key === self.drawnKey) return
        self.drawnKey = key
        const dpr = wx.getWindowInfo().pixelRatio || 1
        canvas.width = Math.round(width * dpr)
        canvas.height = Math.round(height * dpr)
        const ctx = canvas.getContext('2d')
        ctx.setTransform(1, 0, 0, 1, 0, 0)
        ctx.scale(dpr, dpr)
        if (empty) {
          ctx.clearRect(0, 0, width, height)
          return
        }
        const g = layout({
          days,
          goal: this.data.goal as number,
          width,
          height,
          mode: this.data.mode as ChartMode,
          today: this.data.today as string,
        })
        paint(ctx, g, this.data.mode as ChartMode, width, height)
      })
    },
    /** The canvas node and its CSS size (queried once, again after a resize). */
    measure(then: (canvas: CanvasNode, width: number, height: number) => void) {
      const self = this as unknown as { size: { width: number; height: number } | null; canvas?: CanvasNode }
      if (self.canvas && self.size) return then(self.canvas, self.size.width, self.size.height)
      this.createSelectorQuery()
        .select('#chart')
        .fields({ node: true, size: true })
        .exec((res: Array<{ node?: CanvasNode; width?: number; height?: number } | null>) => {
          const r = res[0]
          if (!r?.node || !r.width || !r.height) return // not laid out yet: ready() or resize() will come
          self.canvas = r.node
          self.size = { width: r.width, height: r.height }
          then(r.node, r.width, r.height)
        })
    },
  },
})
