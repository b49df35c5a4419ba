/**
 * What a new order is made of: its out_trade_no (time-sortable, unguessable), the body WeChat
 * shows the payer (V2 body: String(128), at most 40 characters here) and the product as the user
 * reads it in their language.
 */
import { randomBytes } from 'node:crypto'
import type { Locale } from '../../typings/contract'
import type { Product } from '../../typings/pay'
import { fitThing, fitUtf8 } from './messages'
import { wxPayTime } from './money'
import type { ProductDoc } from './orders'

/** yyyyMMddHHmmss + 12 random base-36 characters: 26 of the 32 allowed, sortable by time, unguessable. */
export function newOutTradeNo(now: number): string {
  const bytes = randomBytes(12)
  let tail = ''
  for (const b of bytes) tail += (b % 36).toString(36)
  return `${wxPayTime(now)}${tail}`
}

/** The order body WeChat shows the payer: "<shop>-<product>", at most 40 characters and 128 UTF-8 bytes (V2 body: String(128)). */
export const orderBody = (prefix: string, title: string) => fitUtf8(fitThing(`${prefix}-${title}`, 40), 128)

/** A product as the user reads it: in English for an English-language user when the catalogue has it. */
export function toProduct(p: ProductDoc, language: Locale): Product {
  const text = language === 'en' && p.en ? p.en : p
  return {
    productId: p._id,
    title: text.title,
    description: text.description,
    priceFen: p.priceFen,
    maxQuantity: p.maxQuantity,
  }
}
