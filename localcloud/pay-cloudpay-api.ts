/**
 * cloudPay's five order calls and the bill, as WeChat Pay V2 answers them through cloudPay
 * (unifiedOrder, queryOrder, closeOrder, refund, queryRefund, downloadBill), over the sandbox's
 * order book. The rules and limits it checks are listed in pay-sandbox.ts, which adds what the
 * user and WeChat do (paying, settling refunds, notifying); the answers' shapes are in pay-v2.ts.
 */
import { billLinesOf, BILL_TEXT, SERVICE_APPID, tradeBillText, type BillLine } from './pay-bill'
import {
  digits,
  type SandboxOrder,
  type RefundAnswerShape,
  type BizCode,
  v2BizFail,
  unifiedOrderMalformed,
  v2RequestFail,
  isPaid,
  PREPAY_TTL_MS,
  v2Ok,
  newPrepay,
  parsePayTime,
  orderQueryAnswer,
  CLOSE_AFTER_MS,
  type SandboxRefund,
  refundQueryAnswer,
} from './pay-v2'
import { ApiSandbox, type CallInfo } from './sandbox'

export abstract class CloudPayApi extends ApiSandbox {
  /** Sub-merchants bound to this environment (云开发 → 设置 → 微信支付). */
  readonly merchants = new Set(['1900000109'])
  readonly orders = new Map<string, SandboxOrder>()
  /**
   * The shape queryRefund answers in: `lists` (cloudPay's camelCased lists), `indexed` (V2's
   * out_refund_no_$n fields) or `empty` (refund_count set, every list empty, as reported).
   */
  refundAnswer: RefundAnswerShape = 'lists'
  /** Merchant balance too low for refunds (NOTENOUGH). */
  balanceLow = false

  constructor(now: () => number) {
    super('cloudPay', now)
    this.on('unifiedOrder', (p, info) => this.injected('unifiedOrder') ?? this.unifiedOrder(p, info))
    this.on('queryOrder', (p) => this.injected('queryOrder') ?? this.queryOrder(p))
    this.on('closeOrder', (p) => this.injected('closeOrder') ?? this.closeOrder(p))
    this.on('refund', (p) => this.injected('refund') ?? this.refund(p))
    this.on('queryRefund', (p) => this.injected('queryRefund') ?? this.queryRefund(p))
    this.on('downloadBill', (p) => this.downloadBill(p))
  }

  /** WeChat Pay accepted a refund (PROCESSING); it is settled later. */
  protected abstract refundAccepted(outRefundNo: string): void

  private business = new Map<string, Array<{ code: BizCode; desc?: string }>>()

  /**
   * The next call of `api` answers result_code FAIL with this WeChat Pay err_code (and its
   * documented description). For transport failures use failNext(api, -501002): the SDK then
   * throws CloudSDKError like a CloudBase error.
   */
  failNextBusiness(
    api: 'unifiedOrder' | 'queryOrder' | 'closeOrder' | 'refund' | 'queryRefund',
    code: BizCode,
    desc?: string,
  ): this {
    const q = this.business.get(api) ?? []
    q.push({ code, ...(desc ? { desc } : {}) })
    this.business.set(api, q)
    return this
  }

  private injected(api: string): Record<string, unknown> | undefined {
    const next = this.business.get(api)?.shift()
    return next ? v2BizFail(next.code, next.desc) : undefined
  }

  private unifiedOrder(p: Record<string, unknown>, info: CallInfo): Record<string, unknown> {
    const malformed = unifiedOrderMalformed(p, this.now())
    if (malformed) return v2RequestFail(malformed)
    const outTradeNo = String(p.out_trade_no)
    if (!this.merchants.has(String(p.sub_mch_id))) return v2RequestFail('sub_mch_id与sub_appid不匹配')
    if (!info.openid) return v2BizFail('ERROR', 'JSAPI支付必须传openid')
    const existing = this.orders.get(outTradeNo)
    if (existing) {
      if (existing.totalFee !== p.total_fee || existing.body !== p.body || existing.subMchId !== p.sub_mch_id)
        return v2BizFail('OUT_TRADE_NO_USED')
      if (isPaid(existing)) return v2BizFail('ORDERPAID')
      if (existing.state === 'CLOSED') return v2BizFail('ORDERCLOSED')
      if (this.now() - existing.prepayAt >= PREPAY_TTL_MS) this.issuePrepay(existing, info.appid) // re-entry after 2 h: a new prepay
      return v2Ok({
        appid: existing.appid,
        sub_appid: existing.appid,
        sub_mch_id: existing.subMchId,
        trade_type: 'JSAPI',
        prepay_id: existing.prepayId,
        payment: existing.payment,
      })
    }
    const { prepayId, payment } = newPrepay(info.appid, this.now())
    const expire = typeof p.time_expire === 'string' ? parsePayTime(p.time_expire) : NaN
    this.orders.set(outTradeNo, {
      outTradeNo,
      subMchId: String(p.sub_mch_id),
      totalFee: Number(p.total_fee),
      body: String(p.body),
      envId: String(p.env_id),
      functionName: String(p.function_name),
      payer: info.openid,
      appid: info.appid,
      prepayId,
      prepayAt: this.now(),
      orderedAt: this.now(),
      payment,
      state: 'NOTPAY',
      ...(Number.isFinite(expire) ? { timeExpire: expire } : {}),
      refunds: new Map(),
    })
    return v2Ok({
      appid: info.appid,
      sub_appid: info.appid,
      sub_mch_id: p.sub_mch_id,
      trade_type: 'JSAPI',
      prepay_id: prepayId,
      payment,
    })
  }

  private issuePrepay(o: SandboxOrder, appid: string): void {
    const { prepayId, payment } = newPrepay(appid, this.now())
    Object.assign(o, { prepayId, payment, prepayAt: this.now() })
  }

  private queryOrder(p: Record<string, unknown>): Record<string, unknown> {
    // A sub-merchant not bound to the environment is refused at the request, as unifiedOrder is.
    if (!this.merchants.has(String(p.sub_mch_id))) return v2RequestFail('sub_mch_id与sub_appid不匹配')
    const o = this.orders.get(String(p.out_trade_no ?? ''))
    if (!o || o.subMchId !== p.sub_mch_id) return v2BizFail('ORDERNOTEXIST')
    return orderQueryAnswer(o)
  }

  private closeOrder(p: Record<string, unknown>): Record<string, unknown> {
    const o = this.orders.get(String(p.out_trade_no ?? ''))
    if (!o || o.subMchId !== p.sub_mch_id) return v2BizFail('ORDERNOTEXIST')
    if (isPaid(o)) return v2BizFail('ORDERPAID', '订单已支付')
    if (o.state === 'CLOSED') return v2BizFail('ORDERCLOSED')
    if (this.now() - o.orderedAt < CLOSE_AFTER_MS)
      return v2BizFail('SYSTEMERROR', '订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟')
    o.state = 'CLOSED'
    return v2Ok({ sub_mch_id: o.subMchId })
  }

  private refund(p: Record<string, unknown>): Record<string, unknown> {
    for (const k of ['sub_mch_id', 'nonce_str', 'out_refund_no', 'total_fee', 'refund_fee']) {
      if (p[k] === undefined || p[k] === '') return v2RequestFail(`缺少参数 ${k}`)
    }
    const o = this.orders.get(String(p.out_trade_no ?? ''))
    if (!o || o.subMchId !== p.sub_mch_id || !isPaid(o)) return v2BizFail('ORDERNOTEXIST')
    if (
      p.total_fee !== o.totalFee ||
      typeof p.refund_fee !== 'number' ||
      !Number.isSafeInteger(p.refund_fee) ||
      p.refund_fee <= 0
    )
      return v2BizFail('INVALID_REQUEST')
    const outRefundNo = String(p.out_refund_no)
    const known = o.refunds.get(outRefundNo)
    const answer = (r: SandboxRefund) =>
      v2Ok({
        sub_mch_id: o.subMchId,
        transaction_id: o.transactionId,
        out_trade_no: o.outTradeNo,
        out_refund_no: r.outRefundNo,
        refund_id: r.refundId,
        refund_fee: r.refundFee,
        total_fee: o.totalFee,
        cash_fee: o.totalFee,
      })
    if (known) return known.refundFee === p.refund_fee ? answer(known) : v2BizFail('INVALID_REQUEST')
    const refunded = [...o.refunds.values()]
      .filter((r) => r.status !== 'REFUNDCLOSE')
      .reduce((n, r) => n + r.refundFee, 0)
    if (p.refund_fee > o.totalFee - refunded) return v2BizFail('ERROR', '累计退款金额大于支付金额')
    if (this.balanceLow) return v2BizFail('NOTENOUGH')
    const r: SandboxRefund = {
      outRefundNo,
      refundId: `50${digits(27)}`,
      refundFee: p.refund_fee,
      status: 'PROCESSING',
      envId: String(p.env_id ?? ''),
      functionName: String(p.function_name ?? ''),
      acceptedAt: this.now(),
    }
    o.refunds.set(outRefundNo, r)
    o.state = 'REFUND'
    this.refundAccepted(outRefundNo)
    return answer(r)
  }

  /**
   * queryRefund (V2 refundquery, chapter 9_5) by out_refund_no, out_trade_no, transaction_id or
   * refund_id. WeChat Pay V2 answers indexed fields (refund_status_0, out_refund_no_0, ...);
   * cloudPay has been seen to pass them on as lists (outRefundNoList, refundStatusList, ... after
   * the SDK's camelCase: developers.weixin.qq.com community, CloudPay.queryRefund). The sandbox
   * answers the lists; server/pay/wxpay.ts refundStatusOf reads either form. PROCESSING until
   * settleRefund; REFUNDNOTEXIST for a refund it never accepted.
   */
  private queryRefund(p: Record<string, unknown>): Record<string, unknown> {
    if (!p.sub_mch_id || !p.nonce_str) return v2RequestFail('缺少参数 sub_mch_id / nonce_str')
    const keys = ['out_refund_no', 'out_trade_no', 'transaction_id', 'refund_id'].filter(
      (k) => typeof p[k] === 'string' && p[k] !== '',
    )
    if (keys.length === 0) return v2RequestFail('缺少参数 out_refund_no、out_trade_no、transaction_id、refund_id 之一')
    const o = [...this.orders.values()].find(
      (x) =>
        x.subMchId === p.sub_mch_id &&
        (x.outTradeNo === p.out_trade_no ||
          (x.transactionId !== undefined && x.transactionId === p.transaction_id) ||
          [...x.refunds.values()].some((r) => r.outRefundNo === p.out_refund_no || r.refundId === p.refund_id)),
    )
    const refunds = o
      ? [...o.refunds.values()]
          .filter((r) => !p.out_refund_no || r.outRefundNo === p.out_refund_no)
          .filter((r) => !p.refund_id || r.refundId === p.refund_id)
      : []
    if (!o || refunds.length === 0) return v2BizFail('REFUNDNOTEXIST')
    return refundQueryAnswer(this.refundAnswer, o, refunds)
  }

  /**
   * The tests' hand in the day's bill (differences injected for the reconciliation tests): it gets
   * the bill's lines and returns the ones to write.
   */
  billTamper?: (lines: BillLine[]) => BillLine[]

  /** The day's bill lines (payments by timeEnd, refunds by acceptance, Beijing time), before any tampering. */
  billLines(date: string, mchid: string): BillLine[] {
    const lines = billLinesOf(this.orders.values(), date, mchid)
    return this.billTamper ? this.billTamper(lines) : lines
  }

  /** The day's trade bill as WeChat Pay writes it (bill_type ALL), or null when there is none. */
  tradeBill(date: string, mchid: string, appid: string): string | null {
    return tradeBillText(this.billLines(date, mchid), mchid, appid)
  }

  /** V2 downloadbill through cloudPay: the bill as text (the SDK hands it over as { data }), or 'No Bill Exist'. */
  private downloadBill(p: Record<string, unknown>): Record<string, unknown> {
    const date = /^(\d{4})(\d{2})(\d{2})$/.exec(String(p.bill_date ?? ''))
    if (!date || !p.nonce_str) return v2RequestFail('bill_date参数格式错误')
    if (!this.merchants.has(String(p.sub_mch_id))) return v2RequestFail('sub_mch_id与sub_appid不匹配')
    const text = this.tradeBill(`${date[1]}-${date[2]}-${date[3]}`, String(p.sub_mch_id), SERVICE_APPID)
    return text === null ? v2RequestFail('No Bill Exist') : { [BILL_TEXT]: text }
  }

  findByPrepay(pkg: string): SandboxOrder | undefined {
    const prepayId = pkg.replace(/^prepay_id=/, '')
    return [...this.orders.values()].find((o) => o.prepayId === prepayId)
  }

  /** The money has been taken (a refund later does not undo that). */
  isPaid(o: SandboxOrder): boolean {
    return isPaid(o)
  }
}
