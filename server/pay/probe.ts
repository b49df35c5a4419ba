/** The pay function's part of npm run doctor's probe (server/doctor.ts): the merchant binding. */
import { randomBytes } from 'node:crypto'
import type { DoctorReport } from '../doctor'
import { payProvider } from './provider'
import { payOutcome } from './wxpay'

/**
 * Whether the merchant takes this environment's orders: queryOrder for an order that cannot
 * exist. cloudPay: a PAY_SUB_MCH_ID bound to the environment answers result_code FAIL
 * ORDERNOTEXIST, an unbound one is refused at the request (return_code FAIL). APIv3: WXPAY_MCHID
 * answers ORDER_NOT_EXIST to a request it accepts (signature, serial and AppID link right).
 * Writes nothing, creates no order.
 */
export async function merchantProbe(): Promise<NonNullable<DoctorReport['merchant']>> {
  // The merchant the orders use: cloudPay's sub-merchant, or the APIv3 merchant itself.
  const provider: 'cloudpay' | 'wxpay-v3' = process.env.PAY_PROVIDER === 'wxpay-v3' ? 'wxpay-v3' : 'cloudpay'
  const report = (r: Omit<NonNullable<DoctorReport['merchant']>, 'provider'>) => ({ ...r, provider })
  const subMchId = provider === 'wxpay-v3' ? process.env.WXPAY_MCHID : process.env.PAY_SUB_MCH_ID
  if (!subMchId) return report({ state: 'NOT_SET' })
  try {
    const q = await payProvider().queryOrder({
      subMchId,
      outTradeNo: `doctor${randomBytes(8).toString('hex')}`,
      nonceStr: randomBytes(8).toString('hex'),
    })
    const outcome = payOutcome(q)
    if (!outcome.ok && outcome.kind === 'BUSINESS' && outcome.code === 'ORDERNOTEXIST')
      return report({ state: 'BOUND' })
    if (!outcome.ok && outcome.kind === 'REQUEST') return report({ state: 'NOT_BOUND', detail: outcome.message })
    return report({ state: 'UNKNOWN', detail: outcome.ok ? 'an order that cannot exist was found' : outcome.message })
  } catch (e) {
    return report({ state: 'UNKNOWN', detail: e instanceof Error ? e.message : String(e) })
  }
}
