/**
 * Cloud function `payRefundCallback`: the WeChat Pay refund-result callback (the
 * `functionName` given to cloudPay.refund). Same return protocol as the payment callback
 * (`{ errcode: 0, errmsg: '' }` or WeChat re-delivers). The refund notification's `req_info`
 * (WeChat Pay V2 "退款结果通知") is delivered by CloudBase already decrypted, as `reqInfo`
 * in camelCase (transactionId, outTradeNo, refundId, outRefundNo, totalFee, refundFee,
 * refundStatus SUCCESS | CHANGE | REFUNDCLOSE, successTime, ...). A JSON string is accepted too.
 */
import { subscribeConfig } from '../../../server/pay/config'
import { notify } from '../../../server/pay/notify'
import { getOrderDoc, recordIncident, transition } from '../../../server/pay/orders'
import { errText } from '../../../server/errors'
import { wxContext } from '../../../server/wx'

export interface RefundInfo {
  transactionId?: string
  outTradeNo?: string
  refundId?: string
  outRefundNo?: string
  totalFee?: number
  refundFee?: number
  settlementRefundFee?: number
  refundStatus?: 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE'
  successTime?: string
}

const ACK = { errcode: 0, errmsg: '' } as const

function readInfo(ev: Record<string, unknown>): RefundInfo | null {
  const raw = ev.reqInfo
  if (raw && typeof raw === 'object') return raw as RefundInfo
  if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw) as unknown
      return parsed && typeof parsed === 'object' ? (parsed as RefundInfo) : null
    } catch {
      return null
    }
  }
  return null
}

export async function main(event: unknown): Promise<{ errcode: number; errmsg: string }> {
  const wx = wxContext()
  if (wx.OPENID || wx.SOURCE === 'wx_client') {
    console.error(JSON.stringify({ fn: 'payRefundCallback', refused: 'called from a client', openid: wx.OPENID }))
    return { errcode: 403, errmsg: 'not a WeChat Pay notification' }
  }
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>
  const info = readInfo(ev)
  try {
    if (ev.returnCode !== 'SUCCESS' || !info || typeof info.outTradeNo !== 'string' || typeof info.outRefundNo !== 'string') {
      await recordIncident('REFUND_MALFORMED', `${String(info?.outRefundNo ?? ev.nonceStr ?? 'unknown')}`, { returnCode: ev.returnCode, info })
      return ACK
    }
    const key = `${info.outRefundNo}:${info.refundStatus ?? ''}`
    const order = await getOrderDoc(info.outTradeNo)
    if (!order || !order.refund || order.refund.outRefundNo !== info.outRefundNo) {
      await recordIncident('REFUND_UNKNOWN', key, { ...info })
      return ACK
    }
    if (info.refundStatus === 'SUCCESS') {
      if (info.refundFee !== order.refund.refundFen) {
        await recordIncident('REFUND_AMOUNT_MISMATCH', key, { ...info, expectedFen: order.refund.refundFen })
        return ACK
      }
      const refund = { ...order.refund, refundedAt: new Date(), ...(info.refundId ? { refundId: info.refundId } : {}) }
      if (await transition(order._id, 'REFUND_SUCCEEDED', { refund }, 'refund-callback')) {
        await notify(order, 'refunded', subscribeConfig(process.env), order.refund.refundFen)
      } else if (order.status !== 'REFUNDED') {
        await recordIncident('REFUND_STATE_MISMATCH', key, { ...info, status: order.status })
      }
      return ACK
    }
    // CHANGE (the money could not go back: card closed, ...) or REFUNDCLOSE: a person must act.
    await transition(order._id, 'REFUND_FAILED', { refund: { ...order.refund, lastError: String(info.refundStatus) } }, 'refund-callback')
    await recordIncident('REFUND_' + String(info.refundStatus), key, { ...info })
    return ACK
  } catch (e) {
    console.error(JSON.stringify({ fn: 'payRefundCallback', outRefundNo: info?.outRefundNo, error: errText(e) }))
    return { errcode: 500, errmsg: 'could not record the refund result; please retry' }
  }
}
