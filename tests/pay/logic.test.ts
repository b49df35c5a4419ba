/**
 * The pure parts of pay: money maths, the state machine, reading cloudPay answers, message
 * data and configuration. No cloud, no SDK.
 */
import { FINAL_STATES, TRANSITIONS, next, successors, type OrderEvent } from '../../server/pay/machine'
import { displayTime, orderTotal, parseWxPayTime, refundAmount, wxPayTime, yuan } from '../../server/pay/money'
import { bizCode, isTransient, payOutcome } from '../../server/pay/wxpay'
import { fitCharacterString, fitThing, messageData, orderPage, sendFailure } from '../../server/pay/messages'
import { payConfig, subscribeConfig } from '../../server/pay/config'
import type { OrderStatus } from '../../typings/pay'

describe('money', () => {
  test('order totals are integer fen; anything else is refused', () => {
    expect(orderTotal(1800, 3)).toBe(5400)
    expect(orderTotal(1, 99)).toBe(99)
    for (const [p, q] of [
      [0, 1],
      [-1, 1],
      [1.5, 1],
      [100, 0],
      [100, 1.2],
      [Number.MAX_SAFE_INTEGER, 2],
    ] as const) {
      expect(() => orderTotal(p, q)).toThrow(RangeError)
    }
  })

  test('refund amounts never exceed what is left', () => {
    expect(refundAmount(1800, 0)).toEqual({ ok: true, refundFen: 1800 })
    expect(refundAmount(1800, 0, 800)).toEqual({ ok: true, refundFen: 800 })
    expect(refundAmount(1800, 1000, 800)).toEqual({ ok: true, refundFen: 800 })
    expect(refundAmount(1800, 1000, 801)).toEqual({ ok: false, reason: 'EXCEEDS_PAID' })
    expect(refundAmount(1800, 0, 1801)).toEqual({ ok: false, reason: 'EXCEEDS_PAID' })
    expect(refundAmount(1800, 1800)).toEqual({ ok: false, reason: 'NOT_POSITIVE' })
    expect(refundAmount(1800, 0, 0.5)).toEqual({ ok: false, reason: 'NOT_POSITIVE' })
  })

  test('yuan formatting is exact', () => {
    expect(yuan(1250)).toBe('12.50')
    expect(yuan(5)).toBe('0.05')
    expect(yuan(100000001)).toBe('1000000.01')
    expect(yuan(-250)).toBe('-2.50')
    expect(yuan(30)).toBe('0.30')
  })

  test('WeChat Pay times are Beijing time, both ways', () => {
    const ms = Date.UTC(2026, 10, 21, 16, 30, 5) // 2026-11-22 00:30:05 in Beijing
    expect(wxPayTime(ms)).toBe('20261122003005')
    expect(parseWxPayTime('20261122003005')).toBe(ms)
    expect(parseWxPayTime('2026-11-22')).toBeNaN()
    expect(displayTime(ms)).toBe('2026-11-22 00:30')
  })
})

describe('order state machine', () => {
  const ALL: OrderStatus[] = ['UNPAID', 'PAID', 'CLOSED', 'REFUNDING', 'REFUNDED', 'REFUND_FAILED']
  const EVENTS = Object.keys(TRANSITIONS) as OrderEvent[]

  test('the table', () => {
    expect(successors('UNPAID').sort()).toEqual(['CLOSED', 'PAID'])
    expect(successors('PAID')).toEqual(['REFUNDING'])
    expect(successors('REFUNDING').sort()).toEqual(['PAID', 'REFUNDED', 'REFUND_FAILED'])
    for (const s of FINAL_STATES) expect(successors(s)).toEqual([])
  })

  test('each event applies from exactly one status', () => {
    for (const e of EVENTS) {
      const from = ALL.filter((s) => next(s, e) !== null)
      expect(from).toEqual([TRANSITIONS[e].from])
    }
  })

  test('no way back to UNPAID, and paid money never becomes CLOSED', () => {
    for (const s of ALL) {
      expect(successors(s)).not.toContain('UNPAID')
      if (s !== 'UNPAID') expect(successors(s)).not.toContain('CLOSED')
    }
  })
})

describe('reading cloudPay answers', () => {
  test('success needs returnCode AND resultCode SUCCESS; errCode 0 means nothing', () => {
    expect(payOutcome({ returnCode: 'SUCCESS', resultCode: 'SUCCESS', errCode: 0 })).toEqual({ ok: true })
    expect(payOutcome({ returnCode: 'FAIL', returnMsg: '签名错误', errCode: 0 })).toMatchObject({
      ok: false,
      kind: 'REQUEST',
      message: '签名错误',
    })
    expect(
      payOutcome({ returnCode: 'SUCCESS', resultCode: 'FAIL', errCode: 0, errCodeDes: '该订单已支付' }),
    ).toMatchObject({ ok: false, kind: 'BUSINESS', code: 'ORDERPAID' })
    expect(payOutcome(undefined)).toMatchObject({ ok: false, kind: 'REQUEST' })
  })

  test('business codes are recovered from the documented descriptions', () => {
    const cases: Array<[string, string]> = [
      ['商户订单已支付', 'ORDERPAID'],
      ['订单已支付', 'ORDERPAID'],
      ['订单已关闭', 'ORDERCLOSED'],
      ['此交易订单号不存在', 'ORDERNOTEXIST'],
      ['商户订单号重复', 'OUT_TRADE_NO_USED'],
      ['基本账户余额不足，请充值后重新发起', 'NOTENOUGH'],
      ['订单已经超过退款期限', 'TRADE_OVERDUE'],
      ['system error', 'SYSTEMERROR'],
      ['系统错误', 'SYSTEMERROR'],
      ['something new', 'UNKNOWN'],
    ]
    for (const [desc, code] of cases) expect(bizCode({ errCodeDes: desc })).toBe(code)
    // If a future SDK stops overwriting it, the real code wins.
    expect(bizCode({ errCode: 'NOTENOUGH', errCodeDes: '系统错误' })).toBe('NOTENOUGH')
  })

  test('only transient failures are retried as they are', () => {
    expect(isTransient({ ok: false, kind: 'BUSINESS', code: 'SYSTEMERROR', message: '' })).toBe(true)
    expect(isTransient({ ok: false, kind: 'BUSINESS', code: 'NOTENOUGH', message: '' })).toBe(false)
    expect(isTransient({ ok: true })).toBe(false)
  })
})

describe('message data', () => {
  test('values are fitted to the keyword rules', () => {
    expect(fitThing('A product with a very long descriptive name')).toHaveLength(20)
    expect(Array.from(fitThing('超长的商品名称超长的商品名称超长的商品名称超长的'))).toHaveLength(20)
    expect(fitThing('short')).toBe('short')
    expect(fitCharacterString('订单 ABC-123 ')).toBe('ABC-123')
    expect(fitCharacterString('x'.repeat(40))).toHaveLength(32)
    const data = messageData({
      orderId: '20261121abc',
      title: 'Coffee',
      amountFen: 1850,
      at: Date.UTC(2026, 10, 21, 2, 0),
    })
    expect(data).toEqual({
      character_string1: { value: '20261121abc' },
      thing2: { value: 'Coffee' },
      amount3: { value: '18.50元' },
      time4: { value: '2026-11-21 10:00' },
    })
    expect(orderPage('a b')).toBe('pages/pay/order/index?id=a%20b')
    expect(sendFailure(43101)).toContain('43101')
    expect(sendFailure(12345)).toContain('12345')
  })
})

describe('configuration', () => {
  test('a merchant id and a full env id are required; problems say how to fix them', () => {
    expect(payConfig({}, 'prod-8gabc123')).toMatchObject({
      ok: false,
      message: expect.stringContaining('PAY_SUB_MCH_ID'),
    })
    expect(payConfig({ PAY_SUB_MCH_ID: '1900000109' }, 'prod')).toMatchObject({
      ok: false,
      message: expect.stringContaining('full CloudBase env id'),
    })
    expect(
      payConfig({ PAY_SUB_MCH_ID: '1900000109', PAY_CALLBACK_ENV_ID: 'other-123' }, 'prod-8gabc123'),
    ).toMatchObject({ ok: false })
    const ok = payConfig(
      { PAY_SUB_MCH_ID: '1900000109', PAY_ORDER_TTL_MINUTES: '30', PAY_REFUND_WINDOW_DAYS: 'x' },
      'prod-8gabc123',
    )
    expect(ok).toMatchObject({
      ok: true,
      callbackEnvId: 'prod-8gabc123',
      orderTtlMs: 30 * 60_000,
      refundWindowMs: 7 * 86_400_000,
      templates: null,
      miniprogramState: 'formal',
    })
  })

  test('templates need both ids; miniprogramState is one of the three', () => {
    expect(subscribeConfig({ SUBSCRIBE_TMPL_PAID: 'a' }).templates).toBeNull()
    expect(
      subscribeConfig({ SUBSCRIBE_TMPL_PAID: 'a', SUBSCRIBE_TMPL_REFUNDED: 'b', MINIPROGRAM_STATE: 'trial' }),
    ).toEqual({ templates: { paid: 'a', refunded: 'b' }, miniprogramState: 'trial' })
    expect(subscribeConfig({ MINIPROGRAM_STATE: 'prod' }).miniprogramState).toBe('formal')
  })
})
