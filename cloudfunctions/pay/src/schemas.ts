/**
 * Input schemas of the pay actions (valibot, strict objects: an unexpected field such as a
 * `price` or `openid` from the client is refused, since the server decides both).
 */
import * as v from 'valibot'
import type { PayContract } from '../../../typings/pay'
import { schemasFor } from '../../../server/schemas'

const token = (name: string, max: number) =>
  v.pipe(
    v.string(`${name} must be a string`),
    v.minLength(1, `${name} is missing`),
    v.maxLength(max, `${name} is too long`),
    v.regex(/^[A-Za-z0-9_-]+$/, `${name} may hold only letters, digits, _ and -`),
  )

export const empty = v.strictObject({})

export const createOrder = v.strictObject({
  productId: token('productId', 64),
  quantity: v.pipe(
    v.number('quantity must be a number'),
    v.integer('quantity must be a whole number'),
    v.minValue(1, 'quantity must be at least 1'),
    v.maxValue(99, 'quantity must be at most 99'),
  ),
  /** One per buy tap, made by the page: the same id gets the same order back. */
  requestId: v.pipe(token('requestId', 64), v.minLength(8, 'requestId must be at least 8 characters')),
})

/** outTradeNo: at most 32 characters of letters, digits, _ and -. */
export const orderRef = v.strictObject({ orderId: token('orderId', 32) })

export const listOrders = v.strictObject({
  before: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  limit: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1, 'limit must be at least 1'),
      v.maxValue(50, 'limit must be at most 50'),
    ),
  ),
})

export const requestRefund = v.strictObject({
  orderId: token('orderId', 32),
  refundFen: v.optional(
    v.pipe(
      v.number('refundFen must be a number'),
      v.integer('refundFen must be whole fen'),
      v.minValue(1, 'refundFen must be at least 1'),
    ),
  ),
  soterProof: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9]{32}$/, 'soterProof must be the proof soter.verify returned')),
  ),
})

export const recordSubscription = v.strictObject({
  answers: v.pipe(
    v.record(
      token('template id', 64),
      v.picklist(['accept', 'reject', 'ban', 'filter'], 'answer must be accept, reject, ban or filter'),
    ),
    v.check(
      (r) => Object.keys(r).length >= 1 && Object.keys(r).length <= 3,
      'give 1 to 3 template answers (one requestSubscribeMessage call asks at most 3)',
    ),
  ),
})

/** Each action's schema, checked exact against typings/pay.ts. */
export const schemas = schemasFor<PayContract>()({
  listProducts: empty,
  createOrder,
  payOrder: orderRef,
  getOrder: orderRef,
  listOrders,
  requestRefund,
  recordSubscription,
})
