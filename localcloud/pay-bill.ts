/**
 * The sandbox's trade bill: the day's payment and refund lines of one sub-merchant (payments by
 * time_end, refunds by the day WeChat Pay accepted them, Beijing time) and the text WeChat Pay V2's
 * downloadbill writes for bill_type ALL (a header, one back-quoted row per line, the totals).
 * Follows https://pay.weixin.qq.com/wiki/doc/api/wxa/wxa_api.php?chapter=9_6 (下载交易账单).
 */
import { isPaid, payTime, type SandboxOrder } from './pay-v2'

/** A payment or refund line of the trade bill (before it is written as text). */
export interface BillLine {
  kind: 'PAYMENT' | 'REFUND'
  /** yyyyMMddHHmmss, Beijing time. */
  at: string
  transactionId: string
  outTradeNo: string
  payer: string
  totalFen: number
  body: string
  refundId?: string
  outRefundNo?: string
  refundFen?: number
  refundStatus?: string
}
/** The key under which the downloadBill handler hands the local cloud raw bill text (not JSON). */
export const BILL_TEXT = '__billText'
/** The service provider's AppID the cloudPay bill lists (a sandbox value). */
export const SERVICE_APPID = 'wx0000000000spapp'

/** The day's bill lines of `orders` (date yyyy-MM-dd), before any tampering. */
export function billLinesOf(orders: Iterable<SandboxOrder>, date: string, mchid: string): BillLine[] {
  const day = date.replace(/-/g, '')
  const lines: BillLine[] = []
  for (const o of orders) {
    if (o.subMchId !== mchid) continue
    if (isPaid(o) && o.timeEnd?.startsWith(day))
      lines.push({
        kind: 'PAYMENT',
        at: o.timeEnd,
        transactionId: o.transactionId!,
        outTradeNo: o.outTradeNo,
        payer: o.payer,
        totalFen: o.totalFee,
        body: o.body,
      })
    for (const r of o.refunds.values()) {
      if (r.acceptedAt !== undefined && payTime(r.acceptedAt).startsWith(day))
        lines.push({
          kind: 'REFUND',
          at: payTime(r.acceptedAt),
          transactionId: o.transactionId!,
          outTradeNo: o.outTradeNo,
          payer: o.payer,
          totalFen: o.totalFee,
          body: o.body,
          refundId: r.refundId,
          outRefundNo: r.outRefundNo,
          refundFen: r.refundFee,
          refundStatus: r.status === 'REFUNDCLOSE' ? 'REFUNDCLOSE' : r.status === 'CHANGE' ? 'CHANGE' : r.status,
        })
    }
  }
  lines.sort((a, b) => a.at.localeCompare(b.at))
  return lines
}

/** The trade bill as WeChat Pay writes it (bill_type ALL), or null when it has no line. */
export function tradeBillText(lines: BillLine[], mchid: string, appid: string): string | null {
  if (!lines.length) return null
  const yuan = (fen: number) => (fen / 100).toFixed(2)
  const time = (t: string) =>
    `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`
  const head =
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注'
  const rows = lines.map((l) => {
    const refund = l.kind === 'REFUND'
    const f = [
      time(l.at),
      appid,
      mchid,
      '0',
      '',
      l.transactionId,
      l.outTradeNo,
      l.payer,
      'JSAPI',
      refund ? 'REFUND' : 'SUCCESS',
      'OTHERS',
      'CNY',
      refund ? '0.00' : yuan(l.totalFen),
      '0.00',
      refund ? (l.refundId ?? '') : '0',
      refund ? (l.outRefundNo ?? '') : '0',
      refund ? yuan(l.refundFen ?? 0) : '0.00',
      '0.00',
      refund ? 'ORIGINAL' : '',
      refund ? (l.refundStatus ?? '') : '',
      l.body,
      '',
      '0.00',
      '0.60%',
      yuan(l.totalFen),
      refund ? yuan(l.refundFen ?? 0) : '0.00',
      '',
    ]
    return f.map((x) => `\`${x}`).join(',')
  })
  const paid = lines.filter((l) => l.kind === 'PAYMENT').reduce((n, l) => n + l.totalFen, 0)
  const refunded = lines.filter((l) => l.kind === 'REFUND').reduce((n, l) => n + (l.refundFen ?? 0), 0)
  return (
    [
      head,
      ...rows,
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
      [lines.length, yuan(paid), yuan(refunded), '0.00', '0.00', yuan(paid), yuan(refunded)]
        .map((x) => `\`${x}`)
        .join(','),
    ].join('\r\n') + '\r\n'
  )
}
