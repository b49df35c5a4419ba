/**
 * Cloud function `user`: login, profile and phone binding.
 * Contract: typings/user.ts. Collection: `users` (client access: none; only this function), read and
 * written through server/user/store.ts; the profile's pure logic: server/user/profile.ts.
 */
import type { UserContract } from '../../../typings/user'
import { createRouter } from '../../../server/router'
import { db } from '../../../server/db'
import { isSdkError } from '../../../server/errors'
import { initCloud, openapi, type Suggest } from '../../../server/wx'
import { schemas } from './schemas'
import { DEFAULT_LOCALE, languageOf } from '../../../server/locale'
import { isOwnAvatar, toProfile, userIdFor, type UserDoc } from '../../../server/user/profile'
import { renameMember } from '../../../server/rank/store'
import { findCaller, touchLogin, USERS, getById, requireCaller, reload } from '../../../server/user/store'

const SEC_CHECK_MESSAGES: Record<Suggest, string | null> = {
  pass: null,
  review: 'This nickname needs review and cannot be used now. Please choose another one.',
  risky: 'This nickname is not allowed. Please choose another one.',
}

export const main = createRouter<UserContract>('user', {
  login: {
    input: schemas.login,
    async handle(input, ctx) {
      const { UNIONID, APPID } = ctx.wx
      const existing = await findCaller(ctx.openid, UNIONID)
      if (existing) {
        if (existing.status === 'BLOCKED')
          ctx.fail('USER_BLOCKED', 'This account has been suspended. Contact customer service.')
        return { profile: toProfile(await touchLogin(existing, ctx.openid, UNIONID, input.language)), isNew: false }
      }
      const database = db()
      const id = userIdFor(UNIONID || ctx.openid)
      const doc: Omit<UserDoc, 'createdAt' | 'lastLoginAt'> & Record<string, unknown> = {
        _id: id,
        openids: [ctx.openid],
        ...(UNIONID ? { unionid: UNIONID } : {}),
        ...(APPID ? { appid: APPID } : {}),
        status: 'ACTIVE',
        nickname: '',
        avatarFileId: '',
        language: input.language ?? DEFAULT_LOCALE,
        loginCount: 1,
        createdAt: database.serverDate(),
        lastLoginAt: database.serverDate(),
      }
      try {
        await database.collection(USERS).add({ data: doc })
        // The record as written (serverDate times are the call's, within the call's duration).
        const now = new Date()
        return { profile: toProfile({ ...(doc as unknown as UserDoc), createdAt: now, lastLoginAt: now }), isNew: true }
      } catch (e) {
        // A concurrent first login created the same deterministic id. The duplicate-key
        // error is not reliably coded, so decide by reading, not by errCode.
        const raced = await getById(id)
        if (!raced) throw e
        return { profile: toProfile(await touchLogin(raced, ctx.openid, UNIONID, input.language)), isNew: false }
      }
    },
  },

  getProfile: {
    input: schemas.getProfile,
    async handle(_input, ctx) {
      const user = await requireCaller(ctx)
      return { profile: toProfile(user) }
    },
  },

  updateProfile: {
    input: schemas.updateProfile,
    async handle(input, ctx) {
      const user = await requireCaller(ctx)
      const patch: Record<string, unknown> = {}
      if (input.nickname !== undefined && input.nickname !== user.nickname) {
        let suggest: Suggest
        try {
          const res = await openapi().security.msgSecCheck({
            version: 2,
            openid: ctx.openid,
            scene: 1,
            content: input.nickname,
            nickname: input.nickname,
          })
          suggest = res.result.suggest
        } catch (e) {
          if (isSdkError(e) && e.errCode === 61010) {
            ctx.fail(
              'CONTENT_CHECK_UNAVAILABLE',
              'Your session is too old for the content check. Reopen the mini-program and try again.',
            )
          }
          if (isSdkError(e) && (e.errCode === 40003 || e.errCode === 47001)) {
            ctx.fail(
              'CONTENT_CHECK_UNAVAILABLE',
              `The content check refused the request (${e.errCode}). Please try again later.`,
            )
          }
          throw e
        }
        const refusal = SEC_CHECK_MESSAGES[suggest]
        if (suggest === 'risky') ctx.fail('CONTENT_RISKY', refusal ?? '')
        if (suggest === 'review') ctx.fail('CONTENT_REVIEW', refusal ?? '')
        patch.nickname = input.nickname
      }
      if (input.avatarFileId !== undefined && input.avatarFileId !== user.avatarFileId) {
        if (!isOwnAvatar(input.avatarFileId, user._id)) {
          ctx.fail('AVATAR_NOT_OWNED', 'The avatar must be uploaded to your own avatar folder.')
        }
        const { fileList } = (await initCloud().getTempFileURL({ fileList: [input.avatarFileId] })) as {
          fileList: Array<{ status: number }>
        }
        if (!fileList[0] || fileList[0].status !== 0) {
          ctx.fail('AVATAR_NOT_FOUND', 'The avatar file was not found. Please upload it again.')
        }
        patch.avatarFileId = input.avatarFileId
      }
      if (input.language !== undefined && input.language !== languageOf(user)) patch.language = input.language
      if (Object.keys(patch).length === 0) return { profile: toProfile(user) }
      patch.updatedAt = db().serverDate()
      await db().collection(USERS).doc(user._id).update({ data: patch })
      // A ranked user's boards show the new name and avatar at once (server/rank/store.ts).
      const shown = {
        ...(patch.nickname !== undefined ? { nickname: input.nickname } : {}),
        ...(patch.avatarFileId !== undefined ? { avatarFileId: input.avatarFileId } : {}),
      }
      if (Object.keys(shown).length) await renameMember(ctx.openid, shown, Date.now())
      return { profile: await reload(user._id) }
    },
  },

  bindPhone: {
    input: schemas.bindPhone,
    async handle(input, ctx) {
      const user = await requireCaller(ctx)
      let phoneInfo
      try {
        ;({ phoneInfo } = await openapi().phonenumber.getPhoneNumber({ code: input.code, openid: ctx.openid }))
      } catch (e) {
        if (isSdkError(e)) {
          switch (e.errCode) {
            case 40029:
              return ctx.fail(
                'PHONE_CODE_INVALID',
                'The phone authorisation expired or was already used. Please tap the button again.',
              )
            case 1400001:
              return ctx.fail(
                'PHONE_QUOTA_EXHAUSTED',
                'Phone number binding is unavailable right now (quota used up). Please try again later.',
              )
            case 40013:
            case 48001:
              return ctx.fail('PHONE_NOT_ALLOWED', 'This mini-program is not allowed to read phone numbers.')
          }
        }
        throw e
      }
      if (ctx.wx.APPID && phoneInfo.watermark?.appid !== ctx.wx.APPID) {
        ctx.fail('PHONE_APPID_MISMATCH', 'The phone number was issued for another mini-program.')
      }
      const database = db()
      await database
        .collection(USERS)
        .doc(user._id)
        .update({
          data: {
            phone: {
              countryCode: phoneInfo.countryCode,
              purePhoneNumber: phoneInfo.purePhoneNumber,
              boundAt: database.serverDate(),
            },
            updatedAt: database.serverDate(),
          },
        })
      return { profile: await reload(user._id) }
    },
  },
})
