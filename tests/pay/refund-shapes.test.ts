/**
 * Refunds settle on every answer WeChat Pay is known to give (server/pay/settle.ts confirmRefund):
 * queryRefund's lists, V2's indexed fields (out_refund_no_$n, refund_status_$n), and the count
 * with every list empty (reported from cloudPay, 2020-2023), where the refund notification's
 * SUCCESS counts once queryRefund names the refund and queryOrder says trade_state REFUND.
 * Exactly one refunded message either way. Through APIv3 (PAY_TEST_PROVIDER=wxpay-v3) the refund
 * query answers one refund object whatever the V2 form, so the empty-list cases are the ones where
 * the query is readable: it decides at once.
 */
import { REFUND_CONFIRM_AFTER_MS } from '../../server/pay/settle'
import { takeConsole } from '../setup/console'
import { TMPL_REFUNDED, V3, age, payWorld } from './helpers'

async function refunding(shape: 'lists' | 'indexed' | 'empty') {
  const w = payWorld()
  w.cloud.cloudPay.refundAnswer = shape
  await w.subscribe(1)
  const id = (await w.buy()).data.order.orderId as string
  await w.cloud.cloudPay.pay(id)
  expect((await w.pay('requestRefund', { orderId: id })).data.order.status).toBe('REFUNDING')
  return { ...w, id }
}

const refundedMessages = (w: Awaited<ReturnType<typeof refunding>>) =>
  w.sends().filter((s) => s.ok && s.params.template_id === TMPL_REFUNDED).length

test.each(['lists', 'indexed', 'empty'] as const)(
  'queryRefund answering %s: the notification settles the refund, one refunded message',
  async (shape) => {
    const w = await refunding(shape)
    await w.cloud.cloudPay.settleRefund(`${w.id}R1`)
    expect(w.order(w.id)!.status).toBe('REFUNDED')
    expect(refundedMessages(w)).toBe(1)
    expect(w.cloud.cloudPay.deliveries.at(-1)!.acked).toBe(true)
    expect(w.incidents()).toEqual([])
    takeConsole()
  },
)

test('empty lists and no notification yet: nothing is concluded (an incident says why); the late notification settles it, once', async () => {
  const w = await refunding('empty')
  await w.cloud.cloudPay.settleRefund(`${w.id}R1`, 'SUCCESS', { hold: true })
  age(w.cloud, w.id, 0)
  const doc = w.order(w.id)!
  w.cloud.db.seed('orders', [
    { ...doc, refund: { ...doc.refund, acceptedAt: new Date(Date.now() - REFUND_CONFIRM_AFTER_MS - 1000) } } as never,
  ])
  await w.cloud.runTimer('payExpire')
  if (V3) {
    // APIv3's refund query always names the refund: the timer settles it, the late notification is a duplicate.
    expect(w.order(w.id)!.status).toBe('REFUNDED')
    expect(w.incidents()).toEqual([])
  } else {
    expect(w.order(w.id)!.status).toBe('REFUNDING')
    expect(w.incidents().map((i) => i.kind)).toEqual(['REFUND_QUERY_UNREADABLE'])
  }
  await w.cloud.cloudPay.flush()
  expect(w.order(w.id)!.status).toBe('REFUNDED')
  expect(refundedMessages(w)).toBe(1)
  takeConsole()
})

test('empty lists and a notification that does not say SUCCESS (CHANGE): not marked REFUNDED', async () => {
  const w = await refunding('empty')
  await w.cloud.cloudPay.settleRefund(`${w.id}R1`, 'CHANGE')
  // cloudPay's empty lists cannot say CHANGE, so nothing is concluded; APIv3's query says ABNORMAL: the refund failed.
  expect(w.order(w.id)!.status).toBe(V3 ? 'REFUND_FAILED' : 'REFUNDING')
  expect(refundedMessages(w)).toBe(0)
  takeConsole()
})
