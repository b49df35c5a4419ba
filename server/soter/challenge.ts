/**
 * SOTER server logic that does not touch the SDK: challenges, the resultJSON parser, prompts,
 * device keys, and proof checks. Flow: https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/bio-auth.html
 */
import type { Locale } from '../../typings/contract'
import { createHash, randomInt } from 'node:crypto'
import type { SoterPurpose } from '../../typings/soter'

export const CHALLENGES = 'soter_challenges'
export const DEVICES = 'soter_devices'
export const PROOFS = 'soter_proofs'

export const CHALLENGE_TTL_MS = 5 * 60_000
export const PROOF_TTL_MS = 2 * 60_000
/** Unused, unexpired challenges one user may hold at once (for different purposes or subjects). */
export const MAX_OPEN_CHALLENGES = 5

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * 32 characters of [A-Za-z0-9] from the CSPRNG (≈190 bits). Written out rather than taken from
 * an id library: the alphabet must stay plain alphanumeric (the reference warns that quotes and
 * symbols break some Android clients), and crypto.randomInt already removes modulo bias.
 */
export function newToken(length = 32): string {
  let out = ''
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]
  return out
}

export const TOKEN = /^[A-Za-z0-9]{32}$/

/**
 * The prompt in WeChat's system dialog, in the user's language: at most 42 characters (else
 * 90005). Worded for either mode (fingerprint or face).
 */
export const AUTH_CONTENT: Record<Locale, Record<SoterPurpose, string>> = {
  zh_CN: { CONFIRM_REFUND: '请验证身份以确认退款', CONFIRM_IDENTITY: '请验证是否为本人操作' },
  en: { CONFIRM_REFUND: 'Confirm the refund: verify it is you', CONFIRM_IDENTITY: 'Confirm it is you' },
}

/** What startSoterAuthentication's resultJSON holds (fields per wx.startSoterAuthentication.html). */
export interface SoterResult {
  raw: string
  counter: number
  cpuId: string
  fid?: string
  uid?: string
}

export function parseResult(json: string): SoterResult | null {
  let o: unknown
  try {
    o = JSON.parse(json)
  } catch {
    return null
  }
  if (typeof o !== 'object' || o === null) return null
  const r = o as Record<string, unknown>
  const counter =
    typeof r.counter === 'number'
      ? r.counter
      : typeof r.counter === 'string' && /^\d+$/.test(r.counter)
        ? Number(r.counter)
        : NaN
  if (
    typeof r.raw !== 'string' ||
    !Number.isSafeInteger(counter) ||
    counter < 0 ||
    typeof r.cpu_id !== 'string' ||
    !r.cpu_id
  )
    return null
  return {
    raw: r.raw,
    counter,
    cpuId: r.cpu_id,
    ...(typeof r.fid === 'string' ? { fid: r.fid } : {}),
    ...(typeof r.uid === 'string' ? { uid: r.uid } : {}),
  }
}

/** One record per user and device (cpu_id), holding the highest counter seen. */
export function deviceKey(openid: string, cpuId: string): string {
  return createHash('sha256').update(`${openid}\n${cpuId}`).digest('hex').slice(0, 40)
}

/** Per user: the challenges still waiting (the cap is counted here, inside a transaction). */
export const OPEN = 'soter_open'

export interface OpenDoc {
  _id: string // = openid
  open: Array<{ challenge: string; purpose: SoterPurpose; subject: string; expiresAt: number }>
}

export interface ChallengeDoc {
  _id: string
  _openid: string
  purpose: SoterPurpose
  subject: string
  /** The mode the page asked for, when it said; verify refuses another. */
  authMode?: string
  createdAt: Date
  expiresAt: Date
  usedAt: Date | null
}

export interface ProofDoc {
  _id: string
  _openid: string
  purpose: SoterPurpose
  subject: string
  authMode: string
  expiresAt: Date
  usedAt: Date | null
}

export type ChallengeCheck =
  { ok: true } | { ok: false; code: 'CHALLENGE_INVALID' | 'CHALLENGE_USED' | 'CHALLENGE_EXPIRED'; message: string }

export function checkChallenge(doc: ChallengeDoc | null, openid: string, now: number): ChallengeCheck {
  if (!doc || doc._openid !== openid)
    return { ok: false, code: 'CHALLENGE_INVALID', message: 'This confirmation was not started by you. Start again.' }
  if (doc.usedAt)
    return { ok: false, code: 'CHALLENGE_USED', message: 'This confirmation was already used. Start again.' }
  if (new Date(doc.expiresAt).getTime() <= now)
    return { ok: false, code: 'CHALLENGE_EXPIRED', message: 'The confirmation took too long (5 minutes). Start again.' }
  return { ok: true }
}
