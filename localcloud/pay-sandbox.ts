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
 * Not reproduced: coupons, bills.
 */
import { createHash, randomBytes } from 'node:crypto'
import { ApiSandbox, type CallInfo } from './sandbox'
import type { WxPayV3Sandbox } from './wxpay-v3-sandbox'

export type SandboxTradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND'
export type SandboxRefundStatus = 'PROCESSING' | 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE'

export interface SandboxRefund {
  outRefundNo: string
  refundId: string
  refundFee: number
  /** When WeChat Pay accepted it (the trade bill lists a refund on that day). */
  acceptedAt?: number
  status: SandboxRefundStatus
  envId: string
  functionName: string
  /** Beijing time, yyyy-MM-dd HH:mm:ss, once SUCCESS. */
  successTime?: string
}

export interface SandboxOrder {
  outTradeNo: string
  subMchId: string
  totalFee: number
  body: string
  envId: string
  functionName: string
  /** The user who may pay it (the openid of the function call that created it). */
  payer: string
  appid: string
  prepayId: string
  /** When the prepay was issued (it lives 2 hours). */
  prepayAt: number
  /** When the order was first placed (closeOrder is refused for 5 minutes). */
  orderedAt: number
  payment: Record<string, string>
  state: SandboxTradeState
  timeExpire?: number
  transactionId?: string
  timeEnd?: string
  refunds: Map<string, SandboxRefund>
}

export interface DeliveryOptions {
  /** Extra copies delivered at the same time (WeChat's duplicates). */
  duplicates?: number
  /** Keep the notification until flush() (a late callback). */
  hold?: boolean
  /** Deliver after this many ms (not awaited by the caller; idle() waits for it). */
  delayMs?: number
}

export interface Delivery {
  kind: 'payment' | 'refund'
  fn: string
  envId: string
  event: Record<string, unknown>
  attempts: Array<{ result?: unknown; error?: string }>
  acked: boolean
  /** An APIv3 notification: an HTTP request, acknowledged by a 2xx status (not { errcode: 0 }). */
  http?: boolean
  /** Why it never reached a function (wrong env id), or gave up after maxAttempts. */
  lost?: string
}

/** Invokes a function; `http`: as CloudBase's HTTP access does (an APIv3 notification), else as cloudPay's callback. */
export type Invoke = (fn: string, event: Record<string, unknown>, http?: boolean) => Promise<unknown>

const SANDBOX_KEY = 'localcloud-sandbox-merchant-key-0000000'
const SERVICE_MCH_ID = '1800000001'

const DESC = {
  ORDERPAID: '该订单已支付',
  ORDERCLOSED: '订单已关闭',
  ORDERNOTEXIST: '订单不存在',
  OUT_TRADE_NO_USED: '商户订单号重复',
  NOTENOUGH: '基本账户余额不足，请充值后重新发起',
  INVALID_REQUEST: '参数错误:订单金额或退款金额与之前请求不一致，请核实后再试',
  SYSTEMERROR: '系统错误',
  REFUNDNOTEXIST: '退款订单查询失败',
} as const
type BizCode = keyof typeof DESC | 'ERROR'

/**
 * Beijing-time yyyyMMddHHmmss, as WeChat Pay writes time_end. Written apart from
 * server/pay/money.ts on purpose: the sandbox stands for WeChat and must not share the code it checks.
 */
/** V2 unifiedorder: body String(128), in bytes. */
const BODY_MAX_BYTES = 128
/** A prepay_id is valid for 2 hours. */
const PREPAY_TTL_MS = 2 * 3600_000
/** closeorder is refused in the first 5 minutes after ordering. */
const CLOSE_AFTER_MS = 5 * 60_000

function payTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14)
}
function parsePayTime(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s)
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - 8 * 3600_000 : NaN
}

export function paySign(
  p: { appId: string; nonceStr: string; package: string; signType: string; timeStamp: string },
  key = SANDBOX_KEY,
): string {
  const s = `appId=${p.appId}&nonceStr=${p.nonceStr}&package=${p.package}&signType=${p.signType}&timeStamp=${p.timeStamp}&key=${key}`
  return createHash('md5').update(s, 'utf8').digest('hex').toUpperCase()
}

/** A payment or refund line of the trade bill (before it is written as text). */
export interface BillLine {
  kind: 'PAYMENT' | 'REFUND'
  /** yyyyMMddHHmmss, Beijing time. */
  at: string
  transactionId: string
  outTradeNo: string
  payer: string
  totalFen: number
  body: string
  refundId?: string
  outRefundNo?: string
  refundFen?: number
  refundStatus?: string
}
/** The key under which the downloadBill handler hands the local cloud raw bill text (not JSON). */
export const BILL_TEXT = '__billText'
/** The service provider's AppID the cloudPay bill lists (a sandbox value). */
const SERVICE_APPID = 'wx0000000000spapp'

const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('')

export class PaySandbox extends ApiSandbox {
  /** Sub-merchants bound to this environment (云开发 → 设置 → 微信支付). */
  readonly merchants = new Set(['1900000109'])
  readonly orders = new Map<string, SandboxOrder>()
  readonly deliveries: Delivery[] = []
  /** Re-deliveries until `{ errcode: 0 }`, then the notification is given up (and `lost`). */
  maxAttempts = 8
  /** 'auto': a refund's callback follows its acceptance; 'manual': tests call settleRefund(). */
  refundMode: 'auto' | 'manual' = 'manual'
  /**
   * The shape queryRefund answers in: `lists` (cloudPay's camelCased lists), `indexed` (V2's
   * out_refund_no_$n fields) or `empty` (refund_count set, every list empty, as reported).
   */
  refundAnswer: 'lists' | 'indexed' | 'empty' = 'lists'
  /** Merchant balance too low for refunds (NOTENOUGH). */
  balanceLow = false
  /** The APIv3 front over this order book (orders placed through it are notified as APIv3 does). */
  v3?: WxPayV3Sandbox
  /** HTTP access paths → functions, for APIv3 notify URLs. */
  readonly routes = new Map([['/pay-notify', 'payNotify']])
  private held: Array<{ d: Delivery; copies: number }> = []
  private pending = new Set<Promise<void>>()

  constructor(
    now: () => number,
    private readonly env: string,
    private readonly invoke: Invoke,
  ) {
    super('cloudPay', now)
    this.on('unifiedOrder', (p, info) => this.injected('unifiedOrder') ?? this.unifiedOrder(p, info))
    this.on('queryOrder', (p) => this.injected('queryOrder') ?? this.queryOrder(p))
    this.on('closeOrder', (p) => this.injected('closeOrder') ?? this.closeOrder(p))
    this.on('refund', (p) => this.injected('refund') ?? this.refund(p))
    this.on('queryRefund', (p) => this.injected('queryRefund') ?? this.queryRefund(p))
    this.on('downloadBill', (p) => this.downloadBill(p))
  }

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
    return next ? this.bizFail(next.code, next.desc) : undefined
  }

  private ok(extra: Record<string, unknown>): Record<string, unknown> {
    return {
      return_code: 'SUCCESS',
      return_msg: 'OK',
      mch_id: SERVICE_MCH_ID,
      nonce_str: randomBytes(8).toString('hex'),
      sign: randomBytes(16).toString('hex').toUpperCase(),
      result_code: 'SUCCESS',
      ...extra,
    }
  }
  private bizFail(code: BizCode, desc?: string): Record<string, unknown> {
    return this.ok({
      result_code: 'FAIL',
      err_code: code,
      err_code_des: desc ?? (code === 'ERROR' ? '申请退款业务发生错误' : DESC[code]),
    })
  }
  private requestFail(msg: string): Record<string, unknown> {
    return { return_code: 'FAIL', return_msg: msg }
  }

  private unifiedOrder(p: Record<string, unknown>, info: CallInfo): Record<string, unknown> {
    for (const k of [
      'body',
      'out_trade_no',
      'spbill_create_ip',
      'sub_mch_id',
      'total_fee',
      'env_id',
      'function_name',
      'nonce_str',
      'trade_type',
    ]) {
      if (p[k] === undefined || p[k] === '') return this.requestFail(`缺少参数 ${k}`)
    }
    const outTradeNo = String(p.out_trade_no)
    if (!/^[A-Za-z0-9_\-|*]{1,32}$/.test(outTradeNo)) return this.requestFail('out_trade_no参数格式校验错误')
    if (String(p.nonce_str).length > 32) return this.requestFail('nonce_str参数长度有误')
    if (typeof p.total_fee !== 'number' || !Number.isSafeInteger(p.total_fee) || p.total_fee <= 0)
      return this.requestFail('total_fee参数格式校验错误')
    if (p.trade_type !== 'JSAPI') return this.requestFail('trade_type参数格式校验错误')
    if (Buffer.byteLength(String(p.body), 'utf8') > BODY_MAX_BYTES) return this.requestFail('body参数长度有误')
    if (p.time_expire !== undefined) {
      const at = typeof p.time_expire === 'string' ? parsePayTime(p.time_expire) : NaN
      if (!Number.isFinite(at)) return this.requestFail('time_expire参数格式校验错误')
      if (at - this.now() <= 60_000) return this.requestFail('time_expire时间过短，最短失效时间间隔必须大于1分钟')
    }
    if (!this.merchants.has(String(p.sub_mch_id))) return this.requestFail('sub_mch_id与sub_appid不匹配')
    if (!info.openid) return this.bizFail('ERROR', 'JSAPI支付必须传openid')
    const existing = this.orders.get(outTradeNo)
    if (existing) {
      if (existing.totalFee !== p.total_fee || existing.body !== p.body || existing.subMchId !== p.sub_mch_id)
        return this.bizFail('OUT_TRADE_NO_USED')
      if (this.isPaid(existing)) return this.bizFail('ORDERPAID')
      if (existing.state === 'CLOSED') return this.bizFail('ORDERCLOSED')
      if (this.now() - existing.prepayAt >= PREPAY_TTL_MS) this.issuePrepay(existing, info.appid) // re-entry after 2 h: a new prepay
      return this.ok({
        appid: existing.appid,
        sub_appid: existing.appid,
        sub_mch_id: existing.subMchId,
        trade_type: 'JSAPI',
        prepay_id: existing.prepayId,
        payment: existing.payment,
      })
    }
    const { prepayId, payment } = this.newPrepay(info.appid)
    const expire = typeof p.time_expire === 'string' ? parsePayTime(p.time_expire) : NaN
    this.orders.set(outTradeNo, {
      outTradeNo,
      subMchId: String(p.sub_mch_id),
      totalFee: p.total_fee,
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
    return this.ok({
      appid: info.appid,
      sub_appid: info.appid,
      sub_mch_id: p.sub_mch_id,
      trade_type: 'JSAPI',
      prepay_id: prepayId,
      payment,
    })
  }

  private newPrepay(appid: string): { prepayId: string; payment: Record<string, string> } {
    const prepayId = `wx${payTime(this.now())}${randomBytes(9).toString('hex')}`
    const unsigned = {
      appId: appid,
      timeStamp: String(Math.floor(this.now() / 1000)),
      nonceStr: randomBytes(16).toString('hex'),
      package: `prepay_id=${prepayId}`,
      signType: 'MD5',
    }
    return { prepayId, payment: { ...unsigned, paySign: paySign(unsigned) } }
  }

  private issuePrepay(o: SandboxOrder, appid: string): void {
    const { prepayId, payment } = this.newPrepay(appid)
    Object.assign(o, { prepayId, payment, prepayAt: this.now() })
  }

  private queryOrder(p: Record<string, unknown>): Record<string, unknown> {
    // A sub-merchant not bound to the environment is refused at the request, as unifiedOrder is.
    if (!this.merchants.has(String(p.sub_mch_id))) return this.requestFail('sub_mch_id与sub_appid不匹配')
    const o = this.orders.get(String(p.out_trade_no ?? ''))
    if (!o || o.subMchId !== p.sub_mch_id) return this.bizFail('ORDERNOTEXIST')
    const base = {
      sub_mch_id: o.subMchId,
      out_trade_no: o.outTradeNo,
      total_fee: o.totalFee,
      trade_state: o.state,
      trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', REFUND: '转入退款' }[o.state],
    }
    if (this.isPaid(o)) {
      return this.ok({
        ...base,
        transaction_id: o.transactionId,
        time_end: o.timeEnd,
        cash_fee: o.totalFee,
        openid: o.payer,
        trade_type: 'JSAPI',
        bank_type: 'OTHERS',
      })
    }
    return this.ok(base)
  }

  private closeOrder(p: Record<string, unknown>): Record<string, unknown> {
    const o = this.orders.get(String(p.out_trade_no ?? ''))
    if (!o || o.subMchId !== p.sub_mch_id) return this.bizFail('ORDERNOTEXIST')
    if (this.isPaid(o)) return this.bizFail('ORDERPAID', '订单已支付')
    if (o.state === 'CLOSED') return this.bizFail('ORDERCLOSED')
    if (this.now() - o.orderedAt < CLOSE_AFTER_MS)
      return this.bizFail('SYSTEMERROR', '订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟')
    o.state = 'CLOSED'
    return this.ok({ sub_mch_id: o.subMchId })
  }

  private refund(p: Record<string, unknown>): Record<string, unknown> {
    for (const k of ['sub_mch_id', 'nonce_str', 'out_refund_no', 'total_fee', 'refund_fee']) {
      if (p[k] === undefined || p[k] === '') return this.requestFail(`缺少参数 ${k}`)
    }
    const o = this.orders.get(String(p.out_trade_no ?? ''))
    if (!o || o.subMchId !== p.sub_mch_id || !this.isPaid(o)) return this.bizFail('ORDERNOTEXIST')
    if (
      p.total_fee !== o.totalFee ||
      typeof p.refund_fee !== 'number' ||
      !Number.isSafeInteger(p.refund_fee) ||
      p.refund_fee <= 0
    )
      return this.bizFail('INVALID_REQUEST')
    const outRefundNo = String(p.out_refund_no)
    const known = o.refunds.get(outRefundNo)
    const answer = (r: SandboxRefund) =>
      this.ok({
        sub_mch_id: o.subMchId,
        transaction_id: o.transactionId,
        out_trade_no: o.outTradeNo,
        out_refund_no: r.outRefundNo,
        refund_id: r.refundId,
        refund_fee: r.refundFee,
        total_fee: o.totalFee,
        cash_fee: o.totalFee,
      })
    if (known) return known.refundFee === p.refund_fee ? answer(known) : this.bizFail('INVALID_REQUEST')
    const refunded = [...o.refunds.values()]
      .filter((r) => r.status !== 'REFUNDCLOSE')
      .reduce((n, r) => n + r.refundFee, 0)
    if (p.refund_fee > o.totalFee - refunded) return this.bizFail('ERROR', '累计退款金额大于支付金额')
    if (this.balanceLow) return this.bizFail('NOTENOUGH')
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
    if (this.refundMode === 'auto') this.track(Promise.resolve().then(() => this.settleRefund(outRefundNo)))
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
    if (!p.sub_mch_id || !p.nonce_str) return this.requestFail('缺少参数 sub_mch_id / nonce_str')
    const keys = ['out_refund_no', 'out_trade_no', 'transaction_id', 'refund_id'].filter(
      (k) => typeof p[k] === 'string' && p[k] !== '',
    )
    if (keys.length === 0)
      return this.requestFail('缺少参数 out_refund_no、out_trade_no、transaction_id、refund_id 之一')
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
    if (!o || refunds.length === 0) return this.bizFail('REFUNDNOTEXIST')
    const head = {
      sub_mch_id: o.subMchId,
      transaction_id: o.transactionId,
      out_trade_no: o.outTradeNo,
      total_fee: o.totalFee,
      cash_fee: o.totalFee,
      refund_count: refunds.length,
    }
    const success = (r: SandboxRefund) => (r.status === 'SUCCESS' ? (r.successTime ?? '') : '')
    if (this.refundAnswer === 'indexed') {
      // V2's own shape (refundquery): out_refund_no_$n, refund_status_$n, ...
      const fields: Record<string, unknown> = {}
      refunds.forEach((r, n) =>
        Object.assign(fields, {
          [`out_refund_no_${n}`]: r.outRefundNo,
          [`refund_id_${n}`]: r.refundId,
          [`refund_fee_${n}`]: r.refundFee,
          [`refund_status_${n}`]: r.status,
          [`refund_success_time_${n}`]: success(r),
        }),
      )
      return this.ok({ ...head, ...fields })
    }
    if (this.refundAnswer === 'empty') {
      // As reported from cloudPay (community threads 2020-2023): the count, and every list empty.
      return this.ok({
        ...head,
        out_refund_no_list: [],
        refund_id_list: [],
        refund_fee_list: [],
        refund_status_list: [],
        refund_success_time_list: [],
      })
    }
    return this.ok({
      ...head,
      out_refund_no_list: refunds.map((r) => r.outRefundNo),
      refund_id_list: refunds.map((r) => r.refundId),
      refund_fee_list: refunds.map((r) => r.refundFee),
      refund_status_list: refunds.map((r) => r.status),
      refund_success_time_list: refunds.map(success),
    })
  }

  /**
   * The tests' hand in the day's bill (differences injected for the reconciliation tests): it gets
   * the bill's lines and returns the ones to write.
   */
  billTamper?: (lines: BillLine[]) => BillLine[]

  /** The day's bill lines (payments by timeEnd, refunds by acceptance, Beijing time), before any tampering. */
  billLines(date: string, mchid: string): BillLine[] {
    const day = date.replace(/-/g, '')
    const lines: BillLine[] = []
    for (const o of this.orders.values()) {
      if (o.subMchId !== mchid) continue
      if (this.isPaid(o) && o.timeEnd?.startsWith(day))
        lines.push({
          kind: 'PAYMENT',
          at: o.timeEnd,
          transactionId: o.transactionId!,
          outTradeNo: o.outTradeNo,
          payer: o.payer,
          totalFen: o.totalFee,
          body: o.body,
        })
      for (const r of o.refunds.values()) {
        if (r.acceptedAt !== undefined && payTime(r.acceptedAt).startsWith(day))
          lines.push({
            kind: 'REFUND',
            at: payTime(r.acceptedAt),
            transactionId: o.transactionId!,
            outTradeNo: o.outTradeNo,
            payer: o.payer,
            totalFen: o.totalFee,
            body: o.body,
            refundId: r.refundId,
            outRefundNo: r.outRefundNo,
            refundFen: r.refundFee,
            refundStatus: r.status === 'REFUNDCLOSE' ? 'REFUNDCLOSE' : r.status === 'CHANGE' ? 'CHANGE' : r.status,
          })
      }
    }
    lines.sort((a, b) => a.at.localeCompare(b.at))
    return this.billTamper ? this.billTamper(lines) : lines
  }

  /** The day's trade bill as WeChat Pay writes it (bill_type ALL), or null when there is none. */
  tradeBill(date: string, mchid: string, appid: string): string | null {
    const lines = this.billLines(date, mchid)
    if (!lines.length) return null
    const yuan = (fen: number) => (fen / 100).toFixed(2)
    const time = (t: string) =>
      `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`
    const head =
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注'
    const rows = lines.map((l) => {
      const refund = l.kind === 'REFUND'
      const f = [
        time(l.at),
        appid,
        mchid,
        '0',
        '',
        l.transactionId,
        l.outTradeNo,
        l.payer,
        'JSAPI',
        refund ? 'REFUND' : 'SUCCESS',
        'OTHERS',
        'CNY',
        refund ? '0.00' : yuan(l.totalFen),
        '0.00',
        refund ? (l.refundId ?? '') : '0',
        refund ? (l.outRefundNo ?? '') : '0',
        refund ? yuan(l.refundFen ?? 0) : '0.00',
        '0.00',
        refund ? 'ORIGINAL' : '',
        refund ? (l.refundStatus ?? '') : '',
        l.body,
        '',
        '0.00',
        '0.60%',
        yuan(l.totalFen),
        refund ? yuan(l.refundFen ?? 0) : '0.00',
        '',
      ]
      return f.map((x) => `\`${x}`).join(',')
    })
    const paid = lines.filter((l) => l.kind === 'PAYMENT').reduce((n, l) => n + l.totalFen, 0)
    const refunded = lines.filter((l) => l.kind === 'REFUND').reduce((n, l) => n + (l.refundFen ?? 0), 0)
    return (
      [
        head,
        ...rows,
        '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
        [lines.length, yuan(paid), yuan(refunded), '0.00', '0.00', yuan(paid), yuan(refunded)]
          .map((x) => `\`${x}`)
          .join(','),
      ].join('\r\n') + '\r\n'
    )
  }

  /** V2 downloadbill through cloudPay: the bill as text (the SDK hands it over as { data }), or 'No Bill Exist'. */
  private downloadBill(p: Record<string, unknown>): Record<string, unknown> {
    const date = /^(\d{4})(\d{2})(\d{2})$/.exec(String(p.bill_date ?? ''))
    if (!date || !p.nonce_str) return this.requestFail('bill_date参数格式错误')
    if (!this.merchants.has(String(p.sub_mch_id))) return this.requestFail('sub_mch_id与sub_appid不匹配')
    const text = this.tradeBill(`${date[1]}-${date[2]}-${date[3]}`, String(p.sub_mch_id), SERVICE_APPID)
    return text === null ? this.requestFail('No Bill Exist') : { [BILL_TEXT]: text }
  }

  // ---- what the user and WeChat do ----

  /** Forgets every order, call and delivery (reset). */
  forgetOrders(): void {
    this.orders.clear()
    this.calls.length = 0
    this.deliveries.length = 0
    this.held = []
  }

  findByPrepay(pkg: string): SandboxOrder | undefined {
    const prepayId = pkg.replace(/^prepay_id=/, '')
    return [...this.orders.values()].find((o) => o.prepayId === prepayId)
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

  /** The money has been taken (a refund later does not undo that). */
  isPaid(o: SandboxOrder): boolean {
    return o.state === 'SUCCESS' || o.state === 'REFUND'
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
    if (this.isPaid(o)) return { ok: false, errMsg: 'requestPayment:fail 该订单已支付' }
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
    return {
      returnCode: 'SUCCESS',
      appid: o.appid,
      mchId: SERVICE_MCH_ID,
      subAppid: o.appid,
      subMchId: o.subMchId,
      nonceStr: randomBytes(8).toString('hex'),
      resultCode: 'SUCCESS',
      openid: `sp_${o.payer}`,
      isSubscribe: 'N',
      subOpenid: o.payer,
      subIsSubscribe: 'N',
      tradeType: 'JSAPI',
      bankType: 'OTHERS',
      totalFee: o.totalFee,
      feeType: 'CNY',
      cashFee: o.totalFee,
      transactionId: o.transactionId,
      outTradeNo: o.outTradeNo,
      timeEnd: o.timeEnd,
      ...patch,
    }
  }

  private notifyPayment(o: SandboxOrder, opts: DeliveryOptions): Promise<void> {
    const url = this.v3?.notifyUrls.get(o.outTradeNo)
    if (url && this.v3)
      return this.send(
        this.httpDelivery(
          'payment',
          url,
          this.v3.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', this.v3.transaction(o)),
        ),
        opts,
      )
    return this.send(
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
    const event = {
      returnCode: 'SUCCESS',
      appid: o.appid,
      mchId: SERVICE_MCH_ID,
      subMchId: o.subMchId,
      nonceStr: randomBytes(8).toString('hex'),
      reqInfo: {
        transactionId: o.transactionId,
        outTradeNo: o.outTradeNo,
        refundId: r.refundId,
        outRefundNo,
        totalFee: o.totalFee,
        refundFee: r.refundFee,
        settlementRefundFee: r.refundFee,
        refundStatus: status,
        ...(status === 'SUCCESS' ? { successTime } : {}),
        refundRecvAccout: '支付用户零钱',
        refundAccount: 'REFUND_SOURCE_RECHARGE_FUNDS',
        refundRequestSource: 'API',
      },
    }
    const url = this.v3?.refundNotifyUrls.get(outRefundNo)
    if (url && this.v3) {
      const kind = { SUCCESS: 'REFUND.SUCCESS', CHANGE: 'REFUND.ABNORMAL', REFUNDCLOSE: 'REFUND.CLOSED' }[status]
      const v3 = this.v3.refundOf(r, o)
      const resource = {
        mchid: this.v3.mchid,
        out_trade_no: o.outTradeNo,
        transaction_id: o.transactionId,
        out_refund_no: outRefundNo,
        refund_id: r.refundId,
        refund_status: v3.status,
        ...(v3.success_time ? { success_time: v3.success_time } : {}),
        user_received_account: '支付用户零钱',
        amount: { total: o.totalFee, refund: r.refundFee, payer_total: o.totalFee, payer_refund: r.refundFee },
      }
      await this.send(
        this.httpDelivery('refund', url, this.v3.notification(kind, '退款状态变化', 'refund', resource)),
        opts,
      )
      return
    }
    await this.send({ kind: 'refund', fn: r.functionName, envId: r.envId, event, attempts: [], acked: false }, opts)
  }

  /** An APIv3 notification as CloudBase's HTTP access hands it to the notify URL's function. */
  private httpDelivery(
    kind: 'payment' | 'refund',
    url: string,
    n: { headers: Record<string, string>; body: string },
  ): Delivery {
    const path = new URL(url).pathname
    const fn = this.routes.get(path)
    const event = {
      path,
      httpMethod: 'POST',
      headers: {
        host: new URL(url).host,
        ...Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v])),
      },
      queryStringParameters: {},
      isBase64Encoded: false,
      body: n.body,
    }
    return {
      kind,
      fn: fn ?? '',
      envId: fn ? this.env : `(no HTTP access path ${path})`,
      event,
      attempts: [],
      acked: false,
      http: true,
    }
  }

  /** Delivers a hand-made notification (a forged or odd callback) through the same path. */
  deliverRaw(
    kind: 'payment' | 'refund',
    fn: string,
    event: Record<string, unknown>,
    opts: DeliveryOptions = {},
  ): Promise<void> {
    return this.send({ kind, fn, envId: this.env, event, attempts: [], acked: false }, opts)
  }

  private send(d: Delivery, opts: DeliveryOptions): Promise<void> {
    this.deliveries.push(d)
    const copies = 1 + (opts.duplicates ?? 0)
    if (opts.hold) {
      this.held.push({ d, copies })
      return Promise.resolve()
    }
    if (opts.delayMs) {
      this.track(new Promise<void>((r) => setTimeout(r, opts.delayMs)).then(() => this.deliverCopies(d, copies)))
      return Promise.resolve()
    }
    return this.deliverCopies(d, copies)
  }

  private async deliverCopies(d: Delivery, copies: number): Promise<void> {
    await Promise.all(Array.from({ length: copies }, () => this.deliver(d)))
  }

  /** One notification, re-delivered until the function answers `{ errcode: 0 }` (bounded). */
  private async deliver(d: Delivery): Promise<void> {
    if (d.envId !== this.env) {
      d.lost = `env_id "${d.envId}" is not this environment ("${this.env}"): the notification goes nowhere`
      return
    }
    for (let i = 0; i < this.maxAttempts && !d.acked; i++) {
      try {
        const result = await this.invoke(d.fn, JSON.parse(JSON.stringify(d.event)) as Record<string, unknown>, d.http)
        d.attempts.push({ result })
        const status = (result as { statusCode?: unknown } | null)?.statusCode
        if (
          d.http
            ? typeof status === 'number' && status >= 200 && status < 300
            : typeof result === 'object' && result !== null && (result as { errcode?: unknown }).errcode === 0
        )
          d.acked = true
      } catch (e) {
        d.attempts.push({ error: e instanceof Error ? e.message : String(e) })
      }
    }
    if (!d.acked && !d.lost) d.lost = `no { errcode: 0 } after ${d.attempts.length} attempts`
  }

  /** Delivers the held notifications (in the order they were held, or reversed). */
  async flush(opts: { reverse?: boolean } = {}): Promise<void> {
    const batch = this.held.splice(0)
    if (opts.reverse) batch.reverse()
    for (const { d, copies } of batch) await this.deliverCopies(d, copies)
  }

  private track(p: Promise<void>): void {
    this.pending.add(p)
    void p.finally(() => this.pending.delete(p))
  }

  /** Waits for delayed deliveries and automatic refund settlements. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending])
  }
}
