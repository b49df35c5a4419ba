/**
 * The payment callback through the local cloud (deployed bundles, real wx-server-sdk, WeChat Pay
 * sandbox): what a callback is believed for, duplicates, retries, forgeries, and a client that
 * says paid before the callback arrives.
 */
import {
  ALICE,
  answerOf,
  BOB,
  PAYMENT_NOTIFY_FN,
  placeAtWeChatPay,
  TMPL_PAID,
  V3,
  payWorld,
  quietFunctionLogs,
} from './helpers'
import { underLatency } from '../setup/races'

quietFunctionLogs()

describe('payment callback', () => {
  test('happy path: PAID once with transaction id and time, fulfilled, message sent, acknowledged', async () => {
    const w = payWorld()
    await w.subscribe()
    const id = (await w.buy('coffee', 2)).data.order.orderId
    const tx = await w.cloud.cloudPay.pay(id)
    const [delivery] = w.cloud.cloudPay.deliveries
    expect(delivery!.attempts.map((a) => answerOf(a.result))).toEqual(['ACK'])
    expect(delivery!.fn).toBe(PAYMENT_NOTIFY_FN)
    expect(w.order(id)).toMatchObject({ status: 'PAID', transactionId: tx, paidVia: 'callback' })
    expect(w.order(id)!.timeEnd).toMatch(/^\d{14}$/)
    expect(w.cloud.db.dump('fulfilments')).toEqual([
      expect.objectContaining({ _id: id, productId: 'coffee', quantity: 2, _openid: 'o-alice' }),
    ])
    const [send] = w.sends()
    expect(send).toMatchObject({
      ok: true,
      params: {
        touser: 'o-alice',
        template_id: TMPL_PAID,
        page: `pages/pay/order/index?id=${id}`,
        miniprogram_state: 'developer',
      },
    })
    expect(send!.params.data).toMatchObject({ amount3: { value: '36.00元' }, thing2: { value: '咖啡券' } })
    expect(w.order(id)!.notices.paid.status).toBe('SENT')
    const view = await w.pay('getOrder', { orderId: id })
    expect(view.data.order).toMatchObject({ status: 'PAID', canPay: false, canRefund: true })
  })

  test('100 concurrent duplicate callbacks: one transition, one fulfilment, one message, all acknowledged', async () => {
    const w = payWorld()
    await w.subscribe(3) // credits to spare: a second send would be possible if the code allowed it
    const id = (await w.buy()).data.order.orderId
    await underLatency(w.cloud, 99, () => w.cloud.cloudPay.pay(id, { duplicates: 99 }))
    const attempts = w.cloud.cloudPay.deliveries[0]!.attempts
    expect(attempts.length).toBeGreaterThanOrEqual(100)
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    const order = w.order(id)!
    expect(order.history.filter((h: { event: string }) => h.event === 'PAY_CONFIRMED')).toHaveLength(1)
    expect(w.cloud.db.dump('fulfilments')).toHaveLength(1)
    expect(w.sends()).toHaveLength(1)
    expect(w.incidents()).toHaveLength(0)
  })

  test("a notification with a wrong amount: WeChat Pay's own answer is the evidence (paid 18.00), no incident from the notification", async () => {
    const w = payWorld()
    await w.subscribe()
    const id = (await w.buy()).data.order.orderId
    const o = w.cloud.cloudPay.orders.get(id)!
    o.state = 'SUCCESS'
    o.transactionId = '4200000000000000000000000001'
    o.timeEnd = '20261121120000'
    await w.cloud.cloudPay.deliverRaw(
      'payment',
      'payCallback',
      w.cloud.cloudPay.paymentEvent(o, { totalFee: 1, cashFee: 1 }),
    )
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    expect(w.order(id)).toMatchObject({ status: 'PAID', totalFee: 1800 })
    expect(w.incidents()).toEqual([])
  })

  test("WeChat Pay confirms an amount other than the order's: not fulfilled, an incident on confirmed facts", async () => {
    const w = payWorld()
    await w.subscribe()
    const id = (await w.buy()).data.order.orderId
    const o = w.cloud.cloudPay.orders.get(id)!
    Object.assign(o, {
      state: 'SUCCESS',
      transactionId: '4200000000000000000000000011',
      timeEnd: '20261121120000',
      totalFee: 1,
    })
    await w.cloud.cloudPay.deliverRaw('payment', 'payCallback', w.cloud.cloudPay.paymentEvent(o))
    expect(w.order(id)!.status).toBe('UNPAID')
    expect(w.cloud.db.dump('fulfilments')).toHaveLength(0)
    expect(w.sends()).toHaveLength(0)
    expect(w.incidents()).toEqual([
      expect.objectContaining({
        kind: 'AMOUNT_MISMATCH',
        details: expect.objectContaining({ totalFee: 1, expectedFee: 1800 }),
      }),
    ])
  })

  test('a totalFee written as text ("1800", as WeChat Pay V2 writes every field) is read as the number it is', async () => {
    const w = payWorld()
    await w.subscribe()
    const id = (await w.buy()).data.order.orderId
    await w.cloud.cloudPay.pay(id, { hold: true }) // paid at WeChat Pay; its own callback held back
    const o = w.cloud.cloudPay.orders.get(id)!
    await w.cloud.cloudPay.deliverRaw(
      'payment',
      'payCallback',
      w.cloud.cloudPay.paymentEvent(o, { totalFee: '1800', cashFee: '1800' }),
    )
    expect(w.cloud.cloudPay.deliveries.at(-1)!.acked).toBe(true)
    expect(w.order(id)!.status).toBe('PAID')
    expect(w.incidents()).toEqual([])
  })

  test('unknown outTradeNo that WeChat Pay does not know either: acknowledged, nothing written however often it comes', async () => {
    const w = payWorld()
    const event = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: 'NO_SUCH_ORDER_1',
      transactionId: '4200000000000000000000000002',
      totalFee: 100,
      subMchId: '1900000109',
      timeEnd: '20261121120000',
    }
    const before = w.writes()
    await w.cloud.cloudPay.deliverRaw('payment', 'payCallback', event, { duplicates: 2 })
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    expect(w.incidents()).toEqual([])
    expect(w.writes()).toBe(before)
  })

  test('paid at WeChat Pay for an order this database lacks: an incident, once', async () => {
    const w = payWorld()
    // An order WeChat Pay has (placed, then lost here, as a restore from an old backup would).
    const outTradeNo = 'LOST202611210001'
    await placeAtWeChatPay(w.cloud, outTradeNo, ALICE.openid!)
    await w.cloud.cloudPay.pay(outTradeNo, { duplicates: 1 })
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    expect(w.incidents().map((i) => i.kind)).toEqual(['UNKNOWN_ORDER'])
  })

  test('resultCode FAIL (WeChat Pay sends success notifications only): nothing written, acknowledged', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    const before = w.writes()
    await w.cloud.cloudPay.deliverRaw('payment', 'payCallback', {
      returnCode: 'SUCCESS',
      resultCode: 'FAIL',
      errCodeDes: '用户支付失败',
      outTradeNo: id,
      totalFee: 1800,
    })
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    expect(w.order(id)!.status).toBe('UNPAID')
    expect(w.incidents()).toEqual([])
    expect(w.writes()).toBe(before)
  })

  test("a notification naming another sub-merchant: WeChat Pay's answer for the order's own merchant decides", async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    const o = w.cloud.cloudPay.orders.get(id)!
    Object.assign(o, { state: 'SUCCESS', transactionId: '4200000000000000000000000003', timeEnd: '20261121120000' })
    await w.cloud.cloudPay.deliverRaw(
      'payment',
      'payCallback',
      w.cloud.cloudPay.paymentEvent(o, { subMchId: '1900000999' }),
    )
    expect(w.cloud.cloudPay.callsTo('queryOrder').at(-1)!.params.sub_mch_id).toBe('1900000109')
    expect(w.order(id)!.status).toBe('PAID')
    expect(w.incidents()).toEqual([])
  })

  test('a callback forged from the mini-program (it carries a user) is refused and changes nothing', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    const { result } = await w.cloud.callFromClient(
      'payCallback',
      { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: id, transactionId: 'x', totalFee: 1800 },
      ALICE,
    )
    expect(result).toEqual({ errcode: 403, errmsg: 'not a WeChat Pay notification' })
    expect(w.order(id)!.status).toBe('UNPAID')
  })

  test('a forged notification that does not reach the client markers is checked with queryOrder and not believed', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    const o = w.cloud.cloudPay.orders.get(id)!
    // WeChat Pay says NOTPAY; the "notification" claims SUCCESS with the right amount.
    await w.cloud.cloudPay.deliverRaw(
      'payment',
      'payCallback',
      w.cloud.cloudPay.paymentEvent(o, { transactionId: '4200000000000000000000000009', timeEnd: '20261121120000' }),
    )
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    expect(w.cloud.cloudPay.callsTo('queryOrder')).toHaveLength(1)
    expect(w.order(id)!.status).toBe('UNPAID')
    expect(w.cloud.db.dump('fulfilments')).toHaveLength(0)
    expect(w.incidents()).toEqual([]) // unconfirmed: a log line, not an incident
  })

  test('when queryOrder cannot confirm (WeChat busy) it answers non-zero and the re-delivery settles it', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    w.cloud.cloudPay.failNext('queryOrder', -501002, 'timeout', 2)
    await w.cloud.cloudPay.pay(id)
    const d = w.cloud.cloudPay.deliveries[0]!
    expect(d.attempts.slice(0, 3).map((a) => answerOf(a.result))).toEqual(['RETRY', 'RETRY', 'ACK'])
    expect(d.acked).toBe(true)
    expect(w.order(id)!.status).toBe('PAID')
  })

  test('when the outcome cannot be recorded it answers non-zero, and the re-delivery succeeds', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    // The database refuses the first commit (a transient failure): WeChat must retry.
    const engine = w.cloud.db as unknown as { handle: (a: string, p: Record<string, unknown>) => Promise<unknown> }
    const real = engine.handle.bind(engine)
    let failed = 0
    engine.handle = async (action, params) => {
      if (action === 'database.startTransaction' && failed < 4) {
        failed++
        return { requestId: 'x', code: 'DATABASE_REQUEST_FAILED', message: 'injected' }
      }
      return real(action, params)
    }
    await w.cloud.cloudPay.pay(id)
    const d = w.cloud.cloudPay.deliveries[0]!
    expect(answerOf(d.attempts[0]!.result)).toBe('RETRY')
    expect(d.acked).toBe(true)
    expect(w.order(id)!.status).toBe('PAID')
  })

  test('a wrong env id in unifiedOrder (APIv3: a notify URL with no HTTP access path): the notification never arrives (the documented trap)', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    if (V3) w.cloud.wxpayV3.notifyUrls.set(id, 'https://local-dev.service.tcloudbase.com/pay-notfy')
    else w.cloud.cloudPay.orders.get(id)!.envId = 'prod'
    await w.cloud.cloudPay.pay(id)
    expect(w.cloud.cloudPay.deliveries[0]!.lost).toContain(V3 ? 'no HTTP access path /pay-notfy' : 'env_id "prod"')
    expect(w.order(id)!.status).toBe('UNPAID')
    // ...which getOrder's queryOrder still settles.
    expect((await w.pay('getOrder', { orderId: id })).data.order.status).toBe('PAID')
  })
})

describe('client says paid, callback late', () => {
  test('getOrder asks queryOrder and reconciles; the late callback is then a duplicate', async () => {
    const w = payWorld()
    await w.subscribe()
    const id = (await w.buy()).data.order.orderId
    await w.cloud.cloudPay.pay(id, { hold: true })
    expect(w.order(id)!.status).toBe('UNPAID')
    const res = await w.pay('getOrder', { orderId: id })
    expect(res.data.order.status).toBe('PAID')
    expect(w.order(id)!.paidVia).toBe('query')
    await w.cloud.cloudPay.flush()
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    expect(w.order(id)!.history.filter((h: { event: string }) => h.event === 'PAY_CONFIRMED')).toHaveLength(1)
    expect(w.cloud.db.dump('fulfilments')).toHaveLength(1)
    expect(w.sends()).toHaveLength(1)
  })

  test('not paid yet: getOrder leaves it UNPAID and payable; a failing query does not fail getOrder', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    expect((await w.pay('getOrder', { orderId: id })).data.order).toMatchObject({ status: 'UNPAID', canPay: true })
    w.cloud.cloudPay.failNext('queryOrder', -501002)
    expect((await w.pay('getOrder', { orderId: id })).data.order.status).toBe('UNPAID')
  })

  test('an order is visible to its owner only', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    expect((await w.pay('getOrder', { orderId: id }, BOB)).error?.code).toBe('ORDER_NOT_FOUND')
    expect((await w.pay('payOrder', { orderId: id }, BOB)).error?.code).toBe('ORDER_NOT_FOUND')
    expect((await w.pay('listOrders', {}, BOB)).data.orders).toEqual([])
  })

  test('listOrders: newest first, paged', async () => {
    const w = payWorld()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      ids.push((await w.buy()).data.order.orderId)
      await new Promise((r) => setTimeout(r, 3))
    }
    const page1 = await w.pay('listOrders', { limit: 2 })
    expect(page1.data.orders.map((o: { orderId: string }) => o.orderId)).toEqual([ids[2], ids[1]])
    expect(page1.data.more).toBe(true)
    const page2 = await w.pay('listOrders', { limit: 2, before: page1.data.orders[1].createdAt })
    expect(page2.data.orders.map((o: { orderId: string }) => o.orderId)).toEqual([ids[0]])
    expect(page2.data.more).toBe(false)
  })
})
