/**
 * Reading cloudPay answers. Two traps, both reproduced by the local cloud because it runs the
 * real wx-server-sdk:
 * 1. The SDK returns `errCode: 0` for every answer that reached WeChat Pay (it overwrites the
 *    converted `err_code`), so `errCode` says nothing. Success is
 *    `returnCode === 'SUCCESS' && resultCode === 'SUCCESS'` (WeChat Pay V2: return_code is the
 *    transport, result_code the business result).
 * 2. The business error code (ORDERPAID, ORDERCLOSED, NOTENOUGH, ...) is lost with it; only its
 *    description `errCodeDes` survives. The codes are recovered from the descriptions WeChat Pay
 *    V2 documents for unifiedorder / orderquery / closeorder / refund
 *    (https://pay.weixin.qq.com/wiki/doc/api/wxa/wxa_api.php?chapter=9_1, 9_2, 9_3, 9_4).
 * Callers that must know the truth after a failure (close racing a payment) ask queryOrder.
 */
import type { PayResultBase } from '../wx'

export type WxPayBizCode =
  | 'ORDERPAID'
  | 'ORDERCLOSED'
  | 'ORDERNOTEXIST'
  | 'OUT_TRADE_NO_USED'
  | 'NOTENOUGH'
  | 'SYSTEMERROR'
  | 'BIZERR_NEED_RETRY'
  | 'TRADE_OVERDUE'
  | 'FREQUENCY_LIMITED'
  | 'INVALID_REQUEST'
  | 'NOAUTH'
  | 'REFUNDNOTEXIST'
  | 'UNKNOWN'

export type PayOutcome =
  | { ok: true }
  /** return_code FAIL: the request itself was refused (parameters, signature, permissions). */
  | { ok: false; kind: 'REQUEST'; code: 'UNKNOWN'; message: string }
  /** result_code FAIL: WeChat Pay processed it and said no. */
  | { ok: false; kind: 'BUSINESS'; code: WxPayBizCode; message: string }

/** Descriptions (Chinese and English) WeChat Pay answers with, most specific first. */
const DESCRIPTIONS: Array<[RegExp, WxPayBizCode]> = [
  [/商户订单号重复|out_trade_no.*(used|duplicate)/i, 'OUT_TRADE_NO_USED'],
  [/订单已支付|order.*(already )?paid/i, 'ORDERPAID'],
  [/订单已关闭|order.*closed/i, 'ORDERCLOSED'],
  [/退款订单查询失败|refund.*not ?exist/i, 'REFUNDNOTEXIST'],
  [/订单.*不存在|order.*not ?exist/i, 'ORDERNOTEXIST'],
  [/余额不足|not ?enough|insufficient/i, 'NOTENOUGH'],
  [/超过退款期限|overdue/i, 'TRADE_OVERDUE'],
  [/需要商户触发重试|need.*retry/i, 'BIZERR_NEED_RETRY'],
  [/频率限制|frequency/i, 'FREQUENCY_LIMITED'],
  [/无此接口权限|no ?auth|未授权/i, 'NOAUTH'],
  [/参数错误|invalid.*(request|param)|param.*error/i, 'INVALID_REQUEST'],
  [/系统错误|系统超时|system ?error|timeout/i, 'SYSTEMERROR'],
]

const CODES = new Set<string>(DESCRIPTIONS.map(([, c]) => c))

/** The business code of a FAIL answer: from errCode if a future SDK keeps it as a string, else from the description. */
export function bizCode(res: Pick<PayResultBase, 'errCodeDes' | 'resultMsg'> & { errCode?: unknown }): WxPayBizCode {
  if (typeof res.errCode === 'string' && CODES.has(res.errCode)) return res.errCode as WxPayBizCode
  const text = `${res.errCodeDes ?? ''} ${res.resultMsg ?? ''}`
  for (const [re, code] of DESCRIPTIONS) if (re.test(text)) return code
  return 'UNKNOWN'
}

export function payOutcome(res: PayResultBase | null | undefined): PayOutcome {
  if (!res || res.returnCode !== 'SUCCESS') {
    return { ok: false, kind: 'REQUEST', code: 'UNKNOWN', message: res?.returnMsg || 'WeChat Pay refused the request' }
  }
  if (res.resultCode === 'SUCCESS') return { ok: true }
  return {
    ok: false,
    kind: 'BUSINESS',
    code: bizCode(res),
    message: res.errCodeDes || res.resultMsg || 'WeChat Pay answered FAIL',
  }
}

/** Failures worth the same request again later (same outTradeNo / outRefundNo). */
export function isTransient(o: PayOutcome): boolean {
  return !o.ok && (o.code === 'SYSTEMERROR' || o.code === 'BIZERR_NEED_RETRY' || o.code === 'FREQUENCY_LIMITED')
}

export type RefundState = 'SUCCESS' | 'PROCESSING' | 'CHANGE' | 'REFUNDCLOSE'
const REFUND_STATES = new Set<string>(['SUCCESS', 'PROCESSING', 'CHANGE', 'REFUNDCLOSE'])

/**
 * The state and amount of one refund in a queryRefund answer, whichever form it comes in:
 * cloudPay's lists (outRefundNoList[i] / refundStatusList[i] / refundFeeList[i]) or WeChat Pay
 * V2's indexed fields (out_refund_no_$n … camelCased as outRefundNo0 or outRefundNo_0). Undefined
 * when the answer does not name this refund with a known state: then nothing is concluded.
 */
export function refundStatusOf(
  q: Record<string, unknown>,
  outRefundNo: string,
): { status: RefundState; refundFee?: number } | undefined {
  const list = (k: string) => (Array.isArray(q[k]) ? (q[k] as unknown[]) : [])
  const nos = list('outRefundNoList')
  const i = nos.findIndex((n) => n === outRefundNo)
  if (i >= 0) return pick(list('refundStatusList')[i], list('refundFeeList')[i])
  for (const [k, v] of Object.entries(q)) {
    const m = /^outRefundNo_?(\d+)$/.exec(k)
    if (m && v === outRefundNo)
      return pick(
        q[`refundStatus${m[1]}`] ?? q[`refundStatus_${m[1]}`],
        q[`refundFee${m[1]}`] ?? q[`refundFee_${m[1]}`],
      )
  }
  return undefined
}

function pick(status: unknown, fee: unknown): { status: RefundState; refundFee?: number } | undefined {
  if (typeof status !== 'string' || !REFUND_STATES.has(status)) return undefined
  const n = typeof fee === 'number' ? fee : typeof fee === 'string' && /^\d+$/.test(fee) ? Number(fee) : undefined
  return { status: status as RefundState, ...(n !== undefined ? { refundFee: n } : {}) }
}
