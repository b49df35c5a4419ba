/**
 * Pure helpers of the pay pages: money and time display, status labels, the buy flow's
 * states, and what to tell the user for each wx.requestPayment / requestSubscribeMessage result.
 */
import { fmt } from '../../shared/template'
import type { OrderStatus, OrderView, SubscribeAnswer, SubscribeTemplates } from '../../../typings/pay'

/** The buy flow on the shop page. */
export type BuyState =
  | 'IDLE'
  | 'CREATING' // createOrder in flight
  | 'PAYING' // WeChat's payment sheet is open
  | 'CONFIRMING' // the sheet said paid; asking the server (client success proves nothing)
  | 'PAID' // the server confirmed
  | 'CANCELLED' // the user closed the sheet: the order stays payable until it expires
  | 'FAILED' // creating or paying failed; the message says what to do

/** "¥12.50" from 1250 fen (integer arithmetic). */
export function formatFen(fen: number): string {
  return `¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`
}

/** "2026-11-21 10:05" in the phone's time zone. */
export function formatTime(ms: number | null): string {
  if (ms === null) return ''
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** An order as a list row / detail card shows it. */
export interface OrderRow extends OrderView {
  statusLabel: string
  total: string
  created: string
  paid: string
  expires: string
}

/** The order's texts: its status label in the user's language (the pay texts carry one per status). */
export function toRow(o: OrderView, labels: Record<OrderStatus, string>): OrderRow {
  return {
    ...o,
    statusLabel: labels[o.status],
    total: formatFen(o.totalFen),
    created: formatTime(o.createdAt),
    paid: formatTime(o.paidAt),
    expires: formatTime(o.expiresAt),
  }
}

/** One id per buy tap: the server turns the same id into the same order (a double tap makes one). */
export function newRequestId(now: number, random: () => number = Math.random): string {
  return `r${now.toString(36)}${Math.floor(random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0')}`
}

/**
 * wx.requestPayment failures (https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestPayment.html):
 * `requestPayment:fail cancel` when the user closes the sheet; anything else is a failure.
 */
export function paymentFailure(errMsg: string): { state: 'CANCELLED' | 'FAILED'; detail: string } {
  if (/cancel/i.test(errMsg)) return { state: 'CANCELLED', detail: '' }
  return { state: 'FAILED', detail: errMsg.replace(/^requestPayment:fail\s*/, '') }
}

/** What to tell the user when the payment sheet did not pay, in the language of `t`. */
export function paymentFailureText(
  f: { state: 'CANCELLED' | 'FAILED'; detail: string },
  t: { payCancelled: string; payFailed: string; payFailedPlain: string },
): string {
  if (f.state === 'CANCELLED') return t.payCancelled
  return f.detail ? fmt(t.payFailed, { detail: f.detail }) : t.payFailedPlain
}

/** At most 3 template ids per requestSubscribeMessage (newer clients allow 5; older ones 3). */
export function subscribeIds(templates: SubscribeTemplates | null): string[] {
  return templates ? [templates.paid, templates.refunded].filter(Boolean).slice(0, 3) : []
}

/** The per-template answers of a requestSubscribeMessage result (it also carries errMsg). */
export function subscribeAnswers(ids: string[], res: Record<string, unknown>): Record<string, SubscribeAnswer> {
  const out: Record<string, SubscribeAnswer> = {}
  for (const id of ids) {
    const a = res[id]
    if (a === 'accept' || a === 'reject' || a === 'ban' || a === 'filter') out[id] = a
  }
  return out
}

/** Waits before each getOrder while confirming (ms): the callback usually lands within a few seconds. */
export const CONFIRM_DELAYS = [0, 1000, 2000, 3000, 5000]
