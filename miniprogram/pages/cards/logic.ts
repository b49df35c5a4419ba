/** The cards page's pure parts: rows as shown, and what a wx.addCard failure means. */
import type { CardOffer, MyCard } from '../../../typings/card'
import { fmt } from '../../shared/template'

export interface CardTexts {
  statusADDED: string
  statusREDEEMED: string
  codeLabel: string
  addLabel: string
  openLabel: string
}

export interface OfferRow extends CardOffer {
  label: string
}

export interface MyCardRow extends MyCard {
  key: string
  statusLabel: string
  codeText: string
  openLabel: string
}

export const offerRow = (o: CardOffer, t: CardTexts): OfferRow => ({ ...o, label: fmt(t.addLabel, { title: o.title }) })

export function myCardRow(c: MyCard, t: CardTexts): MyCardRow {
  return {
    ...c,
    key: `${c.cardId}:${c.code}`,
    statusLabel: c.status === 'REDEEMED' ? t.statusREDEEMED : t.statusADDED,
    codeText: fmt(t.codeLabel, { code: c.code }),
    openLabel: fmt(t.openLabel, { title: c.title }),
  }
}

/** 40078 (不合法的卡券状态): the card is not approved yet (Card_coupons_error_code.html). */
const CARD_STATE_INVALID = 40078
/** The detail of a card-state failure in addCard's errMsg (its errcode, or WeChat's wording). */
const IN_REVIEW_DETAIL = /\b40078\b|invalid card status|审核/i

export type AddFailure = 'CANCELLED' | 'IN_REVIEW' | 'FAILED'

/**
 * What wx.addCard's rejection means for the user: closed by them, a card still in review, or
 * WeChat's failure. The document gives the failure as `addCard:fail (detail message)`, without an
 * errCode: the detail is read (WeChat's card-state error, 40078 "invalid card status"), and an
 * errCode is taken when a client gives one.
 */
export function addFailure(e: unknown): AddFailure {
  const err = (e ?? {}) as { errCode?: unknown; errMsg?: unknown }
  const msg = String(err.errMsg ?? '')
  if (/cancel/i.test(msg)) return 'CANCELLED'
  if (err.errCode === CARD_STATE_INVALID || IN_REVIEW_DETAIL.test(msg)) return 'IN_REVIEW'
  return 'FAILED'
}
