/**
 * Cloud function `payCallback`: the WeChat Pay payment-result callback (the `functionName`
 * given to cloudPay.unifiedOrder). Protocol: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/paymentCallback.html
 * - the event is WeChat Pay's notification in camelCase (returnCode, resultCode, outTradeNo,
 *   transactionId, totalFee, subMchId, timeEnd, ...);
 * - it MUST answer `{ errcode: 0, errmsg: '' }`, else WeChat re-delivers for up to two days;
 *   duplicates arrive anyway.
 * So: answer 0 once the outcome is durably recorded (PAID once, or an incident for a person),
 * and non-zero only when nothing could be recorded, so WeChat tries again.
 */
import { subscribeConfig } from '../../../server/pay/config'
import { recordIncident } from '../../../server/pay/orders'
import { afterConfirm, confirmPaid, type PaidEvidence } from '../../../server/pay/settle'
import { errText } from '../../../server/errors'
import { wxContext } from '../../../server/wx'

export interface PayNotification {
  returnCode: string
  returnMsg?: string
  resultCode?: string
  errCodeDes?: string
  outTradeNo?: string
  transactionId?: string
  totalFee?: number
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

export async function main(event: unknown): Promise<{ errcode: number; errmsg: string }> {
  // Any deployed function can be called from a mini-program: a call carrying a user is not WeChat Pay.
  const wx = wxContext()
  if (wx.OPENID || wx.SOURCE === 'wx_client') {
    console.error(JSON.stringify({ fn: 'payCallback', refused: 'called from a client', openid: wx.OPENID }))
    return { errcode: 403, errmsg: 'not a WeChat Pay notification' }
  }
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Partial<PayNotification>
  try {
    const key = `${String(ev.outTradeNo)}:${String(ev.transactionId ?? ev.timeEnd ?? '')}`
    if (ev.returnCode !== 'SUCCESS' || ev.resultCode !== 'SUCCESS') {
      await recordIncident('RESULT_FAIL', key, evidence(ev))
      return ACK
    }
    if (typeof ev.outTradeNo !== 'string' || typeof ev.transactionId !== 'string' || !Number.isSafeInteger(ev.totalFee)) {
      await recordIncident('MALFORMED', key, evidence(ev))
      return ACK
    }
    const paid: PaidEvidence = {
      transactionId: ev.transactionId,
      timeEnd: String(ev.timeEnd ?? ''),
      totalFee: ev.totalFee as number,
      ...(ev.subMchId ? { subMchId: ev.subMchId } : {}),
      via: 'callback',
    }
    const res = await confirmPaid(ev.outTradeNo, paid)
    await afterConfirm(res, { ...paid, outTradeNo: ev.outTradeNo }, subscribeConfig(process.env))
    return ACK
  } catch (e) {
    console.error(JSON.stringify({ fn: 'payCallback', outTradeNo: ev.outTradeNo, error: errText(e) }))
    return { errcode: 500, errmsg: 'could not record the notification; please retry' }
  }
}
