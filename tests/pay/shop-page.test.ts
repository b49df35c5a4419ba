/**
 * @jest-environment jsdom
 *
 * The shop page end to end: page -> pay function (deployed bundle) -> WeChat Pay sandbox ->
 * payCallback -> database -> subscribe message -> what the page shows.
 */
import { render, settle, type Rendered } from '../setup/miniprogram'
import { TMPL_PAID, TMPL_REFUNDED } from './helpers'
import { payPageWorld } from './page-world'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const USER = { openid: 'o-shopper' }
const world = payPageWorld(USER)

const orders = () => world.cloud.db.dump('orders') as Array<Record<string, any>>
const text = (page: Rendered, sel: string) => page.querySelector(sel)?.dom.textContent?.trim() ?? ''

async function openShop(): Promise<Rendered> {
  const page = render('pages/pay/index')
  page.instance.onLoad({})
  await settle(20)
  return page
}

async function tapBuy(page: Rendered, productId = 'coffee') {
  page.querySelector(`#buy-${productId}`)!.dispatchEvent('tap')
  await settle(40)
}

beforeEach(() => {
  world.fake.payment = 'pay'
  world.fake.paymentDelivery = {}
  world.fake.subscribeAnswer = 'accept'
})

test('lists the catalogue with server prices', async () => {
  const page = await openShop()
  expect(page.data.state).toBe('READY')
  expect(page.querySelectorAll('.product')).toHaveLength(3)
  expect(text(page, '#buy-coffee')).toBe('¥18.00')
  expect(page.querySelector('#buy-retired-mug')).toBeFalsy()
})

test('happy path: subscribe, order, pay, callback, PAID, message sent, page shows paid', async () => {
  const page = await openShop()
  const before = orders().length
  await tapBuy(page)
  expect(world.fake.subscribeRequests.at(-1)).toEqual([TMPL_PAID, TMPL_REFUNDED])
  expect(orders()).toHaveLength(before + 1)
  const order = orders().at(-1)!
  expect(order).toMatchObject({ status: 'PAID', paidVia: 'callback', _openid: 'o-shopper' })
  expect(world.cloud.cloudPay.deliveries.at(-1)!.acked).toBe(true)
  expect(world.cloud.openapi.callsTo('subscribeMessage.send').at(-1)).toMatchObject({
    ok: true,
    params: { touser: 'o-shopper', template_id: TMPL_PAID },
  })
  expect(page.data.buy).toBe('PAID')
  expect(text(page, '#flow-state')).toBe('Paid. Thank you!')
  expect(text(page, '#order-total')).toBe('¥18.00')
  page.querySelector('#view-order')!.dispatchEvent('tap')
  await settle()
  expect(world.fake.navigations.at(-1)).toBe(`/pages/pay/order/index?id=${order._id}`)
})

test('cancel: the order stays payable; "continue paying" pays the same order', async () => {
  const page = await openShop()
  world.fake.payment = 'cancel'
  const before = orders().length
  await tapBuy(page, 'vip-month')
  expect(page.data.buy).toBe('CANCELLED')
  expect(text(page, '#flow-state')).toContain('Payment cancelled')
  expect(page.querySelector('#continue')).not.toBeNull()
  expect(orders()).toHaveLength(before + 1)
  expect(orders().at(-1)!.status).toBe('UNPAID')

  world.fake.payment = 'pay'
  page.querySelector('#continue')!.dispatchEvent('tap')
  await settle(40)
  expect(page.data.buy).toBe('PAID')
  expect(orders()).toHaveLength(before + 1)
  expect(orders().at(-1)!.status).toBe('PAID')
})

test('client says paid but the callback is late: the page confirms through queryOrder', async () => {
  const page = await openShop()
  world.fake.paymentDelivery = { hold: true }
  await tapBuy(page, 'sticker-pack')
  const order = orders().at(-1)!
  expect(order).toMatchObject({ status: 'PAID', paidVia: 'query' })
  expect(page.data.buy).toBe('PAID')
  await world.cloud.cloudPay.flush()
  expect(world.cloud.cloudPay.deliveries.at(-1)!.acked).toBe(true)
  expect(world.cloud.db.dump('fulfilments').filter((f) => f._id === order._id)).toHaveLength(1)
})

test('createOrder lost to the network: "buy" again reuses the request id, one order', async () => {
  const page = await openShop()
  world.fake.failNextCalls(1, { errMsg: 'request:fail timeout' })
  const before = orders().length
  await tapBuy(page)
  expect(page.data.buy).toBe('FAILED')
  expect(text(page, '#flow-state')).toContain('took too long')
  const firstRequest = world.fake.calls.filter((c) => c.data.action === 'createOrder').at(-1)!.data.requestId
  await tapBuy(page)
  const secondRequest = world.fake.calls.filter((c) => c.data.action === 'createOrder').at(-1)!.data.requestId
  expect(secondRequest).toBe(firstRequest)
  expect(page.data.buy).toBe('PAID')
  expect(orders()).toHaveLength(before + 1)
})

test('a rejected subscription still buys; no message is sent', async () => {
  const page = await openShop()
  world.fake.subscribeAnswer = 'reject'
  world.fake.user = { openid: 'o-never-subscribed' } // earlier tests left credits for o-shopper
  const sends = world.cloud.openapi.callsTo('subscribeMessage.send').length
  await tapBuy(page)
  expect(page.data.buy).toBe('PAID')
  expect(world.cloud.openapi.callsTo('subscribeMessage.send')).toHaveLength(sends)
  expect(orders().at(-1)!.notices.paid.status).toBe('NO_CREDIT')
  world.fake.user = USER
})

test('a payment WeChat refuses shows the reason and keeps the order payable', async () => {
  const page = await openShop()
  // A payment object altered on the way: WeChat refuses the signature.
  const realPay = world.fake.wx.requestPayment as (p: Record<string, unknown>) => Promise<unknown>
  ;(globalThis as any).wx.requestPayment = (p: Record<string, unknown>) => realPay({ ...p, paySign: 'BAD' })
  await tapBuy(page)
  ;(globalThis as any).wx.requestPayment = realPay
  expect(page.data.buy).toBe('FAILED')
  expect(text(page, '#flow-state')).toContain('Payment did not go through')
  expect(page.querySelector('#continue')).not.toBeNull()
  expect(orders().at(-1)!.status).toBe('UNPAID')
})
