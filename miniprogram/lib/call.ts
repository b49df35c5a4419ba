/**
 * The one way pages call cloud functions, typed from typings/: `call('user', 'login', {})`.
 * A wrong function, action or payload field fails `tsc`; the result is the contract's
 * envelope, widened with transport errors, so pages handle every failure as a typed code.
 */
import type { Functions } from '../../typings/functions'
import type { CallResult, ClientPayload } from '../../typings/contract'
import { isEnvelope, transportError } from './transport'
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
