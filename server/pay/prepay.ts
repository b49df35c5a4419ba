/**
 * Getting a payment for an order, once, however many calls ask at the same time: a request's
 * twin (a double tap, a retry) waits for the order the first call creates, and one call at a time
 * asks WeChat Pay for a prepay (a lease on the order) while the others wait for the payment it
 * stores. A transport failure frees the lease so the next try asks again with the same
 * parameters (WeChat Pay answers the same prepay: CloudPay.unifiedOrder / V2 unifiedorder);
 * ORDERPAID and ORDERCLOSED are settled as WeChat Pay says.
 */
import type { PayContract, PaymentParams, OrderView } from '../../typings/pay'
import { db, findDocs, getDoc } from '../db'
import type { Ctx } from '../router'
import { refundWindowMs, type PayConfig } from './config'
import { ORDERS, patchIf, toView, transition, type OrderDoc } from './orders'
import { payProvider } from './provider'
import { reconcile } from './settle'
import { payOutcome } from './wxpay'

/** An order as its owner sees it now. */
export const view = (o: OrderDoc) => toView(o, Date.now(), refundWindowMs(process.env))

export async function findByRequestKey(requestKey: string): Promise<OrderDoc | null> {
  const [doc] = await findDocs<OrderDoc>(db().collection(ORDERS).where({ requestKey }).limit(1))
  return doc ?? null
}

/** How long a call waits for its twin (same request) to create the order before creating it itself. */
export const TWIN_WAIT_MS = 2_000

/** The order of a request that a concurrent call (its twin) is creating, once it is there (or null at `until`). */
export async function waitForRequest(requestKey: string, until: number): Promise<OrderDoc | null> {
  for (;;) {
    const found = await findByRequestKey(requestKey)
    if (found || Date.now() > until) return found
    await new Promise((r) => setTimeout(r, PREPAY_POLL_MS))
  }
}

export type PayCtx = Ctx<PayContract['createOrder']['err']>

/** How long a prepay lease lasts (longer than one unifiedOrder call), and how often waiters look. */
export const PREPAY_LEASE_MS = 8_000
export const PREPAY_POLL_MS = 150

/** The lease, only while no payment is stored: a caller that read the order before the payment was stored cannot ask again. */
export async function takePrepayLease(orderId: string): Promise<boolean> {
  const _ = db().command
  const now = new Date()
  const res = (await db()
    .collection(ORDERS)
    .where(
      _.and([
        { _id: orderId, status: 'UNPAID', payment: _.exists(false) },
        _.or([{ prepayLeaseUntil: _.exists(false) }, { prepayLeaseUntil: _.lt(now) }]),
      ]),
    )
    .update({ data: { prepayLeaseUntil: new Date(now.getTime() + PREPAY_LEASE_MS) } })) as {
    stats: { updated: number }
  }
  return res.stats.updated === 1
}

/** The order once the lease holder stored its payment (or gave up), within the lease. */
export async function waitForPayment(orderId: string): Promise<OrderDoc | null> {
  const until = Date.now() + PREPAY_LEASE_MS
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, PREPAY_POLL_MS))
    const o = await getDoc<OrderDoc>(ORDERS, orderId)
    if (!o || o.payment || o.status !== 'UNPAID' || !o.prepayLeaseUntil || o.prepayLeaseUntil.getTime() < Date.now())
      return o
  }
  return null
}

/**
 * The payment of an UNPAID order: the stored one, or a (re)call of unifiedOrder with the
 * stored, identical parameters (WeChat Pay answers the same prepay for the same request).
 */
export async function payable(
  order: OrderDoc,
  cfg: PayConfig,
  ctx: PayCtx,
): Promise<{ order: OrderView; payment: PaymentParams }> {
  if (order.status === 'CLOSED') return ctx.fail('ORDER_CLOSED', 'This order was closed. Please place a new one.')
  if (order.status !== 'UNPAID') return ctx.fail('ORDER_ALREADY_PAID', 'This order is already paid.')
  if (Date.now() >= order.expiresAt.getTime())
    return ctx.fail('ORDER_EXPIRED', 'This order expired before it was paid. Please place a new one.')
  if (order.payment) return { order: view(order), payment: order.payment }

  // One unifiedOrder per order: the call that takes the lease asks WeChat Pay; concurrent
  // duplicates of the same request (a double tap, retries) wait for its payment instead.
  if (!(await takePrepayLease(order._id))) {
    // Stored meanwhile (this call read the order before), or being asked for: reuse, never re-request.
    const stored = await getDoc<OrderDoc>(ORDERS, order._id)
    const waited = stored?.payment ? stored : await waitForPayment(order._id)
    if (waited?.payment) return { order: view(waited), payment: waited.payment }
    return ctx.fail('PAY_UNAVAILABLE', 'WeChat Pay is slow to answer this order. Please try again in a moment.')
  }
  let res: Awaited<ReturnType<ReturnType<typeof payProvider>['unifiedOrder']>>
  try {
    res = await payProvider().unifiedOrder(order.unified)
  } catch (e) {
    // A transport failure (a timeout: WeChat Pay may or may not have the prepay): the next try
    // asks again at once with the same parameters, which WeChat Pay answers with the same prepay.
    await patchIf(order._id, 'UNPAID', { prepayLeaseUntil: new Date(0) })
    throw e
  }
  const outcome = payOutcome(res)
  if (outcome.ok && res.prepayId && res.payment) {
    const { timeStamp, nonceStr, signType, paySign } = res.payment
    const payment: PaymentParams = { timeStamp, nonceStr, package: res.payment.package, signType, paySign }
    await patchIf(order._id, 'UNPAID', { prepayId: res.prepayId, payment, prepayLeaseUntil: new Date(0) })
    return { order: view({ ...order, prepayId: res.prepayId, payment }), payment }
  }
  if (!outcome.ok && outcome.code === 'ORDERPAID') {
    await reconcile(order, cfg, 'query')
    return ctx.fail('ORDER_ALREADY_PAID', 'This order is already paid.')
  }
  if (!outcome.ok && outcome.code === 'ORDERCLOSED') {
    await transition(order._id, 'CLOSE_CONFIRMED', { closedAt: new Date() }, 'client')
    return ctx.fail('ORDER_CLOSED', 'This order was closed. Please place a new one.')
  }
  await patchIf(order._id, 'UNPAID', { prepayLeaseUntil: new Date(0) }) // the next try may ask again at once
  console.error(JSON.stringify({ fn: 'pay', where: 'unifiedOrder', order: order._id, outcome }))
  return ctx.fail(
    'PAY_UNAVAILABLE',
    `WeChat Pay could not take this order right now (${outcome.ok ? 'no payment returned' : outcome.message}). Please try again.`,
  )
}
