import type { Action } from './contract'

/** The biometric methods SOTER offers mini-programs (speech is not supported by WeChat). */
export type SoterAuthMode = 'fingerPrint' | 'facial'

/**
 * What a biometric check confirms. The server words the prompt (authContent) from it, and a
 * proof works only for the purpose (and subject, e.g. an order id) it was issued for.
 */
export type SoterPurpose = 'CONFIRM_REFUND' | 'CONFIRM_IDENTITY'

export type SoterVerifyError =
  | 'MALFORMED_RESULT' // resultJSON is not what startSoterAuthentication returns
  | 'CHALLENGE_INVALID' // no such challenge for this user
  | 'CHALLENGE_USED' // the challenge was already verified once (a replay)
  | 'CHALLENGE_EXPIRED' // older than 5 minutes: ask for a new one
  | 'SIGNATURE_INVALID' // WeChat's soter.verifySignature said no
  | 'COUNTER_REPLAYED' // the device counter did not grow: an old result signed again

export type SoterContract = {
  /**
   * A fresh challenge (32 letters and digits: quotes break some Android clients) bound to the
   * caller and `purpose` (and, when given, the `authMode` the page will use: verify then refuses
   * another), single use, valid 5 minutes, and the prompt to show (≤ 42 chars). At most 5 wait
   * per user, counted atomically.
   */
  challenge: Action<
    { purpose: SoterPurpose; subject?: string; authMode?: SoterAuthMode },
    { challenge: string; authContent: string; expiresAt: number },
    'TOO_MANY_CHALLENGES'
  >
  /**
   * Checks a startSoterAuthentication result with WeChat, that it signs this user's unused,
   * unexpired challenge and that the device's counter grew; then burns the challenge and
   * returns a proof other functions accept once, for `purpose` and `subject`, for 2 minutes.
   */
  verify: Action<
    { authMode: SoterAuthMode; resultJSON: string; resultJSONSignature: string },
    { proof: string; purpose: SoterPurpose; subject: string; expiresAt: number },
    SoterVerifyError
  >
}
