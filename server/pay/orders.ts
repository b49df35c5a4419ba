/**
 * Orders in the database. Every status change goes through `transition` (a conditional update:
 * `where({ _id, status: from })`, so of two concurrent writers exactly one sees `updated: 1`)
 * or through `confirmPaid` (a transaction: the PAID transition and the fulfilment commit
 * together or not at all).
 */
import type { DB } from 'wx-server-sdk'
import type { NoticeStatus, OrderStatus, OrderView, PaymentParams } from '../../typings/pay'
import { db, getDoc, toMillis } from '../db'
import type { UnifiedOrderParams } from '../wx'
import { TRANSITIONS, type OrderEvent } from './machine'

export const ORDERS = 'orders'
export const PRODUCTS = 'products'
export const FULFILMENTS = 'fulfilments'
export const INCIDENTS = 'pay_incidents'
export const SUBSCRIPTIONS = 'subscriptions'

export interface ProductDoc {
  _id: string
  /** In Chinese, the default language. */
  title: string
  description: string
  /** The English title and description, for users whose language is English (absent: the Chinese). */
  en?: { title: string; description: string }
  priceFen: number
  maxQuantity: number
  active: boolean
  sort: number
}

export interface HistoryEntry {
  event: OrderEvent | 'CREATED'
  at: Date
  /** Who made the change: 'client', 'callback', 'query', 'timer', 'refund-callback'. */
  by: string
}

export interface RefundRecord {
  /** `${orderId}R${attempt}`: the same number while the amount stays the same. */
  outRefundNo: string
  attempt: number
  refundFen: number
  requestedAt: Date
  /** WeChat Pay accepted the request (the money moves later; the refund callback says when). */
  acceptedAt?: Date
  refundId?: string
  refundedAt?: Date
  lastError?: string
}

export interface OrderDoc {
  /** = outTradeNo. */
  _id: string
  /** The owner. Named like the field the client SDK writes, so the shipped security rule `doc._openid == auth.openid` applies. */
  _openid: string
  outTradeNo: string
  /** `${openid}:${requestId}`, unique: one order per buy tap. */
  requestKey: string
  productId: string
  title: string
  unitPriceFen: number
  quantity: number
  totalFee: number
  status: OrderStatus
  createdAt: Date
  expiresAt: Date
  /** The exact unifiedOrder request, kept so a retry sends identical parameters (WeChat then returns the same prepay). */
  unified: UnifiedOrderParams
  prepayId?: string
  payment?: PaymentParams
  /** While one call asks WeChat Pay for the prepay, the others wait for it (concurrent duplicates). */
  prepayLeaseUntil?: Date
  transactionId?: string
  timeEnd?: string
  paidAt?: Date
  paidVia?: 'callback' | 'query' | 'timer'
  fulfilledAt?: Date
  closedAt?: Date
  refund?: RefundRecord
  notices?: Partial<Record<'paid' | 'refunded', { status: NoticeStatus; detail?: string; at: Date }>>
  history: HistoryEntry[]
}

export function getOrderDoc(id: string): Promise<OrderDoc | null> {
  return getDoc<OrderDoc>(ORDERS, id)
}

/** The caller's order, or null when it does not exist or belongs to someone else (same answer: no probing). */
export async function getOwnOrder(id: string, openid: string): Promise<OrderDoc | null> {
  const order = await getOrderDoc(id)
  return order && order._openid === openid ? order : null
}

/**
 * Applies `event` if and only if the order is still in the event's `from` status. Returns
 * whether this call made the change.
 */
export async function transition(
  orderId: string,
  event: OrderEvent,
  patch: Record<string, unknown>,
  by: string,
): Promise<boolean> {
  const { from, to } = TRANSITIONS[event]
  const database = db()
  const _ = database.command
  const res = (await database
    .collection(ORDERS)
    .where({ _id: orderId, status: from })
    .update({ data: { ...patch, status: to, history: _.push({ event, at: new Date(), by }) } })) as DB.IUpdateResult
  return res.stats.updated === 1
}

/** Writes fields that are not the status (prepay, notices, refund bookkeeping), only while the status is still `status`. */
export async function patchIf(orderId: string, status: OrderStatus, patch: Record<string, unknown>): Promise<boolean> {
  const res = (await db()
    .collection(ORDERS)
    .where({ _id: orderId, status })
    .update({ data: patch })) as DB.IUpdateResult
  return res.stats.updated === 1
}

export function toView(o: OrderDoc, now: number, refundWindowMs: number): OrderView {
  const paidAt = o.paidAt ? toMillis(o.paidAt) : null
  const refundableUntil = paidAt !== null ? paidAt + refundWindowMs : null
  const expiresAt = toMillis(o.expiresAt)
  return {
    orderId: o._id,
    productId: o.productId,
    title: o.title,
    quantity: o.quantity,
    unitPriceFen: o.unitPriceFen,
    totalFen: o.totalFee,
    status: o.status,
    createdAt: toMillis(o.createdAt),
    expiresAt,
    paidAt,
    closedAt: o.closedAt ? toMillis(o.closedAt) : null,
    fulfilledAt: o.fulfilledAt ? toMillis(o.fulfilledAt) : null,
    refund: o.refund
      ? {
          refundFen: o.refund.refundFen,
          requestedAt: toMillis(o.refund.requestedAt),
          refundedAt: o.refund.refundedAt ? toMillis(o.refund.refundedAt) : null,
        }
      : null,
    canPay: o.status === 'UNPAID' && now < expiresAt,
    canRefund: o.status === 'PAID' && refundableUntil !== null && now < refundableUntil,
    refundableUntil,
  }
}

/**
 * Records something a person must look at (amount mismatch, unknown order, ...). The id is
 * derived from what happened, so a re-delivered callback finds it already recorded instead of
 * piling up copies. Throws only when it could not be recorded.
 */
export async function recordIncident(kind: string, key: string, details: Record<string, unknown>): Promise<void> {
  const id = `${kind}:${key}`.slice(0, 128)
  try {
    await db()
      .collection(INCIDENTS)
      .add({ data: { _id: id, kind, key, details, at: new Date() } })
  } catch (e) {
    // A duplicate _id is not reliably coded: look instead of branching on the error code.
    if (!(await getDoc(INCIDENTS, id))) throw e
  }
}
