/** WeRun page logic as pure functions: the stats beside the chart, and what each failure means. */
import type { StepDay } from '../../../typings/werun'

export type WerunState = 'CHECKING' | 'NEED_AUTH' | 'DENIED' | 'LOADING' | 'READY' | 'ERROR'

export interface Stats {
  total: number
  /** Whole steps per day over the range. */
  average: number
  best: StepDay | null
  /** Days in a row at or over the goal, ending today (or yesterday while today is still under). */
  streak: number
}

export function stats(days: StepDay[], goal: number, today: string): Stats {
  const total = days.reduce((n, d) => n + d.steps, 0)
  const best = days.reduce<StepDay | null>((b, d) => (d.steps > 0 && (!b || d.steps > b.steps) ? d : b), null)
  let i = days.length - 1
  if (i >= 0 && days[i]!.date === today && days[i]!.steps < goal) i -= 1 // today is not over yet
  let streak = 0
  while (i >= 0 && goal > 0 && days[i]!.steps >= goal) {
    streak += 1
    i -= 1
  }
  return { total, average: days.length ? Math.round(total / days.length) : 0, best, streak }
}

/** 12345 → "12,345". */
export function formatSteps(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** Why steps could not be read; each is a sentence of the locale table (pages/werun/texts.ts). */
export type WerunProblem = 'DENIED' | 'NOT_ENABLED' | 'READ_FAILED'

/** What a failed wx.getWeRunData / wx.authorize means for the page. */
export function weRunFailure(errMsg: string): { state: 'DENIED' | 'ERROR'; problem: WerunProblem } {
  if (/auth den|auth deny|authorize:fail|scope unauthorized|permission/i.test(errMsg))
    return { state: 'DENIED', problem: 'DENIED' }
  if (/not (open|enabled)|未开通|werun/i.test(errMsg)) return { state: 'ERROR', problem: 'NOT_ENABLED' }
  return { state: 'ERROR', problem: 'READ_FAILED' }
}
