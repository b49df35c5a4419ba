/**
 * The pay functions through the local cloud (deployed bundles, real wx-server-sdk, WeChat Pay
 * sandbox): orders, prepay, callbacks, reconciliation, expiry, refunds and messages.
 */
import {
  ALICE,
  answerOf,
  BOB,
  PAY_VARS,
  PAYMENT_NOTIFY_FN,
  placeAtWeChatPay,
  REFUND_NOTIFY_FN,
  TMPL_PAID,
  TMPL_REFUNDED,
  V3,
  age,
  payWorld,
  quietFunctionLogs,
} from './helpers'
import { underLatency } from '../setup/races'

quietFunctionLogs()

describe('catalogue and createOrder', () => {
  test('lists active products with server prices and the template ids', async () => {
    const w = payWorld()
    const res = await w.pay('listProducts')
    expect(res.ok).toBe(true)
    expect(res.data.products.map((p: { productId: string }) => p.productId)).toEqual([
      'coffee',
      'vip-month',
      'sticker-pack',
    ])
    expect(res.data.products[0]).toEqual({
      productId: 'coffee',
      title: '咖啡券',
      description: '一杯招牌咖啡。',
      priceFen: 1800,
      maxQuantity: 10,
    })
    expect(res.data.templates).toEqual({ paid: TMPL_PAID, refunded: TMPL_REFUNDED })
  })

  test('an English-language user reads the catalogue, the payment body and the order in English', async () => {
    const w = payWorld()
    await w.cloud.callFromClient('user', { action: 'login', language: 'en' }, { openid: 'o-alice' })
    const res = await w.pay('listProducts')
    expect(res.data.products[0]).toMatchObject({ title: 'Coffee voucher', description: 'One cup of house coffee.' })
    const bought = await w.buy('coffee', 1)
    expect(bought.data.order.title).toBe('Coffee voucher')
    expect(w.cloud.cloudPay.callsTo('unifiedOrder')[0]!.params.body).toBe('云开发示例-Coffee voucher')
  })

  test('prices come from the catalogue; unifiedOrder gets the documented parameters', async () => {
    const w = payWorld()
    const res = await w.buy('coffee', 3)
    expect(res.ok).toBe(true)
    const { order, payment } = res.data
    expect(order).toMatchObject({
      status: 'UNPAID',
      totalFen: 5400,
      unitPriceFen: 1800,
      quantity: 3,
      canPay: true,
      canRefund: false,
    })
    expect(order.expiresAt - order.createdAt).toBe(15 * 60_000)
    expect(order.orderId).toMatch(/^\d{14}[a-z0-9]{12}$/)
    expect(Object.keys(payment).sort()).toEqual(['nonceStr', 'package', 'paySign', 'signType', 'timeStamp'])
    if (V3) {
      // APIv3's JSAPI order: the merchant's own ids, the notify URL, the payer and the client IP.
      const [req] = w.cloud.wxpayV3.requests.filter((r) => r.path === '/v3/pay/transactions/jsapi')
      expect(JSON.parse(req!.body)).toMatchObject({
        appid: w.cloud.appid,
        mchid: '1900000109',
        description: '云开发示例-咖啡券',
        out_trade_no: order.orderId,
        notify_url: 'https://local-dev.service.tcloudbase.com/pay-notify',
        amount: { total: 5400, currency: 'CNY' },
        payer: { openid: 'o-alice' },
        scene_info: { payer_client_ip: '10.1.2.3' },
      })
      expect(payment.signType).toBe('RSA')
    } else {
      const [call] = w.cloud.cloudPay.callsTo('unifiedOrder')
      expect(call!.params).toMatchObject({
        body: '云开发示例-咖啡券',
        out_trade_no: order.orderId,
        spbill_create_ip: '10.1.2.3',
        sub_mch_id: '1900000109',
        total_fee: 5400,
        env_id: 'local-dev',
        function_name: 'payCallback',
        trade_type: 'JSAPI',
      })
      expect(String(call!.params.nonce_str)).toHaveLength(32)
    }
    // The order's end of payability, as V2 writes it (yyyyMMddHHmmss) or APIv3 (RFC 3339): the same moment.
    expect(w.cloud.cloudPay.callsTo('unifiedOrder')[0]!.params.time_expire).toMatch(/^\d{14}$/)
    if (V3)
      expect(JSON.parse(w.cloud.wxpayV3.requests[0]!.body).time_expire).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/,
      )
    const stored = w.order(order.orderId)!
    expect(stored).toMatchObject({
      _openid: 'o-alice',
      status: 'UNPAID',
      prepayId: payment.package.replace('prepay_id=', ''),
    })
  })

  test('a price field from the client is refused, nothing written', async () => {
    const w = payWorld()
    const before = w.writes()
    const res = await w.pay('createOrder', {
      productId: 'coffee',
      quantity: 1,
      requestId: 'req-price-0001',
      totalFee: 1,
    })
    expect(res.error?.code).toBe('INVALID_INPUT')
    expect(w.writes()).toBe(before)
  })

  test('the same requestId (a double tap) gives one order and the same payment', async () => {
    const w = payWorld()
    const req = { productId: 'coffee', quantity: 1, requestId: 'tap-00000001' }
    const [a, b, c] = await underLatency(w.cloud, 3, () =>
      Promise.all([w.pay('createOrder', req), w.pay('createOrder', req), w.pay('createOrder', req)]),
    )
    for (const r of [a, b, c]) expect(r!.ok).toBe(true)
    expect(new Set([a, b, c].map((r) => r!.data.order.orderId)).size).toBe(1)
    expect(new Set([a, b, c].map((r) => r!.data.payment.package)).size).toBe(1)
    expect(w.cloud.db.dump('orders')).toHaveLength(1)
    expect(w.cloud.cloudPay.orders.size).toBe(1)
  })

  test('the same requestId for another product is refused', async () => {
    const w = payWorld()
    await w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId: 'tap-00000002' })
    const res = await w.pay('createOrder', { productId: 'vip-month', quantity: 1, requestId: 'tap-00000002' })
    expect(res.error?.code).toBe('REQUEST_ID_REUSED')
  })

  test('unknown or retired product, too many units', async () => {
    const w = payWorld()
    expect((await w.buy('nope')).error?.code).toBe('PRODUCT_NOT_FOUND')
    expect((await w.buy('retired-mug')).error?.code).toBe('PRODUCT_NOT_FOUND')
    expect((await w.buy('coffee', 11)).error?.code).toBe('QUANTITY_TOO_LARGE')
    expect(w.cloud.db.dump('orders')).toHaveLength(0)
  })

  test('without a merchant id: PAY_NOT_CONFIGURED with the fix, nothing written', async () => {
    const missing = V3 ? 'WXPAY_MCHID' : 'PAY_SUB_MCH_ID'
    const w = payWorld({ vars: { ...PAY_VARS, [missing]: '' } })
    const before = w.writes()
    const res = await w.buy()
    expect(res.error?.code).toBe('PAY_NOT_CONFIGURED')
    expect(res.error?.message).toContain(missing)
    expect(w.writes()).toBe(before)
  })

  test('a short or foreign callback env id is refused before any order (callbacks would never arrive)', async () => {
    for (const id of ['prod', 'other-env1']) {
      const w = payWorld({ vars: { ...PAY_VARS, PAY_CALLBACK_ENV_ID: id } })
      const res = await w.buy()
      expect(res.error?.code).toBe('PAY_NOT_CONFIGURED')
      expect(w.cloud.cloudPay.calls).toHaveLength(0)
    }
  })

  test('returnCode FAIL (merchant not bound) is PAY_UNAVAILABLE, though the SDK says errCode 0', async () => {
    const w = payWorld()
    w.cloud.cloudPay.merchants.clear()
    const res = await w.buy()
    expect(res.error?.code).toBe('PAY_UNAVAILABLE')
    expect(res.error?.message).toContain('sub_mch_id')
    // The order waits for a retry with the same parameters; no payment was handed out.
    expect(w.cloud.db.dump('orders')[0]).toMatchObject({ status: 'UNPAID' })
    expect(w.cloud.db.dump('orders')[0]!.payment).toBeUndefined()
  })

  test('SYSTEMERROR then a retry with the same requestId: same outTradeNo, identical parameters, one prepay', async () => {
    const w = payWorld()
    w.cloud.cloudPay.failNextBusiness('unifiedOrder', 'SYSTEMERROR')
    const req = { productId: 'coffee', quantity: 1, requestId: 'tap-retry-0001' }
    expect((await w.pay('createOrder', req)).error?.code).toBe('PAY_UNAVAILABLE')
    const again = await w.pay('createOrder', req)
    expect(again.ok).toBe(true)
    const calls = w.cloud.cloudPay.callsTo('unifiedOrder')
    expect(calls).toHaveLength(2)
    expect(calls[1]!.params).toEqual(calls[0]!.params)
  })

  test('a transport failure (CloudBase timeout) maps to a typed error, the order survives', async () => {
    const w = payWorld()
    w.cloud.cloudPay.failNext('unifiedOrder', -501002, 'timeout')
    const res = await w.buy()
    expect(res.error?.code).toBe('WECHAT_BUSY')
    expect(w.cloud.db.dump('orders')).toHaveLength(1)
  })

  test('ORDERPAID from unifiedOrder (paid elsewhere meanwhile) reconciles and says already paid', async () => {
    const w = payWorld()
    const first = await w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId: 'tap-paid-0001' })
    const id = first.data.order.orderId
    // Paid, callback held; the stored payment is dropped so a retry must ask unifiedOrder again.
    await w.cloud.cloudPay.pay(id, { hold: true })
    const doc = w.order(id)!
    delete doc.payment
    w.cloud.db.seed('orders', [doc])
    const res = await w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId: 'tap-paid-0001' })
    expect(res.error?.code).toBe('ORDER_ALREADY_PAID')
    expect(w.order(id)!.status).toBe('PAID')
  })
})

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

describe('what WeChat Pay limits', () => {
  test('an IPv6-only phone: spbillCreateIp is its CLIENTIPV6, not a made-up address', async () => {
    const w = payWorld()
    expect(
      (
        await w.pay(
          'createOrder',
          { productId: 'coffee', quantity: 1, requestId: 'req-ipv6-0001' },
          { openid: 'o-v6', clientIpv6: '240e:3b4:0:1::2' },
        )
      ).ok,
    ).toBe(true)
    expect(w.cloud.cloudPay.callsTo('unifiedOrder').at(-1)!.params.spbill_create_ip).toBe('240e:3b4:0:1::2')
  })

  test('the order body stays within 128 bytes whatever the shop and product names', async () => {
    const w = payWorld({ vars: { ...PAY_VARS, PAY_BODY_PREFIX: '😀'.repeat(30) } })
    expect((await w.buy()).ok).toBe(true)
    const body = String(w.cloud.cloudPay.callsTo('unifiedOrder').at(-1)!.params.body)
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(128)
    expect(body.startsWith('😀')).toBe(true)
  })

  test.each(['4', '121', '1.5', 'x'])('PAY_ORDER_TTL_MINUTES=%s is refused with the reason (5-120)', async (ttl) => {
    const w = payWorld({ vars: { ...PAY_VARS, PAY_ORDER_TTL_MINUTES: ttl } })
    const res = await w.buy()
    expect(res.error?.code).toBe('PAY_NOT_CONFIGURED')
    expect(res.error?.message).toContain('PAY_ORDER_TTL_MINUTES must be a whole number from 5 to 120')
    expect(w.cloud.cloudPay.callsTo('unifiedOrder')).toHaveLength(0)
  })
})

describe('expiry', () => {
  test('the timer closes expired UNPAID orders at WeChat Pay, then here', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    const fresh = (await w.buy('vip-month')).data.order.orderId
    age(w.cloud, id, 16 * 60_000)
    const report = await w.cloud.runTimer('payExpire')
    expect(report).toMatchObject({ closed: 1, paid: 0, errors: 0 })
    expect(w.cloud.cloudPay.callsTo('closeOrder').map((c) => c.params.out_trade_no)).toEqual([id])
    expect(w.order(id)).toMatchObject({ status: 'CLOSED' })
    expect(w.cloud.cloudPay.orders.get(id)!.state).toBe('CLOSED')
    expect(w.order(fresh)!.status).toBe('UNPAID')
    // Continue paying a closed order: refused with a clear code.
    expect((await w.pay('payOrder', { orderId: id })).error?.code).toBe('ORDER_CLOSED')
  })

  test('close racing a payment: WeChat answers ORDERPAID, the order is reconciled to PAID and fulfilled', async () => {
    const w = payWorld()
    await w.subscribe()
    const id = (await w.buy()).data.order.orderId
    await w.cloud.cloudPay.pay(id, { hold: true }) // paid at WeChat, callback not here yet
    age(w.cloud, id, 16 * 60_000)
    const report = await w.cloud.runTimer('payExpire')
    expect(report).toMatchObject({ closed: 0, paid: 1 })
    expect(w.order(id)).toMatchObject({ status: 'PAID', paidVia: 'timer' })
    expect(w.cloud.db.dump('fulfilments')).toHaveLength(1)
    await w.cloud.cloudPay.flush()
    expect(w.cloud.db.dump('fulfilments')).toHaveLength(1)
    expect(w.sends()).toHaveLength(1)
  })

  test('an expired order cannot be paid any more from the page', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    age(w.cloud, id, 16 * 60_000)
    expect((await w.pay('payOrder', { orderId: id })).error?.code).toBe('ORDER_EXPIRED')
    expect((await w.pay('getOrder', { orderId: id })).data.order.canPay).toBe(false)
  })

  test('the timer refuses to run for a client', async () => {
    const w = payWorld()
    const { result } = await w.cloud.callFromClient('payExpire', {}, ALICE)
    expect(result).toMatchObject({ skipped: 'not callable from the mini-program' })
  })
})

describe('refunds', () => {
  async function paidOrder(w: ReturnType<typeof payWorld>, product = 'coffee') {
    const id = (await w.buy(product)).data.order.orderId as string
    await w.cloud.cloudPay.pay(id)
    return id
  }

  test('PAID -> REFUNDING -> REFUNDED via the refund callback, with its own outRefundNo and message', async () => {
    const w = payWorld()
    await w.subscribe()
    const id = await paidOrder(w)
    const res = await w.pay('requestRefund', { orderId: id })
    expect(res.data.order).toMatchObject({
      status: 'REFUNDING',
      canRefund: false,
      refund: { refundFen: 1800, refundedAt: null },
    })
    const [call] = w.cloud.cloudPay.callsTo('refund')
    expect(call!.params).toMatchObject({
      out_trade_no: id,
      out_refund_no: `${id}R1`,
      total_fee: 1800,
      refund_fee: 1800,
    })
    if (V3)
      expect(
        JSON.parse(w.cloud.wxpayV3.requests.find((r) => r.path === '/v3/refund/domestic/refunds')!.body),
      ).toMatchObject({
        notify_url: 'https://local-dev.service.tcloudbase.com/pay-notify',
        amount: { refund: 1800, total: 1800, currency: 'CNY' },
      })
    else expect(call!.params).toMatchObject({ function_name: 'payRefundCallback', env_id: 'local-dev' })
    await w.cloud.cloudPay.settleRefund(`${id}R1`)
    expect(w.cloud.cloudPay.deliveries.at(-1)).toMatchObject({ fn: REFUND_NOTIFY_FN, acked: true })
    expect(w.order(id)!.status).toBe('REFUNDED')
    expect(w.sends().map((s) => s.params.template_id)).toEqual([TMPL_PAID, TMPL_REFUNDED])
    expect(w.order(id)!.notices).toMatchObject({ paid: { status: 'SENT' }, refunded: { status: 'SENT' } })
  })

  test('double refund: the second request is refused; concurrent requests make one refund call', async () => {
    const w = payWorld()
    const id = await paidOrder(w)
    const results = await underLatency(w.cloud, 2, () =>
      Promise.all([w.pay('requestRefund', { orderId: id }), w.pay('requestRefund', { orderId: id })]),
    )
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.find((r) => !r.ok)!.error?.code).toBe('REFUND_NOT_ALLOWED')
    expect(w.cloud.cloudPay.callsTo('refund')).toHaveLength(1)
    expect((await w.pay('requestRefund', { orderId: id })).error?.code).toBe('REFUND_NOT_ALLOWED')
  })

  test('refund above the amount paid is refused before WeChat is asked; a partial one is fine', async () => {
    const w = payWorld()
    const id = await paidOrder(w)
    const before = w.writes()
    expect((await w.pay('requestRefund', { orderId: id, refundFen: 1801 })).error?.code).toBe('REFUND_EXCEEDS_PAID')
    expect(w.writes()).toBe(before)
    expect(w.cloud.cloudPay.callsTo('refund')).toHaveLength(0)
    const part = await w.pay('requestRefund', { orderId: id, refundFen: 800 })
    expect(part.data.order.refund.refundFen).toBe(800)
  })

  test('refund callback delivered twice: one transition, one message', async () => {
    const w = payWorld()
    await w.subscribe(2)
    const id = await paidOrder(w)
    await w.pay('requestRefund', { orderId: id })
    await w.cloud.cloudPay.settleRefund(`${id}R1`, 'SUCCESS', { duplicates: 1 })
    const again = w.cloud.cloudPay.deliveries.filter((d) => d.kind === 'refund')
    await w.cloud.cloudPay.deliverRaw('refund', 'payRefundCallback', again[0]!.event)
    expect(w.cloud.cloudPay.deliveries.filter((d) => d.kind === 'refund').every((d) => d.acked)).toBe(true)
    expect(w.order(id)!.history.filter((h: { event: string }) => h.event === 'REFUND_SUCCEEDED')).toHaveLength(1)
    expect(w.sends().filter((s) => s.params.template_id === TMPL_REFUNDED)).toHaveLength(1)
  })

  test('NOTENOUGH: REFUND_REJECTED, the order is PAID again; the retry reuses the outRefundNo', async () => {
    const w = payWorld()
    const id = await paidOrder(w)
    w.cloud.cloudPay.balanceLow = true
    const res = await w.pay('requestRefund', { orderId: id })
    expect(res.error?.code).toBe('REFUND_REJECTED')
    expect(res.error?.message).toContain('insufficient merchant balance')
    expect(w.order(id)!.status).toBe('PAID')
    w.cloud.cloudPay.balanceLow = false
    expect((await w.pay('requestRefund', { orderId: id })).data.order.status).toBe('REFUNDING')
    expect(w.cloud.cloudPay.callsTo('refund').map((c) => c.params.out_refund_no)).toEqual([`${id}R1`, `${id}R1`])
  })

  test('a refund WeChat may not have received stays REFUNDING and the timer resubmits it with the same number', async () => {
    const w = payWorld()
    const id = await paidOrder(w)
    w.cloud.cloudPay.failNext('refund', -501002)
    const res = await w.pay('requestRefund', { orderId: id })
    expect(res.data.order.status).toBe('REFUNDING')
    age(w.cloud, id, 2 * 60_000)
    const report = await w.cloud.runTimer('payExpire')
    expect(report).toMatchObject({ refundsResubmitted: 1 })
    expect(w.cloud.cloudPay.callsTo('refund').map((c) => c.params.out_refund_no)).toEqual([`${id}R1`, `${id}R1`])
    expect(w.order(id)!.refund.acceptedAt).toBeInstanceOf(Date)
  })

  test('outside the refund window, or not paid: refused', async () => {
    const w = payWorld()
    const id = await paidOrder(w)
    age(w.cloud, id, 8 * 86_400_000)
    expect((await w.pay('requestRefund', { orderId: id })).error?.code).toBe('REFUND_WINDOW_PASSED')
    const unpaid = (await w.buy()).data.order.orderId
    expect((await w.pay('requestRefund', { orderId: unpaid })).error?.code).toBe('REFUND_NOT_ALLOWED')
  })

  test('refund CHANGE (money could not go back): REFUND_FAILED and an incident', async () => {
    const w = payWorld()
    const id = await paidOrder(w)
    await w.pay('requestRefund', { orderId: id })
    await w.cloud.cloudPay.settleRefund(`${id}R1`, 'CHANGE')
    expect(w.order(id)!.status).toBe('REFUND_FAILED')
    expect(w.incidents().map((i) => i.kind)).toEqual(['REFUND_CHANGE'])
  })
})

describe('subscribe messages', () => {
  test('each accept is one credit; reject/ban/filter add none; unknown templates are refused', async () => {
    const w = payWorld()
    const a = await w.pay('recordSubscription', { answers: { [TMPL_PAID]: 'accept', [TMPL_REFUNDED]: 'reject' } })
    expect(a.data.credits).toEqual({ [TMPL_PAID]: 1, [TMPL_REFUNDED]: 0 })
    const b = await w.pay('recordSubscription', { answers: { [TMPL_PAID]: 'accept' } })
    expect(b.data.credits[TMPL_PAID]).toBe(2)
    const before = w.writes()
    expect((await w.pay('recordSubscription', { answers: { 'someone-elses': 'accept' } })).error?.code).toBe(
      'TEMPLATE_UNKNOWN',
    )
    expect(w.writes()).toBe(before)
  })

  test('no credit: no call, recorded as NO_CREDIT; the payment is unaffected', async () => {
    const w = payWorld()
    const id = (await w.buy()).data.order.orderId
    await w.cloud.cloudPay.pay(id)
    expect(w.sends()).toHaveLength(0)
    expect(w.order(id)).toMatchObject({ status: 'PAID', notices: { paid: { status: 'NO_CREDIT' } } })
  })

  test('43101 (the user withdrew it): recorded, credit dropped, payment unaffected', async () => {
    const w = payWorld()
    await w.pay('recordSubscription', { answers: { [TMPL_PAID]: 'accept' } }) // a credit, but WeChat holds no subscription
    const id = (await w.buy()).data.order.orderId
    await w.cloud.cloudPay.pay(id)
    expect(w.sends()).toEqual([expect.objectContaining({ ok: false, errcode: 43101 })])
    expect(w.order(id)).toMatchObject({
      status: 'PAID',
      notices: { paid: { status: 'FAILED', detail: expect.stringContaining('43101') } },
    })
    expect(w.cloud.cloudPay.deliveries[0]!.acked).toBe(true)
    expect(w.cloud.db.dump('subscriptions').find((s) => s.templateId === TMPL_PAID)!.credits).toBe(0)
  })

  test('templates not configured: messages are skipped, recorded as NOT_CONFIGURED', async () => {
    const w = payWorld({ vars: { PAY_SUB_MCH_ID: '1900000109' } })
    expect((await w.pay('listProducts')).data.templates).toBeNull()
    const id = (await w.buy()).data.order.orderId
    await w.cloud.cloudPay.pay(id)
    expect(w.order(id)!.notices.paid.status).toBe('NOT_CONFIGURED')
  })
})

describe('malformed input: typed error, nothing written', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['createOrder', {}],
    ['createOrder', { productId: 'coffee', quantity: 0, requestId: 'req-00000001' }],
    ['createOrder', { productId: 'coffee', quantity: 1.5, requestId: 'req-00000001' }],
    ['createOrder', { productId: 'coffee', quantity: '1', requestId: 'req-00000001' }],
    ['createOrder', { productId: 'coffee', quantity: 1, requestId: 'short' }],
    ['createOrder', { productId: '../x', quantity: 1, requestId: 'req-00000001' }],
    ['createOrder', { productId: 'coffee', quantity: 1, requestId: 'req-00000001', openid: 'o-bob' }],
    ['payOrder', {}],
    ['payOrder', { orderId: 'x'.repeat(33) }],
    ['getOrder', { orderId: 42 }],
    ['listOrders', { limit: 0 }],
    ['listOrders', { limit: 51 }],
    ['listOrders', { before: 'yesterday' }],
    ['requestRefund', { orderId: 'abc', refundFen: 0 }],
    ['requestRefund', { orderId: 'abc', refundFen: 12.5 }],
    ['requestRefund', { orderId: 'abc', refundFen: -1 }],
    ['recordSubscription', { answers: {} }],
    ['recordSubscription', { answers: { a: 'accept', b: 'accept', c: 'accept', d: 'accept' } }],
    ['recordSubscription', { answers: { [TMPL_PAID]: 'yes' } }],
    ['listProducts', { extra: 1 }],
  ]
  test.each(cases)('%s %j', async (action, payload) => {
    const w = payWorld()
    const before = w.writes()
    const res = await w.pay(action, payload)
    expect(res.ok).toBe(false)
    expect(res.error?.code).toBe('INVALID_INPUT')
    expect(res.error?.issues?.length).toBeGreaterThan(0)
    expect(w.writes()).toBe(before)
    expect(w.cloud.cloudPay.calls).toHaveLength(0)
  })

  test('an unknown action and a call without a user', async () => {
    const w = payWorld()
    expect((await w.pay('stealOrder')).error?.code).toBe('UNKNOWN_ACTION')
    const res = (await w.cloud.invoke(
      'pay',
      { action: 'createOrder', productId: 'coffee', quantity: 1, requestId: 'req-00000001' },
      {},
      'wx_trigger',
    )) as { error: { code: string } }
    expect(res.error.code).toBe('UNAUTHENTICATED')
  })

  test('callbacks fed garbage: recorded, acknowledged, nothing changed', async () => {
    const w = payWorld()
    for (const event of [{}, { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: 5, totalFee: 'x' }]) {
      await w.cloud.cloudPay.deliverRaw('payment', 'payCallback', event)
    }
    await w.cloud.cloudPay.deliverRaw('refund', 'payRefundCallback', { returnCode: 'SUCCESS', reqInfo: 'not-json' })
    expect(w.cloud.cloudPay.deliveries.every((d) => d.acked)).toBe(true)
    expect(w.cloud.db.dump('orders')).toHaveLength(0)
    expect(w.incidents()).toEqual([]) // unconfirmed notifications are log lines
  })
})

describe('many at once', () => {
  test('50 concurrent duplicates of one buy tap: one order, one unifiedOrder call, the same payment for all', async () => {
    const w = payWorld()
    const results = await underLatency(w.cloud, 50, () =>
      Promise.all(
        Array.from({ length: 50 }, () =>
          w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId: 'tap-concurrent-0001' }),
        ),
      ),
    )
    expect(results.every((r) => r.ok)).toBe(true)
    expect(new Set(results.map((r) => r.data.order.orderId)).size).toBe(1)
    expect(new Set(results.map((r) => r.data.payment.paySign)).size).toBe(1)
    expect(w.cloud.cloudPay.callsTo('unifiedOrder')).toHaveLength(1)
    expect(w.cloud.db.dump('orders')).toHaveLength(1)
  })

  test('at most PAY_MAX_OPEN_ORDERS unpaid orders per user (5 by default): the next is refused with the reason, nothing written', async () => {
    const w = payWorld()
    for (let i = 0; i < 5; i++) expect((await w.buy()).ok).toBe(true)
    const before = w.writes()
    const sixth = await w.buy()
    expect(sixth.error).toMatchObject({
      code: 'TOO_MANY_OPEN_ORDERS',
      message: 'You have 5 unpaid orders. Pay or wait for one to expire, then try again.',
    })
    expect(w.writes()).toBe(before)
    expect(w.cloud.cloudPay.callsTo('unifiedOrder')).toHaveLength(5)
    // Another user is not affected; a configured cap applies.
    expect((await w.buy('coffee', 1, BOB)).ok).toBe(true)
    const small = payWorld({ vars: { ...PAY_VARS, PAY_MAX_OPEN_ORDERS: '1' } })
    expect((await small.buy()).ok).toBe(true)
    expect((await small.buy()).error?.code).toBe('TOO_MANY_OPEN_ORDERS')
  })
})
