/**
 * pay.requestRefund with PAY_REFUND_REQUIRES_SOTER=1: the refund needs a proof from
 * soter.verify for this order and this user; a proof works once, for that order only.
 */
import { ALICE, BOB, PAY_VARS, payWorld, quietFunctionLogs } from '../pay/helpers'
import type { Caller } from '../../localcloud'

quietFunctionLogs()

async function setup() {
  const w = payWorld({ vars: { ...PAY_VARS, PAY_REFUND_REQUIRES_SOTER: '1' } })
  const soter = async (action: string, data: Record<string, unknown>, caller: Caller = ALICE) =>
    (await w.cloud.callFromClient('soter', { action, ...data }, caller)).result as {
      ok: boolean
      data?: any
      error?: { code: string }
    }
  const proofFor = async (subject: string, caller: Caller = ALICE, purpose = 'CONFIRM_REFUND') => {
    const c = await soter('challenge', { purpose, subject }, caller)
    const r = w.cloud.openapi.soter.authenticate(caller.openid!, `cpu-${caller.openid}`, c.data.challenge)
    const v = await soter(
      'verify',
      { authMode: 'fingerPrint', resultJSON: r.resultJSON, resultJSONSignature: r.resultJSONSignature },
      caller,
    )
    return v.data.proof as string
  }
  const paid = async () => {
    const id = (await w.buy('coffee')).data.order.orderId as string
    await w.cloud.cloudPay.pay(id)
    return id
  }
  return { w, soter, proofFor, paid }
}

test('no proof, or a proof for another order, purpose or user: SOTER_REQUIRED and no refund', async () => {
  const { w, proofFor, paid } = await setup()
  const id = await paid()
  const other = await paid()
  expect((await w.pay('requestRefund', { orderId: id })).error?.code).toBe('SOTER_REQUIRED')
  expect((await w.pay('requestRefund', { orderId: id, soterProof: await proofFor(other) })).error?.code).toBe(
    'SOTER_REQUIRED',
  )
  expect(
    (await w.pay('requestRefund', { orderId: id, soterProof: await proofFor(id, ALICE, 'CONFIRM_IDENTITY') })).error
      ?.code,
  ).toBe('SOTER_REQUIRED')
  expect((await w.pay('requestRefund', { orderId: id, soterProof: await proofFor(id, BOB) })).error?.code).toBe(
    'SOTER_REQUIRED',
  )
  expect((await w.pay('requestRefund', { orderId: id, soterProof: 'x' })).error?.code).toBe('INVALID_INPUT')
  expect(w.cloud.cloudPay.callsTo('refund')).toHaveLength(0)
  expect(w.order(id)!.status).toBe('PAID')
})

test('a proof for this order refunds once; spent, it does not work again', async () => {
  const { w, proofFor, paid } = await setup()
  const id = await paid()
  const proof = await proofFor(id)
  const res = await w.pay('requestRefund', { orderId: id, soterProof: proof })
  expect(res.ok).toBe(true)
  expect(res.data.order.status).toBe('REFUNDING')
  expect(w.cloud.db.dump('soter_proofs').find((p) => p._id === proof)!.usedAt).toBeTruthy()
  // A second paid order: the spent proof cannot be moved over (wrong subject and used).
  const id2 = await paid()
  expect((await w.pay('requestRefund', { orderId: id2, soterProof: proof })).error?.code).toBe('SOTER_REQUIRED')
})

test('an expired proof is refused; a refusal for another reason does not spend the proof', async () => {
  const { w, proofFor, paid } = await setup()
  const id = await paid()
  const proof = await proofFor(id)
  const doc = w.cloud.db.dump('soter_proofs').find((p) => p._id === proof)!
  w.cloud.db.seed('soter_proofs', [{ ...doc, expiresAt: new Date(Date.now() - 1) }])
  expect((await w.pay('requestRefund', { orderId: id, soterProof: proof })).error?.code).toBe('SOTER_REQUIRED')
  const fresh = await proofFor(id)
  expect((await w.pay('requestRefund', { orderId: id, soterProof: fresh, refundFen: 999_999 })).error?.code).toBe(
    'REFUND_EXCEEDS_PAID',
  )
  expect((await w.pay('requestRefund', { orderId: id, soterProof: fresh })).ok).toBe(true)
})

test('without PAY_REFUND_REQUIRES_SOTER the refund needs no proof', async () => {
  const w = payWorld()
  const id = (await w.buy('coffee')).data.order.orderId as string
  await w.cloud.cloudPay.pay(id)
  expect((await w.pay('requestRefund', { orderId: id })).ok).toBe(true)
})
