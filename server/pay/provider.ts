/**
 * The one seam between the order logic and WeChat Pay (issue #28): `PAY_PROVIDER=cloudpay` (the
 * default: cloud.cloudPay, WeChat Pay V2 through CloudBase, service-provider mode) or `wxpay-v3`
 * (the merchant's own APIv3, server/pay/v3/, for shops cloudPay excludes). Both answer the same
 * five calls in the same shapes; everything above this file is provider-blind.
 */
import { cloudPay } from '../wx'
import { providerName, v3Config } from './v3/config'
import { v3Provider, type PayApi } from './v3/provider'

export class PayProviderError extends Error {
  override name = 'PayProviderError'
}

/** The configured provider; a PayProviderError naming what is missing when wxpay-v3 is not set up. */
export function payProvider(env: Record<string, string | undefined> = process.env): PayApi {
  if (providerName(env) === 'cloudpay') return cloudPay()
  const c = v3Config(env)
  if (!c.ok) throw new PayProviderError(c.message)
  return v3Provider(c.cfg)
}
