/**
 * Input schemas of the user actions (valibot: each schema pulls in only the validators it
 * uses, so the bundle stays a few KB; zod/mini was the other candidate and bundles larger).
 * Strict objects: an unexpected field (say, someone sending `openid`) is refused.
 */
import * as v from 'valibot'
import type { UserContract } from '../../../typings/user'
import { schemasFor } from '../../../server/schemas'

export const empty = v.strictObject({})

/** The languages the kit speaks (typings/contract.ts `Locale`). */
export const language = v.picklist(['zh_CN', 'en'] as const, 'language must be zh_CN or en')

export const login = v.strictObject({ language: v.optional(language) })

/**
 * Control characters, format characters other than the zero-width joiner (which emoji
 * sequences need; bidi overrides are format characters) and lone surrogates (ill-formed UTF-16).
 */
const UNSHOWABLE = /[\p{Cc}\p{Cs}]|(?!\u200D)\p{Cf}/u

export const nickname = v.pipe(
  v.string('nickname must be a string'),
  // Length before anything that walks the text (trim, graphemes): bounded cost for any input.
  v.maxLength(400, 'nickname must be at most 20 characters'),
  v.check((s) => !UNSHOWABLE.test(s), 'nickname has invisible or broken characters'),
  v.trim(),
  v.minGraphemes(1, 'nickname must not be empty'),
  v.maxGraphemes(20, 'nickname must be at most 20 characters'),
)

export const updateProfile = v.pipe(
  v.strictObject({
    nickname: v.optional(nickname),
    avatarFileId: v.optional(
      v.pipe(v.string(), v.startsWith('cloud://', 'avatarFileId must be a cloud:// fileID'), v.maxLength(512)),
    ),
    language: v.optional(language),
  }),
  v.check(
    (p) => p.nickname !== undefined || p.avatarFileId !== undefined || p.language !== undefined,
    'give a nickname, an avatarFileId or a language',
  ),
)

export const bindPhone = v.strictObject({
  code: v.pipe(v.string('code must be a string'), v.minLength(1, 'code is missing'), v.maxLength(256)),
})

/** Each action's schema, checked exact against typings/user.ts. */
export const schemas = schemasFor<UserContract>()({
  login,
  getProfile: empty,
  updateProfile,
  bindPhone,
})
