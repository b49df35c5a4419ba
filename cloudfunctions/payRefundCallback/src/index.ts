/**
 * Cloud function `payRefundCallback`: the WeChat Pay refund-result callback (the
 * `functionName` given to cloudPay.refund). Same return protocol as the payment callback
 * (`{ errcode: 0, errmsg: '' }`, else WeChat Pay re-delivers).
 *
 * What the notification looks like inside CloudBase is not documented: WeChat Pay V2's "退款结果
 * 通知" carries `req_info` encrypted with the merchant key (AES-256-ECB), which a cloudPay
 * sub-merchant does not hold; CloudBase may hand it on decrypted (`reqInfo` in camelCase, or
 * snake_case, or a JSON string) or not at all. So the notification is only a hint: whatever
 * refund it names is confirmed with WeChat Pay (queryRefund, server/pay/settle.ts confirmRefund),
 * and nothing is believed from it. When it names nothing readable, the payExpire timer confirms
 * every refund still REFUNDING five minutes after WeChat Pay accepted it.
 */
import { eventBytes, MAX_NOTIFICATION_BYTES, scalar } from '../../../server/input'
import { confirmRefundNotice } from '../../../server/pay/notified'
import { wxContext } from '../../../server/wx'
import { doctorAnswer } from '../../../server/doctor'
import { recordInbound } from '../../../server/recording'

const ACK = { errcode: 0, errmsg: '' } as const

/** The order and refund a notification names, from any of the shapes it may arrive in. */
export function refundIds(ev: Record<string, unknown>): {
  outTradeNo?: string
  outRefundNo?: string
  claimed?: string
  refundFee?: number
} {
  let info: Record<string, unknown> = ev
  const raw = ev.reqInfo ?? ev.req_info
  if (raw && typeof raw === 'object') info = raw as Record<string, unknown>
  else if (typeof raw === 'string' && raw.trimStart().startsWith('{')) {
    try {
      const parsed = JSON.parse(raw) as unknown
      if (parsed && typeof parsed === 'object') info = parsed as Record<string, unknown>
    } catch {
      // not JSON: an encrypted req_info
    }
  }
  const str = (...keys: string[]) => {
    for (const k of keys)
      if (typeof info[k] === 'string' && /^[A-Za-z0-9_\-|*@]{1,64}$/.test(info[k] as string)) return info[k] as string
    return undefined
  }
  const outTradeNo = str('outTradeNo', 'out_trade_no')
  const outRefundNo = str('outRefundNo', 'out_refund_no')
  const claimed = str('refundStatus', 'refund_status')
  const fee = info.refundFee ?? info.refund_fee
  const refundFee =
    typeof fee === 'number' && Number.isSafeInteger(fee)
      ? fee
      : typeof fee === 'string' && /^\d{1,12}$/.test(fee)
        ? Number(fee)
        : undefined
  return {
    ...(outTradeNo ? { outTradeNo } : {}),
    ...(outRefundNo ? { outRefundNo } : {}),
    ...(claimed ? { claimed } : {}),
    ...(refundFee !== undefined ? { refundFee } : {}),
  }
}

export async function main(event: unknown): Promise<{ errcode: number; errmsg: string }> {
  // npm run doctor's probe, from an administrator's invocation only (server/doctor.ts).
  const probe = doctorAnswer(event, __dirname)
  if (probe) return probe as never
  const wx = wxContext()
  // A call from the mini-program is not WeChat Pay. (Even so, it could only make us ask WeChat Pay.)
  if (wx.SOURCE === 'wx_client') {
    console.error(JSON.stringify({ fn: 'payRefundCallback', refused: 'called from a client', openid: wx.OPENID }))
    return { errcode: 403, errmsg: 'not a WeChat Pay notification' }
  }
  if (eventBytes(event) > MAX_NOTIFICATION_BYTES) return { errcode: 413, errmsg: 'notification too large' } // not WeChat Pay's
  // RECORD_WECHAT=1: what WeChat Pay sent, scrubbed, for npm run recordings:pull (server/recording.ts).
  await recordInbound('refund-notification', event)
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>
  const ids = refundIds(ev)
  // Confirmed by a query before anything is written (server/pay/notified.ts).
  const outcome = await confirmRefundNotice('payRefundCallback', ids, {
    nonceStr: scalar(ev.nonceStr ?? ev.nonce_str, 40),
  })
  return outcome === 'ACK' ? ACK : { errcode: 500, errmsg: 'could not confirm the refund; please retry' }
}
