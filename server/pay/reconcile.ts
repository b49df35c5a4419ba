/**
 * The daily reconciliation (issue #28): yesterday's trade bill from WeChat Pay (either provider)
 * against the orders and refunds here (server/pay/bill.ts compares). Each difference becomes an
 * incident with what to do; the day's report is kept in pay_reconciliations (the console shows it).
 * Runs on payExpire's `reconcile` timer after 10:00 Beijing time (WeChat Pay writes the bill from
 * 9:00). Reads: the day's payments by timeEnd and refunds by acceptance (both indexed), and the
 * orders the bill names, 100 ids a read: bounded by the day's trades, not by the user count.
 * A rerun of a day replaces its report; incidents are keyed by day and order, so once each.
 */
import { beijingDate } from '../werun/days'
import { db } from '../db'
import { errText } from '../errors'
import {
  BillError,
  compareBill,
  parseTradeBill,
  WHAT_TO_DO,
  type BillRow,
  type Difference,
  type OrderFacts,
} from './bill'
import { ORDERS, recordIncident, type OrderDoc } from './orders'
import { payProvider } from './provider'

export const RECONCILIATIONS = 'pay_reconciliations'
const PAGE = 100
/** Orders one day's reconciliation reads at most (a day's trades of a small shop is far below). */
const MAX_DAY_ORDERS = 20_000
const DAY_MS = 86_400_000

export type ReconcileState = 'OK' | 'DIFFERENCES' | 'NO_BILL' | 'FAILED'

export interface ReconcileReport {
  _id: string
  date: string
  at: Date
  state: ReconcileState
  billLines: number
  paidHere: number
  refundsHere: number
  differences: Array<Difference & { whatToDo: { zh: string; en: string } }>
  message?: string
}

/** The Beijing date (yyyy-MM-dd) of the day before `nowMs`. */
export function billDayBefore(nowMs: number): string {
  return beijingDate(nowMs - DAY_MS)
}

async function pages(where: Record<string, unknown>, orderBy: string): Promise<OrderDoc[]> {
  const out: OrderDoc[] = []
  for (let skip = 0; skip < MAX_DAY_ORDERS; skip += PAGE) {
    const r = (await db()
      .collection(ORDERS)
      .where(where)
      .orderBy(orderBy, 'asc')
      .skip(skip)
      .limit(PAGE)
      .get()) as unknown as { data: OrderDoc[] }
    out.push(...r.data)
    if (r.data.length < PAGE) break
  }
  return out
}

function facts(o: OrderDoc, day: string, from: number, to: number): OrderFacts {
  const accepted = o.refund?.acceptedAt ? new Date(o.refund.acceptedAt as unknown as string).getTime() : NaN
  return {
    outTradeNo: o._id,
    status: o.status,
    totalFee: o.totalFee,
    ...(o.transactionId ? { transactionId: o.transactionId } : {}),
    paidThatDay: typeof o.timeEnd === 'string' && o.timeEnd.startsWith(day),
    ...(o.refund
      ? {
          refund: {
            outRefundNo: o.refund.outRefundNo,
            refundFee: o.refund.refundFen,
            acceptedThatDay: accepted >= from && accepted < to,
          },
        }
      : {}),
  }
}

/** Reconciles one Beijing day (yyyy-MM-dd); stores and returns its report. */
export async function reconcileDay(date: string): Promise<ReconcileReport> {
  const day = date.replace(/-/g, '')
  const from = Date.parse(`${date}T00:00:00+08:00`)
  const to = from + DAY_MS
  const report = (state: ReconcileState, extra: Partial<ReconcileReport> = {}): ReconcileReport => ({
    _id: date,
    date,
    at: new Date(),
    state,
    billLines: 0,
    paidHere: 0,
    refundsHere: 0,
    differences: [],
    ...extra,
  })
  let rows: BillRow[] = []
  let noBill = false
  try {
    const bill = await payProvider().tradeBill(date)
    if (!bill.ok && bill.code === 'FAILED') return save(report('FAILED', { message: bill.message }))
    if (bill.ok) rows = parseTradeBill(bill.text)
    else noBill = true
  } catch (e) {
    return save(report('FAILED', { message: e instanceof BillError ? e.message : errText(e) }))
  }
  const _ = db().command
  const paid = await pages({ timeEnd: _.gte(`${day}000000`).and(_.lte(`${day}235959`)) }, 'timeEnd')
  const refunded = await pages(
    { 'refund.acceptedAt': _.gte(new Date(from)).and(_.lt(new Date(to))) },
    'refund.acceptedAt',
  )
  const known = new Map<string, OrderFacts>()
  for (const o of [...paid, ...refunded]) known.set(o._id, facts(o, day, from, to))
  const missing = [...new Set(rows.map((r) => r.outTradeNo))].filter((id) => !known.has(id))
  for (let i = 0; i < missing.length; i += PAGE) {
    const r = (await db()
      .collection(ORDERS)
      .where({ _id: _.in(missing.slice(i, i + PAGE)) })
      .limit(PAGE)
      .get()) as unknown as { data: OrderDoc[] }
    for (const o of r.data) known.set(o._id, facts(o, day, from, to))
  }
  const differences = compareBill(rows, known).map((d) => ({ ...d, whatToDo: WHAT_TO_DO[d.kind] }))
  for (const d of differences)
    await recordIncident(`RECONCILE_${d.kind}`, `${date}:${d.outTradeNo}${d.outRefundNo ? `:${d.outRefundNo}` : ''}`, {
      date,
      ...d,
    })
  const state: ReconcileState = differences.length ? 'DIFFERENCES' : noBill ? 'NO_BILL' : 'OK'
  return save(
    report(state, { billLines: rows.length, paidHere: paid.length, refundsHere: refunded.length, differences }),
  )
}

async function save(r: ReconcileReport): Promise<ReconcileReport> {
  const { _id, ...data } = r
  await db().collection(RECONCILIATIONS).doc(_id).set({ data })
  return r
}
