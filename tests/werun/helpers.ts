/** WeRun test data: step lists as WeChat's getWeRunData gives them (timestamp: the day's 00:00 Beijing, seconds). */
import { beijingDate } from '../../server/werun/days'

const DAY = 86_400_000

/** Midnight (Beijing) of the day `daysAgo` before now, in seconds. */
export function dayStart(daysAgo: number, now = Date.now()): number {
  const date = beijingDate(now - daysAgo * DAY)
  return Date.parse(`${date}T00:00:00+08:00`) / 1000
}

/** The last `n` days (oldest first) with the given steps (a function of days ago). */
export function stepList(
  n: number,
  steps: (daysAgo: number) => number,
  now = Date.now(),
): Array<{ timestamp: number; step: number }> {
  const out = []
  for (let i = n - 1; i >= 0; i--) out.push({ timestamp: dayStart(i, now), step: steps(i) })
  return out
}
