/**
 * Cloud function `user`: login, profile and phone binding.
 * Contract: typings/user.ts. Collection: `users` (client access: none; only this function).
 */
import type { DB } from 'wx-server-sdk'
import type { Locale } from '../../../typings/contract'
import type { UserContract, UserProfile } from '../../../typings/user'
import { createRouter, type Ctx } from '../../../server/router'
import { db, findDocs, getDoc } from '../../../server/db'
import { isSdkError } from '../../../server/errors'
import { initCloud, openapi, type Suggest } from '../../../server/wx'
import { schemas } from './schemas'
import { DEFAULT_LOCALE, languageOf } from '../../../server/locale'
import { isOwnAvatar, toProfile, userIdFor, type UserDoc } from './profile'
import { renameMember } from '../../../server/rank/store'

const USERS = 'users'

async function findOne(query: DB.IQueryCondition): Promise<UserDoc | null> {
  const [doc] = await findDocs<UserDoc>(db().collection(USERS).where(query).limit(1))
  return doc ?? null
}

const getById = (id: string) => getDoc<UserDoc>(USERS, id)

/** The caller's record: by UNIONID when WeChat gives one, else by OPENID. */
async function findCaller(openid: string, unionid?: string): Promise<UserDoc | null> {
  // Both lookups at once (one round trip): the unionid record wins when there is one.
  const [byUnion, byOpenid] = await Promise.all([
    unionid ? findOne({ unionid }) : Promise.resolve(null),
    findOne({ openids: openid }),
  ])
  return byUnion ?? byOpenid
}

async function requireCaller(ctx: Ctx<'NOT_REGISTERED'>): Promise<UserDoc> {
  const user = await findCaller(ctx.openid, ctx.wx.UNIONID)
  if (!user) return ctx.fail('NOT_REGISTERED', 'Please sign in first.')
  return user
}

async function reload(id: string): Promise<UserProfile> {
  const doc = await getById(id)
  if (!doc) throw new Error(`user ${id} vanished`)
  return toProfile(doc)
}

/**
 * Records a login on an existing record, merging a unionid it did not have yet, and answers the
 * record as it now is, without reading it again (login's second and last round trip). The login
 * time is the function's clock, which the database's serverDate matches within the call.
 */
async function touchLogin(user: UserDoc, openid: string, unionid?: string, language?: Locale): Promise<UserDoc> {
  const database = db()
  const _ = database.command
  const patch: Record<string, unknown> = {
    lastLoginAt: database.serverDate(),
    loginCount: _.inc(1),
    openids: _.addToSet(openid),
  }
  if (unionid && !user.unionid) patch.unionid = unionid
  if (language && language !== user.language) patch.language = language
  await database.collection(USERS).doc(user._id).update({ data: patch })
  return {
    ...user,
    openids: user.openids.includes(openid) ? user.openids : [...user.openids, openid],
    ...(patch.unionid ? { unionid } : {}),
    ...(patch.language ? { language } : {}),
    loginCount: (user.loginCount ?? 0) + 1,
    lastLoginAt: new Date(),
  }
}

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
