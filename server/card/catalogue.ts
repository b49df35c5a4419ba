/**
 * The card catalogue (collection `cards`): the offers the mini-program shows (our key, WeChat's
 * card_id, titles in both languages) and whether WeChat has approved each yet, asked of
 * card/batchget (Managing_Coupons_Vouchers_and_Cards, 批量查询卡券列表) at most every
 * REVIEW_RECHECK_MS for a card not known to be approved, and stored on the offer.
 */
import * as v from 'valibot'
import type { CardOffer } from '../../typings/card'
import type { Locale } from '../../typings/contract'
import { db, findDocs, toMillis } from '../db'
import { HttpError } from '../http'
import { WeChatApiError, oaConfig, oaPost } from '../wechat/credentials'

export const CARDS = 'cards'

export interface OfferDoc {
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

export const titled = (o: OfferDoc, lang: Locale): Pick<CardOffer, 'title' | 'description'> =>
  lang === 'en' && o.en ? o.en : { title: o.title, description: o.description }

/** The cards the mini-program offers (bind_openid cards are the official account's to give out). */
export async function offers(): Promise<OfferDoc[]> {
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
export const BATCH_COUNT = 50
export const BATCH_PAGES = 4
/** The states in which wx.addCard can add a card. */
export const APPROVED_STATES = ['CARD_STATUS_VERIFY_OK', 'CARD_STATUS_DISPATCH']
export const BATCH = v.object({
  card_id_list: v.array(v.string()),
  total_num: v.pipe(v.number(), v.integer(), v.minValue(0)),
})

/**
 * Which offers WeChat has not approved yet: their Add could only fail with 40078, so the page
 * shows them as in review instead. Asked of card/batchget (approved states only) for the offers
 * whose state is unknown or "not approved" and older than REVIEW_RECHECK_MS; stored on the offer.
 * When WeChat cannot answer, what was stored stands (unknown = offered, as before).
 */
export async function inReview(list: OfferDoc[]): Promise<Set<string>> {
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
