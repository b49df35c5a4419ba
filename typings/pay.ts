import type { Action } from './contract'

/**
 * Order states. The transitions (server/pay/machine.ts) are the only way a status changes,
 * and every one is a conditional write in the database:
 *
 *   UNPAID ──PAY_CONFIRMED──▶ PAID ──REFUND_REQUESTED──▶ REFUNDING ──REFUND_SUCCEEDED──▶ REFUNDED
 *     │                        ▲                            │
 *     └──CLOSE_CONFIRMED──▶ CLOSED                          ├──REFUND_REJECTED──▶ PAID (WeChat refused it: may ask again)
 *                                                           └──REFUND_FAILED────▶ REFUND_FAILED (money stuck: needs a person)
 */
export type OrderStatus = 'UNPAID' | 'PAID' | 'CLOSED' | 'REFUNDING' | 'REFUNDED' | 'REFUND_FAILED'

/**
 * A subscribe message an order owes, per kind (server/pay/notify.ts): OWED (recorded with the
 * transition), SENDING (a sender took it), CALLING (the send to WeChat started), then what it
 * ended as: SENT, NO_CREDIT, FAILED, NOT_CONFIGURED, or UNKNOWN (cut off during the send: it may
 * have reached WeChat and is not repeated, at most once). PENDING: orders from before OWED existed.
 */
export type NoticeStatus =
  'PENDING' | 'OWED' | 'SENDING' | 'CALLING' | 'SENT' | 'NO_CREDIT' | 'FAILED' | 'NOT_CONFIGURED' | 'UNKNOWN'

export interface Product {
  productId: string
  title: string
  description: string
  /** Unit price in fen (1 yuan = 100 fen), decided by the server's catalogue. */
  priceFen: number
  /** Most units one order may hold. */
  maxQuantity: number
}

/** The object `wx.requestPayment` takes, as cloudPay.unifiedOrder returns it (`result.payment`). */
export interface PaymentParams {
  timeStamp: string
  nonceStr: string
  package: string
  signType: 'MD5' | 'HMAC-SHA256' | 'RSA'
  paySign: string
}

export interface OrderView {
  /** = the merchant order number (outTradeNo) WeChat Pay knows it by. */
  orderId: string
  productId: string
  title: string
  quantity: number
  unitPriceFen: number
  totalFen: number
  status: OrderStatus
  /** All times are milliseconds since epoch (server time). */
  createdAt: number
  /** An UNPAID order can be paid until then; afterwards it is closed. */
  expiresAt: number
  paidAt: number | null
  closedAt: number | null
  /** When the goods were handed over (once, with the PAID transition). */
  fulfilledAt: number | null
  refund: { refundFen: number; requestedAt: number; refundedAt: number | null } | null
  /** The owner may continue paying (UNPAID and not expired). */
  canPay: boolean
  /** The owner may ask for a refund (PAID, no refund yet, within the refund window). */
  canRefund: boolean
  refundableUntil: number | null
}

/** One `wx.requestSubscribeMessage` answer per template id. */
export type SubscribeAnswer = 'accept' | 'reject' | 'ban' | 'filter'

/** Which templates the pay flow asks for (ids come from the server's configuration). */
export interface SubscribeTemplates {
  paid: string
  refunded: string
}

export type PayErrorCode =
  | 'PAY_NOT_CONFIGURED' // the function lacks its merchant configuration (PAY_SUB_MCH_ID, ...)
  | 'PAY_UNAVAILABLE' // WeChat Pay answered returnCode FAIL / SYSTEMERROR: try again later
  | 'PRODUCT_NOT_FOUND'
  | 'QUANTITY_TOO_LARGE'
  | 'REQUEST_ID_REUSED' // the same requestId was used for a different product or quantity
  | 'ORDER_NOT_FOUND'
  | 'ORDER_EXPIRED' // too late to pay: start a new order
  | 'ORDER_CLOSED'
  | 'ORDER_ALREADY_PAID'
  | 'TOO_MANY_OPEN_ORDERS' // more unpaid orders waiting than PAY_MAX_OPEN_ORDERS (default 5)

export type RefundErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'PAY_NOT_CONFIGURED'
  | 'PAY_UNAVAILABLE'
  | 'REFUND_NOT_ALLOWED' // the order is not PAID (unpaid, closed, already refunding or refunded)
  | 'REFUND_WINDOW_PASSED'
  | 'REFUND_EXCEEDS_PAID' // asked for more than was paid
  | 'REFUND_REJECTED' // WeChat Pay refused the refund (e.g. merchant balance NOTENOUGH); the order stays PAID
  | 'SOTER_REQUIRED' // PAY_REFUND_REQUIRES_SOTER=1 and no valid proof from soter.verify (purpose CONFIRM_REFUND, subject the order id)

/** A type alias (not an interface) so it satisfies `Contract` without widening its keys. */
export type PayContract = {
  /** The catalogue and the subscribe-message templates the buy tap asks for. */
  listProducts: Action<Record<string, never>, { products: Product[]; templates: SubscribeTemplates | null }, never>
  /**
   * Creates an UNPAID order (price from the catalogue) and its WeChat Pay prepay. The same
   * requestId (one per buy tap) returns the same order and payment while it can be paid.
   */
  createOrder: Action<
    { productId: string; quantity: number; requestId: string },
    { order: OrderView; payment: PaymentParams },
    PayErrorCode
  >
  /** "Continue paying": the payment of an UNPAID order that has not expired. */
  payOrder: Action<{ orderId: string }, { order: OrderView; payment: PaymentParams }, PayErrorCode>
  /**
   * The order as the server knows it. An UNPAID order with a prepay is checked with
   * cloudPay.queryOrder first (the callback may be late), and reconciled.
   */
  getOrder: Action<{ orderId: string }, { order: OrderView }, 'ORDER_NOT_FOUND'>
  /** The caller's orders, newest first. */
  listOrders: Action<{ before?: number; limit?: number }, { orders: OrderView[]; more: boolean }, never>
  /** Asks WeChat Pay to refund a PAID order (all of it unless refundFen says less). */
  requestRefund: Action<
    { orderId: string; refundFen?: number; soterProof?: string },
    { order: OrderView },
    RefundErrorCode
  >
  /** Records the answers of wx.requestSubscribeMessage: each `accept` is one sending credit. */
  recordSubscription: Action<
    { answers: Record<string, SubscribeAnswer> },
    { credits: Record<string, number> },
    'TEMPLATE_UNKNOWN'
  >
}
