/**
 * @jest-environment jsdom
 *
 * The cards page: loading, error, the offers and my cards, add (and cancel, a card in review),
 * open, and a staff member's scan-to-redeem (and a second scan, and a non-operator), in English
 * and in Chinese.
 */
import { markCloudReady } from '../../miniprogram/lib/call'
import { resetLocale } from '../../miniprogram/lib/i18n'
import { createWorld, render, settle, type Rendered } from '../setup/miniprogram'
import { takeConsole } from '../setup/console'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const USER = { openid: 'o-cards-user' }
const STAFF = { openid: 'o-cards-staff' }
const world = createWorld(USER, {
  vars: { OA_APPID: 'wx0000000000oapage', OA_APPSECRET: 'page-secret', CARD_OPERATOR_OPENIDS: STAFF.openid },
})
markCloudReady(true)
// Signed in as the app does at launch: this WeChat is English, the server words the cards so.
beforeAll(async () => {
  for (const u of [USER, STAFF]) await world.cloud.callFromClient('user', { action: 'login', language: 'en' }, u)
})

const text = (p: Rendered, sel: string) => p.querySelector(sel)?.dom.textContent?.replace(/\s+/g, ' ').trim() ?? ''

/** Taps a card's Add (the user answering the sheet as `answer`) and reads the notice. */
async function addNotice(page: Rendered, cardKey: string, answer: 'add' | 'cancel' = 'add'): Promise<string> {
  world.fake.addCardAnswer = answer
  page.querySelector(`#add-${cardKey}`)!.dispatchEvent('tap')
  await settle(30)
  world.fake.addCardAnswer = 'add'
  return text(page, '#notice')
}

async function open(): Promise<Rendered> {
  const page = render('pages/cards/index')
  page.instance.onLoad()
  await settle(20)
  return page
}

afterEach(() => {
  world.fake.user = USER
  world.fake.addCardAnswer = 'add'
  world.fake.scanResult = null
  world.fake.language = 'en'
  resetLocale()
})

test('loading, then the offers and an empty list of mine; a failed load offers a retry that works', async () => {
  const page = render('pages/cards/index')
  page.instance.onLoad()
  expect(page.data.state).toBe('LOADING')
  expect(page.querySelector('#loading')).toBeTruthy()
  await settle(20)
  expect(page.data.state).toBe('READY')
  expect(world.fake.navigationTitle).toBe('Cards')
  expect(text(page, '#offer-coffee-coupon')).toContain('¥5 off coffee')
  expect(text(page, '#empty')).toContain('No cards yet')
  expect(page.querySelector('#redeem')).toBeFalsy() // not staff
  world.fake.failNextCalls(1, { errMsg: 'cloud.callFunction:fail request:fail' })
  const failed = await open()
  expect(failed.data.state).toBe('ERROR')
  failed.querySelector('#retry')!.dispatchEvent('tap')
  await settle(20)
  expect(failed.data.state).toBe('READY')
})

test('add: signed, added by WeChat, recorded, shown as mine and openable; cancel and a card in review say so', async () => {
  const page = await open()
  expect(await addNotice(page, 'coffee-coupon', 'cancel')).toBe('Nothing was added.')
  // WeChat has not approved the pending card (card/batchget): no Add that could only fail.
  expect(page.querySelector('#add-pending-card')).toBeFalsy()
  expect(text(page, '#review-pending-card')).toBe('In review')
  const setData = jest.spyOn(page.instance, 'setData')
  page.querySelector('#add-coffee-coupon')!.dispatchEvent('tap')
  await settle(30)
  expect(setData).toHaveBeenCalledTimes(2) // busy, then the result: one setData per step of the action
  setData.mockRestore()
  expect(text(page, '#notice')).toBe('¥5 off coffee is in your WeChat card package.')
  expect(page.data.mine).toHaveLength(1)
  expect(text(page, '#mine-0')).toContain('In your card package')
  page.querySelector('#open-0')!.dispatchEvent('tap')
  await settle()
  expect(world.fake.openedCards.at(-1)).toEqual([{ cardId: 'pLocalCoffeeCoupon0001', code: page.data.mine[0].code }])
})

/** The code's redeem moved 3 minutes back (past RESUME_WINDOW_MS: no longer "moments ago"). */
function agoRedeemed(code: string): void {
  const doc = world.cloud.db.dump('user_cards').find((c) => c.code === code)!
  world.cloud.db.seed('user_cards', [{ ...doc, redeemedAt: new Date(Date.now() - 3 * 60_000) }])
}

test('staff: scan to redeem; a second scan of the same card is told it was theirs, later that it was redeemed; a closed scanner does nothing', async () => {
  const userPage = await open()
  userPage.querySelector('#add-coffee-coupon')!.dispatchEvent('tap')
  await settle(30)
  const code = userPage.data.mine.find((c: { status: string }) => c.status === 'ADDED').code
  world.fake.user = STAFF
  const page = await open()
  expect(page.querySelector('#redeem')).toBeTruthy()
  page.querySelector('#redeem')!.dispatchEvent('tap')
  await settle(10)
  expect(page.data.notice).toBe('')
  world.fake.scanResult = code
  page.querySelector('#redeem')!.dispatchEvent('tap')
  await settle(30)
  expect(text(page, '#notice')).toBe('Redeemed: ¥5 off coffee.')
  page.querySelector('#redeem')!.dispatchEvent('tap')
  await settle(30)
  expect(text(page, '#notice')).toBe('You redeemed this card moments ago (your last scan went through).')
  agoRedeemed(code)
  page.querySelector('#redeem')!.dispatchEvent('tap')
  await settle(30)
  expect(text(page, '#notice')).toBe('This card has already been redeemed.')
  world.fake.user = USER
  const again = await open()
  expect(
    again.data.mine.some((c: { code: string; status: string }) => c.code === code && c.status === 'REDEEMED'),
  ).toBe(true)
})

test('in a Chinese WeChat: Chinese title, offers, states and the sentence for someone who is not staff', async () => {
  world.fake.language = 'zh_CN'
  resetLocale()
  await world.cloud.callFromClient('user', { action: 'login', language: 'zh_CN' }, { openid: 'o-cards-zh' })
  world.fake.user = { openid: 'o-cards-zh' }
  const page = await open()
  expect(world.fake.navigationTitle).toBe('卡券')
  expect(text(page, '#offer-coffee-coupon')).toContain('咖啡立减 5 元')
  expect(text(page, '#add-coffee-coupon')).toBe('添加到微信卡包')
  expect(text(page, '#empty')).toContain('还没有卡券')
  // Someone who is not staff calling redeem (the button is hidden; the function refuses anyway).
  const res = await world.cloud.callFromClient(
    'card',
    { action: 'redeem', code: '123456789012' },
    { openid: 'o-cards-zh' },
  )
  expect((res.result as { error: { code: string } }).error.code).toBe('NOT_OPERATOR')
})

test('in Chinese, every state and message: loading, error, cancel, in review, added, redeemed, already redeemed', async () => {
  world.fake.language = 'zh_CN'
  resetLocale()
  const loading = render('pages/cards/index')
  loading.instance.onLoad()
  expect(text(loading, '#loading')).toBe('正在加载卡券…')
  await settle(20)
  world.fake.failNextCalls(1, { errMsg: 'cloud.callFunction:fail request:fail' })
  const failed = await open()
  expect(text(failed, '#error')).toContain('重试')
  const page = await open()
  expect(await addNotice(page, 'coffee-coupon', 'cancel')).toBe('未添加卡券。')
  expect(text(page, '#review-pending-card')).toBe('审核中')
  expect(await addNotice(page, 'coffee-coupon')).toMatch(/已放入微信卡包。$/)
  expect(text(page, '#mine-0')).toContain('已在卡包中')
  const code = page.data.mine[0].code
  world.fake.user = STAFF
  world.fake.scanResult = code
  const staff = await open()
  staff.querySelector('#redeem')!.dispatchEvent('tap')
  await settle(30)
  expect(text(staff, '#notice')).toMatch(/^已核销：/)
  staff.querySelector('#redeem')!.dispatchEvent('tap')
  await settle(30)
  expect(text(staff, '#notice')).toBe('这张券刚才已由你核销（上次扫码已完成）。')
  agoRedeemed(code)
  staff.querySelector('#redeem')!.dispatchEvent('tap')
  await settle(30)
  expect(text(staff, '#notice')).toBe('该卡券已核销过。')
})

test('when WeChat cannot say which cards are approved, Add is offered; its 40078 is said and the card then shows as in review', async () => {
  world.cloud.oa.answerNext('/card/batchget', { errcode: -1, errmsg: 'system error' })
  world.cloud.db.seed(
    'cards',
    world.cloud.db.dump('cards').map(({ review: _review, ...c }) => c),
  )
  const page = await open()
  expect(takeConsole('error')).toEqual([
    expect.stringContaining('"where":"listCards.review","error":"WeChat errcode -1'),
  ])
  expect(page.querySelector('#add-pending-card')).toBeTruthy()
  expect(await addNotice(page, 'pending-card')).toBe("This card is still in WeChat's review and cannot be added yet.")
  expect(page.querySelector('#add-pending-card')).toBeFalsy()
  expect(text(page, '#review-pending-card')).toBe('In review')
})

test("wx.addCard's failures are read from their errMsg, the shape its document gives (addCard:fail (detail message))", async () => {
  const { addFailure } = await import('../../miniprogram/pages/cards/logic')
  expect(addFailure({ errMsg: 'addCard:fail cancel' })).toBe('CANCELLED')
  expect(addFailure({ errMsg: 'addCard:fail (invalid card status: the card is not approved yet)' })).toBe('IN_REVIEW')
  expect(addFailure({ errMsg: 'addCard:fail (errcode 40078)' })).toBe('IN_REVIEW')
  expect(addFailure({ errCode: 40078, errMsg: 'addCard:fail' })).toBe('IN_REVIEW')
  expect(addFailure({ errMsg: 'addCard:fail (invalid cardext: signature mismatch)' })).toBe('FAILED')
  expect(addFailure(null)).toBe('FAILED')
})
