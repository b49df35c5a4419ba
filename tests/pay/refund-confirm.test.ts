/**
 * Refunds are settled by what WeChat Pay answers to queryRefund, never by the notification alone
 * (#15.6, #16.2): a forged or odd notification changes nothing, a notification in any of the
 * shapes CloudBase may deliver triggers the query, and refunds whose notification never comes
 * (or cannot be read) are confirmed by the payExpire timer.
 */
import { refundStatusOf } from '../../server/pay/wxpay'
import { takeConsole } from '../setup/console'
import { ALICE, age, payWorld, TMPL_REFUNDED, V3 } from './helpers'

async function refunding() {
  const w = payWorld()
  await w.subscribe()
  const id = (await w.buy()).data.order.orderId as string
  await w.cloud.cloudPay.pay(id)
  await w.cloud.cloudPay.idle()
  expect((await w.pay('requestRefund', { orderId: id })).data.order.status).toBe('REFUNDING')
  const outRefundNo = w.order(id)!.refund.outRefundNo as string
  return { w, id, outRefundNo }
}
const refundedSends = (w: ReturnType<typeof payWorld>) =>
  w.sends().filter((s) => s.params.template_id === TMPL_REFUNDED)

test('a forged SUCCESS notification while WeChat Pay still shows PROCESSING changes nothing and sends nothing', async () => {
  const { w, id, outRefundNo } = await refunding()
  await w.cloud.cloudPay.deliverRaw('refund', 'payRefundCallback', {
    returnCode: 'SUCCESS',
    reqInfo: { outTradeNo: id, outRefundNo, refundStatus: 'SUCCESS', refundFee: 1800 },
  })
  expect(w.cloud.cloudPay.deliveries.at(-1)!.acked).toBe(true)
  expect(w.order(id)!.status).toBe('REFUNDING')
  expect(refundedSends(w)).toHaveLength(0)
  expect(w.incidents()).toEqual([]) // unconfirmed: a log line, not an incident
  expect(takeConsole('error')).toEqual([
    expect.stringContaining('"unconfirmed":"says SUCCESS, WeChat Pay says PROCESSING"'),
  ])
  expect(w.cloud.cloudPay.callsTo('queryRefund')).toHaveLength(1)
})

test.each([
  ['no status at all', {}],
  ['an unknown status', { refundStatus: 'WHATEVER' }],
  ['CHANGE that WeChat Pay does not confirm', { refundStatus: 'CHANGE' }],
])('%s does not fail the refund', async (_name, extra) => {
  const { w, id, outRefundNo } = await refunding()
  await w.cloud.cloudPay.deliverRaw('refund', 'payRefundCallback', {
    returnCode: 'SUCCESS',
    reqInfo: { outTradeNo: id, outRefundNo, ...extra },
  })
  expect(w.order(id)!.status).toBe('REFUNDING')
  takeConsole('error') // claims WeChat Pay does not confirm are logged (asserted in the test above)
})

test.each([
  [
    'camelCase object',
    (id: string, no: string) => ({ reqInfo: { outTradeNo: id, outRefundNo: no, refundStatus: 'SUCCESS' } }),
  ],
  [
    'snake_case object',
    (id: string, no: string) => ({ req_info: { out_trade_no: id, out_refund_no: no, refund_status: 'SUCCESS' } }),
  ],
  ['JSON string', (id: string, no: string) => ({ reqInfo: JSON.stringify({ outTradeNo: id, outRefundNo: no }) })],
  ['top-level fields', (_id: string, no: string) => ({ outRefundNo: no })],
])('a notification as a %s, once WeChat Pay says SUCCESS: REFUNDED, one message', async (_name, shape) => {
  const { w, id, outRefundNo } = await refunding()
  // WeChat Pay settles; its own notification is held back, ours arrives in another shape.
  await w.cloud.cloudPay.settleRefund(outRefundNo, 'SUCCESS', { hold: true })
  await w.cloud.cloudPay.deliverRaw(
    'refund',
    'payRefundCallback',
    { returnCode: 'SUCCESS', ...shape(id, outRefundNo) },
    { duplicates: 2 },
  )
  expect(w.order(id)!.status).toBe('REFUNDED')
  expect(refundedSends(w)).toHaveLength(1)
  expect(w.incidents()).toEqual([])
})

test('an invocation that carries an OPENID (not from the mini-program) is no longer refused', async () => {
  const { w, id, outRefundNo } = await refunding()
  await w.cloud.cloudPay.settleRefund(outRefundNo, 'SUCCESS', { hold: true })
  const answer = await w.cloud.invoke(
    'payRefundCallback',
    { returnCode: 'SUCCESS', reqInfo: { outTradeNo: id, outRefundNo } },
    { openid: ALICE.openid },
    'wx_paycallback',
  )
  expect(answer).toEqual({ errcode: 0, errmsg: '' })
  expect(w.order(id)!.status).toBe('REFUNDED')
  // From the mini-program it is refused and changes nothing.
  const { w: w2, id: id2, outRefundNo: no2 } = await refunding()
  await w2.cloud.cloudPay.settleRefund(no2, 'SUCCESS', { hold: true })
  const { result } = await w2.cloud.callFromClient(
    'payRefundCallback',
    { returnCode: 'SUCCESS', reqInfo: { outTradeNo: id2, outRefundNo: no2 } },
    ALICE,
  )
  expect(result).toEqual({ errcode: 403, errmsg: 'not a WeChat Pay notification' })
  expect(takeConsole('error')).toEqual([expect.stringContaining('called from a client')])
  expect(w2.order(id2)!.status).toBe('REFUNDING')
})

test('an encrypted req_info (unreadable here): recorded, acknowledged; the timer confirms the refund by query', async () => {
  const { w, id, outRefundNo } = await refunding()
  await w.cloud.cloudPay.settleRefund(outRefundNo, 'SUCCESS', { hold: true })
  await w.cloud.cloudPay.deliverRaw('refund', 'payRefundCallback', {
    returnCode: 'SUCCESS',
    nonceStr: 'n1',
    reqInfo: 'T87GAHG17TGAHG1TGHAHAHA1Y1CIOA9UGJH1GAHV871HAGAGQYQQPOOJMXNBCXBVNMNMAJAA',
  })
  expect(w.incidents()).toEqual([])
  expect(takeConsole('error')).toEqual([expect.stringContaining('no readable refund in the notification')])
  expect(w.order(id)!.status).toBe('REFUNDING')
  // Not yet five minutes after acceptance: the timer leaves it.
  expect(await w.cloud.runTimer('payExpire')).toMatchObject({ refundsConfirmed: 0 })
  age(w.cloud, id, 6 * 60_000)
  expect(await w.cloud.runTimer('payExpire')).toMatchObject({ refundsConfirmed: 1, errors: 0 })
  expect(w.order(id)!.status).toBe('REFUNDED')
  expect(refundedSends(w)).toHaveLength(1)
  takeConsole('log') // the timer's report line
})

test('no notification ever arrives: the timer confirms SUCCESS, CHANGE and PROCESSING as WeChat Pay says', async () => {
  const { w, id, outRefundNo } = await refunding()
  age(w.cloud, id, 6 * 60_000)
  expect(await w.cloud.runTimer('payExpire')).toMatchObject({ refundsConfirmed: 0, refundsFailed: 0 }) // PROCESSING
  expect(w.order(id)!.status).toBe('REFUNDING')
  await w.cloud.cloudPay.settleRefund(outRefundNo, 'CHANGE', { hold: true })
  expect(await w.cloud.runTimer('payExpire')).toMatchObject({ refundsFailed: 1 })
  expect(w.order(id)!.status).toBe('REFUND_FAILED')
  expect(w.incidents()).toEqual([expect.objectContaining({ kind: 'REFUND_CHANGE' })])
  takeConsole('log')
})

test('a refund query that fails (cloudPay: a missing queryRefund permission, -604101; APIv3: no answer) makes the notification ask for a retry', async () => {
  const { w, id, outRefundNo } = await refunding()
  if (V3) {
    // WeChat Pay settled; its notification arrives while the refund query cannot be answered.
    await w.cloud.cloudPay.settleRefund(outRefundNo, 'SUCCESS', { hold: true })
    w.cloud.cloudPay.failNext('queryRefund', -501002, 'timeout')
    const o = w.cloud.cloudPay.orders.get(id)!
    const n = w.cloud.wxpayV3.signing.notification('REFUND.SUCCESS', '退款成功', 'refund', {
      out_trade_no: id,
      out_refund_no: outRefundNo,
      refund_status: 'SUCCESS',
      amount: { refund: o.refunds.get(outRefundNo)!.refundFee },
    })
    const answer = await w.cloud.http('payNotify', {
      method: 'POST',
      path: '/pay-notify',
      headers: n.headers,
      body: n.body,
    })
    expect(answer.status).toBe(500)
    expect(takeConsole('error')).toEqual([expect.stringContaining('V3Error')])
  } else {
    w.cloud.deniedPermissions.add('payRefundCallback:cloudPay.queryRefund')
    const answer = await w.cloud.invoke(
      'payRefundCallback',
      { returnCode: 'SUCCESS', reqInfo: { outTradeNo: id, outRefundNo } },
      {},
      'wx_paycallback',
    )
    expect(answer).toMatchObject({ errcode: 500 })
    expect(takeConsole('error')).toEqual([expect.stringContaining('-604101')])
  }
  expect(w.order(id)!.status).toBe('REFUNDING')
})

describe('refundStatusOf reads both forms of a queryRefund answer', () => {
  test("cloudPay's lists", () => {
    const q = {
      outRefundNoList: ['A1R1', 'A1R2'],
      refundStatusList: ['REFUNDCLOSE', 'SUCCESS'],
      refundFeeList: ['100', 200],
    }
    expect(refundStatusOf(q, 'A1R2')).toEqual({ status: 'SUCCESS', refundFee: 200 })
    expect(refundStatusOf(q, 'A1R1')).toEqual({ status: 'REFUNDCLOSE', refundFee: 100 })
    expect(refundStatusOf(q, 'A1R3')).toBeUndefined()
  })
  test("WeChat Pay V2's indexed fields, camelCased either way", () => {
    expect(
      refundStatusOf({ refundCount: 1, outRefundNo0: 'A1R1', refundStatus0: 'PROCESSING', refundFee0: 1800 }, 'A1R1'),
    ).toEqual({ status: 'PROCESSING', refundFee: 1800 })
    expect(refundStatusOf({ outRefundNo_1: 'A1R2', refundStatus_1: 'SUCCESS' }, 'A1R2')).toEqual({ status: 'SUCCESS' })
  })
  test('empty lists (as seen from cloudPay) or an unknown state conclude nothing', () => {
    expect(refundStatusOf({ refundCount: 1, outRefundNoList: [], refundStatusList: [] }, 'A1R1')).toBeUndefined()
    expect(refundStatusOf({ outRefundNoList: ['A1R1'], refundStatusList: ['DONE'] }, 'A1R1')).toBeUndefined()
  })
})
