/**
 * Cloud function `pay`: catalogue, orders, WeChat Pay prepay (cloudPay.unifiedOrder),
 * reconciliation by queryOrder, refunds, subscribe-message credits.
 * Contract: typings/pay.ts. State machine: server/pay/machine.ts. Getting a payment once under
 * concurrency: server/pay/prepay.ts; a new order's parts: server/pay/products.ts.
 * Collections: products (read), orders, fulfilments, subscriptions (client access: none;
 * orders readable by their owner).
 */
import { userLanguage } from '../../../server/locale'
import type { PayContract } from '../../../typings/pay'
import { createRouter, type Ctx } from '../../../server/router'
import { db, findDocs, getDoc } from '../../../server/db'
import { errText } from '../../../server/errors'
import { runningEnv, type UnifiedOrderParams } from '../../../server/wx'
import {
  PAY_CALLBACK_FUNCTION,
  payConfig,
  refundRequiresSoter,
  subscribeConfig,
  type PayConfig,
} from '../../../server/pay/config'
import { useProof } from '../../../server/soter/proof'
import { orderTotal, refundAmount, wxPayTime } from '../../../server/pay/money'
import { addCredits } from '../../../server/pay/notify'
import {
  ORDERS,
  PRODUCTS,
  getOwnOrder,
  transition,
  type OrderDoc,
  type ProductDoc,
  type RefundRecord,
} from '../../../server/pay/orders'
import { nonce, reconcile, submitRefund } from '../../../server/pay/settle'
import { claimSlot, releaseSlot } from '../../../server/pay/slots'
import { schemas } from './schemas'
import { merchantProbe } from '../../../server/pay/probe'
import { findByRequestKey, payable, TWIN_WAIT_MS, view, waitForRequest } from '../../../server/pay/prepay'
import { toProduct, newOutTradeNo, orderBody } from '../../../server/pay/products'

function config(ctx: Ctx<'PAY_NOT_CONFIGURED'>): PayConfig {
  const cfg = payConfig(process.env, runningEnv())
  if (!cfg.ok) return ctx.fail('PAY_NOT_CONFIGURED', cfg.message)
  return cfg
}

export const main = createRouter<PayContract>(
  'pay',
  {
    listProducts: {
      input: schemas.listProducts,
      async handle(_input, ctx) {
        const [docs, language] = await Promise.all([
          findDocs<ProductDoc>(db().collection(PRODUCTS).where({ active: true }).orderBy('sort', 'asc').limit(100)),
          userLanguage(ctx.openid),
        ])
        return { products: docs.map((p) => toProduct(p, language)), templates: subscribeConfig(process.env).templates }
      },
    },

    createOrder: {
      input: schemas.createOrder,
      async handle({ productId, quantity, requestId }, ctx) {
        const cfg = config(ctx)
        const requestKey = `${ctx.openid}:${requestId}`
        const resume = (existing: OrderDoc) => {
          if (existing.productId !== productId || existing.quantity !== quantity) {
            return ctx.fail(
              'REQUEST_ID_REUSED',
              'This request id was already used for another order. Please try again.',
            )
          }
          return payable(existing, cfg, ctx)
        }
        const existing = await findByRequestKey(requestKey)
        if (existing) return resume(existing)

        const [product, language] = await Promise.all([
          getDoc<ProductDoc>(PRODUCTS, productId),
          userLanguage(ctx.openid),
        ])
        if (!product || !product.active) return ctx.fail('PRODUCT_NOT_FOUND', 'This product is no longer on sale.')
        if (quantity > product.maxQuantity)
          return ctx.fail('QUANTITY_TOO_LARGE', `At most ${product.maxQuantity} per order.`)

        const now = Date.now()
        const totalFee = orderTotal(product.priceFen, quantity)
        // The title in the payer's language: on the payment sheet, in My orders, in the messages.
        const title = toProduct(product, language).title
        // A hard cap on orders waiting to be paid per user (each holds a prepay at WeChat Pay):
        // the order is created only in one of PAY_MAX_OPEN_ORDERS slots (server/pay/slots.ts).
        const slot = await claimSlot(ctx.openid, requestKey, newOutTradeNo(now), cfg.maxOpenOrders, now)
        if (!slot.ok && slot.reason === 'FULL')
          return ctx.fail(
            'TOO_MANY_OPEN_ORDERS',
            `You have ${slot.open} unpaid orders. Pay or wait for one to expire, then try again.`,
          )
        if (!slot.ok) {
          // This request's slot is held: by a double tap creating the order now, or by a try cut off
          // before it created it. The twin gets TWIN_WAIT_MS; after that this call creates the order
          // under the slot's order id (the same id: if the twin inserts after all, one insert wins).
          const twin = await waitForRequest(requestKey, slot.at + TWIN_WAIT_MS)
          if (twin) return resume(twin)
        }
        const outTradeNo = slot.orderId
        const expiresAt = now + cfg.orderTtlMs
        const unified: UnifiedOrderParams = {
          body: orderBody(cfg.bodyPrefix, title),
          outTradeNo,
          // V2 spbill_create_ip takes IPv4 or IPv6: a phone on an IPv6-only network has only CLIENTIPV6.
          spbillCreateIp: ctx.wx.CLIENTIP || ctx.wx.CLIENTIPV6 || '127.0.0.1',
          subMchId: cfg.subMchId,
          totalFee,
          envId: cfg.callbackEnvId,
          functionName: PAY_CALLBACK_FUNCTION,
          nonceStr: nonce(),
          tradeType: 'JSAPI',
          timeExpire: wxPayTime(expiresAt),
        }
        const order: OrderDoc = {
          _id: outTradeNo,
          _openid: ctx.openid,
          outTradeNo,
          requestKey,
          productId,
          title,
          unitPriceFen: product.priceFen,
          quantity,
          totalFee,
          status: 'UNPAID',
          createdAt: new Date(now),
          expiresAt: new Date(expiresAt),
          unified,
          history: [{ event: 'CREATED', at: new Date(now), by: 'client' }],
        }
        try {
          await db().collection(ORDERS).add({ data: order })
        } catch (e) {
          // A double tap: the other call created the order (requestKey is a unique index). The slot
          // goes back unless the order that exists is this slot's (a retry created it under its id).
          const raced = await findByRequestKey(requestKey)
          if (slot.ok && raced?._id !== outTradeNo) await releaseSlot(slot.slotId, outTradeNo)
          if (!raced) throw e
          return resume(raced)
        }
        return payable(order, cfg, ctx)
      },
    },

    payOrder: {
      input: schemas.payOrder,
      async handle({ orderId }, ctx) {
        const cfg = config(ctx)
        const order = await getOwnOrder(orderId, ctx.openid)
        if (!order) return ctx.fail('ORDER_NOT_FOUND', 'No such order.')
        return payable(order, cfg, ctx)
      },
    },

    getOrder: {
      input: schemas.getOrder,
      async handle({ orderId }, ctx) {
        let order = await getOwnOrder(orderId, ctx.openid)
        if (!order) return ctx.fail('ORDER_NOT_FOUND', 'No such order.')
        if (order.status === 'UNPAID' && order.prepayId) {
          // The client's "paid" proves nothing and the callback may be late: ask WeChat Pay.
          const cfg = payConfig(process.env, runningEnv())
          if (cfg.ok) order = await reconcile(order, cfg, 'query')
        }
        return { order: view(order) }
      },
    },

    listOrders: {
      input: schemas.listOrders,
      async handle({ before, limit = 20 }, ctx) {
        const _ = db().command
        const where: Record<string, unknown> = { _openid: ctx.openid }
        if (before !== undefined) where.createdAt = _.lt(new Date(before))
        const docs = await findDocs<OrderDoc>(
          db()
            .collection(ORDERS)
            .where(where)
            .orderBy('createdAt', 'desc')
            .limit(limit + 1),
        )
        return { orders: docs.slice(0, limit).map(view), more: docs.length > limit }
      },
    },

    requestRefund: {
      input: schemas.requestRefund,
      async handle({ orderId, refundFen, soterProof }, ctx) {
        const cfg = config(ctx)
        const order = await getOwnOrder(orderId, ctx.openid)
        if (!order) return ctx.fail('ORDER_NOT_FOUND', 'No such order.')
        if (order.status === 'REFUNDING' || order.status === 'REFUNDED')
          return ctx.fail('REFUND_NOT_ALLOWED', 'A refund was already requested for this order.')
        if (order.status !== 'PAID') return ctx.fail('REFUND_NOT_ALLOWED', 'Only a paid order can be refunded.')
        if (!order.paidAt || Date.now() > order.paidAt.getTime() + cfg.refundWindowMs) {
          return ctx.fail('REFUND_WINDOW_PASSED', 'The refund period for this order has ended.')
        }
        const amount = refundAmount(order.totalFee, 0, refundFen)
        if (!amount.ok)
          return ctx.fail('REFUND_EXCEEDS_PAID', `A refund can be at most what was paid (${order.totalFee} fen).`)
        if (refundRequiresSoter(process.env)) {
          // Spent only once every other check passed; a proof is for this order and this user.
          const used = await useProof(soterProof, { openid: ctx.openid, purpose: 'CONFIRM_REFUND', subject: order._id })
          if (!used.ok) return ctx.fail('SOTER_REQUIRED', used.message)
        }

        // A refund WeChat refused before is retried with the same outRefundNo when the amount is
        // the same (WeChat Pay: never change the refund number of a failed refund); otherwise a new one.
        const prev = order.refund
        const same = prev !== undefined && prev.refundFen === amount.refundFen
        const attempt = prev ? (same ? prev.attempt : prev.attempt + 1) : 1
        const refund: RefundRecord = {
          outRefundNo: same ? prev.outRefundNo : `${order._id}R${attempt}`,
          attempt,
          refundFen: amount.refundFen,
          requestedAt: new Date(),
        }
        if (!(await transition(order._id, 'REFUND_REQUESTED', { refund }, 'client'))) {
          return ctx.fail('REFUND_NOT_ALLOWED', 'A refund was already requested for this order.')
        }
        const refunding: OrderDoc = { ...order, status: 'REFUNDING', refund }
        let sent: Awaited<ReturnType<typeof submitRefund>> | undefined
        try {
          sent = await submitRefund(refunding, cfg, 'client')
        } catch (e) {
          // Unknown whether WeChat Pay got it: the order stays REFUNDING and payExpire resubmits
          // with the same outRefundNo (which WeChat Pay treats as the same refund).
          console.error(JSON.stringify({ fn: 'pay', where: 'refund', order: order._id, error: errText(e) }))
        }
        if (sent && !sent.accepted && !sent.retryLater && !sent.outcome.ok) {
          const { code, message } = sent.outcome
          return ctx.fail(
            'REFUND_REJECTED',
            code === 'NOTENOUGH'
              ? 'The shop cannot refund right now (insufficient merchant balance). Please try again later or contact customer service.'
              : code === 'TRADE_OVERDUE'
                ? 'WeChat Pay no longer accepts refunds for this order. Please contact customer service.'
                : `WeChat Pay refused the refund: ${message}`,
          )
        }
        const after = await getOwnOrder(orderId, ctx.openid)
        return { order: view(after ?? refunding) }
      },
    },

    recordSubscription: {
      input: schemas.recordSubscription,
      async handle({ answers }, ctx) {
        const { templates } = subscribeConfig(process.env)
        const known = templates ? [templates.paid, templates.refunded] : []
        const unknown = Object.keys(answers).filter((id) => !known.includes(id))
        if (unknown.length) return ctx.fail('TEMPLATE_UNKNOWN', `Not a template of this app: ${unknown.join(', ')}`)
        const credits: Record<string, number> = {}
        for (const id of known) {
          credits[id] = await addCredits(ctx.openid, id, answers[id] === 'accept' ? 1 : 0)
        }
        return { credits }
      },
    },
  },
  // npm run doctor asks whether PAY_SUB_MCH_ID is bound to this environment (server/doctor.ts).
  { doctor: async () => ({ merchant: await merchantProbe() }) },
)
