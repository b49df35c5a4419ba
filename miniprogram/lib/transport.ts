/**
 * Pure mapping of wx.cloud.callFunction failures to the contract's transport error codes.
 * errCodes from the CloudBase client: -501000 function not found, -504002 function threw,
 * -504003 function timed out; `request:fail` / `timeout` in errMsg for network failures.
 */
import type { ErrorBody, TransportErrorCode } from '../../typings/contract'

export function transportError(e: unknown): ErrorBody<TransportErrorCode> {
  const errCode = typeof e === 'object' && e !== null ? (e as { errCode?: unknown }).errCode : undefined
  const errMsg = String(
    typeof e === 'object' && e !== null
      ? ((e as { errMsg?: unknown }).errMsg ?? (e as { message?: unknown }).message ?? '')
      : e,
  )
  if (errCode === -504003 || /time ?out/i.test(errMsg))
    return { code: 'TIMEOUT', message: 'The server took too long to answer. Please try again.' }
  if (errCode === -501000 || /FunctionName|function not found|not found/i.test(errMsg)) {
    return { code: 'FUNCTION_NOT_FOUND', message: 'This feature is not deployed in the current cloud environment.' }
  }
  if (errCode === -504002) return { code: 'FUNCTION_FAILED', message: 'The server hit an error. Please try again.' }
  if (/local cloud at .* not reachable/.test(errMsg))
    return { code: 'LOCAL_CLOUD_DOWN', message: 'The local cloud is not answering. Is `npm start` running?' }
  if (/request:fail|network|ERR_|offline/i.test(errMsg) || errCode === -1) {
    return { code: 'NETWORK', message: 'Network unavailable. Check your connection and try again.' }
  }
  return { code: 'FUNCTION_FAILED', message: errMsg ? `Call failed: ${errMsg}` : 'Call failed.' }
}

/** Does a function's result look like the contract's envelope? */
export function isEnvelope(
  v: unknown,
): v is { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } } {
  if (typeof v !== 'object' || v === null) return false
  const r = v as { ok?: unknown; data?: unknown; error?: { code?: unknown } }
  return r.ok === true ? 'data' in r : r.ok === false && typeof r.error?.code === 'string'
}

/** Codes worth an automatic retry (the same call may succeed a moment later). */
export function isRetryable(code: string): boolean {
  return code === 'NETWORK' || code === 'TIMEOUT' || code === 'WECHAT_BUSY'
}
