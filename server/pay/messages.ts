/**
 * Subscribe-message data for the two templates the pay flow uses. Keyword names depend on the
 * templates you pick in the console (公共模板库): change KEYWORDS to match yours. Value rules
 * (subscribeMessage.send docs): thing ≤ 20 characters, character_string ≤ 32 letters/digits/
 * symbols, amount = a number with an optional 元, time = a date/time. A value that breaks
 * them fails the send with 47003, so values are fitted here.
 */
import { displayTime, yuan } from './money'

export const KEYWORDS = {
  orderNo: 'character_string1',
  product: 'thing2',
  amount: 'amount3',
  time: 'time4',
} as const

export type MessageKind = 'paid' | 'refunded'

/** Cuts to `max` characters (code points, so an emoji or CJK character is never split). */
export function fitThing(s: string, max = 20): string {
  const chars = Array.from(s.replace(/\s+/g, ' ').trim())
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`
}

/** At most `maxBytes` of UTF-8, cut between characters (WeChat Pay counts the body in bytes). */
export function fitUtf8(s: string, maxBytes: number): string {
  let out = ''
  let bytes = 0
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8')
    if (bytes + n > maxBytes) break
    out += ch
    bytes += n
  }
  return out
}

export function fitCharacterString(s: string): string {
  return s.replace(/[^\x21-\x7e]/g, '').slice(0, 32)
}

export function messageData(input: {
  orderId: string
  title: string
  amountFen: number
  at: number
}): Record<string, { value: string }> {
  return {
    [KEYWORDS.orderNo]: { value: fitCharacterString(input.orderId) },
    [KEYWORDS.product]: { value: fitThing(input.title) },
    [KEYWORDS.amount]: { value: `${yuan(input.amountFen)}元` },
    [KEYWORDS.time]: { value: displayTime(input.at) },
  }
}

/** The page a message opens (no leading slash, as subscribeMessage.send wants it). */
export function orderPage(orderId: string): string {
  return `pages/pay/order/index?id=${encodeURIComponent(orderId)}`
}

/**
 * What a failed send is recorded as. errcodes from the subscribeMessage.send page:
 * 43101 the user refused or the one-time subscription was already used, 40037 bad template id,
 * 47003 template data invalid, 41030 page invalid, 40003 touser invalid.
 */
export function sendFailure(errCode: number): string {
  switch (errCode) {
    case 43101:
      return '43101 user refused or subscription used up'
    case 40037:
      return '40037 template id invalid'
    case 47003:
      return '47003 template data invalid'
    case 41030:
      return '41030 page invalid (not in the published version?)'
    case 40003:
      return '40003 openid invalid'
    case -604101:
      return '-604101 subscribeMessage.send missing from config.json permissions'
    default:
      return `${errCode} send failed`
  }
}
