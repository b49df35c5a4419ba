/**
 * APIv3 in certificate mode (merchants from before October 2024: no WeChat Pay public key, so
 * WXPAY_PUBLIC_KEY_ID / WXPAY_PUBLIC_KEY are empty): WeChat Pay's platform certificates are
 * downloaded from GET /v3/certificates, decrypted with the APIv3 key and used by the serial each
 * answer and notification names; a rotated certificate makes one download again; a certificate
 * list not signed by a certificate it carries is not believed.
 */
import { takeConsole } from '../setup/console'
import { ALICE, PAY_VARS, payWorld } from './helpers'

const V3_CERTS = {
  ...PAY_VARS,
  PAY_PROVIDER: 'wxpay-v3',
  WXPAY_NOTIFY_URL: 'https://local-dev.service.tcloudbase.com/pay-notify',
  WXPAY_PUBLIC_KEY_ID: '',
  WXPAY_PUBLIC_KEY: '',
}

async function world() {
  const w = payWorld({ vars: V3_CERTS })
  w.cloud.wxpayV3.signing.useCertificates()
  await w.subscribe()
  return w
}
const downloads = (w: Awaited<ReturnType<typeof world>>) =>
  w.cloud.wxpayV3.requests.filter((r) => r.path === '/v3/certificates').length

test('pays and refunds with certificates downloaded once; a rotation is followed with one more download', async () => {
  const w = await world()
  const res = await w.buy()
  expect(res.ok).toBe(true)
  const first = downloads(w)
  expect(first).toBeGreaterThanOrEqual(1)
  await w.cloud.cloudPay.userPays({ ...res.data.payment }, ALICE.openid!)
  const id = res.data.order.orderId as string
  expect(w.order(id)!.status).toBe('PAID')
  // WeChat Pay rotates its certificate: the next answers and notifications name the new serial.
  w.cloud.wxpayV3.signing.rotateCertificate()
  expect((await w.pay('requestRefund', { orderId: id })).data.order.status).toBe('REFUNDING')
  await w.cloud.cloudPay.settleRefund(w.order(id)!.refund.outRefundNo as string)
  expect(w.cloud.cloudPay.deliveries.at(-1)).toMatchObject({ fn: 'payNotify', acked: true })
  expect(w.order(id)!.status).toBe('REFUNDED')
  expect(downloads(w)).toBeGreaterThan(first)
})

test('without certificates at WeChat Pay (a merchant that has a public key) the answers cannot be believed: WECHAT_BUSY', async () => {
  const w = payWorld({ vars: V3_CERTS }) // the sandbox still signs with its public key, which this merchant did not set
  const res = await w.buy()
  expect(res.error?.code).toBe('WECHAT_BUSY')
  expect(w.cloud.wxpayV3.requests.filter((r) => r.path === '/v3/certificates').map((r) => r.status)).toEqual([400])
  expect(w.cloud.cloudPay.orders.size).toBe(1) // WeChat Pay took the order; its answer was not believed
  expect(takeConsole('error')).toEqual([expect.stringContaining('GET /v3/certificates: HTTP 400 NO_CERTIFICATE')])
})

test.each(['own-certificate', 're-signed'] as const)(
  'a certificate list forged in between (%s) is not believed: WECHAT_BUSY, and the next genuine download pays',
  async (how) => {
    const w = await world()
    w.cloud.wxpayV3.signing.forgeNextCertificates(how)
    const res = await w.buy()
    expect(res.error?.code).toBe('WECHAT_BUSY')
    expect(takeConsole('error')).toEqual([
      expect.stringContaining('GET /v3/certificates: not signed by a certificate it carries; not believed'),
    ])
    expect(w.cloud.db.dump('orders').filter((o) => o.status === 'PAID')).toEqual([])
    const again = await w.buy()
    expect(again.ok).toBe(true)
    await w.cloud.cloudPay.userPays({ ...again.data.payment }, ALICE.openid!)
    expect(w.order(again.data.order.orderId as string)!.status).toBe('PAID')
  },
)
