/**
 * @jest-environment jsdom
 *
 * "My orders" and the order page: rows with status and amount, paging, paying an unpaid
 * order, refunding a paid one, and someone else's order.
 */
import { render, settle, type Rendered } from '../setup/miniprogram'
import { payPageWorld } from './page-world'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const USER = { openid: 'o-orders' }
const world = payPageWorld(USER)

const text = (page: Rendered, sel: string) =>
  page.querySelector(sel)?.dom.textContent?.replace(/\s+/g, ' ').trim() ?? ''
const order = (id: string) => world.cloud.db.dump('orders').find((o) => o._id === id)!

async function create(productId: string, paid: boolean): Promise<string> {
  const { result } = await world.cloud.callFromClient(
    'pay',
    {
      action: 'createOrder',
      productId,
      quantity: 1,
      requestId: `req-${productId}-${Math.random().toString(36).slice(2)}`,
    },
    USER,
  )
  const id = (result as { data: { order: { orderId: string } } }).data.order.orderId
  if (paid) await world.cloud.cloudPay.pay(id)
  return id
}

async function openOrder(id: string): Promise<Rendered> {
  const page = render('pages/pay/order/index')
  page.instance.onLoad({ id })
  await settle(20)
  return page
}

test('the order list shows each order with status and amount, newest first, and opens one', async () => {
  const unpaid = await create('coffee', false)
  await new Promise((r) => setTimeout(r, 3))
  const paid = await create('vip-month', true)
  const page = render('pages/pay/orders/index')
  page.instance.onShow()
  await settle(20)
  expect(page.data.state).toBe('READY')
  const rows = page.querySelectorAll('.order')
  expect(rows).toHaveLength(2)
  expect(text(page, `#order-${paid}`)).toContain('Paid')
  expect(text(page, `#order-${paid}`)).toContain('¥15.00')
  expect(text(page, `#order-${unpaid}`)).toContain('Awaiting payment')
  expect(page.data.orders[0].orderId).toBe(paid)
  page.querySelector(`#order-${unpaid}`)!.dispatchEvent('tap')
  await settle()
  expect(world.fake.navigations.at(-1)).toBe(`/pages/pay/order/index?id=${unpaid}`)
})

test('an unpaid order: pay from its page, then it shows paid and refundable', async () => {
  const id = await create('sticker-pack', false)
  const page = await openOrder(id)
  expect(text(page, '#status')).toBe('Awaiting payment')
  expect(text(page, '#amount')).toBe('¥1.00')
  expect(page.querySelector('#expires')).toBeTruthy()
  page.querySelector('#pay')!.dispatchEvent('tap')
  await settle(40)
  expect(order(id).status).toBe('PAID')
  expect(text(page, '#status')).toBe('Paid')
  expect(text(page, '#notice')).toBe('Paid. Thank you!')
  expect(page.querySelector('#paid-at')).toBeTruthy()
  expect(page.querySelector('#fulfilled-at')).toBeTruthy()
  expect(page.querySelector('#refund-btn')).toBeTruthy()
})

test('refund: confirm, REFUNDING shown; the refund callback makes it REFUNDED', async () => {
  const id = await create('coffee', true)
  const page = await openOrder(id)
  world.fake.modalConfirm = false
  page.querySelector('#refund-btn')!.dispatchEvent('tap')
  await settle(20)
  expect(world.cloud.cloudPay.callsTo('refund')).toHaveLength(0)
  world.fake.modalConfirm = true
  page.querySelector('#refund-btn')!.dispatchEvent('tap')
  await settle(40)
  expect(order(id).status).toBe('REFUNDING')
  expect(text(page, '#status')).toBe('Refund in progress')
  expect(text(page, '#refund')).toBe('¥18.00 (in progress)')
  expect(page.querySelector('#refund-btn')).toBeFalsy()
  await world.cloud.cloudPay.settleRefund(`${id}R1`)
  page.instance.onPullDownRefresh()
  await settle(20)
  expect(text(page, '#status')).toBe('Refunded')
})

test("someone else's order, or none: a clear error", async () => {
  const id = await create('coffee', false)
  world.fake.user = { openid: 'o-intruder' }
  const page = await openOrder(id)
  world.fake.user = USER
  expect(page.data.state).toBe('ERROR')
  expect(text(page, '#error')).toContain('does not exist or is not yours')
  const none = await openOrder('')
  expect(text(none, '#error')).toContain('No order was given')
})
