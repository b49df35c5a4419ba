/**
 * WeChat Pay's daily trade bill and what it is compared with (issue #28), pure functions.
 * The bill (V2 downloadbill through cloudPay.downloadBill; APIv3 tradebill + its download, the same
 * text): a header line, detail lines whose every field starts with a backtick (so spreadsheets keep
 * the digits), then a summary header (总交易单数,…) and one summary line. Amounts are in yuan.
 * Detail rows of bill_type ALL: the day's successful payments (交易状态 SUCCESS) and the refunds
 * applied for that day (交易状态 REFUND, with 商户退款单号, 退款金额 and 退款状态).
 * Column names differ slightly between the service-provider file (总金额) and the direct-merchant
 * one (应结订单金额 / 订单金额): columns are found by name, never by position.
 * Documents: CloudPay.downloadBill (wxcloud reference-sdk-api/open/pay), pay.weixin.qq.com
 * docs/merchant/apis/…/get-trade-bill.html and download-bill.html.
 */
import { createHash } from 'node:crypto'

export interface BillRow {
  kind: 'PAYMENT' | 'REFUND'
  outTradeNo: string
  transactionId: string
  /** The order's amount in fen. */
  totalFen: number
  outRefundNo?: string
  refundFen?: number
  refundStatus?: string
}

export class BillError extends Error {
  override name = 'BillError'
}

/** Fen from a yuan amount as the bill writes it ("36.00"); exact, no floating point. */
export function fenOf(yuan: string): number {
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(yuan.trim())
  if (!m) throw new BillError(`"${yuan.slice(0, 20)}" is not an amount in yuan.`)
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}

const cell = (s: string) =>
  s
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/^`/, '')
const SUMMARY_HEAD = '总交易单数'

/** The detail rows of a trade bill; a BillError when it is not one (or its count disagrees with its summary). */
export function parseTradeBill(text: string): BillRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  if (!lines.length) throw new BillError('The bill is empty.')
  const head = lines[0]!.split(',').map(cell)
  const col = (...names: string[]) => names.map((n) => head.indexOf(n)).find((i) => i >= 0) ?? -1
  const c = {
    tx: col('微信订单号'),
    no: col('商户订单号'),
    state: col('交易状态'),
    total: col('订单金额', '应结订单金额', '总金额'),
    refundNo: col('商户退款单号'),
    refund: col('申请退款金额', '退款金额'),
    refundState: col('退款状态'),
  }
  if (c.tx < 0 || c.no < 0 || c.state < 0 || c.total < 0)
    throw new BillError('The bill has no 微信订单号 / 商户订单号 / 交易状态 / 金额 columns: not a trade bill.')
  const rows: BillRow[] = []
  let i = 1
  for (; i < lines.length; i++) {
    const f = lines[i]!.split(',').map(cell)
    if (f[0] === SUMMARY_HEAD) break
    const state = f[c.state] ?? ''
    const base = { outTradeNo: f[c.no] ?? '', transactionId: f[c.tx] ?? '', totalFen: fenOf(f[c.total] ?? '') }
    if (!base.outTradeNo) throw new BillError(`Line ${i + 1} has no 商户订单号.`)
    if (state === 'REFUND') {
      if (c.refundNo < 0 || c.refund < 0)
        throw new BillError('A refund line, but the bill has no 商户退款单号 / 退款金额 columns.')
      rows.push({
        kind: 'REFUND',
        ...base,
        outRefundNo: f[c.refundNo] ?? '',
        refundFen: fenOf(f[c.refund] ?? ''),
        ...(c.refundState >= 0 && f[c.refundState] ? { refundStatus: f[c.refundState] } : {}),
      })
    } else rows.push({ kind: 'PAYMENT', ...base })
  }
  const summary = lines[i + 1]?.split(',').map(cell)
  if (summary && summary[0] !== undefined && /^\d+$/.test(summary[0]) && Number(summary[0]) !== rows.length) {
    throw new BillError(`The bill lists ${rows.length} lines but its summary says ${summary[0]}: incomplete.`)
  }
  return rows
}

/** SHA-1 of the bill as APIv3's tradebill gives it (hash_value), hex. */
export const billSha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex')

/** What the database says about one order the day concerns. */
export interface OrderFacts {
  outTradeNo: string
  status: string
  totalFee: number
  transactionId?: string
  /** Paid (timeEnd) on the bill's day. */
  paidThatDay: boolean
  refund?: { outRefundNo: string; refundFee: number; acceptedThatDay: boolean }
}

export type DifferenceKind =
  | 'PAID_NOT_RECORDED'
  | 'UNKNOWN_ORDER'
  | 'AMOUNT_DIFFERS'
  | 'NOT_IN_BILL'
  | 'REFUND_NOT_RECORDED'
  | 'REFUND_AMOUNT_DIFFERS'
  | 'REFUND_NOT_IN_BILL'

export interface Difference {
  kind: DifferenceKind
  outTradeNo: string
  outRefundNo?: string
  /** What the bill says (fen, ids), and what the database says. */
  bill?: Record<string, unknown>
  here?: Record<string, unknown>
}

/** What to do about each kind of difference, for the incident and the console. */
export const WHAT_TO_DO: Record<DifferenceKind, { zh: string; en: string }> = {
  PAID_NOT_RECORDED: {
    zh: '微信支付已收款但这里未记为已支付：在控制台查询订单（getOrder 会查询并补记），再补发商品。',
    en: 'Paid at WeChat Pay but not recorded here: query the order (getOrder asks and records it), then fulfil it.',
  },
  UNKNOWN_ORDER: {
    zh: '账单里的订单这里没有：按商户订单号在商户平台查找，决定退款或补建订单。',
    en: 'An order in the bill this database lacks: look it up by its out_trade_no in the merchant platform, then refund it or restore it.',
  },
  AMOUNT_DIFFERS: {
    zh: '金额与账单不同：以账单为准核对商品价格，必要时部分退款。',
    en: 'The amount differs from the bill: check the price against the bill; refund the difference if needed.',
  },
  NOT_IN_BILL: {
    zh: '这里记为已支付但账单里没有：查询订单；微信支付不认的付款不能发货。',
    en: 'Paid here but missing from the bill: query the order; a payment WeChat Pay does not know must not be fulfilled.',
  },
  REFUND_NOT_RECORDED: {
    zh: '账单里有退款但这里没有：查询退款单并补记。',
    en: 'A refund in the bill that is not recorded here: query the refund and record it.',
  },
  REFUND_AMOUNT_DIFFERS: {
    zh: '退款金额与账单不同：核对退款记录。',
    en: 'The refund amount differs from the bill: check the refund record.',
  },
  REFUND_NOT_IN_BILL: {
    zh: '这里受理了退款但账单里没有：查询退款单；可能未成功发起。',
    en: 'A refund accepted here but missing from the bill: query the refund; it may not have been submitted.',
  },
}

const PAID_HERE = new Set(['PAID', 'REFUNDING', 'REFUNDED', 'REFUND_FAILED'])

/** Every difference between the day's bill and the database (`orders`: the day's, and every order the bill names). */
export function compareBill(rows: readonly BillRow[], orders: ReadonlyMap<string, OrderFacts>): Difference[] {
  const out: Difference[] = []
  const billed = new Set<string>()
  const billedRefunds = new Set<string>()
  for (const r of rows) {
    const o = orders.get(r.outTradeNo)
    if (r.kind === 'PAYMENT') {
      billed.add(r.outTradeNo)
      if (!o)
        out.push({
          kind: 'UNKNOWN_ORDER',
          outTradeNo: r.outTradeNo,
          bill: { transactionId: r.transactionId, totalFen: r.totalFen },
        })
      else if (!PAID_HERE.has(o.status))
        out.push({
          kind: 'PAID_NOT_RECORDED',
          outTradeNo: r.outTradeNo,
          bill: { transactionId: r.transactionId, totalFen: r.totalFen },
          here: { status: o.status },
        })
      else if (o.totalFee !== r.totalFen)
        out.push({
          kind: 'AMOUNT_DIFFERS',
          outTradeNo: r.outTradeNo,
          bill: { totalFen: r.totalFen },
          here: { totalFen: o.totalFee },
        })
      continue
    }
    billedRefunds.add(r.outRefundNo ?? '')
    if (!o?.refund || o.refund.outRefundNo !== r.outRefundNo)
      out.push({
        kind: 'REFUND_NOT_RECORDED',
        outTradeNo: r.outTradeNo,
        ...(r.outRefundNo ? { outRefundNo: r.outRefundNo } : {}),
        bill: { refundFen: r.refundFen, refundStatus: r.refundStatus },
      })
    else if (o.refund.refundFee !== r.refundFen)
      out.push({
        kind: 'REFUND_AMOUNT_DIFFERS',
        outTradeNo: r.outTradeNo,
        outRefundNo: o.refund.outRefundNo,
        bill: { refundFen: r.refundFen },
        here: { refundFen: o.refund.refundFee },
      })
  }
  for (const o of orders.values()) {
    if (o.paidThatDay && PAID_HERE.has(o.status) && !billed.has(o.outTradeNo))
      out.push({
        kind: 'NOT_IN_BILL',
        outTradeNo: o.outTradeNo,
        here: { status: o.status, totalFen: o.totalFee, transactionId: o.transactionId },
      })
    if (o.refund?.acceptedThatDay && !billedRefunds.has(o.refund.outRefundNo))
      out.push({
        kind: 'REFUND_NOT_IN_BILL',
        outTradeNo: o.outTradeNo,
        outRefundNo: o.refund.outRefundNo,
        here: { refundFen: o.refund.refundFee },
      })
  }
  return out
}
