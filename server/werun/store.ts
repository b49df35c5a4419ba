/**
 * WeRun's records (collections werun_days, one per user per Beijing date, and werun_syncs), the
 * daily goal, and the one write rule: a day's count is kept only when it grew (db.command.max),
 * so a late older snapshot never lowers it. Pure of valibot: rank, share and user read DAYS.
 */
import type { StepDay } from '../../typings/werun'
import { db, updateElseAdd } from '../db'

export const DAYS = 'werun_days'
export const SYNCS = 'werun_syncs'

/** A day's record: `<openid>:<date>`, readable by its owner. */
export interface DayDoc {
  _id: string
  _openid: string
  date: string
  steps: number
  updatedAt: Date
}

/** The daily goal: WERUN_GOAL when it is a whole number from 1000 to 100000, else 8000. */
export const goal = () => {
  const n = Number(process.env.WERUN_GOAL)
  return Number.isInteger(n) && n >= 1000 && n <= 100_000 ? n : 8000
}

/**
 * One day's count, kept only when larger than the stored one (a concurrent older snapshot of the
 * same phone never lowers it): a new day is added under its deterministic id; an existing one is
 * raised with the `max` update operator (db.command.max), which compares inside the database.
 */
export async function keepLarger(openid: string, d: StepDay, stored: boolean, now: Date): Promise<void> {
  const _ = db().command
  // A day not stored yet starts with the add; one a concurrent sync added meanwhile is raised.
  await updateElseAdd(
    DAYS,
    `${openid}:${d.date}`,
    {},
    { steps: _.max(d.steps), updatedAt: now },
    { _openid: openid, date: d.date, steps: d.steps, updatedAt: now },
    stored,
  )
}
