/**
 * Money and time as WeChat Pay counts them: integer fen (1 yuan = 100 fen), and
 * yyyyMMddHHmmss timestamps in Beijing time (UTC+8, no daylight saving).
 */
import { BEIJING_OFFSET_MS, beijingWallClock } from '../time'

/** Total of an order line in fen. Refuses anything that is not a positive safe integer. */
export function orderTotal(unitPriceFen: number, quantity: number): number {
  if (!Number.isSafeInteger(unitPriceFen) || unitPriceFen <= 0)
    throw new RangeError(`unit price must be a positive integer of fen, got ${unitPriceFen}`)
  if (!Number.isSafeInteger(quantity) || quantity <= 0)
    throw new RangeError(`quantity must be a positive integer, got ${quantity}`)
  const total = unitPriceFen * quantity
  if (!Number.isSafeInteger(total)) throw new RangeError('order total overflows')
  return total
}

export type RefundAmount = { ok: true; refundFen: number } | { ok: false; reason: 'EXCEEDS_PAID' | 'NOT_POSITIVE' }

/** How much to refund: all of what was paid unless `requested` says less; never more. */
export function refundAmount(paidFen: number, alreadyRefundedFen: number, requested?: number): RefundAmount {
  const left = paidFen - alreadyRefundedFen
  const want = requested ?? left
  if (!Number.isSafeInteger(want) || want <= 0) return { ok: false, reason: 'NOT_POSITIVE' }
  if (want > left) return { ok: false, reason: 'EXCEEDS_PAID' }
  return { ok: true, refundFen: want }
}

/** "12.50" from 1250 fen (exact: integer arithmetic, no floating point). */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** yyyyMMddHHmmss in Beijing time, as WeChat Pay writes time_end / time_expire. */
export function wxPayTime(ms: number): string {
  const d = beijingWallClock(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`
}

/** Milliseconds from a WeChat Pay yyyyMMddHHmmss (Beijing time); NaN when malformed. */
export function parseWxPayTime(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s)
  if (!m) return NaN
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number]
  return Date.UTC(y, mo - 1, d, h, mi, se) - BEIJING_OFFSET_MS
}

/** "2026-11-21 10:05" in Beijing time, for message templates (keyword type `time`). */
export function displayTime(ms: number): string {
  const s = wxPayTime(ms)
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} ${s.slice(8, 10)}:${s.slice(10, 12)}`
}
