/** Pure logic of the user capability: ids, profile projection, phone masking, avatar ownership. */
import { createHash } from 'node:crypto'
import type { Locale } from '../../typings/contract'
import type { UserProfile } from '../../typings/user'
import { toMillis } from '../db'
import { languageOf } from '../locale'

export type UserStatus = 'ACTIVE' | 'BLOCKED'

/** A document of the `users` collection. Only this function reads or writes it (rules: none for clients). */
export interface UserDoc {
  _id: string
  /** Every OPENID this user signed in with (one per AppID sharing the environment). */
  openids: string[]
  unionid?: string
  appid?: string
  status: UserStatus
  nickname: string
  avatarFileId: string
  phone?: { countryCode: string; purePhoneNumber: string; boundAt: Date }
  createdAt: Date
  lastLoginAt: Date
  loginCount: number
  /** Absent on records from before languages: Chinese. */
  language?: Locale
}

/** Deterministic id from the user's primary key, so two concurrent first logins create one record. */
export function userIdFor(primaryKey: string): string {
  return 'u' + createHash('sha256').update(primaryKey).digest('hex').slice(0, 24)
}

/** 13812345678 -> 138****5678; short numbers keep only their last 2 digits. */
export function maskPhone(pure: string): string {
  if (pure.length >= 7) return pure.slice(0, 3) + '*'.repeat(pure.length - 7) + pure.slice(-4)
  return '*'.repeat(Math.max(0, pure.length - 2)) + pure.slice(-2)
}

export function toProfile(doc: UserDoc): UserProfile {
  return {
    userId: doc._id,
    nickname: doc.nickname,
    avatarFileId: doc.avatarFileId,
    phone: doc.phone ? { countryCode: doc.phone.countryCode, masked: maskPhone(doc.phone.purePhoneNumber) } : null,
    createdAt: toMillis(doc.createdAt),
    lastLoginAt: toMillis(doc.lastLoginAt),
    language: languageOf(doc),
  }
}

/** Cloud-storage folder of a user's avatars; the page uploads to `${avatarFolder(userId)}/<file>`. */
export function avatarFolder(userId: string): string {
  return `avatars/${userId}`
}

/** True when `fileId` is a cloud:// file directly inside this user's avatar folder. */
export function isOwnAvatar(fileId: string, userId: string): boolean {
  const m = /^cloud:\/\/[^/]+\/(.+)$/.exec(fileId)
  if (!m || !m[1]) return false
  const path = m[1]
  const prefix = avatarFolder(userId) + '/'
  return (
    path.startsWith(prefix) &&
    path.length > prefix.length &&
    !path.slice(prefix.length).includes('/') &&
    !path.includes('..')
  )
}
