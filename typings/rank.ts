import type { Action } from './contract'

/**
 * Ranks. WeChat's friend rank (open data context, getFriendCloudStorage, sharedCanvas) exists
 * for mini-games only; a mini-program ranks from its own stored steps: among everyone who opted
 * in, and within a WeChat group (opengid from group cards, see typings/share.ts).
 */
export type RankPeriod = 'today' | 'week'

export interface RankRow {
  /** 1-based; equal steps share a rank (1, 2, 2, 4). */
  rank: number
  nickname: string
  avatarFileId: string
  steps: number
  me: boolean
}

export type RankContract = {
  /**
   * Join the ranks with the nickname and avatar of the caller's profile (nothing else is shown).
   * `optedIn: false` when a Leave sent after this Join was recorded first: the later tap wins.
   */
  optIn: Action<Record<string, never>, { optedIn: boolean }, never>
  /** Leave every rank at once and for good: no write in flight and no timer pass puts the user back. */
  optOut: Action<Record<string, never>, { optedIn: false }, never>
  status: Action<Record<string, never>, { optedIn: boolean; groups: string[] }, never>
  /**
   * The board of all opted-in users, or of one group the caller belongs to, with what the page
   * needs besides (whether the caller opted in, their groups), so the page makes one call.
   * Precomputed (server/rank/board.ts): at most two database round trips for any caller.
   */
  board: Action<
    { period: RankPeriod; opengid?: string; limit?: number },
    { rows: RankRow[]; me: RankRow | null; period: RankPeriod; dates: string[]; optedIn: boolean; groups: string[] },
    'NOT_A_MEMBER'
  >
}
