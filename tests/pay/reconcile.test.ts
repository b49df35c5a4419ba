/**
 * The daily reconciliation (server/pay/reconcile.ts, payExpire's `reconcile` timer) against the
 * bill the provider under test gives (cloudPay's downloadBill, or APIv3's tradebill + download with
 * its SHA-1): with nothing wrong the day is OK; each injected difference (a payment WeChat Pay took
 * that is not recorded, a payment recorded here but missing from the bill, an amount, an order this
 * database lacks, a refund missing from the bill) is found once, as an incident with what to do,
 * and the console lists the day's report. The bill's format is parsed by column name (bill.ts).
 */
import { billDayBefore } from '../../server/pay/reconcile'
import { BillError, compareBill, fenOf, parseTradeBill } from '../../server/pay/bill'
import { takeConsole } from '../setup/console'
import { ALICE, BOB, payWorld, placeAtWeChatPay, V3 } from './helpers'

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {}) // the timer's one line
})

/** Runs the reconcile timer as CloudBase would the morning after today (Beijing). */
async function reconcileToday(w: ReturnType<typeof payWorld>) {
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString()
  const r = (await w.cloud.invoke(
    'payExpire',
    { Type: 'Timer', TriggerName: 'reconcile', Time: tomorrow },
    {},
    'wx_trigger',
  )) as { reconciled?: { date: string; state: string; differences: number } }
  return {
    summary: r.reconciled!,
    report: w.cloud.db.dump('pay_reconciliations').find((d) => d._id === r.reconciled!.date) as Record<string, any>,
  }
}

async function dayOfTrades() {
  const w = payWorld()
  const ids: string[] = []
  for (const who of [ALICE, BOB, ALICE]) {
    const id = (await w.buy('coffee', 1, who)).data.order.orderId as string
    await w.cloud.cloudPay.pay(id)
    ids.push(id)
  }
  await w.cloud.cloudPay.idle()
  expect((await w.pay('requestRefund', { orderId: ids[2] })).ok).toBe(true)
  return { w, ids }
}

test('a day with nothing wrong: OK, every payment and the refund in the bill, no incident', async () => {
  const { w } = await dayOfTrades()
  const { summary, report } = await reconcileToday(w)
  expect(summary).toEqual({ date: billDayBefore(Date.now() + 86_400_000), state: 'OK', differences: 0 })
  expect(report).toMatchObject({ state: 'OK', billLines: 4, paidHere: 3, refundsHere: 1, differences: [] })
  expect(w.incidents()).toEqual([])
  expect(
    V3
      ? w.cloud.wxpayV3.requests.some((r) => r.path === '/v3/bill/tradebill')
      : w.cloud.cloudPay.callsTo('downloadBill').length === 1,
  ).toBe(true)
})

test('each injected difference is found once, with what to do', async () => {
  const { w, ids } = await dayOfTrades()
  // Paid at WeChat Pay, its notification lost: UNPAID here.
  const lostId = (await w.buy('coffee', 1, BOB)).data.order.orderId as string
  await w.cloud.cloudPay.pay(lostId, { hold: true })
  // An order WeChat Pay has that this database never stored.
  await placeAtWeChatPay(w.cloud, 'GHOST202612050001', ALICE.openid!)
  await w.cloud.cloudPay.pay('GHOST202612050001', { hold: true })
  w.cloud.cloudPay.billTamper = (lines) =>
    lines
      .filter((l) => !(l.kind === 'PAYMENT' && l.outTradeNo === ids[0])) // recorded here, missing from the bill
      .filter((l) => l.kind !== 'REFUND') // the refund accepted here is missing from the bill
      .map((l) => (l.outTradeNo === ids[1] && l.kind === 'PAYMENT' ? { ...l, totalFen: l.totalFen + 100 } : l)) // another amount
  const { summary, report } = await reconcileToday(w)
  expect(summary.state).toBe('DIFFERENCES')
  const found = (
    report.differences as Array<{ kind: string; outTradeNo: string; whatToDo: { zh: string; en: string } }>
  )
    .map((d) => `${d.kind} ${d.outTradeNo}`)
    .sort()
  expect(found).toEqual(
    [
      `AMOUNT_DIFFERS ${ids[1]}`,
      `NOT_IN_BILL ${ids[0]}`,
      `PAID_NOT_RECORDED ${lostId}`,
      `REFUND_NOT_IN_BILL ${ids[2]}`,
      'UNKNOWN_ORDER GHOST202612050001',
    ].sort(),
  )
  expect(
    report.differences.every((d: { whatToDo: { zh: string; en: string } }) => d.whatToDo.zh && d.whatToDo.en),
  ).toBe(true)
  expect(
    w
      .incidents()
      .map((i) => i.kind)
      .sort(),
  ).toEqual([
    'RECONCILE_AMOUNT_DIFFERS',
    'RECONCILE_NOT_IN_BILL',
    'RECONCILE_PAID_NOT_RECORDED',
    'RECONCILE_REFUND_NOT_IN_BILL',
    'RECONCILE_UNKNOWN_ORDER',
  ])
  // A rerun of the day replaces its report and adds no incident twice.
  await reconcileToday(w)
  expect(w.incidents()).toHaveLength(5)
  expect(w.cloud.db.dump('pay_reconciliations')).toHaveLength(1)
})

test('a day without trades: NO_BILL, nothing concluded; a bill that does not verify: FAILED with why', async () => {
  const w = payWorld()
  expect((await reconcileToday(w)).report).toMatchObject({ state: 'NO_BILL', differences: [] })
  const { w: busy } = await dayOfTrades()
  if (V3) busy.cloud.wxpayV3.corruptNextDownload = (t) => t.replace('SUCCESS', 'SUCCES5')
  else
    busy.cloud.cloudPay.billTamper = () => [
      {
        kind: 'PAYMENT',
        at: 'not a time',
        transactionId: '1',
        outTradeNo: 'x',
        payer: 'o',
        totalFen: Number.NaN,
        body: 'b',
      },
    ]
  const { report } = await reconcileToday(busy)
  expect(report.state).toBe('FAILED')
  expect(report.message).toMatch(V3 ? /does not match the SHA-1/ : /is not an amount in yuan/)
  expect(busy.incidents()).toEqual([])
  takeConsole()
})

describe('the bill format (pure)', () => {
  const head =
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注'
  const line = (f: string[]) => f.map((x) => `\`${x}`).join(',')
  const pay = line([
    '2026-12-04 10:00:00',
    'wx1',
    '1900000109',
    '0',
    '',
    '4200000001',
    'A1',
    'o1',
    'JSAPI',
    'SUCCESS',
    'OTHERS',
    'CNY',
    '18.00',
    '0.00',
    '0',
    '0',
    '0.00',
    '0.00',
    '',
    '',
    '咖啡券',
    '',
    '0.11',
    '0.60%',
    '18.00',
    '0.00',
    '',
  ])
  const sum = (n: number) =>
    `总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n${line([String(n), '18.00', '0.00', '0.00', '0.11', '18.00', '0.00'])}`
  test('amounts are exact fen; columns are found by name (the service-provider file says 总金额)', () => {
    expect([fenOf('36.00'), fenOf('0.1'), fenOf('1234567.89')]).toEqual([3600, 10, 123456789])
    expect(() => fenOf('1e3')).toThrow(BillError)
    expect(parseTradeBill(`${head}\r\n${pay}\r\n${sum(1)}\r\n`)).toEqual([
      { kind: 'PAYMENT', outTradeNo: 'A1', transactionId: '4200000001', totalFen: 1800 },
    ])
    const sp =
      '交易时间,服务商的APPID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额'
    expect(
      parseTradeBill(
        `${sp}\n${line(['t', 'wx', '1', '2', '', '42', 'B2', 'o', 'JSAPI', 'SUCCESS', 'OTHERS', 'CNY', '0.50'])}\n`,
      ),
    ).toEqual([{ kind: 'PAYMENT', outTradeNo: 'B2', transactionId: '42', totalFen: 50 }])
  })
  test('a bill whose summary count disagrees, or that is not a trade bill, is a BillError', () => {
    expect(() => parseTradeBill(`${head}\r\n${pay}\r\n${sum(2)}`)).toThrow(/lists 1 lines but its summary says 2/)
    expect(() => parseTradeBill('<html>busy</html>')).toThrow(/not a trade bill/)
    expect(() => parseTradeBill('')).toThrow(/empty/)
  })
  test('compareBill: a refund the bill lists that is not recorded here', () => {
    const diffs = compareBill(
      [{ kind: 'REFUND', outTradeNo: 'A1', transactionId: '4', totalFen: 1800, outRefundNo: 'A1R1', refundFen: 1800 }],
      new Map([['A1', { outTradeNo: 'A1', status: 'PAID', totalFee: 1800, paidThatDay: false }]]),
    )
    expect(diffs).toEqual([
      {
        kind: 'REFUND_NOT_RECORDED',
        outTradeNo: 'A1',
        outRefundNo: 'A1R1',
        bill: { refundFen: 1800, refundStatus: undefined },
      },
    ])
  })
})
