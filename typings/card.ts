import type { Action } from './contract'

/**
 * WeChat cards (卡券): the shop's cards added to the user's WeChat card package (wx.addCard with a
 * cardExt signed by the `card` function), opened (wx.openCard), and redeemed by an operator who
 * scans the user's code. The card APIs belong to the official account bound to the
 * mini-program: the function holds its access_token and card api_ticket (server/wechat/credentials.ts).
 */
export type CardStatus = 'ADDED' | 'REDEEMED'

export interface CardOffer {
  /** Our key for the card (the catalogue's _id). */
  cardKey: string
  /** WeChat's card_id (from the official account's card console). */
  cardId: string
  title: string
  description: string
  /** WeChat has not approved the card yet (card/batchget): it cannot be added, the page offers no Add. */
  inReview: boolean
}

export interface MyCard {
  cardKey: string
  cardId: string
  /** The card's code, decrypted (what wx.openCard and a redeem need). */
  code: string
  title: string
  status: CardStatus
  addedAt: number
  redeemedAt: number | null
}

/** One entry of wx.addCard's result: `code` is encrypted (card/code/decrypt). */
export interface AddedCard {
  cardId: string
  code: string
  isSuccess: boolean
  /** Echoed back by wx.addCard; not used. */
  cardExt?: string
}

export type CardContract = {
  /** The cards the shop offers, in the caller's language; whether the caller may redeem. */
  listCards: Action<Record<string, never>, { cards: CardOffer[]; operator: boolean }, never>
  /** What wx.addCard needs for one card: its cardId and a freshly signed cardExt. */
  signCardExt: Action<
    { cardKey: string },
    { cardId: string; cardExt: string },
    'CARD_NOT_FOUND' | 'CARDS_NOT_CONFIGURED' | 'CARD_WECHAT_ERROR'
  >
  /**
   * Records what wx.addCard answered: each code decrypted and checked with WeChat, then recorded
   * for the caller (the user who submitted it first: CARD_NOT_YOURS for a code recorded for
   * another user). WeChat names a card's holder by their openid under the official account,
   * another id space than the mini-program's: kept beside it, never compared.
   */
  recordAdded: Action<
    { cardList: AddedCard[] },
    { recorded: number; cards: MyCard[] },
    'CARD_CODE_INVALID' | 'CARD_NOT_YOURS' | 'CARDS_NOT_CONFIGURED' | 'CARD_WECHAT_ERROR'
  >
  /** The caller's cards, newest first. */
  myCards: Action<Record<string, never>, { cards: MyCard[] }, never>
  /**
   * Redeems a code (an operator only: CARD_OPERATOR_OPENIDS); a second redeem is refused:
   * CARD_REDEEMED_BY_YOU when it was this operator's own redeem moments ago (one whose answer
   * they may never have seen: a scan cut off after WeChat consumed the code), else
   * CARD_ALREADY_REDEEMED.
   */
  redeem: Action<
    { code: string },
    { card: MyCard },
    | 'NOT_OPERATOR'
    | 'CARD_CODE_INVALID'
    | 'CARD_ALREADY_REDEEMED'
    | 'CARD_REDEEMED_BY_YOU'
    | 'CARD_UNAVAILABLE'
    | 'CARDS_NOT_CONFIGURED'
    | 'CARD_WECHAT_ERROR'
  >
}
