/**
 * The one seam between the order logic and WeChat Pay (issue #28): `PAY_PROVIDER=cloudpay` (the
 * default: cloud.cloudPay, WeChat Pay V2 through CloudBase, service-provider mode) or `wxpay-v3`
 * (the merchant's own APIv3, server/pay/v3/, for shops cloudPay excludes). Both answer the same
 * five calls in the same shapes; everything above this file is provider-blind.
 */
import { randomBytes } from 'node:crypto'
import { cloudPay } from '../wx'
import { providerName, v3Config } from './v3/config'
import { v3Provider, type PayApi } from './v3/provider'

export class PayProviderError extends Error {
  override name = 'PayProviderError'
}

/** The configured provider; a PayProviderError naming what is missing when wxpay-v3 is not set up. */
export function payProvider(env: Record<string, string | undefined> = process.env): PayApi {
  if (providerName(env) === 'cloudpay') return cloudPayApi(env)
  const c = v3Config(env)
  if (!c.ok) throw new PayProviderError(c.message)
  return v3Provider(c.cfg)
}

/** cloud.cloudPay as a PayApi: its own five calls, and the bill through downloadBill. */
function cloudPayApi(env: Record<string, string | undefined>): PayApi {
  const c = cloudPay()
  return {
    unifiedOrder: (p) => c.unifiedOrder(p),
    queryOrder: (p) => c.queryOrder(p),
    closeOrder: (p) => c.closeOrder(p),
    refund: (p) => c.refund(p),
    queryRefund: (p) => c.queryRefund(p),
    async tradeBill(date) {
      const r = await c.downloadBill({
        subMchId: (env.PAY_SUB_MCH_ID ?? '').trim(),
        nonceStr: randomBytes(8).toString('hex'),
        billDate: date.replace(/-/g, ''),
        billType: 'ALL',
      })
      if (typeof r.data === 'string') return { ok: true, text: r.data }
      // V2 answers a day without trades with return_msg "No Bill Exist".
      if (/No Bill Exist/i.test(r.returnMsg ?? ''))
        return { ok: false, code: 'NO_BILL', message: r.returnMsg ?? 'No Bill Exist' }
      return {
        ok: false,
        code: 'FAILED',
        message: r.returnMsg || r.errCodeDes || 'downloadBill answered without a bill',
      }
    },
  }
}
