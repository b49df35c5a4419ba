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
 * not proof: every notification is confirmed with cloudPay.queryOrder (same transaction id)
 * before anything is written, and what WeChat Pay answers (amount, time) is the evidence. An
 * unconfirmed notification is a log line, not an incident. A duplicate of an already recorded
 * payment is answered without asking again.
 */
import { eventBytes, MAX_NOTIFICATION_BYTES, scalar } from '../../../server/input'
import { confirmPaymentNotice } from '../../../server/pay/notified'
import { wxContext } from '../../../server/wx'
import { doctorAnswer } from '../../../server/doctor'
import { recordInbound } from '../../../server/recording'

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

/** An amount in fen as a number or the decimal string WeChat Pay writes; anything else is undefined. */
export function fen(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : NaN
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

export async function main(event: unknown): Promise<{ errcode: number; errmsg: string }> {
  // npm run doctor's probe, from an administrator's invocation only (server/doctor.ts).
  const probe = doctorAnswer(event, __dirname)
  if (probe) return probe as never
  // A call from the mini-program is not WeChat Pay (and would be refused by the query below anyway).
  const wx = wxContext()
  if (wx.SOURCE === 'wx_client') {
    console.error(JSON.stringify({ fn: 'payCallback', refused: 'called from a client', openid: wx.OPENID }))
    return { errcode: 403, errmsg: 'not a WeChat Pay notification' }
  }
  if (eventBytes(event) > MAX_NOTIFICATION_BYTES) return { errcode: 413, errmsg: 'notification too large' } // not WeChat Pay's
  // RECORD_WECHAT=1: what WeChat Pay sent, scrubbed, for npm run recordings:pull (server/recording.ts).
  await recordInbound('pay-notification', event)
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Partial<PayNotification>
  // Only primitives become text: a hostile object must not make every delivery fail.
  const outTradeNo =
    typeof ev.outTradeNo === 'string' && /^[A-Za-z0-9_\-|*]{1,32}$/.test(ev.outTradeNo) ? ev.outTradeNo : ''
  const transactionId =
    typeof ev.transactionId === 'string' && /^\d{1,32}$/.test(ev.transactionId) ? ev.transactionId : ''
  // Nothing a notification says is written down until WeChat Pay confirms it: a forged or odd
  // one costs a log line and a query, never a database write (no incident floods).
  const unconfirmed = (why: string, extra: Record<string, unknown> = {}) => {
    console.error(JSON.stringify({ fn: 'payCallback', unconfirmed: why, outTradeNo, transactionId, ...extra }))
    return ACK
  }
  if (ev.returnCode !== 'SUCCESS' || ev.resultCode !== 'SUCCESS')
    return unconfirmed('not a success notification (WeChat Pay sends those only)', {
      returnCode: scalar(ev.returnCode, 16),
      resultCode: scalar(ev.resultCode, 16),
    })
  // WeChat Pay V2 sends every field as XML text; CloudBase may pass total_fee on as "36" or 36.
  if (!outTradeNo || !transactionId || fen(ev.totalFee) === undefined) return unconfirmed('malformed notification')
  // Confirmed by a query before anything is written (server/pay/notified.ts).
  return (await confirmPaymentNotice('payCallback', outTradeNo, transactionId)) === 'ACK'
    ? ACK
    : { errcode: 500, errmsg: 'could not record the notification; please retry' }
}
