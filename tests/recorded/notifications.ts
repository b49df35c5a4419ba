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
const IDS = new Set([
  'appid',
  'subAppid',
  'mchId',
  'subMchId',
  'openid',
  'subOpenid',
  'outTradeNo',
  'transactionId',
  'outRefundNo',
  'refundId',
  'totalFee',
  'cashFee',
  'refundFee',
  'settlementRefundFee',
  'timeEnd',
  'successTime',
])

function substitute(recorded: unknown, sandbox: unknown): unknown {
  if (!recorded || typeof recorded !== 'object' || Array.isArray(recorded)) return recorded
  const s = (sandbox && typeof sandbox === 'object' ? sandbox : {}) as Record<string, unknown>
  return Object.fromEntries(
    Object.entries(recorded as Record<string, unknown>).map(([k, v]) => [
      k,
      IDS.has(k) && k in s ? s[k] : substitute(v, s[k]),
    ]),
  )
}

export async function replayNotification(
  kind: NotificationKind,
  event: Record<string, unknown>,
): Promise<{ shape: string | null; attempts: number; acked: boolean; status: string }> {
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
  await pay.deliverRaw(
    kind === 'pay-notification' ? 'payment' : 'refund',
    kind === 'pay-notification' ? 'payCallback' : 'payRefundCallback',
    substitute(event, own) as Record<string, unknown>,
  )
  const d = pay.deliveries.at(-1)!
  return {
    shape: shapeDiff(event, own),
    attempts: d.attempts.length,
    acked: d.acked,
    status: w.order(id)!.status as string,
  }
}

/** The card-event recordings' account: the official account cardEvents verifies pushes for. */
export const OA_VARS = {
  OA_APPID: 'wx0000000000oatest',
  OA_APPSECRET: 'test-secret-9f8e7d',
  CARD_OPERATOR_OPENIDS: 'o-staff-1',
  OA_PUSH_TOKEN: 'oaPushToken2026',
  OA_PUSH_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  OA_PUSH_MODE: 'safe',
}
const CARD_IDS = new Set([
  'ToUserName',
  'FromUserName',
  'CreateTime',
  'CardId',
  'UserCardCode',
  'OuterStr',
  'UnionId',
  'FriendUserName',
  'StaffOpenId',
  'OldUserCardCode',
])
const WHAT = {
  user_get_card: 'take',
  user_del_card: 'delete',
  user_gifting_card: 'give',
  user_consume_card: 'consume',
} as const

/** XML has no types: a card event's shape is its field names. */
const names = (o: Record<string, unknown>) => Object.fromEntries(Object.keys(o).map((k) => [k, 'text']))

/**
 * A recorded official-account card event, replayed: a card is issued and added in the sandbox,
 * the sandbox's own event of the same kind gives the ids, and the recording is pushed to
 * cardEvents in URL mode (safe mode, signed and encrypted) as WeChat pushes it.
 */
export async function replayCardEvent(
  event: Record<string, unknown>,
): Promise<{ shape: string | null; attempts: number; acked: boolean; kept: boolean }> {
  const { LocalCloud } = await import('../../localcloud')
  const cloud = new LocalCloud({ vars: OA_VARS })
  const alice = { openid: 'o-recorded-card-user' }
  cloud.oa.unionids.set(alice.openid, 'o-recorded-unionid')
  const signed = (await cloud.callFromClient('card', { action: 'signCardExt', cardKey: 'coffee-coupon' }, alice))
    .result as { data: { cardId: string; cardExt: string } }
  const added = cloud.oa.addCard(alice.openid, signed.data.cardId, signed.data.cardExt) as { code: string }
  const code = [...cloud.oa.codes.values()].find((c) => c.encrypted === added.code)!.code
  const what = WHAT[String(event.Event) as keyof typeof WHAT]
  if (!what) throw new Error(`not a card event the kit handles: ${String(event.Event)}`)
  const own = cloud.oa.userDoes(code, what)
  const sent = Object.fromEntries(
    Object.entries(event).map(([k, v]) => [k, CARD_IDS.has(k) && k in own ? own[k] : v]),
  ) as typeof own
  const d = await cloud.cardEvent(sent)
  const kept = cloud.db.dump('user_cards').some((c) => c._id === `${String(own.CardId)}:${String(own.UserCardCode)}`)
  return { shape: shapeDiff(names(event), names(own)), attempts: d.attempts.length, acked: d.acked, kept }
}
