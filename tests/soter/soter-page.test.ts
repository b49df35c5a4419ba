/**
 * @jest-environment jsdom
 *
 * The SOTER page: only the methods this phone supports and has set up; each client errCode's
 * message and fallback; the server's refusal; and the refund flow from the order page through
 * SOTER_REQUIRED, the fingerprint, and back with the proof.
 */
import { createWorld, render, settle, type Rendered } from '../setup/miniprogram'
import { markCloudReady } from '../../miniprogram/lib/call'
import { TEXTS } from '../../miniprogram/pages/soter/texts'
import { SOTER_ERRORS, availableModes, purposeOf, soterFailure } from '../../miniprogram/pages/soter/logic'
import { PAY_VARS, TMPL_PAID, TMPL_REFUNDED, quietFunctionLogs } from '../pay/helpers'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const USER = { openid: 'o-soter-page' }
const world = createWorld(USER, { vars: { ...PAY_VARS, PAY_REFUND_REQUIRES_SOTER: '1' } })
world.cloud.openapi.templates.add(TMPL_PAID).add(TMPL_REFUNDED)
markCloudReady(true)
quietFunctionLogs()

const text = (p: Rendered, sel: string) => p.querySelector(sel)?.dom.textContent?.replace(/\s+/g, ' ').trim() ?? ''

async function openSoter(query: Record<string, string> = {}): Promise<Rendered> {
  const p = render('pages/soter/index')
  p.instance.onLoad(query)
  await settle(10)
  return p
}

beforeEach(() => {
  world.fake.soter = {
    supportMode: ['fingerPrint', 'facial'],
    enrolled: { fingerPrint: true, facial: false },
    answer: 'ok',
    cpuId: 'cpu-page-phone',
  }
})

describe('what the phone can do', () => {
  test('supported and set up: a button; supported, not set up: a note; unsupported: nothing', async () => {
    const p = await openSoter()
    expect(p.data.state).toBe('READY')
    expect(p.querySelector('#start-fingerPrint')).toBeTruthy()
    expect(p.querySelector('#start-facial')).toBeFalsy()
    expect(text(p, '#not-set-facial')).toBe('Face: not set up on this phone')
    world.fake.soter.supportMode = ['facial']
    world.fake.soter.enrolled = { facial: true }
    const q = await openSoter()
    expect(q.querySelector('#start-facial')).toBeTruthy()
    expect(q.querySelector('#start-fingerPrint')).toBeFalsy()
    expect(q.querySelector('#not-set-fingerPrint')).toBeFalsy()
  })

  test('no method: UNSUPPORTED with the fallback; nothing set up: NOT_ENROLLED with the way to set it up', async () => {
    world.fake.soter.supportMode = []
    const p = await openSoter()
    expect(p.data.state).toBe('UNSUPPORTED')
    expect(text(p, '#fallback')).toContain('contact customer service')
    // The next step: a contact button, not a retry that cannot help.
    expect(p.querySelector('#contact')).toBeTruthy()
    expect(p.querySelector('#retry')).toBeFalsy()
    world.fake.soter.supportMode = ['fingerPrint']
    world.fake.soter.enrolled = {}
    const q = await openSoter()
    expect(q.data.state).toBe('NOT_ENROLLED')
    expect(text(q, '#message')).toContain('system settings')
  })
})

describe('client errCodes', () => {
  const cases: Array<[number, string, RegExp | null]> = [
    [90001, 'UNSUPPORTED', /cannot do fingerprint or face/],
    [90002, 'ERROR', /not allowed/],
    [90003, 'UNSUPPORTED', /does not support that method/],
    [90004, 'ERROR', /challenge was refused/],
    [90005, 'ERROR', /prompt was too long/],
    [90006, 'ERROR', /failed on this phone/],
    [90007, 'ERROR', /internal error/],
    [90008, 'READY', null],
    [90009, 'READY', /Not recognised/],
    [90010, 'LOCKED', /locked/],
    [90011, 'NOT_ENROLLED', /Nothing is set up/],
  ]
  test.each(cases)('%i → %s', async (code, state, message) => {
    const p = await openSoter()
    world.fake.soter.answer = code
    const verifies = world.cloud.openapi.callsTo('soter.verifySignature').length
    p.querySelector('#start-fingerPrint')!.dispatchEvent('tap')
    await settle(20)
    expect(p.data.state).toBe(state)
    if (message) expect(text(p, '#message')).toMatch(message)
    else expect(p.data.message).toBe('')
    expect(world.cloud.openapi.callsTo('soter.verifySignature')).toHaveLength(verifies)
    // A retry is offered wherever retrying can help.
    expect(!!p.querySelector('#retry')).toBe(['ERROR', 'LOCKED', 'NOT_ENROLLED'].includes(state))
    if (state === 'READY') expect(p.querySelector('#start-fingerPrint')).toBeTruthy()
  })

  test('after a cancel the user can go again, and it works', async () => {
    const p = await openSoter()
    world.fake.soter.answer = 90008
    p.querySelector('#start-fingerPrint')!.dispatchEvent('tap')
    await settle(20)
    world.fake.soter.answer = 'ok'
    p.querySelector('#start-fingerPrint')!.dispatchEvent('tap')
    await settle(30)
    expect(p.data.state).toBe('VERIFIED')
    expect(text(p, '#verified')).toBe('Fingerprint confirmed.')
  })
})

test("WeChat refusing the signature: the server's message, and a retry", async () => {
  world.cloud.openapi.on('soter.verifySignature', () => ({ errcode: 0, errmsg: 'ok', is_ok: false }))
  try {
    const p = await openSoter()
    p.querySelector('#start-fingerPrint')!.dispatchEvent('tap')
    await settle(30)
    expect(p.data.state).toBe('ERROR')
    expect(text(p, '#message')).toContain('WeChat could not confirm')
    expect(p.querySelector('#retry')).toBeTruthy()
  } finally {
    // Put the sandbox's own handler back.
    world.cloud.openapi.soter.install()
  }
})

test('refund with SOTER: the order page asks, the SOTER page confirms, the proof comes back and the refund goes through', async () => {
  const { result } = await world.cloud.callFromClient(
    'pay',
    { action: 'createOrder', productId: 'coffee', quantity: 1, requestId: 'req-soter-refund-1' },
    USER,
  )
  const orderId = (result as { data: { order: { orderId: string } } }).data.order.orderId
  await world.cloud.cloudPay.pay(orderId)
  const order = render('pages/pay/order/index')
  order.instance.onLoad({ id: orderId })
  await settle(20)
  world.fake.modalConfirm = true
  order.querySelector('#refund-btn')!.dispatchEvent('tap')
  await settle(30)
  const url = `/pages/soter/index?purpose=CONFIRM_REFUND&subject=${orderId}&back=1`
  expect(world.fake.navigations.at(-1)).toBe(url)
  expect(world.cloud.cloudPay.callsTo('refund')).toHaveLength(0)

  // The SOTER page, opened with that url; its event channel leads to the order page's events.
  const soter = render('pages/soter/index')
  const opener = world.fake.navigationEvents[url]!
  soter.instance.getOpenerEventChannel = () => ({ emit: (name: string, data: unknown) => opener[name]?.(data) })
  soter.instance.onLoad({ purpose: 'CONFIRM_REFUND', subject: orderId, back: '1' })
  await settle(10)
  expect(text(soter, '.why')).toContain('Confirm the refund')
  soter.querySelector('#start-fingerPrint')!.dispatchEvent('tap')
  await settle(60)
  expect(soter.data.message).toBe('')
  expect(soter.data.state).toBe('VERIFIED')
  expect(world.fake.navigations.at(-1)).toBe('back')
  // The prompt was the server's, within 42 characters.
  const challenge = world.cloud.db.dump('soter_challenges').at(-1)!
  expect(challenge).toMatchObject({ purpose: 'CONFIRM_REFUND', subject: orderId, usedAt: expect.anything() })
  expect(world.cloud.db.dump('orders').find((o) => o._id === orderId)!.status).toBe('REFUNDING')
  expect(world.cloud.cloudPay.callsTo('refund')).toHaveLength(1)
  expect(text(order, '#status')).toBe('Refund in progress')
})

test('logic: purposes, modes and unknown codes', () => {
  expect(purposeOf('CONFIRM_REFUND')).toBe('CONFIRM_REFUND')
  expect(purposeOf('DROP TABLE')).toBe('CONFIRM_IDENTITY')
  const t = TEXTS.en
  expect(availableModes(['speech', 'facial', 'fingerPrint'], { facial: true }, t)).toEqual([
    { mode: 'fingerPrint', label: 'Fingerprint', enrolled: false },
    { mode: 'facial', label: 'Face', enrolled: true },
  ])
  expect(Object.keys(SOTER_ERRORS).map(Number)).toEqual(Array.from({ length: 11 }, (_, i) => 90001 + i))
  expect(soterFailure({ errCode: 12345, errMsg: 'x' }, t)).toMatchObject({
    fallback: 'RETRY',
    message: expect.stringContaining('12345'),
  })
  expect(soterFailure({ errMsg: 'startSoterAuthentication:fail cancel' }, t).fallback).toBe('RETRY')
  expect(soterFailure({ errCode: 1, errMsg: 'startSoterAuthentication:fail user cancel' }, t).fallback).toBe('STAY')
  // Every documented code has a sentence in both languages (only the cancel is silent).
  for (const locale of Object.values(TEXTS)) {
    for (const code of Object.keys(SOTER_ERRORS)) {
      const { message } = soterFailure({ errCode: Number(code) }, locale)
      if (code === '90008') expect(message).toBe('')
      else expect(message.length).toBeGreaterThan(4)
    }
  }
  expect(soterFailure({ errCode: 90010 }, TEXTS.zh_CN).message).toContain('锁定')
})
