/**
 * PAY_PROVIDER=wxpay-v3 (issue #28): the same pay flow through WeChat Pay APIv3, against the local
 * cloud's APIv3 sandbox (localcloud/wxpay-v3-sandbox.ts), which checks every request's signature
 * and signs every answer and notification. A user pays with an RSA paySign, payNotify verifies,
 * decrypts and confirms by query; a refund settles the same way. Forged, replayed, re-signed and
 * tampered notifications are refused with nothing written; a request signed with another key is
 * refused by the sandbox, and an answer that is not WeChat Pay's is not believed.
 */
import { generateKeyPairSync } from 'node:crypto'
import { encryptResource, wechatpayHeaders } from '../../server/pay/v3/crypto'
import { takeConsole } from '../setup/console'
import { ALICE, PAY_VARS, payWorld, TMPL_PAID, TMPL_REFUNDED } from './helpers'

const NOTIFY = 'https://local-dev.service.tcloudbase.com/pay-notify'
const V3 = { ...PAY_VARS, PAY_PROVIDER: 'wxpay-v3', WXPAY_NOTIFY_URL: NOTIFY }
const other = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
})

async function placed(vars: Record<string, string> = V3) {
  const w = payWorld({ vars })
  await w.subscribe()
  const res = await w.buy('coffee', 2)
  return { w, res, id: res.data?.order.orderId as string }
}

test('a user pays with an RSA-signed payment; payNotify verifies, decrypts, confirms by query: PAID once, message sent', async () => {
  const { w, res, id } = await placed()
  expect(res.ok).toBe(true)
  expect(res.data.payment).toMatchObject({
    signType: 'RSA',
    package: expect.stringMatching(/^prepay_id=wx/),
    paySign: expect.any(String),
  })
  const paid = await w.cloud.cloudPay.userPays({ ...res.data.payment }, ALICE.openid!)
  expect(paid.ok).toBe(true)
  const d = w.cloud.cloudPay.deliveries.at(-1)!
  expect(d).toMatchObject({ kind: 'payment', fn: 'payNotify', http: true, acked: true })
  expect(d.attempts).toEqual([{ result: expect.objectContaining({ statusCode: 204 }) }])
  expect(w.order(id)).toMatchObject({ status: 'PAID', transactionId: expect.stringMatching(/^42000/) })
  expect(w.sends().filter((s) => s.params.template_id === TMPL_PAID)).toHaveLength(1)
  // The notification was believed only after WeChat Pay's query said the same.
  expect(w.cloud.cloudPay.callsTo('queryOrder').length).toBeGreaterThanOrEqual(1)
  // A tampered payment sheet is refused by the RSA check.
  expect(
    await w.cloud.cloudPay.userPays(
      { ...res.data.payment, paySign: res.data.payment.paySign.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) },
      ALICE.openid!,
    ),
  ).toMatchObject({ ok: false, errMsg: 'requestPayment:fail 支付验证签名失败' })
})

test('a refund is accepted through APIv3 and settles by its notification, confirmed by the refund query: REFUNDED, one message', async () => {
  const { w, res, id } = await placed()
  await w.cloud.cloudPay.userPays({ ...res.data.payment }, ALICE.openid!)
  expect((await w.pay('requestRefund', { orderId: id })).data.order.status).toBe('REFUNDING')
  const outRefundNo = w.order(id)!.refund.outRefundNo as string
  await w.cloud.cloudPay.settleRefund(outRefundNo, 'SUCCESS')
  expect(w.cloud.cloudPay.deliveries.at(-1)).toMatchObject({ kind: 'refund', fn: 'payNotify', acked: true })
  expect(w.order(id)!.status).toBe('REFUNDED')
  expect(w.sends().filter((s) => s.params.template_id === TMPL_REFUNDED)).toHaveLength(1)
  expect(w.cloud.cloudPay.callsTo('queryRefund').length).toBeGreaterThanOrEqual(1)
})

describe("notifications that are not WeChat Pay's are refused, nothing written", () => {
  async function genuine() {
    const { w, res, id } = await placed()
    // Paid at WeChat Pay; its own notification held back, so the order is still UNPAID here.
    await w.cloud.cloudPay.userPays({ ...res.data.payment }, ALICE.openid!, { hold: true })
    const o = w.cloud.cloudPay.orders.get(id)!
    const n = w.cloud.wxpayV3.paymentNotification(o)
    const send = (headers: Record<string, string>, body: string) =>
      w.cloud.http('payNotify', { method: 'POST', path: '/pay-notify', headers, body })
    return { w, id, n, send }
  }
  test.each([
    [
      'another key',
      (n: { headers: Record<string, string>; body: string }, _key: string) => ({
        headers: wechatpayHeaders(other.privateKey, n.headers['Wechatpay-Serial']!, n.body),
        body: n.body,
      }),
      401,
    ],
    [
      'a changed body',
      (n: { headers: Record<string, string>; body: string }) => ({
        headers: n.headers,
        body: n.body.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESS '),
      }),
      401,
    ],
    [
      'an unknown serial',
      (n: { headers: Record<string, string>; body: string }) => ({
        headers: { ...n.headers, 'Wechatpay-Serial': 'PUB_KEY_ID_0000' },
        body: n.body,
      }),
      401,
    ],
    [
      'a resource encrypted with another APIv3 key, correctly signed',
      (n: { headers: Record<string, string>; body: string }, key: string) => {
        const env = JSON.parse(n.body) as Record<string, unknown>
        const body = JSON.stringify({
          ...env,
          resource: encryptResource(
            '{"out_trade_no":"x","transaction_id":"1","trade_state":"SUCCESS"}',
            'z'.repeat(32),
            'transaction',
            'transaction',
          ),
        })
        return { headers: wechatpayHeaders(key, n.headers['Wechatpay-Serial']!, body), body }
      },
      400,
    ],
  ])('%s is refused', async (_name, forge, status) => {
    const { w, id, n, send } = await genuine()
    const before = w.writes()
    const f = forge(n, w.cloud.wxpayV3.signing.platform.privateKey)
    expect((await send(f.headers, f.body)).status).toBe(status)
    expect(w.writes()).toBe(before)
    expect(w.order(id)!.status).toBe('UNPAID')
    expect(takeConsole('error')).toEqual([expect.stringContaining('"fn":"payNotify","refused"')])
  })
  test('a replay 6 minutes later is refused (STALE); the genuine one in time is believed after the query', async () => {
    const { w, id, n, send } = await genuine()
    const stale = wechatpayHeaders(
      w.cloud.wxpayV3.signing.platform.privateKey,
      n.headers['Wechatpay-Serial']!,
      n.body,
      String(Math.floor(Date.now() / 1000) - 360),
      'n1',
    )
    expect((await send(stale, n.body)).status).toBe(401)
    expect(takeConsole('error')).toEqual([expect.stringContaining('STALE')])
    expect(w.order(id)!.status).toBe('UNPAID')
    expect((await send(n.headers, n.body)).status).toBe(204)
    expect(w.order(id)!.status).toBe('PAID')
  })
  test("a genuine notification WeChat Pay's query does not confirm changes nothing", async () => {
    const { w, id, send } = await genuine()
    const o = { ...w.cloud.cloudPay.orders.get(id)!, transactionId: '4200000000000000000000000000' }
    const n = w.cloud.wxpayV3.paymentNotification(o)
    expect((await send(n.headers, n.body)).status).toBe(204)
    expect(w.order(id)!.status).toBe('UNPAID')
    expect(takeConsole('error')).toEqual([expect.stringContaining('WeChat Pay does not confirm this payment')])
  })
})

test('a request signed with another merchant key is refused by the sandbox (401 SIGN_ERROR): no order, PAY_UNAVAILABLE', async () => {
  const { w, res } = await placed({ ...V3, WXPAY_PRIVATE_KEY: other.privateKey })
  expect(res.error?.code).toBe('PAY_UNAVAILABLE')
  expect(w.cloud.cloudPay.orders.size).toBe(0)
  expect(takeConsole('error')).toEqual([expect.stringContaining('SIGN_ERROR')])
})

test("an answer that is not WeChat Pay's (signed with another key) is not believed", async () => {
  const { w, res } = await placed({ ...V3, WXPAY_PUBLIC_KEY: other.publicKey })
  // As a cloudPay transport failure: not knowing what WeChat Pay did, WECHAT_BUSY, and the next try asks again.
  expect(res.error?.code).toBe('WECHAT_BUSY')
  expect(w.cloud.cloudPay.orders.size).toBe(1) // WeChat Pay took the order, but its answer could not be trusted
  expect(takeConsole('error').join('\n')).toMatch(/signature does not check out \(BAD_SIGNATURE\); not believed/)
})

test('not configured: a missing APIv3 setting is PAY_NOT_CONFIGURED naming it', async () => {
  const { res } = await placed({ ...V3, WXPAY_APIV3_KEY: 'short' })
  expect(res.error).toMatchObject({
    code: 'PAY_NOT_CONFIGURED',
    message: expect.stringMatching(/WXPAY_APIV3_KEY must be the 32-character APIv3 key/),
  })
})
