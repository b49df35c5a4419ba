/**
 * Pay configuration, from the function's environment variables (cloudbaserc.json
 * `envVariables`, filled from your untracked .env at deploy time; never committed):
 *   PAY_SUB_MCH_ID          merchant id bound to the CloudBase environment (required to sell)
 *   PAY_CALLBACK_ENV_ID     environment of the callback functions; default: the one this runs in.
 *                           The FULL id (e.g. "prod-8gabc123"), not the alias: a short id is the
 *                           top reason callbacks never arrive.
 *   PAY_BODY_PREFIX         "shop name" part of the order body ("<shop>-<product>")
 *   PAY_ORDER_TTL_MINUTES   how long an order can be paid: 5-120 (default 15). WeChat Pay refuses to
 *                           close an order in its first 5 minutes, and a prepay lives 2 hours.
 *   PAY_REFUND_WINDOW_DAYS  how long after payment the owner may ask for a refund (default 7)
 *   PAY_MAX_OPEN_ORDERS     unpaid orders one user may have waiting (default 5, at most 50)
 *   SUBSCRIBE_TMPL_PAID / SUBSCRIBE_TMPL_REFUNDED   subscribe-message template ids
 *   MINIPROGRAM_STATE       developer | trial | formal: which version a message opens (default formal)
 */
import type { SubscribeTemplates } from '../../typings/pay'
import { providerName, v3Config } from './v3/config'

/** The deployed names of the callback functions (cloudfunctions/<name>). */
export const PAY_CALLBACK_FUNCTION = 'payCallback'
export const REFUND_CALLBACK_FUNCTION = 'payRefundCallback'

export interface PayConfig {
  subMchId: string
  callbackEnvId: string
  bodyPrefix: string
  orderTtlMs: number
  /** Unpaid orders one user may have waiting at once. */
  maxOpenOrders: number
  refundWindowMs: number
  templates: SubscribeTemplates | null
  miniprogramState: 'developer' | 'trial' | 'formal'
}

export type ConfigProblem = { ok: false; message: string }

function positiveNumber(raw: string | undefined, fallback: number): number {
  const n = raw === undefined || raw === '' ? fallback : Number(raw)
  return Number.isFinite(n) && n > 0 ? n : fallback
}

const DEFAULT_TTL_MINUTES = 15
const MIN_TTL_MINUTES = 5
const MAX_TTL_MINUTES = 120

/** An env id as CloudBase prints it: name, dash, suffix (e.g. "prod-8gabc123"). */
export const FULL_ENV_ID = /^[a-z][a-z0-9-]*-[a-z0-9]+$/

/**
 * Reads the configuration. `runningEnv` is getWXContext().ENV. Problems are reported, not
 * thrown, so a page gets PAY_NOT_CONFIGURED with the fix instead of an INTERNAL error.
 */
export function payConfig(
  env: Record<string, string | undefined>,
  runningEnv: string | undefined,
): ({ ok: true } & PayConfig) | ConfigProblem {
  // PAY_PROVIDER=wxpay-v3: the merchant's own APIv3 settings instead of cloudPay's sub-merchant.
  const v3 = providerName(env) === 'wxpay-v3' ? v3Config(env) : undefined
  if (v3 && !v3.ok) return { ok: false, message: v3.message }
  const subMchId = v3?.ok ? v3.cfg.mchid : (env.PAY_SUB_MCH_ID ?? '').trim()
  if (!/^\d{6,32}$/.test(subMchId)) {
    return {
      ok: false,
      message:
        'Payments are not set up: set PAY_SUB_MCH_ID (the merchant id bound in the CloudBase console) for the pay functions and redeploy.',
    }
  }
  const callbackEnvId = (env.PAY_CALLBACK_ENV_ID || runningEnv || '').trim()
  if (!FULL_ENV_ID.test(callbackEnvId)) {
    return {
      ok: false,
      message: `Payments are not set up: "${callbackEnvId}" is not a full CloudBase env id (like "prod-8gabc123"); payment callbacks would never arrive.`,
    }
  }
  if (runningEnv && callbackEnvId !== runningEnv) {
    return {
      ok: false,
      message: `Payments are not set up: PAY_CALLBACK_ENV_ID "${callbackEnvId}" is not the environment the orders live in ("${runningEnv}"); its callbacks could not find them.`,
    }
  }
  const ttl =
    env.PAY_ORDER_TTL_MINUTES === undefined || env.PAY_ORDER_TTL_MINUTES === ''
      ? DEFAULT_TTL_MINUTES
      : Number(env.PAY_ORDER_TTL_MINUTES)
  if (!Number.isInteger(ttl) || ttl < MIN_TTL_MINUTES || ttl > MAX_TTL_MINUTES) {
    return {
      ok: false,
      message: `Payments are not set up: PAY_ORDER_TTL_MINUTES must be a whole number from ${MIN_TTL_MINUTES} to ${MAX_TTL_MINUTES} (WeChat Pay cannot close an order in its first 5 minutes, and a prepay lives 2 hours).`,
    }
  }
  return {
    ok: true,
    subMchId,
    callbackEnvId,
    bodyPrefix: (env.PAY_BODY_PREFIX ?? '').trim() || '云开发示例',
    orderTtlMs: ttl * 60_000,
    maxOpenOrders: Math.min(50, Math.floor(positiveNumber(env.PAY_MAX_OPEN_ORDERS, 5))),
    refundWindowMs: refundWindowMs(env),
    ...subscribeConfig(env),
  }
}

export function refundWindowMs(env: Record<string, string | undefined>): number {
  return positiveNumber(env.PAY_REFUND_WINDOW_DAYS, 7) * 86_400_000
}

/** PAY_REFUND_REQUIRES_SOTER=1: a refund needs a fresh fingerprint/face proof from the soter function. */
export function refundRequiresSoter(env: Record<string, string | undefined>): boolean {
  return env.PAY_REFUND_REQUIRES_SOTER === '1' || env.PAY_REFUND_REQUIRES_SOTER === 'true'
}

/** The subscribe-message part alone (the catalogue and credits work without a merchant). */
export function subscribeConfig(
  env: Record<string, string | undefined>,
): Pick<PayConfig, 'templates' | 'miniprogramState'> {
  const paid = (env.SUBSCRIBE_TMPL_PAID ?? '').trim()
  const refunded = (env.SUBSCRIBE_TMPL_REFUNDED ?? '').trim()
  const state = env.MINIPROGRAM_STATE
  return {
    templates: paid && refunded ? { paid, refunded } : null,
    miniprogramState: state === 'developer' || state === 'trial' ? state : 'formal',
  }
}
