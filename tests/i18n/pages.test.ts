/**
 * @jest-environment jsdom
 *
 * A page in a Chinese WeChat turns an error code into a Chinese sentence from the locale table,
 * not the server's English message (#17: error codes mapped on the client).
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
  const { result } = await world.cloud.callFromClient('pay', { action: 'createOrder', productId: 'coffee', quantity: 1, requestId: 'req-zh-000001' }, { openid: 'o-someone-else' })
  const id = (result as { data: { order: { orderId: string } } }).data.order.orderId
  const page = render('pages/pay/order/index')
  page.instance.onLoad({ id })
  await settle(20)
  expect(page.data.state).toBe('ERROR')
  expect(page.data.error).toBe('订单不存在或不属于你，可在“我的订单”中查看。')
})
