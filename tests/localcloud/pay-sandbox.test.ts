/**
 * The WeChat Pay sandbox on its own (what `cloud.cloudPay.*` reaches in the local cloud):
 * V2 answer shapes, idempotent unifiedOrder, close/query/refund by order state, signed
 * payments, and callback delivery with re-delivery, duplicates, holds and reordering.
 */
import { PaySandbox, paySign } from '../../localcloud'

const INFO = { fn: 'pay', appid: 'wxapp', openid: 'o-payer' }
const ORDER = {
  body: 'Shop-Coffee',
  out_trade_no: 'T2026112100000001',
  spbill_create_ip: '127.0.0.1',
  sub_mch_id: '1900000109',
  total_fee: 1800,
  env_id: 'env-1',
  function_name: 'payCallback',
  nonce_str: 'n'.repeat(32),
  trade_type: 'JSAPI',
}

function sandbox(answers: unknown[] = [], now: () => number = Date.now) {
  const received: Array<{ fn: string; event: Record<string, unknown> }> = []
  const queue = [...answers]
  const sb = new PaySandbox(now, 'env-1', async (fn, event) => {
    received.push({ fn, event })
    const next = queue.length ? queue.shift() : { errcode: 0, errmsg: '' }
    if (next instanceof Error) throw next
    return next
  })
  return { sb, received }
}

test('unifiedOrder answers V2 fields and a payment signed for wx.requestPayment', async () => {
  const { sb } = sandbox()
  const res = (await sb.call('unifiedOrder', ORDER, INFO)) as Record<string, any>
  expect(res).toMatchObject({
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    trade_type: 'JSAPI',
    sub_mch_id: '1900000109',
  })
  expect(res.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{18}$/)
  const p = res.payment
  expect(p).toMatchObject({ appId: 'wxapp', package: `prepay_id=${res.prepay_id}`, signType: 'MD5' })
  expect(p.paySign).toBe(paySign(p))
  expect(p.paySign).toMatch(/^[0-9A-F]{32}$/)
})

test('the same out_trade_no: same parameters -> same prepay; different ones -> OUT_TRADE_NO_USED', async () => {
  const { sb } = sandbox()
  const a = (await sb.call('unifiedOrder', ORDER, INFO)) as Record<string, any>
  const b = (await sb.call('unifiedOrder', { ...ORDER, nonce_str: 'other' }, INFO)) as Record<string, any>
  expect(b.prepay_id).toBe(a.prepay_id)
  const c = (await sb.call('unifiedOrder', { ...ORDER, total_fee: 1 }, INFO)) as Record<string, any>
  expect(c).toMatchObject({ result_code: 'FAIL', err_code: 'OUT_TRADE_NO_USED', err_code_des: '商户订单号重复' })
})

test('malformed requests fail at return_code, unbound merchants too', async () => {
  const { sb } = sandbox()
  expect(await sb.call('unifiedOrder', { ...ORDER, total_fee: '1800' }, INFO)).toMatchObject({ return_code: 'FAIL' })
  expect(await sb.call('unifiedOrder', { ...ORDER, out_trade_no: 'x'.repeat(33) }, INFO)).toMatchObject({
    return_code: 'FAIL',
  })
  expect(await sb.call('unifiedOrder', { ...ORDER, function_name: '' }, INFO)).toMatchObject({
    return_code: 'FAIL',
    return_msg: expect.stringContaining('function_name'),
  })
  expect(await sb.call('unifiedOrder', { ...ORDER, sub_mch_id: '1' }, INFO)).toMatchObject({ return_code: 'FAIL' })
})

test('queryOrder, closeOrder and refund answer by the order state', async () => {
  const { sb } = sandbox()
  const q = { sub_mch_id: ORDER.sub_mch_id, out_trade_no: ORDER.out_trade_no, nonce_str: 'x' }
  expect(await sb.call('queryOrder', q, INFO)).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERNOTEXIST' })
  await sb.call('unifiedOrder', ORDER, INFO)
  expect(await sb.call('queryOrder', q, INFO)).toMatchObject({ result_code: 'SUCCESS', trade_state: 'NOTPAY' })
  await sb.pay(ORDER.out_trade_no)
  expect(await sb.call('queryOrder', q, INFO)).toMatchObject({
    trade_state: 'SUCCESS',
    total_fee: 1800,
    transaction_id: expect.stringMatching(/^42000\d{23}$/),
  })
  expect(await sb.call('closeOrder', q, INFO)).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERPAID' })
  const refund = {
    ...q,
    out_refund_no: 'R1',
    total_fee: 1800,
    refund_fee: 1000,
    function_name: 'payRefundCallback',
    env_id: 'env-1',
  }
  expect(await sb.call('refund', { ...refund, refund_fee: 1801 }, INFO)).toMatchObject({
    result_code: 'FAIL',
    err_code: 'ERROR',
  })
  expect(await sb.call('refund', refund, INFO)).toMatchObject({ result_code: 'SUCCESS', refund_fee: 1000 })
  // The same refund number again: the same refund, not a second one.
  expect(await sb.call('refund', refund, INFO)).toMatchObject({ result_code: 'SUCCESS' })
  expect(await sb.call('refund', { ...refund, out_refund_no: 'R2', refund_fee: 801 }, INFO)).toMatchObject({
    result_code: 'FAIL',
  })
  expect(await sb.call('queryOrder', q, INFO)).toMatchObject({ trade_state: 'REFUND' })
})

test('closing an unpaid order: refused in its first 5 minutes, then closed, and paying it is refused', async () => {
  let now = Date.parse('2026-11-21T10:00:00Z')
  const { sb } = sandbox([], () => now)
  const res = (await sb.call('unifiedOrder', ORDER, INFO)) as Record<string, any>
  const close = () =>
    sb.call('closeOrder', { sub_mch_id: ORDER.sub_mch_id, out_trade_no: ORDER.out_trade_no, nonce_str: 'x' }, INFO)
  expect(await close()).toMatchObject({
    result_code: 'FAIL',
    err_code_des: '订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟',
  })
  now += 5 * 60_000
  expect(await close()).toMatchObject({ result_code: 'SUCCESS' })
  expect(await sb.userPays(res.payment, 'o-payer')).toEqual({ ok: false, errMsg: 'requestPayment:fail 订单已关闭' })
})

test('unifiedOrder limits: body at most 128 bytes, time_expire well formed and more than 1 minute away', async () => {
  const now = Date.parse('2026-11-21T10:00:00Z')
  const { sb } = sandbox([], () => now)
  const order = (extra: Record<string, unknown>) =>
    sb.call('unifiedOrder', { ...ORDER, out_trade_no: `T${Math.random().toString().slice(2, 18)}`, ...extra }, INFO)
  expect(await order({ body: '咖'.repeat(43) })).toEqual({ return_code: 'FAIL', return_msg: 'body参数长度有误' }) // 129 bytes
  expect(await order({ body: '咖'.repeat(42) })).toMatchObject({ result_code: 'SUCCESS' }) // 126 bytes
  expect(await order({ time_expire: '2026-11-21 18:30' })).toEqual({
    return_code: 'FAIL',
    return_msg: 'time_expire参数格式校验错误',
  })
  expect(await order({ time_expire: '20261121180030' })).toEqual({
    return_code: 'FAIL',
    return_msg: 'time_expire时间过短，最短失效时间间隔必须大于1分钟',
  }) // 30 s (Beijing time)
  expect(await order({ time_expire: '20261121180200' })).toMatchObject({ result_code: 'SUCCESS' })
})

test('a prepay lives 2 hours: paying with an older one fails; ordering again gives a new one', async () => {
  let now = Date.parse('2026-11-21T10:00:00Z')
  const { sb } = sandbox([], () => now)
  const first = (await sb.call('unifiedOrder', ORDER, INFO)) as Record<string, any>
  now += 2 * 3600_000
  expect(await sb.userPays(first.payment, 'o-payer')).toEqual({
    ok: false,
    errMsg: 'requestPayment:fail prepay_id expired',
  })
  const again = (await sb.call('unifiedOrder', ORDER, INFO)) as Record<string, any>
  expect(again.prepay_id).not.toBe(first.prepay_id)
  expect(await sb.userPays(again.payment, 'o-payer')).toMatchObject({ ok: true })
})

test('userPays checks the signature, the payer and the expiry like WeChat', async () => {
  const { sb, received } = sandbox()
  const res = (await sb.call('unifiedOrder', { ...ORDER, time_expire: '20991231235959' }, INFO)) as Record<string, any>
  expect(await sb.userPays({ ...res.payment, timeStamp: '1' }, 'o-payer')).toMatchObject({
    ok: false,
    errMsg: expect.stringContaining('签名'),
  })
  expect(await sb.userPays(res.payment, 'o-someone-else')).toMatchObject({ ok: false })
  expect(await sb.userPays(res.payment, 'o-payer')).toMatchObject({ ok: true })
  expect(await sb.userPays(res.payment, 'o-payer')).toMatchObject({
    ok: false,
    errMsg: 'requestPayment:fail 该订单已支付',
  })
  expect(received).toHaveLength(1)
  expect(received[0]!.event).toMatchObject({
    returnCode: 'SUCCESS',
    resultCode: 'SUCCESS',
    outTradeNo: ORDER.out_trade_no,
    totalFee: 1800,
    subMchId: '1900000109',
  })

  let now = Date.parse('2026-11-21T10:00:00Z')
  const { sb: sb2 } = sandbox([], () => now)
  const late = (await sb2.call('unifiedOrder', { ...ORDER, time_expire: '20261121180200' }, INFO)) as Record<
    string,
    any
  > // 2 min (Beijing time)
  now += 3 * 60_000
  expect(await sb2.userPays(late.payment, 'o-payer')).toEqual({ ok: false, errMsg: 'requestPayment:fail 订单已过期' })
})

test('re-delivers until { errcode: 0 }, bounded; gives up and marks the notification lost', async () => {
  const { sb, received } = sandbox([{ errcode: 1 }, new Error('crash'), 'success', { errcode: 0, errmsg: '' }])
  await sb.call('unifiedOrder', ORDER, INFO)
  await sb.pay(ORDER.out_trade_no)
  expect(received).toHaveLength(4)
  expect(sb.deliveries[0]).toMatchObject({ acked: true })

  const never = sandbox(Array.from({ length: 20 }, () => ({ errcode: 500 })))
  never.sb.maxAttempts = 5
  await never.sb.call('unifiedOrder', ORDER, INFO)
  await never.sb.pay(ORDER.out_trade_no)
  expect(never.received).toHaveLength(5)
  expect(never.sb.deliveries[0]!.lost).toContain('after 5 attempts')
})

test('duplicates, holds with reordering, and delays', async () => {
  const { sb, received } = sandbox()
  await sb.call('unifiedOrder', ORDER, INFO)
  await sb.call('unifiedOrder', { ...ORDER, out_trade_no: 'T2' }, INFO)
  await sb.call('unifiedOrder', { ...ORDER, out_trade_no: 'T3' }, INFO)
  await sb.pay(ORDER.out_trade_no, { duplicates: 2 })
  expect(received).toHaveLength(3)
  await sb.pay('T2', { hold: true })
  await sb.pay('T3', { hold: true })
  expect(received).toHaveLength(3)
  await sb.flush({ reverse: true })
  expect(received.slice(3).map((r) => r.event.outTradeNo)).toEqual(['T3', 'T2'])
  await sb.call('unifiedOrder', { ...ORDER, out_trade_no: 'T4' }, INFO)
  await sb.pay('T4', { delayMs: 5 })
  expect(received).toHaveLength(5)
  await sb.idle()
  expect(received).toHaveLength(6)
})
