/**
 * The paid message in the payer's language: subscribeMessage.send's `lang` (sendMessage.html:
 * zh_CN, en_US, zh_HK, zh_TW) sets the "进入小程序查看" / "Enter mini program" line.
 */
import { TMPL_PAID, payWorld } from './helpers'

test.each([
  ['zh_CN', 'zh_CN'],
  ['en', 'en_US'],
])('a payer reading %s gets lang %s, and a page of the app', async (language, lang) => {
  const w = payWorld()
  const payer = { openid: `o-lang-${language}` }
  await w.cloud.callFromClient('user', { action: 'login', language }, payer)
  await w.subscribe(1, payer)
  const id = (await w.buy('coffee', 1, payer)).data.order.orderId as string
  await w.cloud.cloudPay.pay(id)
  const [send] = w.sends()
  expect(send).toMatchObject({
    ok: true,
    params: { template_id: TMPL_PAID, lang, page: `pages/pay/order/index?id=${id}` },
  })
})
