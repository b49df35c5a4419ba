/**
 * Draws a computed Geometry on a 2D context (the subset of CanvasRenderingContext2D used).
 * Kept apart from the component so tests can check the calls against the geometry.
 */
import type { ChartMode, Geometry } from './geometry'

export interface Ctx2D {
  clearRect(x: number, y: number, w: number, h: number): void
  fillRect(x: number, y: number, w: number, h: number): void
  beginPath(): void
  moveTo(x: number, y: number): void
  lineTo(x: number, y: number): void
  arc(x: number, y: number, r: number, a0: number, a1: number): void
  stroke(): void
  fill(): void
  fillText(text: string, x: number, y: number): void
  setLineDash(segments: number[]): void
  fillStyle: string
  strokeStyle: string
  lineWidth: number
  font: string
  textAlign: string
  textBaseline: string
}

/** A canvas cannot read CSS variables: WeUI's palette by value (BRAND #07c160, RED #fa5151, ORANGE #fa9d3b, FG-1, FG-3 on white). */
export const COLORS = {
  axis: '#e5e5e5',
  label: '#737373',
  bar: '#9ad0b4',
  overGoal: '#07c160',
  today: '#fa9d3b',
  goal: '#fa5151',
  line: '#07c160',
}

export function paint(ctx: Ctx2D, g: Geometry, mode: ChartMode, width: number, height: number): void {
  ctx.clearRect(0, 0, width, height)
  ctx.font = '10px sans-serif'
  ctx.lineWidth = 1
  ctx.setLineDash([])
  // Grid and y labels.
  ctx.textAlign = 'right'
  ctx.textBaseline = 'middle'
  for (const t of g.yTicks) {
    ctx.strokeStyle = COLORS.axis
    ctx.beginPath()
    ctx.moveTo(g.plot.left, t.y)
    ctx.lineTo(g.plot.left + g.plot.width, t.y)
    ctx.stroke()
    ctx.fillStyle = COLORS.label
    ctx.fillText(t.label, g.plot.left - 4, t.y)
  }
  if (mode === 'bar') {
    for (const b of g.bars) {
      ctx.fillStyle = b.today ? COLORS.today : b.overGoal ? COLORS.overGoal : COLORS.bar
      ctx.fillRect(b.x, b.y, b.w, b.h)
    }
  } else if (g.points.length) {
    ctx.strokeStyle = COLORS.line
    ctx.lineWidth = 2
    ctx.beginPath()
    g.points.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)))
    ctx.stroke()
    for (const p of g.points.filter((q) => q.today)) {
      ctx.fillStyle = COLORS.today
      ctx.beginPath()
      ctx.arc(p.x, p.y, 3.5, 0, 2 * Math.PI)
      ctx.fill()
    }
  }
  if (g.goalY !== null) {
    ctx.strokeStyle = COLORS.goal
    ctx.lineWidth = 1
    ctx.setLineDash([4, 3])
    ctx.beginPath()
    ctx.moveTo(g.plot.left, g.goalY)
    ctx.lineTo(g.plot.left + g.plot.width, g.goalY)
    ctx.stroke()
    ctx.setLineDash([])
  }
  ctx.textAlign = 'center'
  ctx.textBaseline = 'top'
  ctx.fillStyle = COLORS.label
  for (const l of g.xLabels) ctx.fillText(l.label, l.x, g.plot.top + g.plot.height + 4)
}
