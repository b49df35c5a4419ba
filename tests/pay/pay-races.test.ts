/**
 * `pay` under CloudBase's latency (tests/setup/races.ts). Invariants (typings/pay.ts): one
 * unifiedOrder per order however many calls race for it (a stored payment is reused, never
 * re-requested); the prepay lease is released on every failure path; at most
 * PAY_MAX_OPEN_ORDERS unpaid orders per user however many taps arrive at once.
 */
import { takeConsole } from '../setup/console'
import { overSeeds, raceCloud } from '../setup/races'
import { ALICE, PAY_VARS, TMPL_PAID, TMPL_REFUNDED, type Result } from './helpers'

const SEEDS = Number(process.env.RACE_SEEDS ?? 6)

function world(vars: Record<string, string> = PAY_VARS) {
  const w = raceCloud({ vars })
  w.cloud.openapi.templates.add(TMPL_PAID).add(TMPL_REFUNDED)
  const pay = (action: string, data: Record<string, unknown>): Promise<Result> =>
    w.call('pay', action, data, ALICE) as Promise<Result>
  return { ...w, pay }
}

test('unifiedOrder failing in transport releases the lease: "continue paying" asks WeChat Pay again at once', async () => {
  const w = world()
  w.cloud.cloudPay.failNext('unifiedOrder', -501002, 'SERVER_TIMEOUT')
  const first = await w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId: 'tap-transport-01' })
  expect(first.ok).toBe(false)
  expect(takeConsole('error').join('\n')).toMatch(/-501002|SERVER_TIMEOUT/)
  const [order] = w.cloud.db.dump('orders')
  expect(order!.prepayLeaseUntil instanceof Date ? (order!.prepayLeaseUntil as Date).getTime() : 0).toBeLessThanOrEqual(
    Date.now(),
  )
  const again = await w.pay('payOrder', { orderId: order!._id })
  expect(again.ok).toBe(true)
  expect(w.cloud.cloudPay.callsTo('unifiedOrder')).toHaveLength(2)
})

test('calls that read the order before its payment was stored reuse the payment: one unifiedOrder per order', async () => {
  const wrong = await overSeeds(SEEDS, async (seed) => {
    const w = world()
    const out: string[] = []
    for (let k = 0; k < 5; k++) {
      const requestId = `tap-stale-${seed}-${k}`
      // A double tap and a retry, each a little later than the one before.
      const taps = [0, 3, 6, 9].map(
        (ms) =>
          new Promise<Result>((r) =>
            setTimeout(() => r(w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId })), ms),
          ),
      )
      const results = await w.racing(seed * 10 + k, () => Promise.all(taps))
      const failed = results.filter((r) => !r.ok)
      if (failed.length)
        out.push(`${requestId}: ${failed.map((r) => r.error?.code).join(',')} ${takeConsole('error').join(' ')}`)
      if (new Set(results.filter((r) => r.ok).map((r) => r.data.payment.paySign)).size !== 1)
        out.push(`${requestId}: different payments`)
    }
    const calls = w.cloud.cloudPay.callsTo('unifiedOrder').length
    if (calls !== 5) out.push(`${calls} unifiedOrder calls for 5 orders`)
    return out
  })
  expect(wrong).toEqual([])
}, 60_000)

test('a burst of 20 distinct buy taps leaves exactly PAY_MAX_OPEN_ORDERS unpaid orders, the rest refused', async () => {
  const wrong = await overSeeds(SEEDS, async (seed) => {
    const w = world()
    const results = await w.racing(seed, () =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          w.pay('createOrder', { productId: 'coffee', quantity: 1, requestId: `tap-burst-${seed}-${i}` }),
        ),
      ),
    )
    const unpaid = w.cloud.db.dump('orders').filter((o) => o.status === 'UNPAID').length
    const refused = results.filter((r) => r.error?.code === 'TOO_MANY_OPEN_ORDERS').length
    const out: string[] = []
    if (unpaid !== 5) out.push(`${unpaid} unpaid orders`)
    if (refused !== 15) out.push(`${refused} refused`)
    if (w.cloud.cloudPay.callsTo('unifiedOrder').length !== unpaid) out.push('a prepay for an order that was not kept')
    return out
  })
  expect(wrong).toEqual([])
}, 60_000)
