/**
 * The shape of a locale table. `errors` is keyed by every error code the pages can receive: each
 * action's declared codes (typings/), the router's and the transport's. A code added to typings/
 * without a sentence in every locale fails `tsc`.
 */
import type { Functions } from '../../typings/functions'
import type { RouterErrorCode, TransportErrorCode } from '../../typings/contract'
import type { enPages } from './en'

type ActionErrors<C> = { [A in keyof C]: C[A] extends { err: infer E } ? E : never }[keyof C]

/** Every error code a page can meet. */
export type ErrorCode =
  { [F in keyof Functions]: ActionErrors<Functions[F]> }[keyof Functions] | RouterErrorCode | TransportErrorCode

export type { Locale } from '../../typings/contract'

export interface Messages {
  /** The name of the language, in itself (the switch on the profile page shows it). */
  languageName: string
  /** One sentence per error code: what happened and what to do. */
  errors: Record<ErrorCode, string>
  /** Each page's texts; English defines the keys, every locale has them all. */
  pages: PageTexts
}

/** The pages' texts: the keys of the English table, each a string (`{name}` marks a value). */
export type PageTexts = { [P in keyof typeof enPages]: { [K in keyof (typeof enPages)[P]]: string } }
