/**
 * Refunds and subscribe messages through the local cloud (deployed bundles, real wx-server-sdk,
 * WeChat Pay sandbox).
 */
import { REFUND_NOTIFY_FN, TMPL_PAID, TMPL_REFUNDED, V3, age, payWorld, quietFunctionLogs } from './helpers'
import { underLatency } from '../setup/races'

quietFunctionLogs()

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
