/**
 * Input schemas of the card actions (valibot, strict objects: a field the contract does not
 * name is refused), each checked exact against typings/card.ts by schemasFor.
 */
import * as v from 'valibot'
import type { CardContract } from '../../../typings/card'
import { schemasFor } from '../../../server/schemas'

/** What one wx.addCard can return (it adds a list; WeChat's page shows a few at most). */
const MAX_ADDED = 10

const listCards = v.strictObject({})

const signCardExt = v.strictObject({
  cardKey: v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,32}$/, 'cardKey must be a catalogue key')),
})

const recordAdded = v.strictObject({
  cardList: v.pipe(
    // wx.addCard's cardList entries as WeChat answers them (cardExt echoed back, not used).
    v.array(
      v.strictObject({
        cardId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)),
        code: v.pipe(v.string(), v.minLength(1), v.maxLength(512)),
        isSuccess: v.boolean(),
        cardExt: v.optional(v.pipe(v.string(), v.maxLength(2048))),
      }),
    ),
    v.maxLength(MAX_ADDED),
  ),
})

const myCards = v.strictObject({})

const redeem = v.strictObject({
  code: v.pipe(v.string(), v.regex(/^[A-Za-z0-9]{6,32}$/, 'code must be the letters and digits of a card code')),
})

export const schemas = schemasFor<CardContract>()({ listCards, signCardExt, recordAdded, myCards, redeem })
