/** WeRun days, as pure functions: WeChat's timestamps to Beijing dates, and the range ending today. */
import type { StepDay, WeRunData } from '../../typings/werun'
import { beijingWallClock } from '../time'

const DAY_MS = 86_400_000

/** YYYY-MM-DD of an instant, in Beijing time. */
export function beijingDate(ms: number): string {
  return beijingWallClock(ms).toISOString().slice(0, 10)
}

/**
 * The days of a WeRun payload: one per date (a repeated date keeps its largest count), steps
 * clamped to whole non-negative numbers, oldest first. Entries with a broken timestamp are dropped.
 */
export function toDays(data: WeRunData, now = Date.now()): StepDay[] {
  // WeChat gives the last 31 days ending today (Beijing): a day after today, or older than that
  // window, is not WeRun's (and would let one sync write any number of records).
  const window = new Set(lastDates(WERUN_DAYS, now))
  const byDate = new Map<string, number>()
  for (const e of Array.isArray(data.stepInfoList) ? data.stepInfoList : []) {
    if (!Number.isFinite(e?.timestamp) || e.timestamp <= 0) continue
    const steps = Math.max(0, Math.min(1_000_000, Math.floor(Number(e.step) || 0)))
    const date = beijingDate(e.timestamp * 1000)
    if (!window.has(date)) continue
    byDate.set(date, Math.max(steps, byDate.get(date) ?? 0))
  }
  return [...byDate.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, steps]) => ({ date, steps }))
}

/** How many days wx.getWeRunData covers. */
export const WERUN_DAYS = 31

/** The `n` dates ending with today's (Beijing), oldest first. */
export function lastDates(n: number, now: number): string[] {
  const out: string[] = []
  for (let i = n - 1; i >= 0; i--) out.push(beijingDate(now - i * DAY_MS))
  return out
}

/**
 * The dates of the calendar week (本周: Monday to Sunday, Beijing) up to today, oldest first: the
 * week board's days. Its first date is the week's key.
 */
export function weekDates(now: number): string[] {
  // getUTCDay of the shifted instant is the Beijing weekday (0 Sunday … 6 Saturday).
  const weekday = beijingWallClock(now).getUTCDay()
  const sinceMonday = (weekday + 6) % 7
  return lastDates(sinceMonday + 1, now)
}
