/**
 * Local mode's console (npm start): *User pays* and *Refund settles* work for the provider the
 * suite runs against (cloudPay, or APIv3 with PAY_TEST_PROVIDER=wxpay-v3): the order becomes
 * PAID through the notification the provider sends, then REFUNDED, each confirmed by a query.
 */
import { closeServers, serve } from '../localcloud/serve'
import { LOCAL_VARS } from '../../scripts/start'
import { PAYMENT_NOTIFY_FN, REFUND_NOTIFY_FN, V3 } from './helpers'

afterEach(closeServers)
beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {}) // the functions' one line per invocation
})

test('the console pays an order and settles its refund, through the provider under test', async () => {
  const { cloud, base } = await serve('o-console-payer', { ...LOCAL_VARS, PAY_PROVIDER: V3 ? 'wxpay-v3' : 'cloudpay' })
  const post = async (url: string, payload: unknown = {}) => {
    const r = await fetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    })
    return { status: r.status, body: (await r.json()) as any }
  }
  const created = await post('/api/functions/pay', {
    action: 'createOrder',
    productId: 'coffee',
    quantity: 1,
    requestId: 'console-0001',
  })
  expect(created.body.result.data.payment.signType).toBe(V3 ? 'RSA' : 'MD5')
  const id = created.body.result.data.order.orderId as string
  const paid = await post(`/api/pay/${id}`)
  expect(paid.status).toBe(200)
  expect(paid.body.order).toMatchObject({ status: 'PAID', paidVia: 'callback' })
  expect(cloud.cloudPay.deliveries.at(-1)).toMatchObject({ fn: PAYMENT_NOTIFY_FN, acked: true })
  const refund = await post('/api/functions/pay', { action: 'requestRefund', orderId: id })
  expect(refund.body.result.data.order.status).toBe('REFUNDING')
  const outRefundNo = (cloud.db.dump('orders').find((o) => o._id === id)!.refund as { outRefundNo: string }).outRefundNo
  expect((await post(`/api/refunds/${outRefundNo}/settle`, { status: 'SUCCESS' })).status).toBe(200)
  expect(cloud.cloudPay.deliveries.at(-1)).toMatchObject({ fn: REFUND_NOTIFY_FN, acked: true })
  expect(cloud.db.dump('orders').find((o) => o._id === id)).toMatchObject({ status: 'REFUNDED' })
  // 对账今天的账单: the day's report, which the console's reconciliation panel lists.
  const reconciled = await post('/api/reconciliations/run')
  expect(reconciled.body).toMatchObject({ state: 'OK', differences: 0 })
  const listed = (await (await fetch(`${base}/api/collections/pay_reconciliations`)).json()) as {
    docs: Array<Record<string, unknown>>
  }
  expect(listed.docs).toEqual([
    expect.objectContaining({ _id: reconciled.body.date, state: 'OK', billLines: 2, paidHere: 1, refundsHere: 1 }),
  ])
})
