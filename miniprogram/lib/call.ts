/**
 * The one way pages call cloud functions, typed from typings/: `call('user', 'login', {})`.
 * A wrong function, action or payload field fails `tsc`; the result is the contract's
 * envelope, widened with transport errors, so pages handle every failure as a typed code.
 */
import type { Functions } from '../../typings/functions'
import type { CallResult, ClientPayload } from '../../typings/contract'
import { isEnvelope, isRetryable, transportError } from './transport'
import { MISSING_ENV_MESSAGE } from '../config/env'
import { cloud } from './cloud'

let cloudReady = false
export function markCloudReady(ready: boolean): void {
  cloudReady = ready
}

export async function call<F extends keyof Functions, A extends keyof Functions[F] & string>(
  fn: F,
  action: A,
  payload: ClientPayload<Functions[F][A] extends { req: infer R } ? R : never>,
): Promise<CallResult<Functions[F], A>> {
  if (!cloudReady) return { ok: false, error: { code: 'CLOUD_NOT_CONFIGURED', message: MISSING_ENV_MESSAGE } }
  try {
    const res = await cloud().callFunction(fn, { ...(payload as object), action })
    if (isEnvelope(res.result)) return res.result as CallResult<Functions[F], A>
    return { ok: false, error: { code: 'FUNCTION_FAILED', message: 'The server answered in an unexpected format.' } }
  } catch (e) {
    return { ok: false, error: transportError(e) }
  }
}

/** Waits before each retry of callRetrying (ms; each jittered to 50-150 %, so a crowd does not retry in step). */
export const RETRY_DELAYS_MS: readonly number[] = [400, 1200, 3000]

/**
 * `call` for an idempotent action (one the server records once however often it arrives):
 * retried after a back-off while the failure is one a moment may cure (NETWORK, TIMEOUT,
 * WECHAT_BUSY), so nothing is lost to a busy moment. Answers the last result.
 */
export async function callRetrying<F extends keyof Functions, A extends keyof Functions[F] & string>(
  fn: F,
  action: A,
  payload: ClientPayload<Functions[F][A] extends { req: infer R } ? R : never>,
  delays: readonly number[] = RETRY_DELAYS_MS,
): Promise<CallResult<Functions[F], A>> {
  let res = await call(fn, action, payload)
  for (const delay of delays) {
    if (res.ok || !isRetryable(String(res.error.code))) return res
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())))
    res = await call(fn, action, payload)
  }
  return res
}
