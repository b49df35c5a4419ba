/**
 * The pay functions through the local cloud (deployed bundles, real wx-server-sdk, WeChat Pay
 * sandbox): the catalogue, orders and prepay, WeChat Pay's limits, expiry, malformed input and
 * many callers at once. Callbacks: pay-callback.test.ts; refunds and messages: pay-refunds.test.ts.
 */
import { ALICE, BOB, PAY_VARS, TMPL_PAID, TMPL_REFUNDED, V3, age, payWorld, quietFunctionLogs } from './helpers'
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
