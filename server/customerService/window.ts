/**
 * WeChat's reply window, as the project counts it (send.html): a user message allows 5 sends
 * within 48 hours; entering the chat allows 2 within 1 minute. Allowances do not add up: an
 * action raises the count to at least its own and the deadline to at least its own.
 * WeChat stays the judge (45015 / 45047 close the window here too); this count only avoids
 * calls that must fail and tells operators what is left.
 */
export type UserAction = 'message' | 'enter'

export const ALLOWANCE: Record<UserAction, { sends: number; ms: number }> = {
  message: { sends: 5, ms: 48 * 3_600_000 },
  enter: { sends: 2, ms: 60_000 },
}

export interface SendWindow {
  /** ms since epoch. */
  until: number
  left: number
}

export function openWindow(current: SendWindow | null, action: UserAction, actionAt: number, now: number): SendWindow {
  const a = ALLOWANCE[action]
  const next = { until: actionAt + a.ms, left: a.sends }
  if (!current || current.until <= now || current.left <= 0) return next
  return { until: Math.max(current.until, next.until), left: Math.max(current.left, next.left) }
}

export function windowOpen(w: SendWindow | null, now: number): boolean {
  return !!w && w.until > now && w.left > 0
}
