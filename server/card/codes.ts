/**
 * The codes of cards users hold (collection `user_cards`, keyed `${cardId}:${code}`) and the
 * official account's card-code APIs the card function calls (card/code/decrypt, card/code/get,
 * card/code/consume: Managing_Coupons_Vouchers_and_Cards; errors: Card_coupons_error_code.html),
 * their answers checked against the documented shapes before they are believed. A code is claimed
 * by the first mini-program user to record it; a redeem records its intent before consuming, so one
 * cut off after WeChat consumed the code is resumed by the same operator.
 */
import * as v from 'valibot'
import type { MyCard } from '../../typings/card'
import type { Locale } from '../../typings/contract'
import { db, findDocs, getDoc, toMillis, updateElseAdd } from '../db'
import { HttpError } from '../http'
import { listVar } from '../input'
import type { Ctx } from '../router'
import { WeChatApiError, oaConfig, oaPost, type OaAnswer, type OaConfig } from '../wechat/credentials'
import { titled, type OfferDoc } from './catalogue'
import { USER_CARDS } from './events'

export interface UserCardDoc {
  _id: string // `${cardId}:${code}`
  _openid: string
  cardKey: string
  cardId: string
  code: string
  status: MyCard['status']
  addedAt: Date
  redeemedAt: Date | null
  redeemedBy?: string
  /** The holder's openid under the official account (card/code/get, card events): another id space than `_openid`. */
  oaOpenid?: string
  /** The holder's unionid, from a card event (ties the two id spaces when both accounts share an Open Platform account). */
  unionid?: string
  /** Deleted from the card package, or given to a friend, in WeChat (a card event said so). */
  gone?: 'DELETED' | 'GIVEN'
  /**
   * A redeem in progress: recorded before card/code/consume, so a redeem cut off after WeChat
   * consumed the code is known to be this operator's when they scan it again.
   */
  redeeming?: { by: string; at: Date } | null
}

/** How long after their redeem an operator's rescan of the same code is answered as theirs (CARD_REDEEMED_BY_YOU). */
export const RESUME_WINDOW_MS = 2 * 60_000

export const ERR_CODE_INVALID = 40056
export const ERR_CONSUMED = 40099
export const ERR_UNAVAILABLE = 40127

export function operators(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(listVar(env.CARD_OPERATOR_OPENIDS))
}

export function view(d: UserCardDoc, offer: OfferDoc | undefined, lang: Locale): MyCard {
  return {
    cardKey: d.cardKey,
    cardId: d.cardId,
    code: d.code,
    title: offer ? titled(offer, lang).title : d.cardKey,
    status: d.status,
    addedAt: toMillis(d.addedAt),
    redeemedAt: d.redeemedAt ? toMillis(d.redeemedAt) : null,
  }
}

export function requireOa(ctx: Ctx<'CARDS_NOT_CONFIGURED'>): OaConfig {
  const cfg = oaConfig()
  if (!cfg)
    return ctx.fail(
      'CARDS_NOT_CONFIGURED',
      'Cards need the official account bound to the mini-program: set OA_APPID and OA_APPSECRET on the card function (docs/deploy.md, "卡券").',
    )
  return cfg
}

/** A failure talking to WeChat as the action's error (the errcode for the logs; no secret in it). */
export function wechatFailed(ctx: Ctx<'CARD_WECHAT_ERROR'>, e: unknown): never {
  if (e instanceof WeChatApiError) return ctx.fail('CARD_WECHAT_ERROR', `WeChat answered ${e.errcode}: ${e.errmsg}`)
  if (e instanceof HttpError) return ctx.fail('CARD_WECHAT_ERROR', `WeChat could not be reached (${e.code}).`)
  throw e
}

export async function post<T>(
  ctx: Ctx<'CARD_WECHAT_ERROR'>,
  cfg: OaConfig,
  path: string,
  body: Record<string, unknown>,
  shape: v.GenericSchema<unknown, T>,
): Promise<OaAnswer<T>> {
  try {
    return await oaPost(cfg, path, body, shape)
  } catch (e) {
    return wechatFailed(ctx, e)
  }
}

/** The documented success answers (Managing_Coupons_Vouchers_and_Cards): what must be there before it is believed. */
export const DECRYPTED = v.object({ code: v.pipe(v.string(), v.minLength(1)) })
export const CODE_INFO = v.object({
  openid: v.string(),
  card: v.object({ card_id: v.string() }),
  can_consume: v.optional(v.boolean()),
  user_card_status: v.optional(v.string()),
})
export const CONSUMED = v.object({ openid: v.string(), card: v.object({ card_id: v.string() }) })

/** A code WeChat does not know is the user's mistake; any other refusal (busy, quota, IP, permission) is WeChat's, named as such. */
export function codeRefused(
  ctx: Ctx<'CARD_CODE_INVALID' | 'CARD_WECHAT_ERROR'>,
  path: string,
  a: { errcode: number; errmsg: string },
): never {
  if (a.errcode === ERR_CODE_INVALID)
    return ctx.fail('CARD_CODE_INVALID', `${path} answered ${a.errcode}: the code is not a card code WeChat issued.`)
  return ctx.fail('CARD_WECHAT_ERROR', `${path} answered ${a.errcode}: ${a.errmsg}`)
}

/**
 * The code recorded for the submitting user, first claim wins: only ever added, never
 * overwritten, so a retry keeps the first record and a redeem that landed first stays REDEEMED;
 * a record nobody claimed yet (made by a redeem or a card event) is claimed; one recorded for
 * another mini-program user is CARD_NOT_YOURS.
 */
export async function claimCode(ctx: Ctx<'CARD_NOT_YOURS'>, doc: UserCardDoc): Promise<UserCardDoc> {
  const cards = db().collection(USER_CARDS)
  try {
    await cards.add({ data: doc })
    return doc
  } catch (e) {
    const prior = await getDoc<UserCardDoc>(USER_CARDS, doc._id)
    if (!prior) throw e
    if (prior._openid === ctx.openid) return prior
    if (prior._openid === '') {
      await cards.where({ _id: doc._id, _openid: '' }).update({ data: { _openid: ctx.openid } })
      const now = await getDoc<UserCardDoc>(USER_CARDS, doc._id)
      if (now?._openid === ctx.openid) return now
    }
    return ctx.fail('CARD_NOT_YOURS', 'This code is recorded for another user.')
  }
}

/** Records a redeem in progress on the code's record (added with it when the code was not recorded here). */
export async function recordIntent(base: UserCardDoc, redeeming: { by: string; at: Date }): Promise<void> {
  await updateElseAdd(USER_CARDS, base._id, { status: 'ADDED' }, { redeeming }, { ...base, redeeming })
}

/** WeChat refused the consume (not consumed): the intent is withdrawn. */
export async function dropIntent(id: string, by: string): Promise<void> {
  await db()
    .collection(USER_CARDS)
    .where({ _id: id, 'redeeming.by': by, status: 'ADDED' })
    .update({ data: { redeeming: null } })
}

/**
 * A code marked REDEEMED whether or not the owner's record exists yet: the fields of a redeem
 * on the stored record (its owner kept), else the whole record added; a record added meanwhile
 * (recordAdded, which only ever adds) is then updated. REDEEMED is never undone.
 */
export async function markRedeemed(doc: UserCardDoc): Promise<void> {
  await updateElseAdd(
    USER_CARDS,
    doc._id,
    {},
    { status: 'REDEEMED', redeemedAt: doc.redeemedAt, redeemedBy: doc.redeemedBy, redeeming: null },
    doc,
  )
}

/**
 * The caller's cards, newest first, without those deleted or given away in WeChat (card events:
 * server/card/events.ts). Cards a card event recorded with the caller's unionid (taken in WeChat
 * before the mini-program recorded them) are claimed for the caller first.
 */
export async function mine(openid: string, unionid?: string): Promise<UserCardDoc[]> {
  const cards = db().collection(USER_CARDS)
  // Read both at once; a write only when there is something to claim (myCards is a hot read).
  const [own, unclaimed] = await Promise.all([
    findDocs<UserCardDoc>(cards.where({ _openid: openid }).orderBy('addedAt', 'desc').limit(100)),
    unionid
      ? findDocs<UserCardDoc>(cards.where({ _openid: '', unionid }).limit(100))
      : Promise.resolve([] as UserCardDoc[]),
  ])
  if (!unclaimed.length) return own.filter((d) => !d.gone)
  await cards.where({ _openid: '', unionid }).update({ data: { _openid: openid } })
  return (await findDocs<UserCardDoc>(cards.where({ _openid: openid }).orderBy('addedAt', 'desc').limit(100))).filter(
    (d) => !d.gone,
  )
}
