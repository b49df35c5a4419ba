/**
 * The language a user reads, for the text the functions write to the user (customer-service
 * replies, the payment body, the SOTER prompt, subscribe-message values, catalogue titles).
 * It lives on the user's record (`users.language`, set at login and by the profile page's
 * switch); Chinese when there is no record or no language on it.
 */
import type { Locale } from '../typings/contract'
import { db, findDocs } from './db'

export const DEFAULT_LOCALE: Locale = 'zh_CN'

/** The language of a user's record: Chinese unless the user reads English. */
export function languageOf(doc: { language?: unknown } | null | undefined): Locale {
  return doc?.language === 'en' ? 'en' : DEFAULT_LOCALE
}

/** The language of the user who has this OPENID (one indexed read: users.openids). */
export async function userLanguage(openid: string): Promise<Locale> {
  const [doc] = await findDocs<{ language?: unknown }>(
    db().collection('users').where({ openids: openid }).field({ language: true }).limit(1),
  )
  return languageOf(doc)
}
