/**
 * What a payment or refund notification leads to, whichever provider sent it (issue #28):
 * cloudPay's callbacks (payCallback, payRefundCallback) and APIv3's HTTP notification (payNotify)
 * name an order; nothing they say is written down until WeChat Pay's own query confirms it (the
 * query's answer is the evidence), a forged or odd one costs a log line and a query, never a
 * write. ACK: the outcome is durably recorded (or there is nothing to record); RETRY: nothing could
 * be recorded (the query failed), so WeChat Pay should deliver again.
 */
import { errText } from '../errors'
import { subscribeConfig } from './config'
import { getOrderDoc, recordIncident } from './orders'
import { payProvider } from './provider'
import { afterConfirm, confirmPaid, confirmRefund, nonce, type PaidEvidence } from './settle'
import { scalar } from '../input'
import { payOutcome } from './wxpay'

export type NoticeOutcome = 'ACK' | 'RETRY'

/** A payment notification for `outTradeNo` / `transactionId` (already checked for shape). */
export async function confirmPaymentNotice(
  fn: string,
  outTradeNo: string,
  transactionId: string,
): Promise<NoticeOutcome> {
  const unconfirmed = (why: string, extra: Record<string, unknown> = {}): NoticeOutcome => {
    console.error(JSON.stringify({ fn, unconfirmed: why, outTradeNo, transactionId, ...extra }))
    return 'ACK'
  }
  try {
    const order = await getOrderDoc(outTradeNo)
    if (order && order.transactionId === transactionId) return 'ACK' // a duplicate of what is recorded
    const cfg = subscribeConfig(process.env)
    const subMchId =
      order?.unified.subMchId ??
      ((process.env.PAY_PROVIDER === 'wxpay-v3' ? process.env.WXPAY_MCHID : process.env.PAY_SUB_MCH_ID) ?? '').trim()
    if (!subMchId) return unconfirmed('no merchant to ask')
    // Confirm with WeChat Pay before believing anything; its answer, not the notification, is the evidence.
    // A failed query throws: RETRY, WeChat Pay delivers again.
    const q = await payProvider().queryOrder({ subMchId, outTradeNo, nonceStr: nonce() })
    const paidThere =
      payOutcome(q).ok && (q.tradeState === 'SUCCESS' || q.tradeState === 'REFUND') && q.transactionId === transactionId
    if (!paidThere)
      return unconfirmed('WeChat Pay does not confirm this payment', {
        queried: { tradeState: q.tradeState, transactionId: q.transactionId },
      })
    const paid: PaidEvidence = {
      transactionId,
      timeEnd: scalar(q.timeEnd, 20),
      totalFee: Number(q.totalFee),
      subMchId,
      via: 'callback',
    }
    if (!order) {
      // Paid at WeChat Pay for an order this database does not have: a person must look.
      await recordIncident('UNKNOWN_ORDER', `${outTradeNo}:${transactionId}`, {
        outTradeNo,
        transactionId,
        totalFee: paid.totalFee,
      })
      return 'ACK'
    }
    // Amount / merchant mismatches and other states are decided and recorded by confirmPaid, on confirmed facts.
    const res = await confirmPaid(outTradeNo, paid)
    await afterConfirm(res, { ...paid, outTradeNo }, cfg)
    return 'ACK'
  } catch (e) {
    console.error(JSON.stringify({ fn, outTradeNo, error: errText(e) }))
    return 'RETRY'
  }
}

export interface RefundNoticeIds {
  outTradeNo?: string
  outRefundNo?: string
  claimed?: string
  refundFee?: number
}

/** A refund notification naming these ids (already checked for shape). */
export async function confirmRefundNotice(
  fn: string,
  ids: RefundNoticeIds,
  extra: Record<string, unknown> = {},
): Promise<NoticeOutcome> {
  try {
    // Our outRefundNo is `${orderId}R${attempt}`: the order can be found from either id.
    const orderId = ids.outTradeNo ?? ids.outRefundNo?.replace(/R\d+$/, '')
    // What a notification says is a log line until WeChat Pay confirms it (no incident floods).
    const unconfirmed = (why: string): NoticeOutcome => {
      console.error(JSON.stringify({ fn, unconfirmed: why, ...ids, ...extra }))
      return 'ACK'
    }
    if (!orderId) return unconfirmed('no readable refund in the notification; the timer confirms open refunds by query')
    const order = await getOrderDoc(orderId)
    if (!order || !order.refund || (ids.outRefundNo && order.refund.outRefundNo !== ids.outRefundNo))
      return unconfirmed('no such refund here')
    // Its claim counts only where queryRefund's answer has no readable state and queryOrder agrees (settle.ts).
    const result = await confirmRefund(
      order,
      subscribeConfig(process.env),
      'refund-callback',
      ids.claimed
        ? { status: ids.claimed, ...(ids.refundFee !== undefined ? { refundFee: ids.refundFee } : {}) }
        : undefined,
    )
    if (ids.claimed && ids.claimed !== 'PROCESSING' && (result === 'PROCESSING' || result === 'UNKNOWN'))
      return unconfirmed(`says ${ids.claimed}, WeChat Pay says ${result}`)
    return 'ACK'
  } catch (e) {
    // The query failed: WeChat Pay should deliver the notification again.
    console.error(JSON.stringify({ fn, outRefundNo: ids.outRefundNo, error: errText(e) }))
    return 'RETRY'
  }
}
