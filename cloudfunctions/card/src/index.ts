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
 * The domain: server/card/catalogue.ts (offers, review), codes.ts (codes, WeChat card-code APIs),
 * sign.ts (cardExt), events.ts (card events); this file wires the actions.
 */
import type { CardContract } from '../../../typings/card'
import { schemas } from './schemas'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc, toMillis } from '../../../server/db'
import { userLanguage } from '../../../server/locale'
import { cardExt, cardNonce } from '../../../server/card/sign'
import { cardTicket } from '../../../server/wechat/credentials'
import { offers, inReview, titled, type OfferDoc, CARDS } from '../../../server/card/catalogue'
import {
  operators,
  requireOa,
  wechatFailed,
  type UserCardDoc,
  post,
  DECRYPTED,
  codeRefused,
  CODE_INFO,
  ERR_CODE_INVALID,
  claimCode,
  view,
  mine,
  RESUME_WINDOW_MS,
  ERR_CONSUMED,
  markRedeemed,
  ERR_UNAVAILABLE,
  recordIntent,
  CONSUMED,
  dropIntent,
} from '../../../server/card/codes'
import { USER_CARDS } from '../../../server/card/events'

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
