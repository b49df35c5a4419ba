import type { RouterErrorCode } from '../typings/contract'

/** An error a handler means to return to the page: a code from the action's contract and a message. */
export class AppError<C extends string = string> extends Error {
  constructor(
    readonly code: C | RouterErrorCode,
    message: string,
    readonly issues?: string[],
  ) {
    super(message)
    this.name = 'AppError'
  }
}

/** The shape wx-server-sdk throws (CloudSDKError): numeric errCode and errMsg. */
export interface SdkError {
  errCode: number
  errMsg: string
}

export function isSdkError(e: unknown): e is SdkError {
  return typeof e === 'object' && e !== null && typeof (e as SdkError).errCode === 'number'
}

/**
 * A call to WeChat (or WeChat Pay) whose outcome is unknown: a timeout, a dropped connection, an
 * answer that could not be verified. The router answers WECHAT_BUSY, as for CloudBase's busy codes;
 * the same request again is safe (idempotent by its ids).
 */
export class UncertainCallError extends Error {
  override name = 'UncertainCallError'
}

/** WeChat / CloudBase errCodes that mean "busy, try again" whatever the API. */
const BUSY_CODES = new Set([-1, 45009, 45011, -501001, -501002, -501003, -501004])

/**
 * Maps an SDK error that no handler claimed to a router-level error:
 * -604101 (the function's config.json lacks the openapi permission) and busy codes.
 * Returns undefined for anything else, which the router reports as INTERNAL.
 */
export function routerErrorFromSdk(e: SdkError): AppError | undefined {
  if (e.errCode === -604101) {
    return new AppError(
      'PERMISSION_MISSING',
      'The cloud function is not allowed to call this WeChat API: add it to permissions.openapi in its config.json and redeploy.',
    )
  }
  if (BUSY_CODES.has(e.errCode)) {
    return new AppError('WECHAT_BUSY', 'WeChat is busy right now. Please try again in a moment.')
  }
  return undefined
}

/** A one-line description of anything thrown, for log lines. */
export function errText(e: unknown): string {
  if (isSdkError(e)) return `${e.errCode} ${e.errMsg}`
  if (e instanceof Error) return `${e.name}: ${e.message}`
  if (typeof e === 'object' && e !== null) {
    const o = e as { code?: unknown; message?: unknown }
    if (o.code || o.message) return `${String(o.code ?? '')} ${String(o.message ?? '')}`.trim()
    return JSON.stringify(e)
  }
  return String(e)
}
