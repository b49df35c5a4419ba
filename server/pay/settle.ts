/**
 * Settling orders with WeChat Pay: the PAID transition (from a callback or a query), closing
 * expired orders, submitting refunds. Shared by the `pay`, `payCallback`, `payRefundCallback`
 * and `payExpire` functions so each fact is decided in one place.
 */
import { randomBytes } from 'node:crypto'
import type { DB } from 'wx-server-sdk'
import { db, type Tx } from '../db'
import { errText } from '../errors'
import { payProvider } from './provider'
import { REFUND_CALLBACK_FUNCTION, type PayConfig } from './config'
import { next } from './machine'
import { notify, owed } from './notify'
import { FULFILMENTS, ORDERS, getOrderDoc, patchIf, recordIncident, transition, type OrderDoc } from './orders'
import { isTransient, payOutcome, refundStatusOf, type PayOutcome } from './wxpay'

/** A 32-character nonce (nonceStr: at most 32). node:crypto: no dependency needed for random bytes. */
/** What sending the order messages needs (no merchant settings). */
export type NoticeConfig = Pick<PayConfig, 'templates' | 'miniprogramState'>

export const nonce = (): string => randomBytes(16).toString('hex')

export interface PaidEvidence {
  transactionId: string
  timeEnd: string
  totalFee: number
  subMchId?: string
  via: 'callback' | 'query' | 'timer'
}

export type ConfirmResult =
  | { kind: 'PAID_NOW'; order: OrderDoc }
  | { kind: 'DUPLICATE'; order: OrderDoc }
  | { kind: 'UNKNOWN_ORDER' }
  | { kind: 'AMOUNT_MISMATCH'; order: OrderDoc }
  | { kind: 'MERCHANT_MISMATCH'; order: OrderDoc }
  | { kind: 'NOT_PAYABLE'; order: OrderDoc }

/**
 * UNPAID -> PAID with the fulfilment, in one transaction: the order's status, transaction id
 * and time, and a `fulfilments` record whose _id is the order id. Concurrent confirmations
 * conflict at commit; the SDK's runTransaction re-runs the loser, which then reads PAID and
 * answers DUPLICATE. Checks the amount (and sub-merchant) against the order first.
 */
export async function confirmPaid(orderId: string, ev: PaidEvidence): Promise<ConfirmResult> {
  const database = db()
  const result = (await database.runTransaction(async (t: Tx) => {
    const found = (await t.collection(ORDERS).doc(orderId).get()) as { data: OrderDoc | null }
    const order = found.data
    if (!order) return { kind: 'UNKNOWN_ORDER' }
    if (ev.totalFee !== order.totalFee) return { kind: 'AMOUNT_MISMATCH', order }
    if (ev.subMchId && ev.subMchId !== order.unified.subMchId) return { kind: 'MERCHANT_MISMATCH', order }
    if (order.status !== 'UNPAID') {
      return order.transactionId === ev.transactionId ? { kind: 'DUPLICATE', order } : { kind: 'NOT_PAYABLE', order }
    }
    const now = new Date()
    const status = next(order.status, 'PAY_CONFIRMED')!
    const patch = {
      status,
      transactionId: ev.transactionId,
      timeEnd: ev.timeEnd,
      paidAt: now,
      paidVia: ev.via,
      fulfilledAt: now,
      history: [...order.history, { event: 'PAY_CONFIRMED', at: now, by: ev.via }],
      // The paid message is owed from this commit on (sent below, or by the timer if cut off).
      ...owed('paid', now),
    }
    await t.collection(ORDERS).doc(orderId).update({ data: patch })
    // The fulfilment: what the buyer got. Its _id is the order id, so it can exist once.
    await t
      .collection(FULFILMENTS)
      .doc(orderId)
      .set({
        data: { _openid: order._openid, orderId, productId: order.productId, quantity: order.quantity, at: now },
      })
    return { kind: 'PAID_NOW', order: { ...order, ...patch } as OrderDoc }
  })) as ConfirmResult
  return result
}

/** What confirmPaid's outcome means for the caller, after recording anything suspicious. */
export async function afterConfirm(
  res: ConfirmResult,
  ev: PaidEvidence & { outTradeNo: string },
  cfg: NoticeConfig,
): Promise<void> {
  const key = `${ev.outTradeNo}:${ev.transactionId}`
  switch (res.kind) {
    case 'PAID_NOW':
      await notify(res.order, 'paid', cfg, res.order.totalFee)
      return
    case 'DUPLICATE':
      return
    case 'UNKNOWN_ORDER':
      return recordIncident('UNKNOWN_ORDER', key, { ...ev })
    case 'AMOUNT_MISMATCH':
      return recordIncident('AMOUNT_MISMATCH', key, { ...ev, expectedFee: res.order.totalFee })
    case 'MERCHANT_MISMATCH':
      return recordIncident('MERCHANT_MISMATCH', key, { ...ev, expectedSubMchId: res.order.unified.subMchId })
    case 'NOT_PAYABLE':
      return recordIncident('PAID_WHILE_' + res.order.status, key, { ...ev, status: res.order.status })
  }
}

/**
 * Asks WeChat Pay how an UNPAID order stands and reconciles: SUCCESS -> PAID (with fulfilment
 * and message, if this call made the transition), CLOSED/REVOKED -> CLOSED. Anything else, or
 * a failed query, leaves the order as it is. Returns the order as stored afterwards.
 */
export async function reconcile(order: OrderDoc, cfg: NoticeConfig, via: 'query' | 'timer'): Promise<OrderDoc> {
  if (order.status !== 'UNPAID') return order
  let q
  try {
    q = await payProvider().queryOrder({ subMchId: order.unified.subMchId, outTradeNo: order._id, nonceStr: nonce() })
  } catch (e) {
    console.error(JSON.stringify({ where: 'reconcile.queryOrder', order: order._id, error: errText(e) }))
    return order
  }
  const outcome = payOutcome(q)
  if (!outcome.ok) {
    // ORDERNOTEXIST: unifiedOrder never reached WeChat Pay; nothing to reconcile.
    return order
  }
  if (q.tradeState === 'SUCCESS' || q.tradeState === 'REFUND') {
    const ev: PaidEvidence = {
      transactionId: q.transactionId ?? '',
      timeEnd: q.timeEnd ?? '',
      totalFee: Number(q.totalFee),
      via,
    }
    await afterConfirm(await confirmPaid(order._id, ev), { ...ev, outTradeNo: order._id }, cfg)
  } else if (q.tradeState === 'CLOSED' || q.tradeState === 'REVOKED') {
    await transition(order._id, 'CLOSE_CONFIRMED', { closedAt: new Date() }, via)
  } else {
    // NOTPAY, USERPAYING…: nothing changed here, so the order as read is still the order.
    return order
  }
  return (await getOrderDoc(order._id)) ?? order
}

export type CloseResult = 'CLOSED' | 'PAID' | 'UNCHANGED'

/**
 * Closes an expired UNPAID order at WeChat Pay first, then here. When WeChat answers that it
 * was paid meanwhile (ORDERPAID), or anything other than success, the truth comes from
 * queryOrder (the description-based code is a hint, not proof).
 */
export async function closeExpired(order: OrderDoc, cfg: NoticeConfig): Promise<CloseResult> {
  if (order.status !== 'UNPAID') return 'UNCHANGED'
  const closeHere = async (): Promise<CloseResult> =>
    (await transition(order._id, 'CLOSE_CONFIRMED', { closedAt: new Date() }, 'timer')) ? 'CLOSED' : 'UNCHANGED'
  // unifiedOrder never succeeded: there is nothing to close at WeChat Pay.
  if (!order.prepayId) return closeHere()
  const res = await payProvider().closeOrder({
    subMchId: order.unified.subMchId,
    outTradeNo: order._id,
    nonceStr: nonce(),
  })
  const outcome = payOutcome(res)
  if (outcome.ok || outcome.code === 'ORDERCLOSED') return closeHere()
  const after = await reconcile(order, cfg, 'timer')
  return after.status === 'PAID' ? 'PAID' : after.status === 'CLOSED' ? 'CLOSED' : 'UNCHANGED'
}

export type RefundSubmit = { accepted: true } | { accepted: false; outcome: PayOutcome; retryLater: boolean }

/**
 * Sends the refund of a REFUNDING order to WeChat Pay with its stored outRefundNo (a retry
 * must reuse it: WeChat Pay then treats it as the same refund). A definite refusal moves the
 * order back to PAID (REFUND_REJECTED) keeping the outRefundNo for the next attempt; a
 * transient failure leaves it REFUNDING for payExpire to resubmit.
 */
export async function submitRefund(
  order: OrderDoc,
  cfg: Pick<PayConfig, 'callbackEnvId'>,
  by: string,
): Promise<RefundSubmit> {
  const refund = order.refund
  if (order.status !== 'REFUNDING' || !refund) throw new Error(`order ${order._id} has no refund to submit`)
  const res = await payProvider().refund({
    subMchId: order.unified.subMchId,
    nonceStr: nonce(),
    outTradeNo: order._id,
    outRefundNo: refund.outRefundNo,
    totalFee: order.totalFee,
    refundFee: refund.refundFen,
    envId: cfg.callbackEnvId,
    functionName: REFUND_CALLBACK_FUNCTION,
  })
  const outcome = payOutcome(res)
  if (outcome.ok) {
    await patchIf(order._id, 'REFUNDING', {
      refund: { ...refund, acceptedAt: new Date(), ...(res.refundId ? { refundId: res.refundId } : {}) },
    })
    return { accepted: true }
  }
  if (isTransient(outcome)) {
    await patchIf(order._id, 'REFUNDING', { refund: { ...refund, lastError: outcome.message } })
    return { accepted: false, outcome, retryLater: true }
  }
  await transition(
    order._id,
    'REFUND_REJECTED',
    { refund: { ...refund, lastError: `${outcome.code}: ${outcome.message}` } },
    by,
  )
  return { accepted: false, outcome, retryLater: false }
}

/** How long an accepted refund may stay REFUNDING before the timer asks WeChat Pay about it. */
export const REFUND_CONFIRM_AFTER_MS = 5 * 60_000

/**
 * Orders the expiry timer looks at: UNPAID past their expiry, REFUNDING not yet accepted (to
 * resubmit), and REFUNDING accepted more than REFUND_CONFIRM_AFTER_MS ago (to confirm by query,
 * whatever the refund callback did or did not say).
 */
export async function dueOrders(
  now: number,
  limit: number,
): Promise<{ expired: OrderDoc[]; refunds: OrderDoc[]; unconfirmed: OrderDoc[] }> {
  const database = db()
  const _ = database.command
  const coll = database.collection(ORDERS)
  const expired = (
    (await coll
      .where({ status: 'UNPAID', expiresAt: _.lt(new Date(now)) })
      .orderBy('expiresAt', 'asc')
      .limit(limit)
      .get()) as DB.IQueryResult
  ).data as unknown as OrderDoc[]
  const refunds = (
    (await coll
      .where({
        status: 'REFUNDING',
        'refund.acceptedAt': _.exists(false),
        'refund.requestedAt': _.lt(new Date(now - 60_000)),
      })
      .limit(limit)
      .get()) as DB.IQueryResult
  ).data as unknown as OrderDoc[]
  const unconfirmed = (
    (await coll
      .where({ status: 'REFUNDING', 'refund.acceptedAt': _.lt(new Date(now - REFUND_CONFIRM_AFTER_MS)) })
      .limit(limit)
      .get()) as DB.IQueryResult
  ).data as unknown as OrderDoc[]
  return { expired, refunds, unconfirmed }
}

export type RefundCheck = 'REFUNDED' | 'FAILED' | 'PROCESSING' | 'UNKNOWN' | 'NOT_REFUNDING'

/**
 * queryRefund answered this refund with neither lists nor V2's indexed fields, only its count
 * (cloudPay has been reported answering `refund_count` with every list empty). A refund
 * notification that says SUCCESS is then believed only when two answers of WeChat Pay's own
 * agree: queryRefund counts a refund for this outRefundNo, and queryOrder's trade_state is REFUND
 * (转入退款). Without a notification nothing is concluded (the order stays REFUNDING, an
 * incident says why) until one arrives: WeChat Pay re-delivers it until acknowledged.
 */
async function confirmedElsewhere(
  order: OrderDoc,
  q: Record<string, unknown>,
  claimed?: { status: string; refundFee?: number },
): Promise<{ status: 'SUCCESS'; refundFee?: number } | undefined> {
  const count = Number(q.refundCount ?? q.refund_count)
  if (claimed?.status !== 'SUCCESS' || !(count >= 1)) return undefined
  const o = await payProvider().queryOrder({
    subMchId: order.unified.subMchId,
    nonceStr: nonce(),
    outTradeNo: order._id,
  })
  if (!payOutcome(o).ok || (o as { tradeState?: unknown }).tradeState !== 'REFUND') return undefined
  return { status: 'SUCCESS', ...(claimed.refundFee !== undefined ? { refundFee: claimed.refundFee } : {}) }
}

/**
 * Asks WeChat Pay (queryRefund) how a REFUNDING order's refund stands and settles it: SUCCESS
 * (with the amount asked for) -> REFUNDED and the "refunded" message; CHANGE / REFUNDCLOSE ->
 * REFUND_FAILED and an incident for a person; PROCESSING -> nothing yet. A notification never
 * decides this on its own: it only makes the question come sooner. Throws when the query
 * itself fails (the caller decides whether to retry).
 */
export async function confirmRefund(
  order: OrderDoc,
  cfg: NoticeConfig,
  by: string,
  claimed?: { status: string; refundFee?: number },
): Promise<RefundCheck> {
  const refund = order.refund
  if (order.status !== 'REFUNDING' || !refund) return 'NOT_REFUNDING'
  const q = await payProvider().queryRefund({
    subMchId: order.unified.subMchId,
    nonceStr: nonce(),
    outRefundNo: refund.outRefundNo,
  })
  if (!payOutcome(q).ok) return 'UNKNOWN' // REFUNDNOTEXIST before acceptance: the timer resubmits it
  const state =
    refundStatusOf(q as Record<string, unknown>, refund.outRefundNo) ??
    (await confirmedElsewhere(order, q as Record<string, unknown>, claimed))
  const key = `${refund.outRefundNo}:${state?.status ?? 'UNREADABLE'}`
  if (!state) {
    await recordIncident('REFUND_QUERY_UNREADABLE', key, {
      outRefundNo: refund.outRefundNo,
      refundCount: q.refundCount,
    })
    return 'UNKNOWN'
  }
  if (state.status === 'PROCESSING') return 'PROCESSING'
  if (state.status === 'SUCCESS') {
    if (state.refundFee !== undefined && state.refundFee !== refund.refundFen) {
      await recordIncident('REFUND_AMOUNT_MISMATCH', key, {
        outRefundNo: refund.outRefundNo,
        refundFee: state.refundFee,
        expectedFen: refund.refundFen,
      })
      return 'UNKNOWN'
    }
    const now = new Date()
    if (
      await transition(
        order._id,
        'REFUND_SUCCEEDED',
        { refund: { ...refund, refundedAt: now }, ...owed('refunded', now) },
        by,
      )
    )
      await notify(order, 'refunded', cfg, refund.refundFen)
    return 'REFUNDED'
  }
  // CHANGE (the money could not go back: card closed, ...) or REFUNDCLOSE: a person must act.
  if (await transition(order._id, 'REFUND_FAILED', { refund: { ...refund, lastError: state.status } }, by)) {
    await recordIncident('REFUND_' + state.status, key, { outRefundNo: refund.outRefundNo, orderId: order._id })
  }
  return 'FAILED'
}
