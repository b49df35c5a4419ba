/**
 * The order state machine: every status change is one of these events, and a change that is
 * not in the table does not happen. Database writes (server/pay/orders.ts) make each
 * transition conditional on the `from` status, so two concurrent writers cannot both win.
 */
import type { OrderStatus } from '../../typings/pay'

export type OrderEvent =
  | 'PAY_CONFIRMED' // callback or queryOrder says SUCCESS, amount checked
  | 'CLOSE_CONFIRMED' // closeOrder succeeded (or WeChat reports CLOSED)
  | 'REFUND_REQUESTED' // the owner asked, within the window
  | 'REFUND_REJECTED' // WeChat Pay refused the refund request: the order is PAID again
  | 'REFUND_SUCCEEDED' // refund callback: SUCCESS
  | 'REFUND_FAILED' // refund callback: CHANGE / REFUNDCLOSE (needs a person)

export const TRANSITIONS: Readonly<Record<OrderEvent, { from: OrderStatus; to: OrderStatus }>> = {
  PAY_CONFIRMED: { from: 'UNPAID', to: 'PAID' },
  CLOSE_CONFIRMED: { from: 'UNPAID', to: 'CLOSED' },
  REFUND_REQUESTED: { from: 'PAID', to: 'REFUNDING' },
  REFUND_REJECTED: { from: 'REFUNDING', to: 'PAID' },
  REFUND_SUCCEEDED: { from: 'REFUNDING', to: 'REFUNDED' },
  REFUND_FAILED: { from: 'REFUNDING', to: 'REFUND_FAILED' },
}

export const FINAL_STATES: ReadonlySet<OrderStatus> = new Set(['CLOSED', 'REFUNDED', 'REFUND_FAILED'])

/** The status after `event`, or null when the event does not apply to `status`. */
export function next(status: OrderStatus, event: OrderEvent): OrderStatus | null {
  const t = TRANSITIONS[event]
  return t.from === status ? t.to : null
}

/** Every status reachable from `status` in one step. */
export function successors(status: OrderStatus): OrderStatus[] {
  return Object.values(TRANSITIONS)
    .filter((t) => t.from === status)
    .map((t) => t.to)
}
