/**
 * The one router every function uses. It reads `{ action, ...payload }` from the event,
 * validates the payload with the action's schema, runs the handler, and always answers with
 * the envelope declared in typings/contract.ts. Handlers are typed from the contract, so a
 * handler that returns the wrong shape, a schema whose output is not exactly the request type
 * (server/schemas.ts), or a failure with a code its action does not declare (also from a helper:
 * `fail` is a property, so a `Ctx<'A'>` is not a `Ctx<string>`) fails `tsc`.
 *
 * The payload is flat in the event (not nested under `payload`) because WeChat replaces
 * `wx.cloud.CloudID()` values only in TOP-LEVEL fields of the call's data.
 */
import * as v from 'valibot'
import type { Action, Contract, Envelope, RouterErrorCode } from '../typings/contract'
import { AppError, errText, isSdkError, routerErrorFromSdk, UncertainCallError } from './errors'
import { isTxConflict } from './db'
import { clip, eventBytes, MAX_EVENT_BYTES } from './input'
import { describeIssue } from './validation'
import { wxContext, type WxContext } from './wx'
import { doctorReport, isDoctorProbe, type DoctorReport } from './doctor'
import type { ExactSchema } from './schemas'

export interface Ctx<Err extends string> {
  /** getWXContext() of this invocation. */
  wx: WxContext
  /** The caller's OPENID (guaranteed non-empty for `auth: 'user'` actions). */
  openid: string
  requestId: string
  /** Stop the action with one of its declared error codes. */
  fail: (code: Err, message: string) => never
}

export interface ActionDef<A extends Action<any, any, string>> {
  /** Schema of the payload (valibot), from the function's schemas.ts: proven exactly the contract's request type (server/schemas.ts). */
  input: ExactSchema<A['req']>
  /** 'user' (default): needs an OPENID (a call from the mini-program). 'none': triggers, callbacks. */
  auth?: 'user' | 'none'
  handle(input: A['req'], ctx: Ctx<A['err']>): Promise<A['res']>
}

export type Handlers<C extends Contract> = { [K in keyof C]: ActionDef<C[K]> }

/** Issues reported per call: enough to fix the call, bounded for hostile input. */
const MAX_ISSUES = 10

/** Keys WeChat itself puts into a client call's event; never part of a payload. */
const RESERVED_KEYS = new Set(['action', 'userInfo'])

export type Main = (
  event: unknown,
  context?: { request_id?: string; requestId?: string },
) => Promise<Envelope<unknown, string>>

export function createRouter<C extends Contract>(
  functionName: string,
  handlers: Handlers<C>,
  opts: { maxEventBytes?: number; doctor?: () => Promise<Partial<DoctorReport>> } = {},
): Main {
  const maxBytes = opts.maxEventBytes ?? MAX_EVENT_BYTES
  return async function main(event, context) {
    const requestId = context?.request_id ?? context?.requestId ?? ''
    const fail = (code: RouterErrorCode, message: string, issues?: string[]): Envelope<never, string> => ({
      ok: false,
      error: { code, message, ...(requestId ? { requestId } : {}), ...(issues ? { issues } : {}) },
    })
    // Size first: nothing parses or validates an oversized event (bounded time and memory).
    const bytes = eventBytes(event)
    if (bytes > maxBytes)
      return fail(
        'INVALID_INPUT',
        `The call is too large (${Number.isFinite(bytes) ? `${Math.ceil(bytes / 1024)} KB` : 'not plain JSON'}; at most ${Math.floor(maxBytes / 1024)} KB).`,
      )
    // npm run doctor's probe: an administrator's invocation only (server/doctor.ts).
    if (isDoctorProbe(event, wxContext().OPENID ?? '')) {
      const report = doctorReport(event as Record<string, unknown>, __dirname)
      return { ok: true, data: { ...report, ...(opts.doctor ? await opts.doctor() : {}) } } as never
    }
    if (typeof event !== 'object' || event === null || typeof (event as { action?: unknown }).action !== 'string') {
      return fail(
        'INVALID_INPUT',
        `The call must carry an "action" string, one of: ${Object.keys(handlers).join(', ')}.`,
      )
    }
    const { action } = event as { action: string }
    if (!Object.prototype.hasOwnProperty.call(handlers, action)) {
      return fail(
        'UNKNOWN_ACTION',
        `${functionName} has no action "${clip(action, 40)}"; its actions: ${Object.keys(handlers).join(', ')}.`,
      )
    }
    const def = handlers[action] as ActionDef<Action<unknown, unknown, string>>
    const payload: Record<string, unknown> = {}
    for (const [k, val] of Object.entries(event)) if (!RESERVED_KEYS.has(k)) payload[k] = val

    const parsed = v.safeParse(def.input, payload)
    if (!parsed.success) {
      const issues = parsed.issues
        .slice(0, MAX_ISSUES)
        .map((i) => describeIssue(i, def.input as Parameters<typeof describeIssue>[1]))
      return fail('INVALID_INPUT', `Invalid input for ${functionName}.${action}: ${issues.join('; ')}`, issues)
    }
    const wx = wxContext()
    const openid = wx.OPENID ?? ''
    if ((def.auth ?? 'user') === 'user' && !openid) {
      return fail(
        'UNAUTHENTICATED',
        `${functionName}.${action} must be called from the mini-program (no OPENID in the context).`,
      )
    }
    const ctx: Ctx<string> = {
      wx,
      openid,
      requestId,
      fail(code, message) {
        throw new AppError(code, message)
      },
    }
    try {
      const data = await def.handle(parsed.output, ctx)
      return { ok: true, data }
    } catch (e) {
      if (e instanceof AppError) {
        return fail(e.code as RouterErrorCode, e.message, e.issues)
      }
      const mapped = isSdkError(e)
        ? routerErrorFromSdk(e)
        : e instanceof UncertainCallError
          ? new AppError('WECHAT_BUSY', 'WeChat is busy right now. Please try again in a moment.')
          : isTxConflict(e)
            ? new AppError('WECHAT_BUSY', 'Too many requests at once. Please try again in a moment.')
            : undefined
      console.error(JSON.stringify({ fn: functionName, action, requestId, error: describe(e) }))
      if (mapped) return fail(mapped.code as RouterErrorCode, mapped.message)
      return fail('INTERNAL', `Something went wrong in ${functionName}.${action}. Please try again.`)
    }
  }
}

function describe(e: unknown): unknown {
  if (isSdkError(e)) return { errCode: e.errCode, errMsg: e.errMsg }
  if (e instanceof Error) return { name: e.name, message: e.message }
  return errText(e)
}
