/**
 * Cloud function `card`: WeChat cards (typings/card.ts). The card APIs are the official
 * account's (OA_APPID / OA_APPSECRET in the function's environment), reached through the shared
 * token and ticket cache (server/wechat/credentials.ts) and the one HTTPS client (server/http.ts).
 * - listCards: the catalogue (collection `cards`: our key, WeChat's card_id, titles);
 * - signCardExt: a fresh cardExt for wx.addCard (server/card/sign.ts), `outer_str` naming our card;
 * - recordAdded: each encrypted code from wx.addCard decrypted (card/code/decrypt) and checked with
 *   card/code/get to be the caller's card before it is stored in `user_cards`;
 * - myCards; redeem (operators in CARD_OPERATOR_OPENIDS): card/code/get, then card/code/consume;
 *   a second redeem of a code is CARD_ALREADY_REDEEMED, whoever tries it.
 * Card error codes: https://developers.weixin.qq.com/doc/offiaccount/Cards_and_Offer/Card_coupons_error_code.html
 */
import * as v from 'valibot'
import type { CardContract, CardOffer, MyCard } from '../../../typings/card'
import type { Locale } from '../../../typings/contract'
import { schemas } from './schemas'
import { createRouter, type Ctx } from '../../../server/router'
import { db, findDocs, getDoc, toMillis, updateElseAdd } from '../../../server/db'
import { HttpError } from '../../../server/http'
import { listVar } from '../../../server/input'
import { userLanguage } from '../../../server/locale'
import { cardExt, cardNonce } from '../../../server/card/sign'
import {
  WeChatApiError,
  cardTicket,
  oaConfig,
  oaPost,
  type OaAnswer,
  type OaConfig,
} from '../../../server/wechat/credentials'

export const CARDS = 'cards'
export { USER_CARDS } from '../../../server/card/events'
import { USER_CARDS } from '../../../server/card/events'

interface OfferDoc {
  _id: string
  cardId: string
  title: string
  description: string
  en?: { title: string; description: string }
  /** bind_openid cards: the cardExt names the caller (only they can take it). */
  bindOpenid?: boolean
  active: boolean
  sort: number
  /** WeChat's review of the card, as card/batchget last said (server/card: reviewStates). */
  review?: { approved: boolean; at: Date }
}

interface UserCardDoc {
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

const ERR_CODE_INVALID = 40056
const ERR_CONSUMED = 40099
const ERR_UNAVAILABLE = 40127

function operators(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(listVar(env.CARD_OPERATOR_OPENIDS))
}

const titled = (o: OfferDoc, lang: Locale): Pick<CardOffer, 'title' | 'description'> =>
  lang === 'en' && o.en ? o.en : { title: o.title, description: o.description }

function view(d: UserCardDoc, offer: OfferDoc | undefined, lang: Locale): MyCard {
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

/** The cards the mini-program offers (bind_openid cards are the official account's to give out). */
async function offers(): Promise<OfferDoc[]> {
  return (
    await findDocs<OfferDoc>(db().collection(CARDS).where({ active: true }).orderBy('sort', 'asc').limit(100))
  ).filter((o) => !o.bindOpenid)
}

/**
 * How long "not approved yet" is believed before card/batchget is asked again. An approved card
 * is not asked about again (review does not start over), so the usual listCards reads only.
 */
export const REVIEW_RECHECK_MS = 10 * 60_000
/** card/batchget pages (its count is 1-50) and how many are read at most: 200 cards. */
const BATCH_COUNT = 50
const BATCH_PAGES = 4
/** The states in which wx.addCard can add a card. */
const APPROVED_STATES = ['CARD_STATUS_VERIFY_OK', 'CARD_STATUS_DISPATCH']
const BATCH = v.object({ card_id_list: v.array(v.string()), total_num: v.pipe(v.number(), v.integer(), v.minValue(0)) })

/**
 * Which offers WeChat has not approved yet: their Add could only fail with 40078, so the page
 * shows them as in review instead. Asked of card/batchget (approved states only) for the offers
 * whose state is unknown or "not approved" and older than REVIEW_RECHECK_MS; stored on the offer.
 * When WeChat cannot answer, what was stored stands (unknown = offered, as before).
 */
async function inReview(list: OfferDoc[]): Promise<Set<string>> {
  const now = Date.now()
  const stored = (o: OfferDoc) => o.review?.approved === false
  const stale = list.filter(
    (o) => !o.review?.approved && (!o.review || now - toMillis(o.review.at) > REVIEW_RECHECK_MS),
  )
  const cfg = stale.length ? oaConfig() : undefined
  if (!cfg) return new Set(list.filter(stored).map((o) => o._id))
  try {
    const approved = new Set<string>()
    for (let page = 0; page < BATCH_PAGES; page++) {
      const a = await oaPost(
        cfg,
        '/card/batchget',
        { offset: page * BATCH_COUNT, count: BATCH_COUNT, status_list: APPROVED_STATES },
        BATCH,
      )
      if (!a.ok) throw new WeChatApiError(a.errcode, `/card/batchget: ${a.errmsg}`)
      a.data.card_id_list.forEach((id) => approved.add(id))
      if ((page + 1) * BATCH_COUNT >= a.data.total_num) break
    }
    const at = new Date(now)
    await Promise.all(
      stale.map((o) =>
        db()
          .collection(CARDS)
          .doc(o._id)
          .update({ data: { review: { approved: approved.has(o.cardId), at } } }),
      ),
    )
    return new Set(list.filter((o) => (stale.includes(o) ? !approved.has(o.cardId) : stored(o))).map((o) => o._id))
  } catch (e) {
    if (!(e instanceof WeChatApiError) && !(e instanceof HttpError)) throw e
    console.error(JSON.stringify({ fn: 'card', where: 'listCards.review', error: e.message }))
    return new Set(list.filter(stored).map((o) => o._id))
  }
}

function requireOa(ctx: Ctx<'CARDS_NOT_CONFIGURED'>): OaConfig {
  const cfg = oaConfig()
  if (!cfg)
    return ctx.fail(
      'CARDS_NOT_CONFIGURED',
      'Cards need the official account bound to the mini-program: set OA_APPID and OA_APPSECRET on the card function (docs/deploy.md, "卡券").',
    )
  return cfg
}

/** A failure talking to WeChat as the action's error (the errcode for the logs; no secret in it). */
function wechatFailed(ctx: Ctx<'CARD_WECHAT_ERROR'>, e: unknown): never {
  if (e instanceof WeChatApiError) return ctx.fail('CARD_WECHAT_ERROR', `WeChat answered ${e.errcode}: ${e.errmsg}`)
  if (e instanceof HttpError) return ctx.fail('CARD_WECHAT_ERROR', `WeChat could not be reached (${e.code}).`)
  throw e
}

async function post<T>(
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
const DECRYPTED = v.object({ code: v.pipe(v.string(), v.minLength(1)) })
const CODE_INFO = v.object({
  openid: v.string(),
  card: v.object({ card_id: v.string() }),
  can_consume: v.optional(v.boolean()),
  user_card_status: v.optional(v.string()),
})
const CONSUMED = v.object({ openid: v.string(), card: v.object({ card_id: v.string() }) })

/** A code WeChat does not know is the user's mistake; any other refusal (busy, quota, IP, permission) is WeChat's, named as such. */
function codeRefused(
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
async function claimCode(ctx: Ctx<'CARD_NOT_YOURS'>, doc: UserCardDoc): Promise<UserCardDoc> {
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
async function recordIntent(base: UserCardDoc, redeeming: { by: string; at: Date }): Promise<void> {
  await updateElseAdd(USER_CARDS, base._id, { status: 'ADDED' }, { redeeming }, { ...base, redeeming })
}

/** WeChat refused the consume (not consumed): the intent is withdrawn. */
async function dropIntent(id: string, by: string): Promise<void> {
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
async function markRedeemed(doc: UserCardDoc): Promise<void> {
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
async function mine(openid: string, unionid?: string): Promise<UserCardDoc[]> {
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

export const main = createRouter<CardContract>('card', {
  listCards: {
    input: schemas.listCards,
    async handle(_input, ctx) {
      const [list, lang] = await Promise.all([offers(), userLanguage(ctx.openid)])
      const reviewing = await inReview(list)
      return {
        cards: list.map((o) => ({
          cardKey: o._id,
          cardId: o.cardId,
          ...titled(o, lang),
          inReview: reviewing.has(o._id),
        })),
        operator: operators().has(ctx.openid),
      }
    },
  },

  signCardExt: {
    input: schemas.signCardExt,
    async handle({ cardKey }, ctx) {
      const offer = await getDoc<OfferDoc>(CARDS, cardKey)
      if (!offer || !offer.active) return ctx.fail('CARD_NOT_FOUND', `No card ${cardKey} is offered.`)
      // A bind_openid cardExt must name the user's openid UNDER THE OFFICIAL ACCOUNT, which the
      // mini-program does not have (its own openid gives 40080): such cards are given out by the
      // official account itself, not offered here (docs/deploy.md, "卡券").
      if (offer.bindOpenid)
        return ctx.fail(
          'CARD_NOT_FOUND',
          `${cardKey} is a bind_openid card: the official account gives it out, the mini-program cannot.`,
        )
      const cfg = requireOa(ctx)
      let apiTicket: string
      try {
        apiTicket = await cardTicket(cfg)
      } catch (e) {
        return wechatFailed(ctx, e)
      }
      const ext = cardExt({
        apiTicket,
        cardId: offer.cardId,
        timestamp: Math.floor(Date.now() / 1000),
        nonceStr: cardNonce(),
        outerStr: `kit.${cardKey}`,
      })
      return { cardId: offer.cardId, cardExt: ext }
    },
  },

  recordAdded: {
    input: schemas.recordAdded,
    async handle({ cardList }, ctx) {
      const added = cardList.filter((c) => c.isSuccess)
      if (!added.length) return { recorded: 0, cards: [] }
      const cfg = requireOa(ctx)
      const [list, lang] = await Promise.all([offers(), userLanguage(ctx.openid)])
      const byCardId = new Map(list.map((o) => [o.cardId, o]))
      const docs: UserCardDoc[] = []
      for (const c of added) {
        const plain = await post(ctx, cfg, '/card/code/decrypt', { encrypt_code: c.code }, DECRYPTED)
        if (!plain.ok) return codeRefused(ctx, 'card/code/decrypt', plain)
        // A code WeChat issued for this card. Its openid is the holder's UNDER THE OFFICIAL ACCOUNT,
        // another id space than ctx.openid: never compared. As the mini-program card guide does
        // (Coupons-Mini_Program_Start_Up, steps 5-7), the code is recorded for the mini-program
        // user who submitted it (their own wx.addCard gave them the encrypted code), with the
        // official account's openid beside it for the card events.
        const info = await post(
          ctx,
          cfg,
          '/card/code/get',
          { card_id: c.cardId, code: plain.data.code, check_consume: false },
          CODE_INFO,
        )
        if (!info.ok) return codeRefused(ctx, 'card/code/get', info)
        if (info.data.card.card_id !== c.cardId)
          return codeRefused(ctx, 'card/code/get', {
            errcode: ERR_CODE_INVALID,
            errmsg: 'the code belongs to another card',
          })
        const offer = byCardId.get(c.cardId)
        const doc: UserCardDoc = {
          _id: `${c.cardId}:${plain.data.code}`,
          _openid: ctx.openid,
          oaOpenid: info.data.openid,
          cardKey: offer?._id ?? c.cardId,
          cardId: c.cardId,
          code: plain.data.code,
          status: 'ADDED',
          addedAt: new Date(),
          redeemedAt: null,
        }
        docs.push(await claimCode(ctx, doc))
      }
      return { recorded: docs.length, cards: docs.map((d) => view(d, byCardId.get(d.cardId), lang)) }
    },
  },

  myCards: {
    input: schemas.myCards,
    async handle(_input, ctx) {
      const [docs, list, lang] = await Promise.all([
        mine(ctx.openid, ctx.wx.UNIONID || undefined),
        offers(),
        userLanguage(ctx.openid),
      ])
      const byCardId = new Map(list.map((o) => [o.cardId, o]))
      return { cards: docs.map((d) => view(d, byCardId.get(d.cardId), lang)) }
    },
  },

  redeem: {
    input: schemas.redeem,
    async handle({ code }, ctx) {
      if (!operators().has(ctx.openid))
        return ctx.fail('NOT_OPERATOR', 'Only operators (CARD_OPERATOR_OPENIDS) can redeem.')
      const [recorded] = await findDocs<UserCardDoc>(db().collection(USER_CARDS).where({ code }).limit(1))
      // This operator's own redeem of moments ago (its answer perhaps lost): told apart from one made elsewhere.
      const mineJustNow = (d: UserCardDoc | undefined) =>
        !!d && d.redeemedBy === ctx.openid && !!d.redeemedAt && Date.now() - toMillis(d.redeemedAt) < RESUME_WINDOW_MS
      const byYou = (): never =>
        ctx.fail(
          'CARD_REDEEMED_BY_YOU',
          'This operator redeemed the code moments ago (perhaps a scan whose answer was lost).',
        )
      if (recorded?.status === 'REDEEMED') {
        if (mineJustNow(recorded)) return byYou()
        return ctx.fail(
          'CARD_ALREADY_REDEEMED',
          `Redeemed at ${new Date(toMillis(recorded.redeemedAt)).toISOString()}.`,
        )
      }
      const cfg = requireOa(ctx)
      // The document asks to check a code before consuming it.
      const info = await post(
        ctx,
        cfg,
        '/card/code/get',
        { code, ...(recorded ? { card_id: recorded.cardId } : {}), check_consume: true },
        CODE_INFO,
      )
      const refused = async (errcode: number, errmsg: string): Promise<never> => {
        if (errcode === ERR_CONSUMED) {
          // Consumed at WeChat: by this operator's own cut-off attempt (its intent is recorded), or elsewhere.
          const [stored] = await findDocs<UserCardDoc>(db().collection(USER_CARDS).where({ code }).limit(1))
          if (stored && stored.status !== 'REDEEMED') {
            const own = stored.redeeming?.by === ctx.openid
            await markRedeemed({
              ...stored,
              status: 'REDEEMED',
              redeemedAt: stored.redeeming?.at ?? new Date(),
              redeemedBy: stored.redeeming?.by ?? '',
              redeeming: null,
            })
            if (own) return byYou()
          } else if (mineJustNow(stored)) return byYou()
          return ctx.fail('CARD_ALREADY_REDEEMED', 'WeChat says this code was consumed (40099).')
        }
        if (errcode === ERR_UNAVAILABLE)
          return ctx.fail('CARD_UNAVAILABLE', 'WeChat says the card was deleted or is being given away (40127).')
        if (errcode === ERR_CODE_INVALID)
          return ctx.fail('CARD_CODE_INVALID', 'WeChat does not know this code (40056).')
        return ctx.fail('CARD_WECHAT_ERROR', `WeChat answered ${errcode}: ${errmsg}`)
      }
      if (!info.ok) return refused(info.errcode, info.errmsg)
      const { can_consume: canConsume, user_card_status: cardStatus } = info.data
      if (canConsume === false || (cardStatus && cardStatus !== 'NORMAL'))
        return ctx.fail('CARD_UNAVAILABLE', `The card is ${cardStatus ?? 'not consumable'}.`)
      const cardId = info.data.card.card_id
      const offer = (await offers()).find((o) => o.cardId === cardId)
      // A code not recorded here: no mini-program user is known for it yet (the first to record it claims it).
      const base: UserCardDoc = recorded ?? {
        _id: `${cardId}:${code}`,
        _openid: '',
        oaOpenid: info.data.openid,
        cardKey: offer?._id ?? cardId,
        cardId,
        code,
        status: 'ADDED',
        addedAt: new Date(),
        redeemedAt: null,
      }
      // Intent before effect: the record says this operator is consuming the code.
      await recordIntent(base, { by: ctx.openid, at: new Date() })
      const done = await post(ctx, cfg, '/card/code/consume', { code, card_id: cardId }, CONSUMED)
      if (!done.ok) {
        if (done.errcode !== ERR_CONSUMED) await dropIntent(base._id, ctx.openid)
        return refused(done.errcode, done.errmsg)
      }
      const doc: UserCardDoc = {
        ...base,
        status: 'REDEEMED',
        redeemedAt: new Date(),
        redeemedBy: ctx.openid,
        redeeming: null,
      }
      await markRedeemed(doc)
      const lang = await userLanguage(ctx.openid)
      return { card: view((await getDoc<UserCardDoc>(USER_CARDS, doc._id)) ?? doc, offer, lang) }
    },
  },
})
