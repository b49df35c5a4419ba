/**
 * The pages' language: Chinese first, English for a WeChat set to English, or what the user chose
 * on the profile page (kept in storage). Small on purpose (a lookup in two tables): an i18n
 * framework would cost more than the main package can spare.
 * Error codes become words here: a page shows `errorText(res.error)`; the server's `message` is
 * for logs, and only a last fallback for a code this version does not know.
 */
import { en } from '../locales/en'
import type { ErrorCode, Locale, Messages, PageTexts } from '../locales/messages'
import { zh_CN } from '../locales/zh_CN'

export const LOCALES: Record<Locale, Messages> = { zh_CN, en }
export const LOCALE_KEY = 'locale'

let chosen: Locale | null = null

/** The language WeChat runs in, as a locale of ours: English for any English, else Chinese. */
export function localeOfWeChat(language: string | undefined): Locale {
  return /^en/i.test(language ?? '') ? 'en' : 'zh_CN'
}

export function locale(): Locale {
  if (chosen) return chosen
  try {
    const stored = wx.getStorageSync(LOCALE_KEY) as unknown
    if (stored === 'zh_CN' || stored === 'en') return (chosen = stored)
  } catch {
    // no storage: fall back to WeChat's language
  }
  let language: string | undefined
  try {
    language = wx.getAppBaseInfo ? wx.getAppBaseInfo().language : undefined
  } catch {
    language = undefined
  }
  return (chosen = localeOfWeChat(language))
}

/** The user's choice (the profile page's switch), remembered across launches. */
export function setLocale(l: Locale): void {
  chosen = l
  try {
    wx.setStorageSync(LOCALE_KEY, l)
  } catch {
    // the choice holds for this launch
  }
}

/** Forget the decision (tests; a language change in WeChat is seen on the next launch). */
export function resetLocale(): void {
  chosen = null
}

export function messages(): Messages {
  return LOCALES[locale()]
}

export { fmt } from '../shared/template'

/** Keys of a page's texts that hold a string (the navigation title is one of them). */
type TextKey<K extends keyof PageTexts> = {
  [P in keyof PageTexts[K]]: PageTexts[K][P] extends string ? P : never
}[keyof PageTexts[K]]

/**
 * A page's texts in the user's language, with the navigation bar titled from them (WeChat shows
 * the page JSON's Chinese title until this runs). Called on load and after a language switch.
 */
export function pageTexts<K extends keyof PageTexts>(page: K, titleKey: TextKey<K>): PageTexts[K] {
  const t = messages().pages[page]
  void wx.setNavigationBarTitle({ title: t[titleKey] as string })
  return t
}

/**
 * A subpackage's texts (its `texts.ts`, which ships in the subpackage, not the main package) in
 * the user's language.
 */
export function textsOf<T>(table: Record<Locale, T>): T {
  return table[locale()]
}

/** A subpackage page's texts, with the navigation bar titled from them (as pageTexts). */
export function subpageTexts<T>(table: Record<Locale, T>, titleKey: keyof T): T {
  const t = table[locale()]
  void wx.setNavigationBarTitle({ title: String(t[titleKey]) })
  return t
}

/** The sentence for an error, in the user's language; the server's message only for an unknown code. */
export function errorText(error: { code: string; message?: string }): string {
  const known = (messages().errors as Record<string, string>)[error.code]
  return known ?? error.message ?? messages().errors.INTERNAL
}

export type { ErrorCode, Locale, Messages, PageTexts }
