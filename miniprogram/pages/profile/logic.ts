/** Pure helpers of the profile page (no wx.*), tested on their own. */

/** The longest nickname, in characters (the server's rule: cloudfunctions/user/src/schemas.ts). */
export const NICKNAME_MAX = 20

export type NicknameProblem = 'NICKNAME_EMPTY' | 'NICKNAME_TOO_LONG'
export type PhoneButtonProblem = 'PHONE_QUOTA' | 'PHONE_DENIED' | 'PHONE_FAILED'

/** WeChat's errno when the account's paid quota for phone numbers is used up. */
const ERRNO_PHONE_QUOTA = 1400001

/** Client-side mirror of the server's nickname rule (1–20 characters after trimming). The server decides. */
export function nicknameProblem(raw: string): NicknameProblem | null {
  const v = raw.trim()
  if (!v) return 'NICKNAME_EMPTY'
  if (Array.from(v).length > NICKNAME_MAX) return 'NICKNAME_TOO_LONG'
  return null
}

/** Where an avatar goes in cloud storage: the user's own folder (the server checks it). */
export function avatarCloudPath(userId: string, tempPath: string, now: number, rand: string): string {
  const m = /\.(jpe?g|png|gif|webp)$/i.exec(tempPath)
  const ext = m && m[1] ? m[1].toLowerCase() : 'jpg'
  return `avatars/${userId}/${now}-${rand}.${ext}`
}

/** Why the getPhoneNumber button gave no code (the page words it from the locale table). */
export function phoneButtonProblem(detail: { errMsg?: string; errno?: number }): PhoneButtonProblem {
  if (detail.errno === ERRNO_PHONE_QUOTA) return 'PHONE_QUOTA'
  if (/deny|cancel/i.test(detail.errMsg ?? '')) return 'PHONE_DENIED'
  return 'PHONE_FAILED'
}
