/**
 * The `users` collection as the user function reads and writes it: the caller's record (by
 * UNIONID when WeChat gives one, else by OPENID), a login recorded on it in one write, and the
 * profile read back. Only the user function touches it (client access: none).
 */
import type { DB } from 'wx-server-sdk'
import type { Locale } from '../../typings/contract'
import type { UserProfile } from '../../typings/user'
import { db, findDocs, getDoc } from '../db'
import type { Ctx } from '../router'
import { toProfile, type UserDoc } from './profile'

/** The collection of user records. */
export const USERS = 'users'

/** One record matching `query`, or null. */
export async function findOne(query: DB.IQueryCondition): Promise<UserDoc | null> {
  const [doc] = await findDocs<UserDoc>(db().collection(USERS).where(query).limit(1))
  return doc ?? null
}

/** The record with this id, or null. */
export const getById = (id: string) => getDoc<UserDoc>(USERS, id)

/** The caller's record: by UNIONID when WeChat gives one, else by OPENID. */
export async function findCaller(openid: string, unionid?: string): Promise<UserDoc | null> {
  // Both lookups at once (one round trip): the unionid record wins when there is one.
  const [byUnion, byOpenid] = await Promise.all([
    unionid ? findOne({ unionid }) : Promise.resolve(null),
    findOne({ openids: openid }),
  ])
  return byUnion ?? byOpenid
}

/** The caller's record, or NOT_REGISTERED. */
export async function requireCaller(ctx: Ctx<'NOT_REGISTERED'>): Promise<UserDoc> {
  const user = await findCaller(ctx.openid, ctx.wx.UNIONID)
  if (!user) return ctx.fail('NOT_REGISTERED', 'Please sign in first.')
  return user
}

/** The record as it is now, as a profile. */
export async function reload(id: string): Promise<UserProfile> {
  const doc = await getById(id)
  if (!doc) throw new Error(`user ${id} vanished`)
  return toProfile(doc)
}

/**
 * Records a login on an existing record, merging a unionid it did not have yet, and answers the
 * record as it now is, without reading it again (login's second and last round trip). The login
 * time is the function's clock, which the database's serverDate matches within the call.
 */
export async function touchLogin(user: UserDoc, openid: string, unionid?: string, language?: Locale): Promise<UserDoc> {
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
