/**
 * Hostile input to the entry points (#16.1, #16.10): bounded time and answer size, typed errors,
 * nothing written, no crash on objects that refuse to become text.
 */
import { LocalCloud } from '../../localcloud'
import { takeConsole } from '../setup/console'

const ALICE = { openid: 'o-alice' }
const writes = (cloud: LocalCloud) => cloud.db.log.filter((l) => /insert|modify|remove|commit/.test(l.action)).length
const hostile = () => ({ toString: 5, valueOf: 5 }) // String(x) throws

async function signedIn() {
  const cloud = new LocalCloud()
  await cloud.callFromClient('user', { action: 'login' }, ALICE)
  cloud.openapi.userVisited(ALICE.openid)
  return cloud
}

test('a 1 MB nickname is refused at once, with a short answer, writing nothing', async () => {
  const cloud = await signedIn()
  const before = writes(cloud)
  const t0 = performance.now()
  const { result } = await cloud.callFromClient(
    'user',
    { action: 'updateProfile', nickname: '字'.repeat(1_000_000) },
    ALICE,
  )
  const ms = performance.now() - t0
  expect(result).toMatchObject({
    ok: false,
    error: { code: 'INVALID_INPUT', message: expect.stringContaining('too large') },
  })
  expect(JSON.stringify(result).length).toBeLessThan(4096)
  expect(ms).toBeLessThan(1000) // measured ~20 ms; the old grapheme count took seconds for 80k characters
  expect(writes(cloud)).toBe(before)
  expect(cloud.openapi.callsTo('security.msgSecCheck')).toHaveLength(0)
})

test('a long nickname under the size cap is cut short before any grapheme counting', async () => {
  const cloud = await signedIn()
  const { result } = await cloud.callFromClient(
    'user',
    { action: 'updateProfile', nickname: 'x'.repeat(60_000) },
    ALICE,
  )
  expect(result).toMatchObject({
    ok: false,
    error: { code: 'INVALID_INPUT', issues: ['nickname: nickname must be at most 20 characters'] },
  })
})

test.each([
  ['NUL', 'Bo\u0000b'],
  ['a right-to-left override', 'Bo\u202Eb'],
  ['a lone surrogate', 'Bo\uD800b'],
  ['a zero-width space', 'Bo\u200Bb'],
])('a nickname with %s is refused', async (_name, nickname) => {
  const cloud = await signedIn()
  const { result } = await cloud.callFromClient('user', { action: 'updateProfile', nickname }, ALICE)
  expect(result).toMatchObject({
    ok: false,
    error: { code: 'INVALID_INPUT', issues: ['nickname: nickname has invisible or broken characters'] },
  })
})

test('an emoji family (joined with ZWJ) is a fine nickname', async () => {
  const cloud = await signedIn()
  const { result } = await cloud.callFromClient('user', { action: 'updateProfile', nickname: '阿明👨‍👩‍👧' }, ALICE)
  expect(result).toMatchObject({ ok: true })
})

test('error answers do not echo hostile input at length', async () => {
  const cloud = await signedIn()
  const long = 'A'.repeat(50_000)
  for (const data of [
    { action: long },
    { action: 'updateProfile', [long.slice(0, 10_000)]: 1 },
    { action: 'updateProfile', nickname: 12345678901234567890n.toString().repeat(100) },
  ]) {
    const { result } = await cloud.callFromClient('user', data, ALICE)
    expect(JSON.stringify(result).length).toBeLessThan(4096)
  }
})

test('payment callbacks fed objects that refuse to become text: acknowledged or refused with a code, never a crash', async () => {
  const cloud = new LocalCloud({ vars: { PAY_SUB_MCH_ID: '1900000109' } })
  const answer = await cloud.invoke(
    'payCallback',
    {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: hostile(),
      transactionId: hostile(),
      totalFee: hostile(),
      timeEnd: hostile(),
    },
    {},
    'wx_paycallback',
  )
  expect(answer).toEqual({ errcode: 0, errmsg: '' })
  const refund = await cloud.invoke(
    'payRefundCallback',
    { returnCode: 'SUCCESS', reqInfo: hostile(), nonceStr: hostile() },
    {},
    'wx_paycallback',
  )
  expect(refund).toEqual({ errcode: 0, errmsg: '' })
  expect(
    await cloud.invoke('payCallback', { returnCode: 'SUCCESS', pad: 'x'.repeat(20_000) }, {}, 'wx_paycallback'),
  ).toEqual({ errcode: 413, errmsg: 'notification too large' })
  expect(cloud.db.dump('orders')).toEqual([])
  expect(cloud.db.dump('pay_incidents')).toEqual([])
  expect(takeConsole('error')).toEqual([
    expect.stringContaining('"unconfirmed":"malformed notification"'),
    expect.stringContaining('"unconfirmed":"no readable refund'),
  ])
})

test('the push handler with a hostile or oversized event answers success and sends nothing', async () => {
  const cloud = new LocalCloud()
  expect(
    await cloud.invoke(
      'customerService',
      { MsgType: hostile(), Event: hostile(), FromUserName: 'o-1', CreateTime: 1 },
      {},
      'wx_unknown',
    ),
  ).toBe('success')
  expect(
    await cloud.invoke(
      'customerService',
      { MsgType: 'text', FromUserName: 'o-1', CreateTime: 1, MsgId: '1', Content: 'x'.repeat(100_000) },
      {},
      'wx_unknown',
    ),
  ).toBe('success')
  expect(cloud.openapi.callsTo('customerServiceMessage.send')).toHaveLength(0)
  expect(takeConsole('log').map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
    expect.objectContaining({ ignored: expect.stringContaining('unsupported or malformed push') }),
    expect.objectContaining({ ignored: 'push too large' }),
  ])
})
