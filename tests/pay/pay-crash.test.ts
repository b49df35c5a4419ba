/**
 * Pay's multi-step actions cut off at every request (tests/setup/crash.ts), then what WeChat and
 * the timer do next: notifications re-delivered until acknowledged (cloudPay sandbox), the
 * payExpire timer a few minutes later. Invariants: the order ends in its state with one
 * fulfilment; the owed message is sent once, or, when the cut fell inside the send itself (it
 * may have reached WeChat), recorded UNKNOWN and not repeated (at most once); nothing stays owed.
 */
import { NOTICE_GRACE_MS } from '../../server/pay/notify'
import { takeConsole } from '../setup/console'
import { crashPoints } from '../setup/crash'
import { PAYMENT_NOTIFY_FN, REFUND_NOTIFY_FN, TMPL_PAID, TMPL_REFUNDED, payWorld } from './helpers'

type World = ReturnType<typeof payWorld> & { id: string }

/** The payExpire timer as it runs a few minutes later (the notices' times moved back past the grace). */
async function timerLater(w: World): Promise<void> {
  const o = w.order(w.id)!
  for (const kind of ['paid', 'refunded'] as const) {
    const n = o.notices?.[kind]
    if (n?.at instanceof Date) n.at = new Date(n.at.getTime() - NOTICE_GRACE_MS - 60_000)
  }
  w.cloud.db.seed('orders', [o as never])
  await w.cloud.runTimer('payExpire')
  takeConsole()
}

function noticeWrongs(w: World, kind: 'paid' | 'refunded', template: string): string[] {
  const sends = w.sends().filter((s) => s.params.template_id === template && s.ok).length
  const status = w.order(w.id)!.notices?.[kind]?.status as string | undefined
  const out: string[] = []
  if (sends > 1) out.push(`${sends} ${kind} messages`)
  if (sends === 0 && status !== 'UNKNOWN') out.push(`no ${kind} message, notice ${status ?? 'not recorded'}`)
  if (status === 'OWED' || status === 'SENDING' || status === 'CALLING') out.push(`the ${kind} notice still ${status}`)
  return out
}

async function unpaid(): Promise<World> {
  const w = payWorld()
  await w.subscribe(2)
  const id = (await w.buy()).data.order.orderId as string
  return { ...w, id }
}

test('the payment callback cut off anywhere: re-delivered, the order PAID once, the paid message sent once (or UNKNOWN)', async () => {
  const report = await crashPoints<World>({
    fn: PAYMENT_NOTIFY_FN,
    setUp: unpaid,
    // WeChat Pay delivers the notification until it is acknowledged: the cut copy, then the next ones.
    act: (w) => w.cloud.cloudPay.pay(w.id),
    recover: timerLater,
    async check(w) {
      const out = noticeWrongs(w, 'paid', TMPL_PAID)
      if (w.order(w.id)!.status !== 'PAID') out.push(`order ${String(w.order(w.id)!.status)}`)
      if (w.cloud.db.dump('fulfilments').length !== 1) out.push(`${w.cloud.db.dump('fulfilments').length} fulfilments`)
      if (!w.cloud.cloudPay.deliveries[0]!.acked) out.push('never acknowledged')
      return out
    },
  })
  expect(report.points).toBeGreaterThanOrEqual(10)
  expect(report.broken).toEqual([])
})

test('the refund callback cut off anywhere: the order REFUNDED, the refunded message sent once (or UNKNOWN)', async () => {
  const report = await crashPoints<World>({
    fn: REFUND_NOTIFY_FN,
    async setUp() {
      const w = await unpaid()
      await w.cloud.cloudPay.pay(w.id)
      await w.pay('requestRefund', { orderId: w.id })
      return w
    },
    act: (w) => w.cloud.cloudPay.settleRefund(`${w.id}R1`),
    recover: timerLater,
    async check(w) {
      const out = noticeWrongs(w, 'refunded', TMPL_REFUNDED)
      if (w.order(w.id)!.status !== 'REFUNDED') out.push(`order ${String(w.order(w.id)!.status)}`)
      return out
    },
  })
  expect(report.points).toBeGreaterThanOrEqual(6)
  expect(report.broken).toEqual([])
})

test('a send cut off inside the WeChat call is not repeated: UNKNOWN, one message at most', async () => {
  // The callback's WeChat calls: the send of the paid message is its last one.
  const probe = await unpaid()
  await probe.cloud.cloudPay.pay(probe.id)
  const calls = probe.cloud.invocations.find((i) => i.fn === PAYMENT_NOTIFY_FN)!.io!.wechat
  expect(probe.cloud.openapi.calls.at(-1)!.api).toBe('subscribeMessage.send')
  const w = await unpaid()
  w.cloud.crashNext({ fn: PAYMENT_NOTIFY_FN, atWeChat: { k: calls, effect: true } })
  await w.cloud.cloudPay.pay(w.id)
  await timerLater(w)
  await timerLater(w)
  expect(w.sends().filter((s) => s.params.template_id === TMPL_PAID)).toHaveLength(1)
  expect(w.order(w.id)!.notices.paid).toMatchObject({
    status: 'UNKNOWN',
    detail: expect.stringContaining('may have reached WeChat'),
  })
})

test("createOrder cut off anywhere: the page's retry (same request id) gets one order with its payment, in one slot", async () => {
  let retried: Awaited<ReturnType<World['pay']>> | null = null
  const tap = (w: World) => w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId: 'tap-crash-0001' })
  const report = await crashPoints<World>({
    fn: 'pay',
    setUp: async () => ({ ...payWorld(), id: '' }),
    act: tap,
    async recover(w) {
      // The page learns of the crash only at the function's timeout (cloudbaserc.json: longer than
      // the prepay lease), so by its retry a lease the dead call held has run out.
      for (const o of w.cloud.db.dump('orders'))
        if (o.prepayLeaseUntil instanceof Date)
          w.cloud.db.seed('orders', [{ ...o, prepayLeaseUntil: new Date(Date.now() - 1) }])
      retried = await tap(w)
    },
    async check(w) {
      const out: string[] = []
      const orders = w.cloud.db.dump('orders')
      if (orders.length !== 1) out.push(`${orders.length} orders`)
      if (retried && !retried.ok) out.push(`the retry answered ${retried.error?.code}`)
      if (retried?.ok && retried.data.order.orderId !== orders[0]?._id) out.push('the retry paid another order')
      const slots = w.cloud.db.dump('order_slots')
      if (slots.length !== 1 || slots[0]!.orderId !== orders[0]?._id)
        out.push(`slots ${JSON.stringify(slots.map((x) => x.orderId))} for order ${String(orders[0]?._id)}`)
      // WeChat Pay answers the same prepay to the same parameters: a second call is allowed only for the same order.
      const asked = new Set(w.cloud.cloudPay.callsTo('unifiedOrder').map((c) => c.params.out_trade_no))
      if (asked.size > 1) out.push(`unifiedOrder for ${asked.size} different orders`)
      retried = null
      return out
    },
  })
  expect(report.points).toBeGreaterThanOrEqual(10)
  expect(report.broken).toEqual([])
}, 60_000)

test('requestRefund cut off anywhere: one refund at WeChat Pay, the order settles REFUNDED through the timer and callbacks', async () => {
  const report = await crashPoints<World>({
    fn: 'pay',
    async setUp() {
      const w = await unpaid()
      await w.cloud.cloudPay.pay(w.id)
      return w
    },
    act: (w) => w.pay('requestRefund', { orderId: w.id }),
    async recover(w) {
      // The page reloads the order: a refund not requested yet may be asked for again.
      const o = await w.pay('getOrder', { orderId: w.id })
      if (o.data?.order.canRefund) await w.pay('requestRefund', { orderId: w.id })
      // payExpire resubmits refunds WeChat Pay has not accepted (same outRefundNo) a minute later.
      const doc = w.order(w.id)!
      if (doc.refund?.requestedAt instanceof Date)
        w.cloud.db.seed('orders', [
          { ...doc, refund: { ...doc.refund, requestedAt: new Date(Date.now() - 120_000) } } as never,
        ])
      await w.cloud.runTimer('payExpire')
      // WeChat Pay moves the money for what it accepted and notifies (re-delivered until acknowledged).
      for (const no of new Set(
        w.cloud.cloudPay
          .callsTo('refund')
          .filter((c) => c.ok)
          .map((c) => String(c.params.out_refund_no)),
      ))
        await w.cloud.cloudPay.settleRefund(no)
      await w.cloud.cloudPay.idle()
      takeConsole()
    },
    async check(w) {
      const out: string[] = []
      const refunds = new Set(w.cloud.cloudPay.callsTo('refund').map((c) => c.params.out_refund_no))
      if (refunds.size !== 1) out.push(`${refunds.size} refund numbers at WeChat Pay`)
      if (w.order(w.id)!.status !== 'REFUNDED') out.push(`order ${String(w.order(w.id)!.status)}`)
      return out
    },
  })
  expect(report.points).toBeGreaterThanOrEqual(6)
  expect(report.broken).toEqual([])
})
