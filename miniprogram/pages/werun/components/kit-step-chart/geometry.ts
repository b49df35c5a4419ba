/**
 * Step-chart geometry as pure functions: the value scale with round ticks, bar and point
 * positions, the goal line, the axis labels. Units are CSS pixels; the component scales by the
 * pixel ratio when it draws.
 */
import type { StepDay } from '../../../../../typings/werun'

export type ChartMode = 'bar' | 'line'

export interface ChartInput {
  days: StepDay[]
  goal: number
  width: number
  height: number
  mode: ChartMode
  today: string
}

export interface Mark {
  x: number
  y: number
  date: string
  steps: number
  today: boolean
  overGoal: boolean
}

export interface Geometry {
  plot: { left: number; top: number; width: number; height: number }
  yMax: number
  yTicks: Array<{ value: number; y: number; label: string }>
  goalY: number | null
  /** Bars: x is the left edge, y the top, w and h the size. */
  bars: Array<Mark & { w: number; h: number }>
  /** Line points: x, y is the point. */
  points: Mark[]
  xLabels: Array<{ x: number; label: string }>
}

export const PADDING = { left: 36, right: 8, top: 10, bottom: 20 }

/** A round step (1, 2, 2.5 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1
  const raw = max / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const f = raw / mag
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10
  return nice * mag
}

/** 12000 → "12k", 2500 → "2.5k", 800 → "800". */
export function tickLabel(v: number): string {
  return v >= 1000 ? `${Number((v / 1000).toFixed(1))}k` : String(v)
}

export function layout(input: ChartInput): Geometry {
  const { days, goal, width, height, today } = input
  const plot = {
    left: PADDING.left,
    top: PADDING.top,
    width: Math.max(0, width - PADDING.left - PADDING.right),
    height: Math.max(0, height - PADDING.top - PADDING.bottom),
  }
  const top = Math.max(goal, ...days.map((d) => d.steps), 0)
  const step = niceStep(top || 1)
  const yMax = Math.max(step, Math.ceil(top / step) * step)
  const yOf = (v: number) => plot.top + plot.height - (v / yMax) * plot.height
  const yTicks: Geometry['yTicks'] = []
  for (let v = 0; v <= yMax + 1e-9; v += step) yTicks.push({ value: v, y: yOf(v), label: tickLabel(v) })

  const n = days.length
  const slot = n ? plot.width / n : 0
  const barW = Math.max(1, slot * (n > 10 ? 0.7 : 0.55))
  const marks = days.map((d, i) => ({
    x: plot.left + slot * i + slot / 2,
    y: yOf(d.steps),
    date: d.date,
    steps: d.steps,
    today: d.date === today,
    overGoal: goal > 0 && d.steps >= goal,
  }))
  const bars = marks.map((m) => ({ ...m, x: m.x - barW / 2, w: barW, h: plot.top + plot.height - m.y }))

  // Every day on a week; on a month every 5th day counted back from today, so today always has a label.
  const every = n <= 7 ? 1 : 5
  const xLabels = marks
    .filter((_, i) => (n - 1 - i) % every === 0)
    .map((m) => ({ x: m.x, label: n <= 7 ? m.date.slice(5) : String(Number(m.date.slice(8))) }))

  return { plot, yMax, yTicks, goalY: goal > 0 ? yOf(goal) : null, bars, points: marks, xLabels }
}

/** True when there is nothing to draw (no days, or no steps on any of them). */
export function isEmpty(days: StepDay[]): boolean {
  return !days.some((d) => d.steps > 0)
}
