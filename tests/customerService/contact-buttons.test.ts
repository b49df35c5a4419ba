/**
 * @jest-environment jsdom
 *
 * The entry points into customer service: contact buttons on the order page and the profile
 * page, rendered by the official WXML compiler. Their session-from is what the welcome reads;
 * the card options send the page back into the chat; tapping a card in the chat comes back
 * through bindcontact.
 */
import { decodeSessionFrom } from '../../miniprogram/shared/session-from'
import { attrsOf, render, settle } from '../setup/miniprogram'
import { payPageWorld } from '../pay/page-world'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const USER = { openid: 'o-contact-user' }
const world = payPageWorld(USER)

async function paidOrder(): Promise<string> {
  const { result } = await world.cloud.callFromClient(
    'pay',
    {
      action: 'createOrder',
      productId: 'coffee',
      quantity: 1,
      requestId: `req-contact-${Math.random().toString(36).slice(2)}`,
    },
    USER,
  )
  const id = (result as { data: { order: { orderId: string } } }).data.order.orderId
  await world.cloud.cloudPay.pay(id)
  return id
}

test('the order page: a contact button whose session-from names the order, with the order as the message card', async () => {
  const id = await paidOrder()
  const page = render('pages/pay/order/index')
  page.instance.onLoad({ id })
  await settle(20)
  const attrs = attrsOf(page.querySelector('#contact'))
  expect(attrs).toMatchObject({
    openType: 'contact',
    showMessageCard: true,
    sendMessageTitle: '咖啡券',
    sendMessagePath: `/pages/pay/order/index?id=${id}`,
  })
  expect(decodeSessionFrom(String(attrs.sessionFrom))).toEqual({ page: 'order', orderId: id })
})

test('what the button hands WeChat makes the welcome about this order (the whole path, through the push)', async () => {
  const id = await paidOrder()
  const page = render('pages/pay/order/index')
  page.instance.onLoad({ id })
  await settle(20)
  const sessionFrom = String(attrsOf(page.querySelector('#contact')).sessionFrom)
  // The user taps it: WeChat opens the chat and pushes user_enter_tempsession with that SessionFrom.
  const push = world.cloud.push
  push.timing = { waitMs: 1000, retries: 3 }
  const d = await push.user(push.enter(USER.openid, sessionFrom))
  expect(d.acked).toBe(true)
  const [welcome] = world.cloud.openapi
    .callsTo('customerServiceMessage.send')
    .filter((c) => c.params.touser === USER.openid)
  expect(welcome!.params).toMatchObject({
    msgtype: 'text',
    text: { content: '你好！你从订单“咖啡券”（已支付）进入客服。请告诉我们需要什么帮助，我们会尽快处理。' },
  })
})

test('back from the chat through a card: bindcontact opens the page it names, not the one already open', async () => {
  const id = await paidOrder()
  const page = render('pages/pay/order/index')
  page.instance.onLoad({ id })
  await settle(20)
  const before = world.fake.navigations.length
  page.querySelector('#contact')!.dispatchEvent('contact', { detail: { path: 'pages/pay/order/index', query: { id } } })
  await settle()
  expect(world.fake.navigations).toHaveLength(before)
  page.querySelector('#contact')!.dispatchEvent('contact', { detail: { path: 'pages/pay/orders/index', query: {} } })
  await settle()
  expect(world.fake.navigations.at(-1)).toBe('/pages/pay/orders/index')
  page.querySelector('#contact')!.dispatchEvent('contact', { detail: { path: 'https://evil.example/x', query: {} } })
  await settle()
  expect(world.fake.navigations.at(-1)).toBe('/pages/pay/orders/index')
})

test('the profile page: a contact button from "profile" with the profile page as the card', async () => {
  const page = render('pages/profile/index')
  page.instance.onLoad()
  await settle(20)
  const attrs = attrsOf(page.querySelector('#contact'))
  expect(attrs).toMatchObject({
    openType: 'contact',
    showMessageCard: true,
    sendMessageTitle: 'My profile',
    sendMessagePath: '/pages/profile/index',
  })
  expect(decodeSessionFrom(String(attrs.sessionFrom))).toEqual({ page: 'profile' })
})
