/**
 * The `session-from` of contact buttons (`<button open-type="contact">`): which page the user
 * came from, which the customerService function reads from the user_enter_tempsession event
 * to tailor its welcome. Pure code shared by the pages and the function.
 *
 * It comes from the client, so the function treats it as a hint: an order id in it is looked
 * up among the SENDER's own orders and never reveals anyone else's.
 */
import type { SessionFrom } from '../../typings/customerService'

const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/

export function encodeSessionFrom(from: SessionFrom): string {
  switch (from.page) {
    case 'order':
      return `order:${from.orderId}`
    case 'profile':
      return 'profile'
    default:
      return from.raw.slice(0, 64)
  }
}

/** Anything unrecognised (or absent: the chat was opened from elsewhere) is `null` or `other`. */
export function decodeSessionFrom(raw: string | undefined): SessionFrom | null {
  const s = (raw ?? '').trim()
  if (!s) return null
  if (s === 'profile') return { page: 'profile' }
  if (s.startsWith('order:') && ORDER_ID.test(s.slice(6))) return { page: 'order', orderId: s.slice(6) }
  return { page: 'other', raw: s.slice(0, 64) }
}
