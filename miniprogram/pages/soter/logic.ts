/**
 * SOTER on the phone, pure: which methods to offer, and what each errCode of
 * wx.startSoterAuthentication / checkIsSoterEnrolledInDevice means for the user and the page.
 * Codes 90001-90011 (open-api/soter/wx.startSoterAuthentication.html "错误码"; 90006 is not
 * documented and gets the generic message).
 */
import type { SoterAuthMode, SoterPurpose } from '../../../typings/soter'

export type SoterState = 'CHECKING' | 'READY' | 'UNSUPPORTED' | 'NOT_ENROLLED' | 'AUTHENTICATING' | 'VERIFYING' | 'VERIFIED' | 'LOCKED' | 'ERROR'

/** What the page does after a failure. */
export type SoterFallback = 'STAY' | 'RETRY' | 'LOCKED' | 'ENROLL' | 'UNSUPPORTED' | 'DROP_MODE'

export const MODE_LABEL: Record<SoterAuthMode, string> = { fingerPrint: 'Fingerprint', facial: 'Face' }

export interface ModeView {
  mode: SoterAuthMode
  label: string
  enrolled: boolean
}

/** Supported methods we can use, in a stable order, with their enrolment. */
export function availableModes(supportMode: readonly string[], enrolled: Partial<Record<SoterAuthMode, boolean>>): ModeView[] {
  return (['fingerPrint', 'facial'] as const).filter((m) => supportMode.includes(m)).map((mode) => ({ mode, label: MODE_LABEL[mode], enrolled: !!enrolled[mode] }))
}

export const SOTER_ERRORS: Record<number, { message: string; fallback: SoterFallback }> = {
  90001: { message: 'This phone cannot do fingerprint or face checks for WeChat.', fallback: 'UNSUPPORTED' },
  90002: { message: 'WeChat is not allowed to use fingerprint or face on this phone. Allow it in the system settings, then try again.', fallback: 'RETRY' },
  90003: { message: 'This phone does not support that method. Use another one.', fallback: 'DROP_MODE' },
  90004: { message: 'The check could not start (the challenge was refused). Try again.', fallback: 'RETRY' },
  90005: { message: 'The check could not start (the prompt was too long). Try again.', fallback: 'RETRY' },
  90006: { message: 'The fingerprint or face check failed on this phone. Try again.', fallback: 'RETRY' },
  90007: { message: 'The fingerprint or face check had an internal error. Try again.', fallback: 'RETRY' },
  90008: { message: '', fallback: 'STAY' },
  90009: { message: 'Not recognised. Try again.', fallback: 'STAY' },
  90010: { message: 'Too many failed attempts: fingerprint and face are locked for now. Unlock your phone with its passcode, then try again.', fallback: 'LOCKED' },
  90011: { message: 'Nothing is set up for this method. Add a fingerprint or face in the system settings (Security), then come back.', fallback: 'ENROLL' },
}

export function soterFailure(e: unknown): { errCode: number; message: string; fallback: SoterFallback } {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { errCode?: unknown; errMsg?: unknown }
  const errCode = typeof o.errCode === 'number' ? o.errCode : 90007
  const known = SOTER_ERRORS[errCode]
  if (known) return { errCode, ...known }
  if (typeof o.errMsg === 'string' && /cancel/i.test(o.errMsg)) return { errCode, ...SOTER_ERRORS[90008]! }
  return { errCode, message: `The fingerprint or face check failed (${errCode}). Try again.`, fallback: 'RETRY' }
}

const PURPOSES: readonly SoterPurpose[] = ['CONFIRM_REFUND', 'CONFIRM_IDENTITY']

export function purposeOf(q: string | undefined): SoterPurpose {
  return PURPOSES.includes(q as SoterPurpose) ? (q as SoterPurpose) : 'CONFIRM_IDENTITY'
}
