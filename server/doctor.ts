/**
 * npm run doctor's probe, run inside a deployed function (issue #27). The router answers it only
 * for an invocation with no OPENID that is not an HTTP request: an administrator's (`tcb fn
 * invoke`, the console's test run, the local cloud's doctor). A mini-program user's call always
 * carries an OPENID (WeChat adds it; a page cannot remove it), so no user reaches it. It reports
 * names and states only, never a value: the build id uploaded with the bundle, which of the asked
 * variable names are set, and what the function's own probe adds (pay: the merchant binding).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { wxContext } from './wx'

export const DOCTOR_ACTION = '$doctor'
/** Variable names a probe answers about at most, and their shape. */
const MAX_NAMES = 60
const NAME = /^[A-Z][A-Z0-9_]{0,63}$/

export type MerchantState = 'BOUND' | 'NOT_BOUND' | 'NOT_SET' | 'UNKNOWN'

export interface DoctorReport {
  buildId: string | null
  variables: Record<string, boolean>
  /** The merchant the orders use, through the payment provider the function runs (PAY_PROVIDER). */
  merchant?: { state: MerchantState; detail?: string; provider?: 'cloudpay' | 'wxpay-v3' }
}

/** The event is `action` invoked by an administrator (see above): no OPENID, not an HTTP request. */
export function isAdminInvocation(event: unknown, openid: string, action: string): boolean {
  if (openid || !event || typeof event !== 'object') return false
  const e = event as Record<string, unknown>
  return e.action === action && !('httpMethod' in e) && !('headers' in e)
}

/** The event is a probe from an administrator (see above). */
export function isDoctorProbe(event: unknown, openid: string): boolean {
  return isAdminInvocation(event, openid, DOCTOR_ACTION)
}

/** The build id uploaded beside the bundle (scripts/build-functions.ts), or null without one. */
export function buildId(dir: string): string | null {
  const file = join(dir, 'build.json')
  if (!existsSync(file)) return null
  try {
    const id = (JSON.parse(readFileSync(file, 'utf8')) as { buildId?: unknown }).buildId
    return typeof id === 'string' && /^[0-9a-f]{16}$/.test(id) ? id : null
  } catch {
    return null
  }
}

export function doctorReport(event: Record<string, unknown>, dir: string): DoctorReport {
  const asked = Array.isArray(event.variables)
    ? event.variables.filter((n): n is string => typeof n === 'string' && NAME.test(n)).slice(0, MAX_NAMES)
    : []
  return { buildId: buildId(dir), variables: Object.fromEntries(asked.map((n) => [n, Boolean(process.env[n])])) }
}

/** A function without the router answers the probe with this first (null: not a probe). */
export function doctorAnswer(event: unknown, dir: string): { ok: true; data: DoctorReport } | null {
  return isDoctorProbe(event, wxContext().OPENID ?? '')
    ? { ok: true, data: doctorReport(event as Record<string, unknown>, dir) }
    : null
}
