/**
 * Beijing time (UTC+8 all year, no daylight saving): the clock WeChat, WeChat Pay and the pages'
 * users read dates, weekdays and opening hours on. One offset for the server's pure code.
 */

/** Beijing time's offset from UTC. */
export const BEIJING_OFFSET_MS = 8 * 3_600_000

/** A Date whose UTC fields (getUTCDay, getUTCHours, toISOString) read the Beijing wall clock at `ms`. */
export function beijingWallClock(ms: number): Date {
  return new Date(ms + BEIJING_OFFSET_MS)
}
