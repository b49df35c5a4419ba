/**
 * @jest-environment jsdom
 *
 * The step chart: geometry (pure), and the component rendered by the official compiler on a
 * canvas whose drawing calls are compared with the geometry; the empty state; redraw only on change.
 */
import { isEmpty, layout, niceStep, tickLabel } from '../../miniprogram/pages/werun/components/kit-step-chart/geometry'
import { stats, weRunFailure } from '../../miniprogram/pages/werun/logic'
import { canvasLayout, canvases } from '../setup/canvas-fake'
import { createWorld, render, settle } from '../setup/miniprogram'

const week = ['2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'].map(
  (date, i) => ({ date, steps: [3000, 9000, 12000, 0, 8000, 8500, 4000][i]! }),
)
const TODAY = '2026-11-21'

describe('geometry', () => {
  test('round ticks: 1, 2, 2.5, 5 × 10^k, labelled in thousands', () => {
    expect([niceStep(12000), niceStep(9000), niceStep(1000), niceStep(0)]).toEqual([5000, 2500, 250, 1])
    expect([tickLabel(12000), tickLabel(2500), tickLabel(800)]).toEqual(['12k', '2.5k', '800'])
  })

  test('a week in 320×200: the scale covers the best day and the goal; bars sit on the axis in equal slots', () => {
    const g = layout({ days: week, goal: 8000, width: 320, height: 200, mode: 'bar', today: TODAY })
    expect(g.plot).toEqual({ left: 36, top: 10, width: 276, height: 170 })
    expect(g.yMax).toBe(15000)
    expect(g.yTicks.map((t) => t.label)).toEqual(['0', '5k', '10k', '15k'])
    expect(g.yTicks[0]!.y).toBe(180)
    expect(g.goalY).toBeCloseTo(180 - (8000 / 15000) * 170)
    const slot = 276 / 7
    g.bars.forEach((b, i) => {
      expect(b.x + b.w / 2).toBeCloseTo(36 + slot * i + slot / 2)
      expect(b.y + b.h).toBeCloseTo(180)
      expect(b.h).toBeCloseTo((week[i]!.steps / 15000) * 170)
    })
    expect(g.bars.map((b) => b.today)).toEqual([false, false, false, false, false, false, true])
    expect(g.bars.map((b) => b.overGoal)).toEqual([false, true, true, false, true, true, false])
    expect(g.xLabels.map((l) => l.label)).toEqual(['11-15', '11-16', '11-17', '11-18', '11-19', '11-20', '11-21'])
  })

  test('a month labels every 5th day counted back from today', () => {
    // 2026-10-22 … 2026-11-21: labels at 30, 25, … 0 days back from today.
    const month = Array.from({ length: 31 }, (_, i) => ({
      date: new Date(Date.UTC(2026, 9, 22 + i)).toISOString().slice(0, 10),
      steps: 100,
    }))
    const g = layout({ days: month, goal: 0, width: 320, height: 200, mode: 'line', today: '2026-11-21' })
    expect(g.xLabels.map((l) => l.label)).toEqual(['22', '27', '1', '6', '11', '16', '21'])
    expect(g.goalY).toBeNull()
    expect(isEmpty(month)).toBe(false)
    expect(isEmpty(month.map((d) => ({ ...d, steps: 0 })))).toBe(true)
  })
})

describe('stats', () => {
  test('total, average, best day, and the streak over the goal (today counts once reached)', () => {
    expect(stats(week, 8000, TODAY)).toEqual({
      total: 44500,
      average: 6357,
      best: { date: '2026-11-17', steps: 12000 },
      streak: 2,
    })
    const reached = week.map((d) => (d.date === TODAY ? { ...d, steps: 8000 } : d))
    expect(stats(reached, 8000, TODAY).streak).toBe(3)
    expect(stats([], 8000, TODAY)).toEqual({ total: 0, average: 0, best: null, streak: 0 })
  })
  test('failures: a denial leads to settings; WeRun not enabled says where to turn it on', () => {
    expect(weRunFailure('getWeRunData:fail auth deny').state).toBe('DENIED')
    expect(weRunFailure('getWeRunData:fail werun not opened').problem).toBe('NOT_ENABLED')
    expect(weRunFailure('getWeRunData:fail system error').state).toBe('ERROR')
  })
})

describe('the component', () => {
  createWorld({ openid: 'o-chart' })
  let chart: ReturnType<typeof render>

  test('draws bars at the computed places, crisp at the pixel ratio, with the goal line dashed', async () => {
    chart = render('pages/werun/components/kit-step-chart/index', { days: week, goal: 8000, mode: 'bar', today: TODAY })
    chart.attach(document.createElement('parent-wrapper'))
    await settle(10)
    const canvas = canvases.at(-1)!
    expect([canvas.width, canvas.height]).toEqual([canvasLayout.width * 2, canvasLayout.height * 2])
    expect(canvas.ctx.calls('scale')).toEqual([[2, 2]])
    const g = layout({
      days: week,
      goal: 8000,
      width: canvasLayout.width,
      height: canvasLayout.height,
      mode: 'bar',
      today: TODAY,
    })
    expect(canvas.ctx.calls('fillRect')).toEqual(g.bars.map((b) => [b.x, b.y, b.w, b.h]))
    expect(canvas.ctx.calls('setLineDash')).toContainEqual([[4, 3]])
    expect(canvas.ctx.calls('fillText').map((c) => c[0])).toEqual([
      ...g.yTicks.map((t) => t.label),
      ...g.xLabels.map((l) => l.label),
    ])
    expect(chart.querySelector('#chart-empty')).toBeFalsy()
  })

  test('redraws when the data changes, not when it is set again unchanged; a line in line mode', async () => {
    const canvas = canvases.at(-1)!
    canvas.ctx.reset()
    chart.instance.setData({ days: week.map((d) => ({ ...d })) })
    await settle(5)
    expect(canvas.ctx.ops).toEqual([])
    chart.instance.setData({ mode: 'line' })
    await settle(5)
    const g = layout({ days: week, goal: 8000, width: 320, height: 200, mode: 'line', today: TODAY })
    expect(canvas.ctx.calls('lineTo').slice(g.yTicks.length, g.yTicks.length + 6)).toEqual(
      g.points.slice(1).map((p) => [p.x, p.y]),
    )
    expect(canvas.ctx.calls('arc')).toEqual([[g.points[6]!.x, g.points[6]!.y, 3.5, 0, 2 * Math.PI]])
    expect(canvas.ctx.calls('fillRect')).toEqual([])
  })

  test('no data: the empty message, and the canvas is only cleared', async () => {
    const canvas = canvases.at(-1)!
    canvas.ctx.reset()
    chart.instance.setData({ days: week.map((d) => ({ ...d, steps: 0 })) })
    await settle(5)
    expect(chart.querySelector('#chart-empty')).toBeTruthy()
    expect(canvas.ctx.calls('clearRect')).toEqual([[0, 0, 320, 200]])
    expect(canvas.ctx.calls('fillRect')).toEqual([])
  })
})
