/**
 * Shared setup of the pay tests: a local cloud whose pay functions are configured like a
 * deployed environment (merchant bound in the sandbox, subscribe templates set), and typed
 * shortcuts to call `pay` as a user and to look at what WeChat saw.
 */
import { LocalCloud, type Caller } from '../../localcloud'

/**
 * The functions log every refusal and failure as one JSON line (what the cloud console shows);
 * pay tests provoke many on purpose. Call at the top of a test file.
 */
export function quietFunctionLogs(): void {
  beforeAll(() => {
    jest.spyOn(console, 'error').mockImplementation(() => {})
    jest.spyOn(console, 'log').mockImplementation(() => {})
  })
}

export const TMPL_PAID = 'tmpl-paid-0001'
export const TMPL_REFUNDED = 'tmpl-refunded-0001'

/**
 * PAY_TEST_PROVIDER=wxpay-v3 runs the pay suite through WeChat Pay APIv3 (npm test runs it both
 * ways): the same orders, the same assertions, the other provider.
 */
export const PAY_PROVIDER_UNDER_TEST = process.env.PAY_TEST_PROVIDER === 'wxpay-v3' ? 'wxpay-v3' : 'cloudpay'

export const PAY_VARS: Record<string, string> = {
  PAY_SUB_MCH_ID: '1900000109',
  SUBSCRIBE_TMPL_PAID: TMPL_PAID,
  SUBSCRIBE_TMPL_REFUNDED: TMPL_REFUNDED,
  MINIPROGRAM_STATE: 'developer',
  ...(PAY_PROVIDER_UNDER_TEST === 'wxpay-v3'
    ? { PAY_PROVIDER: 'wxpay-v3', WXPAY_NOTIFY_URL: 'https://local-dev.service.tcloudbase.com/pay-notify' }
    : {}),
}

export interface Result {
  ok: boolean
  data?: any
  error?: { code: string; message: string; issues?: string[] }
}

export function payWorld(opts: { vars?: Record<string, string>; now?: () => number } = {}) {
  const cloud = new LocalCloud({ vars: opts.vars ?? PAY_VARS, ...(opts.now ? { now: opts.now } : {}) })
  cloud.openapi.templates.add(TMPL_PAID).add(TMPL_REFUNDED)
  const pay = async (
    action: string,
    payload: Record<string, unknown> = {},
    caller: Caller = ALICE,
  ): Promise<Result> => {
    const { result } = await cloud.callFromClient('pay', { action, ...payload }, caller)
    return result as Result
  }
  const writes = () => cloud.db.log.filter((l) => /insert|modify|remove|commit/.test(l.action)).length
  const order = (id: string) => cloud.db.dump('orders').find((o) => o._id === id) as Record<string, any> | undefined
  const sends = () => cloud.openapi.callsTo('subscribeMessage.send')
  const incidents = () => cloud.db.dump('pay_incidents') as Array<Record<string, any>>
  /** Grants `n` credits for the paid and refunded templates, as n accepted requestSubscribeMessage answers would. */
  const subscribe = async (n = 1, caller: Caller = ALICE) => {
    for (let i = 0; i < n; i++) {
      cloud.openapi.grantSubscription(caller.openid!, TMPL_PAID)
      cloud.openapi.grantSubscription(caller.openid!, TMPL_REFUNDED)
      await pay('recordSubscription', { answers: { [TMPL_PAID]: 'accept', [TMPL_REFUNDED]: 'accept' } }, caller)
    }
  }
  let seq = 0
  const buy = async (productId = 'coffee', quantity = 1, caller: Caller = ALICE) =>
    pay('createOrder', { productId, quantity, requestId: `req-${Date.now()}-${++seq}` }, caller)
  return { cloud, pay, writes, order, sends, incidents, subscribe, buy }
}

export const ALICE: Caller = { openid: 'o-alice', clientIp: '10.1.2.3' }
export const BOB: Caller = { openid: 'o-bob' }

/** Moves an order's times back by `ms` (as if it was created / paid that long ago). */
export function age(cloud: LocalCloud, orderId: string, ms: number): void {
  const doc = cloud.db.dump('orders').find((o) => o._id === orderId)
  if (!doc) throw new Error(`no order ${orderId}`)
  for (const k of ['createdAt', 'expiresAt', 'paidAt'] as const) {
    if (doc[k] instanceof Date) doc[k] = new Date((doc[k] as Date).getTime() - ms)
  }
  const refund = doc.refund as { requestedAt?: Date; acceptedAt?: Date } | undefined
  if (refund?.requestedAt instanceof Date) refund.requestedAt = new Date(refund.requestedAt.getTime() - ms)
  if (refund?.acceptedAt instanceof Date) refund.acceptedAt = new Date(refund.acceptedAt.getTime() - ms)
  cloud.db.seed('orders', [doc])
  // WeChat Pay's side of the same order ages with it (closeOrder's 5 minutes, the prepay's 2 hours).
  const placed = cloud.cloudPay.orders.get(orderId)
  if (placed) {
    placed.orderedAt -= ms
    placed.prepayAt -= ms
  }
}

/** The provider the suite runs against, and the function its notifications reach. */
export const V3 = PAY_PROVIDER_UNDER_TEST === 'wxpay-v3'
export const PAYMENT_NOTIFY_FN = V3 ? 'payNotify' : 'payCallback'
export const REFUND_NOTIFY_FN = V3 ? 'payNotify' : 'payRefundCallback'

/**
 * What the function answered one delivery, either provider: ACK (cloudPay's { errcode: 0 }, an
 * APIv3 2xx) or RETRY (a non-zero errcode, an APIv3 4xx/5xx: WeChat Pay delivers again).
 */
export function answerOf(result: unknown): 'ACK' | 'RETRY' {
  const r = (result ?? {}) as { errcode?: unknown; statusCode?: unknown }
  if (typeof r.statusCode === 'number') return r.statusCode >= 200 && r.statusCode < 300 ? 'ACK' : 'RETRY'
  return r.errcode === 0 ? 'ACK' : 'RETRY'
}

/** An order WeChat Pay has that this database never stored (placed at the sandbox directly). */
export async function placeAtWeChatPay(
  cloud: LocalCloud,
  outTradeNo: string,
  payer: string,
  totalFee = 1800,
): Promise<void> {
  await cloud.cloudPay.call(
    'unifiedOrder',
    {
      body: 'Shop-Coffee',
      out_trade_no: outTradeNo,
      spbill_create_ip: '127.0.0.1',
      sub_mch_id: '1900000109',
      total_fee: totalFee,
      env_id: cloud.env,
      function_name: 'payCallback',
      nonce_str: 'n'.repeat(32),
      trade_type: 'JSAPI',
    },
    { fn: 'pay', appid: cloud.appid, openid: payer },
  )
  // Through APIv3 the order carries the notify URL it was placed with.
  if (V3) cloud.wxpayV3.notifyUrls.set(outTradeNo, 'https://local-dev.service.tcloudbase.com/pay-notify')
}
