/**
 * Cloud function `payCallback`: the WeChat Pay payment-result callback (the `functionName`
 * given to cloudPay.unifiedOrder). Protocol: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/paymentCallback.html
 * - the event is WeChat Pay's notification in camelCase (returnCode, resultCode, outTradeNo,
 *   transactionId, totalFee, subMchId, timeEnd, ...);
 * - it MUST answer `{ errcode: 0, errmsg: '' }`, else WeChat re-delivers for up to two days;
 *   duplicates arrive anyway.
 * So: answer 0 once the outcome is durably recorded (PAID once, or an incident for a person),
 * and non-zero only when nothing could be recorded, so WeChat tries again.
 *
 * Any deployed function can also be called by a mini-program with any data, so the event is
 * not proof: before the PAID transition the payment is confirmed with cloudPay.queryOrder
 * (same transaction id, same amount). A duplicate of an already recorded payment is answered
 * without asking again.
 */
import { eventBytes, MAX_NOTIFICATION_BYTES, scalar } from '../../../server/input'
import { subscribeConfig } from '../../../server/pay/config'
import { getOrderDoc, recordIncident } from '../../../server/pay/orders'
import { afterConfirm, confirmPaid, nonce, type PaidEvidence } from '../../../server/pay/settle'
import { payOutcome } from '../../../server/pay/wxpay'
import { errText } from '../../../server/errors'
import { cloudPay, wxContext } from '../../../server/wx'

export interface PayNotification {
  returnCode: string
  returnMsg?: string
  resultCode?: string
  errCodeDes?: string
  outTradeNo?: string
  transactionId?: string
  totalFee?: number | string
  cashFee?: number
  subMchId?: string
  timeEnd?: string
  openid?: string
  subOpenid?: string
  attach?: string
}

const ACK = { errcode: 0, errmsg: '' } as const

/** The fields kept in an incident (no nonce or sign). */
function evidence(ev: Partial<PayNotification>): Record<string, unknown> {
  const { returnCode, returnMsg, resultCode, errCodeDes, outTradeNo, transactionId, totalFee, cashFee, subMchId, timeEnd } = ev
  return { returnCode, returnMsg, resultCode, errCodeDes, outTradeNo, transactionId, totalFee, cashFee, subMchId, timeEnd }
}

/** An amount in fen as a number or the decimal string WeChat Pay writes; anything else is undefined. */
export function fen(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : NaN
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

export async function main(event: unknown): Promise<{ errcode: number; errmsg: string }> {
  // A call from the mini-program is not WeChat Pay (and would be refused by the query below anyway).
  const wx = wxContext()
  if (wx.SOURCE === 'wx_client') {
    console.error(JSON.stringify({ fn: 'payCallback', refused: 'called from a client', openid: wx.OPENID }))
    return { errcode: 403, errmsg: 'not a WeChat Pay notification' }
  }
  if (eventBytes(event) > MAX_NOTIFICATION_BYTES) return { errcode: 413, errmsg: 'notification too large' } // not WeChat Pay's
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Partial<PayNotification>
  try {
    // Only primitives become text: a hostile object must not make every delivery fail.
    const key = `${scalar(ev.outTradeNo, 40)}:${scalar(ev.transactionId ?? ev.timeEnd, 40)}`
    if (ev.returnCode !== 'SUCCESS' || ev.resultCode !== 'SUCCESS') {
      await recordIncident('RESULT_FAIL', key, evidence(ev))
      return ACK
    }
    // WeChat Pay V2 sends every field as XML text; CloudBase may pass total_fee on as "36" or 36.
    const totalFee = fen(ev.totalFee)
    if (typeof ev.outTradeNo !== 'string' || typeof ev.transactionId !== 'string' || totalFee === undefined) {
      await recordIncident('MALFORMED', key, evidence(ev))
      return ACK
    }
    const paid: PaidEvidence = {
      transactionId: ev.transactionId,
      timeEnd: scalar(ev.timeEnd, 20),
      totalFee,
      ...(ev.subMchId ? { subMchId: ev.subMchId } : {}),
      via: 'callback',
    }
    const evidenceKey = { ...paid, outTradeNo: ev.outTradeNo }
    const order = await getOrderDoc(ev.outTradeNo)
    if (!order) {
      await recordIncident('UNKNOWN_ORDER', key, evidence(ev))
      return ACK
    }
    if (order.transactionId === ev.transactionId) return ACK // a duplicate of what is recorded
    if (order.status === 'UNPAID' && paid.totalFee === order.totalFee && (!paid.subMchId || paid.subMchId === order.unified.subMchId)) {
      // Confirm with WeChat Pay before believing it. A failed query throws: answer non-zero, WeChat retries.
      const q = await cloudPay().queryOrder({ subMchId: order.unified.subMchId, outTradeNo: order._id, nonceStr: nonce() })
      const confirmed = payOutcome(q).ok && (q.tradeState === 'SUCCESS' || q.tradeState === 'REFUND') && q.transactionId === paid.transactionId && Number(q.totalFee) === paid.totalFee
      if (!confirmed) {
        await recordIncident('UNCONFIRMED_CALLBACK', key, { ...evidence(ev), queried: { tradeState: q.tradeState, transactionId: q.transactionId, totalFee: q.totalFee } })
        return ACK
      }
    }
    // Amount / merchant mismatches and other states are decided and recorded by confirmPaid.
    const res = await confirmPaid(ev.outTradeNo, paid)
    await afterConfirm(res, evidenceKey, subscribeConfig(process.env))
    return ACK
  } catch (e) {
    console.error(JSON.stringify({ fn: 'payCallback', outTradeNo: ev.outTradeNo, error: errText(e) }))
    return { errcode: 500, errmsg: 'could not record the notification; please retry' }
  }
}
