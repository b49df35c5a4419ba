/**
 * WeChat Pay APIv3 behind the same five calls as cloudPay (issue #28), answering in the shapes the
 * order logic already reads (server/wx.ts's cloudPay types, read by server/pay/wxpay.ts), so the
 * state machine, settle.ts and every caller stay as they are. Documents
 * (pay.weixin.qq.com/docs/merchant/apis/mini-program-payment/):
 * - JSAPI/小程序下单 POST /v3/pay/transactions/jsapi → { prepay_id }; the payment is signed here
 *   (signType RSA, crypto.ts), not by WeChat Pay;
 * - 商户订单号查询订单 GET /v3/pay/transactions/out-trade-no/{no}?mchid= → trade_state,
 *   transaction_id, success_time (RFC 3339), amount.total; 404 ORDER_NOT_EXIST;
 * - 关闭订单 POST …/{no}/close → 204 (also for an unknown or closed order, as developers report it),
 *   400 ORDERPAID for a paid one;
 * - 退款申请 POST /v3/refund/domestic/refunds, 查询单笔退款 GET /v3/refund/domestic/refunds/{no}:
 *   status SUCCESS / PROCESSING / ABNORMAL / CLOSED (read as V2's SUCCESS / PROCESSING / CHANGE /
 *   REFUNDCLOSE); 404 RESOURCE_NOT_EXISTS; 403 NOT_ENOUGH.
 * An error answer `{ code, message }` becomes result_code FAIL with the V2 business code it means
 * (ORDER_NOT_EXIST → ORDERNOTEXIST, …); SIGN_ERROR and other request errors become return_code FAIL.
 * Answers out of their documented shape are a FAIL with why, never success.
 */
import * as v from 'valibot'
import type {
  PayResultBase,
  QueryOrderResult,
  QueryRefundResult,
  RefundParams,
  RefundResult,
  TradeState,
  UnifiedOrderParams,
  UnifiedOrderResult,
} from '../../wx'
import { wxContext } from '../../wx'
import type { V3Config } from './config'
import { billSha1 } from '../bill'
import { wxPayTime } from '../money'
import { V3_HOST, v3Request, type V3Answer } from './client'
import { paymentParams } from './crypto'

/** An APIv3 error code → the V2 business code server/pay/wxpay.ts reads. */
const BIZ: Record<string, string> = {
  ORDER_NOT_EXIST: 'ORDERNOTEXIST',
  ORDERNOTEXIST: 'ORDERNOTEXIST',
  RESOURCE_NOT_EXISTS: 'ORDERNOTEXIST',
  ORDERPAID: 'ORDERPAID',
  ORDER_PAID: 'ORDERPAID',
  ORDER_CLOSED: 'ORDERCLOSED',
  OUT_TRADE_NO_USED: 'OUT_TRADE_NO_USED',
  NOT_ENOUGH: 'NOTENOUGH',
  SYSTEM_ERROR: 'SYSTEMERROR',
  FREQUENCY_LIMITED: 'FREQUENCY_LIMITED',
  NO_AUTH: 'NOAUTH',
  INVALID_REQUEST: 'INVALID_REQUEST',
}
/** Codes that mean the request itself was refused (V2's return_code FAIL). */
const REQUEST = new Set(['SIGN_ERROR', 'PARAM_ERROR', 'MCH_NOT_EXISTS', 'APPID_MCHID_NOT_MATCH', 'NOT_FOUND'])

const ErrorBody = v.object({ code: v.string(), message: v.optional(v.string()) })
const Prepay = v.object({ prepay_id: v.pipe(v.string(), v.minLength(1)) })
const Transaction = v.object({
  out_trade_no: v.string(),
  trade_state: v.picklist(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']),
  transaction_id: v.optional(v.string()),
  success_time: v.optional(v.string()),
  amount: v.optional(v.object({ total: v.optional(v.number()), payer_total: v.optional(v.number()) })),
  payer: v.optional(v.object({ openid: v.optional(v.string()) })),
})
const Refund = v.object({
  refund_id: v.string(),
  out_refund_no: v.string(),
  status: v.picklist(['SUCCESS', 'PROCESSING', 'ABNORMAL', 'CLOSED']),
  amount: v.object({ refund: v.number(), total: v.number() }),
})
const BillUrl = v.object({
  hash_type: v.literal('SHA1'),
  hash_value: v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{40}$/)),
  download_url: v.string(),
})
const REFUND_STATE = {
  SUCCESS: 'SUCCESS',
  PROCESSING: 'PROCESSING',
  ABNORMAL: 'CHANGE',
  CLOSED: 'REFUNDCLOSE',
} as const

const OK = { returnCode: 'SUCCESS', resultCode: 'SUCCESS', errCode: 0 } as const

function failure(a: V3Answer): PayResultBase {
  const e = v.safeParse(ErrorBody, a.json)
  const code = e.success ? e.output.code : `HTTP_${a.status}`
  const message = e.success
    ? (e.output.message ?? code)
    : `WeChat Pay answered HTTP ${a.status} in a shape its document does not give`
  if (REQUEST.has(code) || !e.success) return { returnCode: 'FAIL', returnMsg: `${code}: ${message}`, errCode: 0 }
  return {
    returnCode: 'SUCCESS',
    resultCode: 'FAIL',
    errCode: BIZ[code] ?? code,
    errCodeDes: message,
  } as unknown as PayResultBase
}
const odd = (what: string): PayResultBase => ({
  returnCode: 'FAIL',
  returnMsg: `WeChat Pay answered ${what} in a shape its document does not give`,
  errCode: 0,
})

/** yyyyMMddHHmmss (Beijing, V2's form the orders store) ↔ RFC 3339 (APIv3's). */
export function toRfc3339(t: string): string {
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}+08:00`
}
export function fromRfc3339(s: string): string | undefined {
  const ms = Date.parse(s)
  return Number.isFinite(ms) ? wxPayTime(ms) : undefined
}

/** The day's trade bill as text, or why there is none (NO_BILL: nothing was traded that day). */
export type BillAnswer = { ok: true; text: string } | { ok: false; code: 'NO_BILL' | 'FAILED'; message: string }

export interface PayApi {
  /** `date`: yyyy-MM-dd (Beijing). */
  tradeBill(date: string): Promise<BillAnswer>
  unifiedOrder(p: UnifiedOrderParams): Promise<UnifiedOrderResult>
  queryOrder(p: { subMchId: string; outTradeNo: string; nonceStr: string }): Promise<QueryOrderResult>
  closeOrder(p: { subMchId: string; outTradeNo: string; nonceStr: string }): Promise<PayResultBase>
  refund(p: RefundParams): Promise<RefundResult>
  queryRefund(p: { subMchId: string; nonceStr: string; outRefundNo: string }): Promise<QueryRefundResult>
}

export function v3Provider(cfg: V3Config): PayApi {
  const path = (no: string) => `/v3/pay/transactions/out-trade-no/${encodeURIComponent(no)}`
  return {
    async tradeBill(date) {
      const a = await v3Request(cfg, 'GET', `/v3/bill/tradebill?bill_date=${date}&bill_type=ALL`)
      if (a.status !== 200) {
        const e = v.safeParse(ErrorBody, a.json)
        return e.success && e.output.code === 'NO_STATEMENT_EXIST'
          ? { ok: false, code: 'NO_BILL', message: e.output.message ?? 'no bill' }
          : {
              ok: false,
              code: 'FAILED',
              message: e.success ? `${e.output.code}: ${e.output.message ?? ''}` : `HTTP ${a.status}`,
            }
      }
      const b = v.safeParse(BillUrl, a.json)
      if (!b.success || !b.output.download_url.startsWith(`${V3_HOST}/`))
        return { ok: false, code: 'FAILED', message: 'tradebill answered in a shape its document does not give' }
      const file = await v3Request(cfg, 'GET', b.output.download_url.slice(V3_HOST.length), undefined, undefined, true)
      if (file.status !== 200)
        return { ok: false, code: 'FAILED', message: `the bill download answered HTTP ${file.status}` }
      // Not signed: its SHA-1 against the one the signed tradebill answer gave is the proof.
      if (billSha1(file.text) !== b.output.hash_value.toLowerCase())
        return {
          ok: false,
          code: 'FAILED',
          message: 'the downloaded bill does not match the SHA-1 WeChat Pay gave for it',
        }
      return { ok: true, text: file.text }
    },
    async unifiedOrder(p) {
      const wx = wxContext()
      const appid = wx.APPID ?? ''
      const a = await v3Request(cfg, 'POST', '/v3/pay/transactions/jsapi', {
        appid,
        mchid: cfg.mchid,
        description: p.body,
        out_trade_no: p.outTradeNo,
        ...(p.timeExpire ? { time_expire: toRfc3339(p.timeExpire) } : {}),
        notify_url: cfg.notifyUrl,
        amount: { total: p.totalFee, currency: 'CNY' },
        payer: { openid: wx.OPENID ?? '' },
        // V2's spbill_create_ip: the phone's IP (IPv4 or IPv6), optional in APIv3's JSAPI order.
        ...(p.spbillCreateIp ? { scene_info: { payer_client_ip: p.spbillCreateIp } } : {}),
        ...(p.attach ? { attach: p.attach } : {}),
      })
      if (a.status !== 200) return failure(a)
      const r = v.safeParse(Prepay, a.json)
      if (!r.success) return odd('JSAPI ordering')
      const pay = paymentParams(appid, r.output.prepay_id, cfg.privateKey)
      return {
        ...OK,
        prepayId: r.output.prepay_id,
        payment: {
          appId: pay.appId,
          timeStamp: pay.timeStamp,
          nonceStr: pay.nonceStr,
          package: pay.package,
          signType: 'RSA',
          paySign: pay.paySign,
        },
      }
    },
    async queryOrder(p) {
      const a = await v3Request(cfg, 'GET', `${path(p.outTradeNo)}?mchid=${cfg.mchid}`)
      if (a.status !== 200) return failure(a)
      const t = v.safeParse(Transaction, a.json)
      if (!t.success || t.output.out_trade_no !== p.outTradeNo) return odd('the order query')
      const o = t.output
      const timeEnd = o.success_time ? fromRfc3339(o.success_time) : undefined
      return {
        ...OK,
        tradeState: o.trade_state as TradeState,
        outTradeNo: o.out_trade_no,
        ...(o.transaction_id ? { transactionId: o.transaction_id } : {}),
        ...(o.amount?.total !== undefined ? { totalFee: o.amount.total } : {}),
        ...(o.amount?.payer_total !== undefined ? { cashFee: o.amount.payer_total } : {}),
        ...(timeEnd ? { timeEnd } : {}),
        ...(o.payer?.openid ? { openid: o.payer.openid } : {}),
        subMchId: cfg.mchid,
      }
    },
    async closeOrder(p) {
      const a = await v3Request(cfg, 'POST', `${path(p.outTradeNo)}/close`, { mchid: cfg.mchid })
      return a.status === 204 || a.status === 200 ? { ...OK } : failure(a)
    },
    async refund(p) {
      const a = await v3Request(cfg, 'POST', '/v3/refund/domestic/refunds', {
        out_trade_no: p.outTradeNo,
        out_refund_no: p.outRefundNo,
        ...(p.refundDesc ? { reason: p.refundDesc } : {}),
        notify_url: cfg.notifyUrl,
        amount: { refund: p.refundFee, total: p.totalFee, currency: 'CNY' },
      })
      if (a.status !== 200) return failure(a)
      const r = v.safeParse(Refund, a.json)
      if (!r.success || r.output.out_refund_no !== p.outRefundNo) return odd('the refund')
      return {
        ...OK,
        outTradeNo: p.outTradeNo,
        outRefundNo: r.output.out_refund_no,
        refundId: r.output.refund_id,
        refundFee: r.output.amount.refund,
      }
    },
    async queryRefund(p) {
      const a = await v3Request(cfg, 'GET', `/v3/refund/domestic/refunds/${encodeURIComponent(p.outRefundNo)}`)
      if (a.status !== 200) {
        const f = failure(a) as unknown as { errCode: unknown }
        return (f.errCode === 'ORDERNOTEXIST' ? { ...f, errCode: 'REFUNDNOTEXIST' } : f) as unknown as QueryRefundResult
      }
      const r = v.safeParse(Refund, a.json)
      if (!r.success || r.output.out_refund_no !== p.outRefundNo) return odd('the refund query') as QueryRefundResult
      const o = r.output
      return {
        ...OK,
        refundCount: 1,
        outRefundNoList: [o.out_refund_no],
        refundIdList: [o.refund_id],
        refundStatusList: [REFUND_STATE[o.status]],
        refundFeeList: [o.amount.refund],
      }
    },
  }
}
