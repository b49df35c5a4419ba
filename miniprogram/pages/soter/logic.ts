/**
 * SOTER on the phone, pure: which methods to offer, and what each errCode of
 * wx.startSoterAuthentication / checkIsSoterEnrolledInDevice means for the user and the page.
 * Codes 90001-90011 (open-api/soter/wx.startSoterAuthentication.html "错误码"; 90006 is not
 * documented and gets the generic message).
 */
import { fmt } from '../../shared/template'
import type { SoterAuthMode, SoterPurpose } from '../../../typings/soter'

export type SoterState =
  | 'CHECKING'
  | 'READY'
  | 'UNSUPPORTED'
  | 'NOT_ENROLLED'
  | 'AUTHENTICATING'
  | 'VERIFYING'
  | 'VERIFIED'
  | 'LOCKED'
  | 'ERROR'

/** What the page does after a failure. */
export type SoterFallback = 'STAY' | 'RETRY' | 'LOCKED' | 'ENROLL' | 'UNSUPPORTED' | 'DROP_MODE'

/** The words the logic needs, from the locale table (pages/soter/texts.ts): mode names and one sentence per errCode. */
export type SoterTexts = Record<SoterAuthMode, string> & Record<SoterErrorKey | 'eOther', string>

/** The documented errCodes of wx.startSoterAuthentication, as keys of the locale table (90008, a cancel, says nothing). */
export type SoterErrorKey =
  'e90001' | 'e90002' | 'e90003' | 'e90004' | 'e90005' | 'e90006' | 'e90007' | 'e90009' | 'e90010' | 'e90011'

export interface ModeView {
  mode: SoterAuthMode
  label: string
  enrolled: boolean
}

/** Supported methods we can use, in a stable order, with their enrolment and their names in `t`. */
export function availableModes(
  supportMode: readonly string[],
  enrolled: Partial<Record<SoterAuthMode, boolean>>,
  t: Record<SoterAuthMode, string>,
): ModeView[] {
  return (['fingerPrint', 'facial'] as const)
    .filter((m) => supportMode.includes(m))
    .map((mode) => ({ mode, label: t[mode], enrolled: !!enrolled[mode] }))
}

/** What the page does after each documented errCode (its sentence is `t['e' + code]`). */
export const SOTER_ERRORS: Record<number, SoterFallback> = {
  90001: 'UNSUPPORTED',
  90002: 'RETRY',
  90003: 'DROP_MODE',
  90004: 'RETRY',
  90005: 'RETRY',
  90006: 'RETRY',
  90007: 'RETRY',
  90008: 'STAY', // the user cancelled: no message
  90009: 'STAY',
  90010: 'LOCKED',
  90011: 'ENROLL',
}

const CANCEL = 90008
const INTERNAL = 90007

export function soterFailure(e: unknown, t: SoterTexts): { errCode: number; message: string; fallback: SoterFallback } {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { errCode?: unknown; errMsg?: unknown }
  const errCode = typeof o.errCode === 'number' ? o.errCode : INTERNAL
  const known = SOTER_ERRORS[errCode]
  if (errCode === CANCEL || (!known && typeof o.errMsg === 'string' && /cancel/i.test(o.errMsg)))
    return { errCode, fallback: 'STAY', message: '' }
  if (known) return { errCode, fallback: known, message: t[`e${errCode}` as SoterErrorKey] }
  return { errCode, message: fmt(t.eOther, { code: errCode }), fallback: 'RETRY' }
}

const PURPOSES: readonly SoterPurpose[] = ['CONFIRM_REFUND', 'CONFIRM_IDENTITY']

export function purposeOf(q: string | undefined): SoterPurpose {
  return PURPOSES.includes(q as SoterPurpose) ? (q as SoterPurpose) : 'CONFIRM_IDENTITY'
}
