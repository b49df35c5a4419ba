/**
 * @jest-environment jsdom
 *
 * Pages in a Chinese WeChat: an error code becomes a Chinese sentence from the locale table, not
 * the server's English message (#17: error codes mapped on the client); the pay pages' titles,
 * texts and catalogue are Chinese; empty states offer the next step.
 */
import { resetLocale } from '../../miniprogram/lib/i18n'
import { render, settle } from '../setup/miniprogram'
import { payPageWorld } from '../pay/page-world'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = payPageWorld({ openid: 'o-zh-user' })

afterAll(() => {
  world.fake.language = 'en'
  resetLocale()
})

test('an order that is not yours: the Chinese sentence of ORDER_NOT_FOUND, pointing to My orders', async () => {
  world.fake.language = 'zh_CN'
  resetLocale()
  const { result } = await world.cloud.callFromClient(
    'pay',
    { action: 'createOrder', productId: 'coffee', quantity: 1, requestId: 'req-zh-000001' },
    { openid: 'o-someone-else' },
  )
  const id = (result as { data: { order: { orderId: string } } }).data.order.orderId
  const page = render('pages/pay/order/index')
  page.instance.onLoad({ id })
  await settle(20)
  expect(page.data.state).toBe('ERROR')
  expect(page.data.error).toBe('订单不存在或不属于你，可在“我的订单”中查看。')
  // Retrying cannot help: the next step is My orders, not Try again.
  expect(page.querySelector('#retry')).toBeFalsy()
  page.querySelector('#go-orders')!.dispatchEvent('tap')
  await settle()
  expect(world.fake.navigations.at(-1)).toBe('/pages/pay/orders/index')
})

test('the shop in a Chinese WeChat: Chinese title, catalogue from the server in Chinese, a spoken label on each price button', async () => {
  world.fake.language = 'zh_CN'
  resetLocale()
  const page = render('pages/pay/index')
  page.instance.onLoad({})
  await settle(20)
  expect(world.fake.navigationTitle).toBe('商店')
  expect(page.querySelector('.product .title')!.dom.textContent!.trim()).toBe('咖啡券')
  const buy = page.querySelector('#buy-coffee')!
  expect(buy.dom.textContent!.trim()).toBe('¥18.00')
  expect(page.data.products[0].label).toBe('购买咖啡券，¥18.00')
  expect(page.querySelector('#my-orders')!.dom.textContent).toContain('我的订单')
})

test('My orders, empty, in Chinese: says so and offers the shop as the next step', async () => {
  world.fake.language = 'zh_CN'
  resetLocale()
  const page = render('pages/pay/orders/index')
  page.instance.onLoad({})
  page.instance.onShow()
  await settle(20)
  expect(world.fake.navigationTitle).toBe('我的订单')
  expect(page.querySelector('#empty')!.dom.textContent).toContain('还没有订单。')
  page.querySelector('#go-shop')!.dispatchEvent('tap')
  await settle()
  expect(world.fake.navigations.at(-1)).toBe('/pages/pay/index')
})
