/**
 * Precomputed step boards (#18, #26). A board row is a document of `rank_boards`:
 *   _id `<scope>|<period>|<key>|<openid>`, scope `all` or a group's opengid, period `today` or
 *   `week`, key the board's own: today's Beijing date, or the Monday of the calendar week (本周).
 * Index `scope_period_key_steps` (scope, period, key, steps desc) answers a board with one read
 * and "my place" with one count, whatever the number of users.
 *
 * Why a calendar week and not the last 7 days: a rolling window changes every member's total at
 * every midnight (a day drops out), which is a write per member per day (240,000 at 100k members,
 * 8 days of CloudBase's base write quota). A calendar week changes only when the member's own
 * steps do, and a new day or week is a new key that starts empty: midnight costs nothing, and the
 * boards are right at 00:00:00 (nobody has walked yet today; this week's totals stand until Monday).
 *
 * Who writes them, each only its own rows:
 * - `werun.sync`, `rank.optIn` and `share.groupEnter`: the caller's rows at once (the user sees
 *   their change), each write checked against the member, groups and days read after it;
 * - `rank.optOut`: marks the member LEFT, then removes the caller's rows;
 * - `user.updateProfile`: a member's new name and avatar on their rows.
 * The `rank` timer writes no member's rows: it finishes joins and leaves cut off half-way, forgets
 * old tombstones and removes the keys of past days and weeks (maintainBoards).
 * Pure parts (keys, totals, ids, rows) are plain functions; the rest only reads and writes.
 */
import type { RankPeriod } from '../../typings/rank'
import { beijingDate, weekDates } from '../werun/days'

export const BOARDS = 'rank_boards'
export const MEMBERS = 'rank_members'
export const GROUPS = 'group_members'
/** The board of everyone who opted in (an opengid is 8-64 characters, so never this). */
export const ALL = 'all'
export const PERIODS: readonly RankPeriod[] = ['today', 'week']

/** The dates a period's board counts: today, or this calendar week up to today (Beijing). */
export function periodDates(period: RankPeriod, now: number): string[] {
  return period === 'today' ? [beijingDate(now)] : weekDates(now)
}

/** A period's board key now: today's date, or the date of this week's Monday. */
export function periodKey(period: RankPeriod, now: number): string {
  return periodDates(period, now)[0]!
}

export const periodKeys = (now: number): Record<RankPeriod, string> => ({
  today: periodKey('today', now),
  week: periodKey('week', now),
})
/** Writes in flight at once (CloudBase limits a function's concurrent database requests). */
export const WRITE_CONCURRENCY = 10
/** Groups of one user that take part in boards (the most group_members a user's query reads). */
export const MAX_GROUPS = 50

/**
 * A member record. Leaving keeps it as a tombstone (state LEFT, no name or avatar) for
 * TOMBSTONE_MS, so a write of the user's rows that was in flight when they left sees it and
 * takes its rows back (server/rank/store.ts refreshOwnRows). A record without `state` is IN.
 */
export interface MemberDoc {
  _id: string // openid
  state?: MemberState
  nickname: string
  avatarFileId: string
  joinedAt: Date
  leftAt?: Date
  /**
   * A join or leave whose rows are not yet written or removed: set with the state, cleared
   * when the rows follow it. A function cut off in between leaves it set, and the rank timer
   * (every tick) or the user's next board finishes the work.
   */
  pending?: boolean
}

export type MemberState = 'IN' | 'LEFT'

/** Whether a member record says the user is on the boards. */
export const isIn = (m: MemberDoc | null | undefined): boolean => !!m && m.state !== 'LEFT'

export interface BoardDoc {
  _id: string
  scope: string
  period: RankPeriod
  key: string
  openid: string
  steps: number
  nickname: string
  avatarFileId: string
}

export const boardId = (scope: string, period: RankPeriod, key: string, openid: string): string =>
  `${scope}|${period}|${key}|${openid}`

/** Steps of today and of this calendar week up to today (Beijing dates), from a user's days. */
export function periodTotals(
  days: ReadonlyArray<{ date: string; steps: number }>,
  now: number,
): Record<RankPeriod, number> {
  const out = {} as Record<RankPeriod, number>
  for (const period of PERIODS) {
    const dates = new Set(periodDates(period, now))
    out[period] = days.reduce((sum, d) => (dates.has(d.date) ? sum + d.steps : sum), 0)
  }
  return out
}

/** A member's rows on every board they belong to (everyone's and each of their groups'), under each period's key. */
export function memberRows(
  openid: string,
  member: Pick<MemberDoc, 'nickname' | 'avatarFileId'>,
  groups: readonly string[],
  totals: Record<RankPeriod, number>,
  keys: Record<RankPeriod, string>,
): BoardDoc[] {
  const scopes = [ALL, ...new Set(groups)].slice(0, 1 + MAX_GROUPS)
  return scopes.flatMap((scope) =>
    PERIODS.map((period) => ({
      _id: boardId(scope, period, keys[period], openid),
      scope,
      period,
      key: keys[period],
      openid,
      steps: totals[period],
      nickname: member.nickname,
      avatarFileId: member.avatarFileId,
    })),
  )
}

/** Competition ranking over rows sorted by steps: equal steps share a rank, the next skips (1, 2, 2, 4). */
export function rankRows<T extends { steps: number }>(sorted: readonly T[]): Array<T & { rank: number }> {
  let rank = 0
  return sorted.map((s, i) => {
    if (i === 0 || sorted[i - 1]!.steps !== s.steps) rank = i + 1
    return { ...s, rank }
  })
}

/** Runs `fn` over `items`, at most `size` at a time. */
export async function inBatches<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

/** Whether a stored row already says what `next` says (the timer writes only what changed). */
export function sameRow(stored: Partial<BoardDoc> | undefined, next: BoardDoc): boolean {
  return (
    !!stored &&
    stored.steps === next.steps &&
    stored.nickname === next.nickname &&
    stored.avatarFileId === next.avatarFileId
  )
}
