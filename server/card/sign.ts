/**
 * The cardExt of wx.addCard and its signature (附录4-卡券扩展字段及签名生成算法): the values of
 * api_ticket, timestamp, card_id, nonce_str, and code / openid when the card needs them, sorted
 * as strings (dictionary order), concatenated without separators, SHA-1 in hex. `outer_str`
 * (our tracking value) and `fixed_begintimestamp` are carried but not signed.
 */
import { createHash, randomBytes } from 'node:crypto'

export interface CardSignInput {
  apiTicket: string
  cardId: string
  /** Seconds (UTC+8 per the document: a Unix time in seconds is the same instant). */
  timestamp: number
  nonceStr: string
  /** Custom-code cards only. */
  code?: string
  /** bind_openid cards only: only this user can take it. */
  openid?: string
}

export function cardSignature(i: CardSignInput): string {
  const values = [
    i.apiTicket,
    String(i.timestamp),
    i.cardId,
    i.nonceStr,
    ...(i.code ? [i.code] : []),
    ...(i.openid ? [i.openid] : []),
  ]
  values.sort() // JavaScript's default sort: by UTF-16 code units, the dictionary order the document means for ASCII values
  return createHash('sha1').update(values.join('')).digest('hex')
}

/** A nonce as the document advises: letters and digits, at most 32 characters, new for each request. */
export function cardNonce(): string {
  return randomBytes(16).toString('hex')
}

/** The JSON string wx.addCard takes as cardExt (timestamp a number, as WeChat's sample has it). */
export function cardExt(i: CardSignInput & { outerStr?: string }): string {
  return JSON.stringify({
    ...(i.code ? { code: i.code } : {}),
    ...(i.openid ? { openid: i.openid } : {}),
    timestamp: i.timestamp,
    nonce_str: i.nonceStr,
    ...(i.outerStr ? { outer_str: i.outerStr } : {}),
    signature: cardSignature(i),
  })
}
