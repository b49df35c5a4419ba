/**
 * Input schemas of the user actions (valibot: each schema pulls in only the validators it
 * uses, so the bundle stays a few KB; zod/mini was the other candidate and bundles larger).
 * Strict objects: an unexpected field (say, someone sending `openid`) is refused.
 */
import * as v from 'valibot'

export const empty = v.strictObject({})

export const nickname = v.pipe(
  v.string('nickname must be a string'),
  v.trim(),
  v.minGraphemes(1, 'nickname must not be empty'),
  v.maxGraphemes(20, 'nickname must be at most 20 characters'),
)

export const updateProfile = v.pipe(
  v.strictObject({
    nickname: v.optional(nickname),
    avatarFileId: v.optional(v.pipe(v.string(), v.startsWith('cloud://', 'avatarFileId must be a cloud:// fileID'), v.maxLength(512))),
  }),
  v.check((p) => p.nickname !== undefined || p.avatarFileId !== undefined, 'give a nickname or an avatarFileId'),
)

export const bindPhone = v.strictObject({
  code: v.pipe(v.string('code must be a string'), v.minLength(1, 'code is missing'), v.maxLength(256)),
})
