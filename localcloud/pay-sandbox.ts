/**
 * WeChat Pay as `cloud.cloudPay.*` sees it, for the local cloud. Answers in WeChat Pay V2's
 * snake_case fields (the real SDK converts them to camelCase and overwrites `err_code` with
 * `errCode: 0`, exactly as deployed), and delivers the callbacks CloudBase would.
 *
 * Follows:
 * - CloudPay.unifiedOrder / queryOrder / closeOrder / refund
 *   https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/CloudPay.unifiedOrder.html
 *   and WeChat Pay V2 (https://pay.weixin.qq.com/wiki/doc/api/wxa/wxa_api.php?chapter=9_1 .. 9_4):
 *   return_code = transport (FAIL + return_msg for a malformed request), result_code = business
 *   (FAIL + err_code + err_code_des). The same out_trade_no with the same parameters answers the
 *   same prepay; with different ones OUT_TRADE_NO_USED. closeOrder on a paid order: ORDERPAID.
 *   A failed refund is retried with the same out_refund_no (same amount: same refund).
 * - Payment callback protocol (paymentCallback.html): the callback function gets the
 *   notification in camelCase and must answer `{ errcode: 0 }`; anything else is re-delivered
 *   (WeChat keeps trying for up to two days; here: `maxAttempts`, immediately).
 * - paySign: MD5 over `appId, nonceStr, package, signType, timeStamp` + key, uppercase hex
 *   (wx.requestPayment / WeChat Pay V2 signing), so a tampered payment is refused by the fake
 *   wx.requestPayment.
 * - Limits of V2 unifiedorder / closeorder: body at most 128 bytes; time_expire yyyyMMddHHmmss and
 *   more than 1 minute away; a prepay_id lives 2 hours (a payment with an older one fails; the
 *   same out_trade_no ordered again after that gets a new prepay); closeorder in the first 5
 *   minutes after ordering is refused ("订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟").
 * The order calls are answered in pay-cloudpay-api.ts (the answers' shapes in pay-v2.ts); this
 * class adds what the user and WeChat do: pay (wx.requestPayment's checks), settle refunds, and
 * deliver the notifications (pay-delivery.ts). Not reproduced: coupons.
 */
import { CloudPayApi } from './pay-cloudpay-api'
import { Deliveries, type Delivery, type DeliveryOptions, type Invoke } from './pay-delivery'
import {
  digits,
  isPaid,
  paymentEvent,
  paySign,
  payTime,
  PREPAY_TTL_MS,
  refundEvent,
  type SandboxOrder,
  type SandboxRefundStatus,
} from './pay-v2'
import type { WxPayV3Sandbox } from './wxpay-v3-sandbox'

export class PaySandbox extends CloudPayApi {
  /** 'auto': a refund's callback follows its acceptance; 'manual': tests call settleRefund(). */
  refundMode: 'auto' | 'manual' = 'manual'
  /** The APIv3 front over this order book (orders placed through it are notified as APIv3 does). */
  v3?: WxPayV3Sandbox
  /** How notifications reach the functions (re-deliveries, duplicates, held and delayed ones). */
  private readonly delivery: Deliveries

  constructor(now: () => number, env: string, invoke: Invoke) {
    super(now)
    this.delivery = new Deliveries(env, invoke, new Map([['/pay-notify', 'payNotify']]))
  }

  /** Every notification sent, in order, with its attempts. */
  get deliveries(): Delivery[] {
    return this.delivery.list
  }
  /** HTTP access paths → functions, for APIv3 notify URLs. */
  get routes(): Map<string, string> {
    return this.delivery.routes
  }
  /** Re-deliveries until acknowledged, then the notification is given up (and `lost`). */
  get maxAttempts(): number {
    return this.delivery.maxAttempts
  }
  set maxAttempts(n: number) {
    this.delivery.maxAttempts = n
  }

  protected refundAccepted(outRefundNo: string): void {
    if (this.refundMode === 'auto') this.delivery.track(Promise.resolve().then(() => this.settleRefund(outRefundNo)))
  }

  /** Forgets every order, call and delivery (reset). */
  forgetOrders(): void {
    this.orders.clear()
    this.calls.length = 0
    this.delivery.forget()
  }

  /** The order of a payment object WeChat signed for this prepay and this payer, or the sheet's errMsg. */
  checkPayment(
    payment: Record<string, unknown>,
    openid: string,
  ): { ok: true; order: SandboxOrder } | { ok: false; errMsg: string } {
    const o = this.findByPrepay(String(payment.package ?? ''))
    if (!o) return { ok: false, errMsg: 'requestPayment:fail prepay_id invalid' }
    if (this.now() - o.prepayAt >= PREPAY_TTL_MS) return { ok: false, errMsg: 'requestPayment:fail prepay_id expired' }
    const signed = this.v3?.notifyUrls.has(o.outTradeNo)
      ? this.v3.paySignOk(payment, o.appid)
      : payment.paySign ===
        paySign({
          appId: o.appid,
          nonceStr: String(payment.nonceStr),
          package: String(payment.package),
          signType: String(payment.signType),
          timeStamp: String(payment.timeStamp),
        })
    if (!signed) return { ok: false, errMsg: 'requestPayment:fail 支付验证签名失败' }
    if (o.payer !== openid) return { ok: false, errMsg: 'requestPayment:fail 此订单不属于当前用户' }
    return { ok: true, order: o }
  }

  /**
   * The user confirms the payment sheet of wx.requestPayment. Checks what WeChat checks (a
   * payment object signed for this prepay, the right payer, not expired, not paid), then
   * takes the money and delivers the callback. Resolves after the delivery unless held/delayed.
   */
  async userPays(
    payment: Record<string, unknown>,
    openid: string,
    opts: DeliveryOptions = {},
  ): Promise<{ ok: true; transactionId: string } | { ok: false; errMsg: string }> {
    const checked = this.checkPayment(payment, openid)
    if (!checked.ok) return checked
    const o = checked.order
    if (isPaid(o)) return { ok: false, errMsg: 'requestPayment:fail 该订单已支付' }
    if (o.state === 'CLOSED') return { ok: false, errMsg: 'requestPayment:fail 订单已关闭' }
    if (o.timeExpire !== undefined && this.now() > o.timeExpire)
      return { ok: false, errMsg: 'requestPayment:fail 订单已过期' }
    const transactionId = this.markPaid(o)
    await this.notifyPayment(o, opts)
    return { ok: true, transactionId }
  }

  /** Pays an order directly (as if the user did), for tests that skip the page. */
  async pay(outTradeNo: string, opts: DeliveryOptions = {}): Promise<string> {
    const o = this.orders.get(outTradeNo)
    if (!o) throw new Error(`sandbox: no order ${outTradeNo}`)
    if (o.state !== 'NOTPAY') throw new Error(`sandbox: order ${outTradeNo} is ${o.state}`)
    const id = this.markPaid(o)
    await this.notifyPayment(o, opts)
    return id
  }

  private markPaid(o: SandboxOrder): string {
    o.state = 'SUCCESS'
    o.transactionId = `42000${digits(23)}`
    o.timeEnd = payTime(this.now())
    return o.transactionId
  }

  /** The notification of a paid order, as the callback function receives it (camelCase). */
  paymentEvent(o: SandboxOrder, patch: Record<string, unknown> = {}): Record<string, unknown> {
    return paymentEvent(o, patch)
  }

  private notifyPayment(o: SandboxOrder, opts: DeliveryOptions): Promise<void> {
    const url = this.v3?.notifyUrls.get(o.outTradeNo)
    if (url && this.v3)
      return this.delivery.send(this.delivery.http('payment', url, this.v3.paymentNotification(o)), opts)
    return this.delivery.send(
      { kind: 'payment', fn: o.functionName, envId: o.envId, event: this.paymentEvent(o), attempts: [], acked: false },
      opts,
    )
  }

  /** WeChat finishes a refund: SUCCESS, CHANGE (money could not go back) or REFUNDCLOSE; delivers the refund callback. */
  async settleRefund(
    outRefundNo: string,
    status: Exclude<SandboxRefundStatus, 'PROCESSING'> = 'SUCCESS',
    opts: DeliveryOptions = {},
  ): Promise<void> {
    const o = [...this.orders.values()].find((x) => x.refunds.has(outRefundNo))
    const r = o?.refunds.get(outRefundNo)
    if (!o || !r) throw new Error(`sandbox: no refund ${outRefundNo}`)
    r.status = status
    const successTime = new Date(this.now() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19)
    if (status === 'SUCCESS') r.successTime = successTime
    const url = this.v3?.refundNotifyUrls.get(outRefundNo)
    if (url && this.v3)
      return this.delivery.send(this.delivery.http('refund', url, this.v3.refundNotification(o, r, status)), opts)
    const event = refundEvent(o, r, status, successTime)
    await this.delivery.send(
      { kind: 'refund', fn: r.functionName, envId: r.envId, event, attempts: [], acked: false },
      opts,
    )
  }

  /** Delivers a hand-made notification (a forged or odd callback) through the same path. */
  deliverRaw(
    kind: 'payment' | 'refund',
    fn: string,
    event: Record<string, unknown>,
    opts: DeliveryOptions = {},
  ): Promise<void> {
    return this.delivery.send({ kind, fn, envId: this.delivery.env, event, attempts: [], acked: false }, opts)
  }

  /** Delivers the held notifications (in the order they were held, or reversed). */
  flush(opts: { reverse?: boolean } = {}): Promise<void> {
    return this.delivery.flush(opts)
  }

  /** Waits for delayed deliveries and automatic refund settlements. */
  idle(): Promise<void> {
    return this.delivery.idle()
  }
}
