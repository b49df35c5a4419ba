/**
 * The sandbox's WeChat Pay V2 vocabulary: its order book's records (orders, refunds), the V2
 * answers it writes (return_code for the transport, result_code + err_code for the business,
 * err_code_des as the V2 documents word them), the callback events cloudPay hands a function in
 * camelCase, time in yyyyMMddHHmmss Beijing time, and the MD5 paySign of wx.requestPayment.
 * Pure: no clock, no state. Follows WeChat Pay V2 (https://pay.weixin.qq.com/wiki/doc/api/wxa/wxa_api.php,
 * chapters 9_1 .. 9_5 and 9_7) and cloudPay's callback protocol (paymentCallback.html).
 *
 * Beijing-time yyyyMMddHHmmss is written apart from server/pay/money.ts on purpose: the sandbox
 * stands for WeChat and must not share the code it checks.
 */
import { createHash, randomBytes } from 'node:crypto'

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

const SANDBOX_KEY = 'localcloud-sandbox-merchant-key-0000000'
/** The service provider's merchant id cloudPay's answers carry (a sandbox value). */
export const SERVICE_MCH_ID = '1800000001'

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
export type BizCode = keyof typeof DESC | 'ERROR'

/** V2 unifiedorder: body String(128), in bytes. */
export const BODY_MAX_BYTES = 128
/** A prepay_id is valid for 2 hours. */
export const PREPAY_TTL_MS = 2 * 3600_000
/** closeorder is refused in the first 5 minutes after ordering. */
export const CLOSE_AFTER_MS = 5 * 60_000
/** time_expire must be more than 1 minute away. */
const TIME_EXPIRE_MIN_MS = 60_000

/** Beijing-time yyyyMMddHHmmss, as WeChat Pay writes time_end. */
export function payTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14)
}
export function parsePayTime(s: string): number {
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

/** n random decimal digits (transaction and refund ids). */
export const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('')

/** The money has been taken (a refund later does not undo that). */
export function isPaid(o: SandboxOrder): boolean {
  return o.state === 'SUCCESS' || o.state === 'REFUND'
}

/** A V2 answer whose request and business both succeeded. */
export function v2Ok(extra: Record<string, unknown>): Record<string, unknown> {
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

/** A business failure: result_code FAIL with err_code and the documented err_code_des. */
export function v2BizFail(code: BizCode, desc?: string): Record<string, unknown> {
  return v2Ok({
    result_code: 'FAIL',
    err_code: code,
    err_code_des: desc ?? (code === 'ERROR' ? '申请退款业务发生错误' : DESC[code]),
  })
}

/** A malformed request: return_code FAIL with return_msg (no business answer). */
export function v2RequestFail(msg: string): Record<string, unknown> {
  return { return_code: 'FAIL', return_msg: msg }
}

/** The shape queryRefund answers in (see PaySandbox.refundAnswer). */
export type RefundAnswerShape = 'lists' | 'indexed' | 'empty'

/** queryRefund's answer for these refunds of one order, in the given shape. */
export function refundQueryAnswer(
  shape: RefundAnswerShape,
  o: SandboxOrder,
  refunds: SandboxRefund[],
): Record<string, unknown> {
  const head = {
    sub_mch_id: o.subMchId,
    transaction_id: o.transactionId,
    out_trade_no: o.outTradeNo,
    total_fee: o.totalFee,
    cash_fee: o.totalFee,
    refund_count: refunds.length,
  }
  const success = (r: SandboxRefund) => (r.status === 'SUCCESS' ? (r.successTime ?? '') : '')
  if (shape === 'indexed') {
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
    return v2Ok({ ...head, ...fields })
  }
  if (shape === 'empty') {
    // As reported from cloudPay (community threads 2020-2023): the count, and every list empty.
    return v2Ok({
      ...head,
      out_refund_no_list: [],
      refund_id_list: [],
      refund_fee_list: [],
      refund_status_list: [],
      refund_success_time_list: [],
    })
  }
  return v2Ok({
    ...head,
    out_refund_no_list: refunds.map((r) => r.outRefundNo),
    refund_id_list: refunds.map((r) => r.refundId),
    refund_fee_list: refunds.map((r) => r.refundFee),
    refund_status_list: refunds.map((r) => r.status),
    refund_success_time_list: refunds.map(success),
  })
}

/** The notification of a paid order, as the callback function receives it (camelCase). */
export function paymentEvent(o: SandboxOrder, patch: Record<string, unknown> = {}): Record<string, unknown> {
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

/** The refund notification of a settled refund, as cloudPay's refund callback receives it (camelCase). */
export function refundEvent(
  o: SandboxOrder,
  r: SandboxRefund,
  status: Exclude<SandboxRefundStatus, 'PROCESSING'>,
  successTime: string,
): Record<string, unknown> {
  return {
    returnCode: 'SUCCESS',
    appid: o.appid,
    mchId: SERVICE_MCH_ID,
    subMchId: o.subMchId,
    nonceStr: randomBytes(8).toString('hex'),
    reqInfo: {
      transactionId: o.transactionId,
      outTradeNo: o.outTradeNo,
      refundId: r.refundId,
      outRefundNo: r.outRefundNo,
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
}

/** Why a V2 unifiedorder request is malformed (return_code FAIL's return_msg), or undefined. */
export function unifiedOrderMalformed(p: Record<string, unknown>, now: number): string | undefined {
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
    if (p[k] === undefined || p[k] === '') return `缺少参数 ${k}`
  }
  if (!/^[A-Za-z0-9_\-|*]{1,32}$/.test(String(p.out_trade_no))) return 'out_trade_no参数格式校验错误'
  if (String(p.nonce_str).length > 32) return 'nonce_str参数长度有误'
  if (typeof p.total_fee !== 'number' || !Number.isSafeInteger(p.total_fee) || p.total_fee <= 0)
    return 'total_fee参数格式校验错误'
  if (p.trade_type !== 'JSAPI') return 'trade_type参数格式校验错误'
  if (Buffer.byteLength(String(p.body), 'utf8') > BODY_MAX_BYTES) return 'body参数长度有误'
  if (p.time_expire !== undefined) {
    const at = typeof p.time_expire === 'string' ? parsePayTime(p.time_expire) : NaN
    if (!Number.isFinite(at)) return 'time_expire参数格式校验错误'
    if (at - now <= TIME_EXPIRE_MIN_MS) return 'time_expire时间过短，最短失效时间间隔必须大于1分钟'
  }
  return undefined
}

/** queryOrder's answer for an order (the payment's fields once paid). */
export function orderQueryAnswer(o: SandboxOrder): Record<string, unknown> {
  const base = {
    sub_mch_id: o.subMchId,
    out_trade_no: o.outTradeNo,
    total_fee: o.totalFee,
    trade_state: o.state,
    trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', REFUND: '转入退款' }[o.state],
  }
  if (isPaid(o)) {
    return v2Ok({
      ...base,
      transaction_id: o.transactionId,
      time_end: o.timeEnd,
      cash_fee: o.totalFee,
      openid: o.payer,
      trade_type: 'JSAPI',
      bank_type: 'OTHERS',
    })
  }
  return v2Ok(base)
}

/** A new prepay_id and the payment object wx.requestPayment takes for it (signed with MD5). */
export function newPrepay(appid: string, now: number): { prepayId: string; payment: Record<string, string> } {
  const prepayId = `wx${payTime(now)}${randomBytes(9).toString('hex')}`
  const unsigned = {
    appId: appid,
    timeStamp: String(Math.floor(now / 1000)),
    nonceStr: randomBytes(16).toString('hex'),
    package: `prepay_id=${prepayId}`,
    signType: 'MD5',
  }
  return { prepayId, payment: { ...unsigned, paySign: paySign(unsigned) } }
}
