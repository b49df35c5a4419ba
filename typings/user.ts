import type { Action, Locale } from './contract'

/** What a page may know about the signed-in user. Never carries openid/unionid or keys. */
export interface UserProfile {
  /** Stable user id (also the folder name of the user's files in cloud storage). */
  userId: string
  nickname: string
  /** cloud:// fileID of the avatar, '' when none. Usable directly as <image src>. */
  avatarFileId: string
  /** Bound phone, masked for display; null when none is bound. */
  phone: { countryCode: string; masked: string } | null
  /** Milliseconds since epoch (server time). */
  createdAt: number
  lastLoginAt: number
  /** The language the user reads: from WeChat's at login, or the profile page's switch. */
  language: Locale
}

export type NicknameErrorCode =
  | 'CONTENT_RISKY' // msgSecCheck suggest=risky: refused
  | 'CONTENT_REVIEW' // msgSecCheck suggest=review: refused until changed
  | 'CONTENT_CHECK_UNAVAILABLE' // msgSecCheck failed (61010 user inactive > 2h, 40003, ...)

export type PhoneErrorCode =
  | 'PHONE_CODE_INVALID' // 40029: code expired (5 min), already used, or from another AppID
  | 'PHONE_QUOTA_EXHAUSTED' // 1400001: the account's paid quota for phone numbers is used up
  | 'PHONE_NOT_ALLOWED' // 40013 / 48001: this AppID may not use the phone-number API (personal account)
  | 'PHONE_APPID_MISMATCH' // watermark.appid differs from the calling AppID

/** A type alias (not an interface) so it satisfies `Contract` without widening its keys. */
export type UserContract = {
  /** Log in (create on first visit). Identity comes from getWXContext, never from the payload. */
  login: Action<{ language?: Locale }, { profile: UserProfile; isNew: boolean }, 'USER_BLOCKED'>
  /** Read the current profile. */
  getProfile: Action<Record<string, never>, { profile: UserProfile }, 'NOT_REGISTERED'>
  /** Change nickname and/or avatar. The nickname is checked with msgSecCheck v2 before anything is written. */
  updateProfile: Action<
    { nickname?: string; avatarFileId?: string; language?: Locale },
    { profile: UserProfile },
    NicknameErrorCode | 'NOT_REGISTERED' | 'AVATAR_NOT_OWNED' | 'AVATAR_NOT_FOUND' | 'NOTHING_TO_UPDATE'
  >
  /** Bind the phone number from <button open-type="getPhoneNumber">'s e.detail.code. */
  bindPhone: Action<{ code: string }, { profile: UserProfile }, PhoneErrorCode | 'NOT_REGISTERED'>
}
