/**
 * Replaying a recorded WeChat Pay notification (tests/recorded/pay-notification/ and
 * refund-notification/) through the local cloud: an order is brought to the state the
 * notification speaks of (paid, or refund settled, at the sandbox, its own notification held
 * back), the recording's ids and amounts are replaced by the sandbox's (the recorded ones name
 * another account's order), and the recording is delivered to the callback function as CloudBase
 * delivers it. What is compared: the sandbox's own notification has the recording's shape
 * (tests/setup/shape.ts), and the function acknowledges the recording at the first delivery and
 * records the outcome only WeChat Pay's query confirms (PAID / REFUNDED).
 */
import { payWorld } from '../pay/helpers'
import { shapeDiff } from '../setup/shape'

export type NotificationKind = 'pay-notification' | 'refund-notification'

/** Fields that name an order, a payment, an account or an amount: taken from the sandbox's notification. */
const IDS = new Set(['appid', 'subAppid', 'mchId', 'subMchId', 'openid', 'subOpenid', 'outTradeNo', 'transactionId', 'outRefundNo', 'refundId', 'totalFee', 'cashFee', 'refundFee', 'settlementRefundFee', 'timeEnd', 'successTime'])

function substitute(recorded: unknown, sandbox: unknown): unknown {
  if (!recorded || typeof recorded !== 'object' || Array.isArray(recorded)) return recorded
  const s = (sandbox && typeof sandbox === 'object' ? sandbox : {}) as Record<string, unknown>
  return Object.fromEntries(Object.entries(recorded as Record<string, unknown>).map(([k, v]) => [k, IDS.has(k) && k in s ? s[k] : substitute(v, s[k])]))
}

export async function replayNotification(kind: NotificationKind, event: Record<string, unknown>): Promise<{ shape: string | null; attempts: number; acked: boolean; status: string }> {
  const w = payWorld()
  await w.subscribe()
  const id = (await w.buy()).data.order.orderId as string
  const pay = w.cloud.cloudPay
  if (kind === 'pay-notification') await pay.pay(id, { hold: true })
  else {
    await pay.pay(id)
    await pay.idle()
    await w.pay('requestRefund', { orderId: id })
    await pay.settleRefund(w.order(id)!.refund.outRefundNo as string, 'SUCCESS', { hold: true })
  }
  const own = pay.deliveries.at(-1)!.event
  await pay.deliverRaw(kind === 'pay-notification' ? 'payment' : 'refund', kind === 'pay-notification' ? 'payCallback' : 'payRefundCallback', substitute(event, own) as Record<string, unknown>)
  const d = pay.deliveries.at(-1)!
  return { shape: shapeDiff(event, own), attempts: d.attempts.length, acked: d.acked, status: w.order(id)!.status as string }
}
