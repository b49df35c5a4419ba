/**
 * `card` under CloudBase's latency (tests/setup/races.ts), and WeChat's answers checked before
 * they are believed. Invariants (typings/card.ts): a redeem is never undone by a record; success
 * is errcode 0 with the documented fields (Managing_Coupons_Vouchers_and_Cards); WeChat's own
 * failures are CARD_WECHAT_ERROR; after 45009 the token is asked for once a minute at most.
 */
import type { Caller } from '../../localcloud'
import { QUOTA_BACKOFF_MS } from '../../server/wechat/credentials'
import { takeConsole } from '../setup/console'
import { overSeeds, raceCloud } from '../setup/races'

const OA = { OA_APPID: 'wx0000000000oatest', OA_APPSECRET: 'test-secret-9f8e7d', CARD_OPERATOR_OPENIDS: 'o-staff-1' }
const STAFF: Caller = { openid: 'o-staff-1' }
const TRIALS = Number(process.env.RACE_SEEDS ?? 40)

function world() {
  const w = raceCloud({ vars: OA })
  const card = (action: string, data: Record<string, unknown>, caller: Caller) => w.call('card', action, data, caller)
  /** wx.addCard done at WeChat: the page holds the encrypted code; WeChat's plain code for the operator. */
  const addedAtWeChat = async (caller: Caller) => {
    const signed = await card('signCardExt', { cardKey: 'coffee-coupon' }, caller)
    const added = w.cloud.oa.addCard(caller.openid!, signed.data.cardId, signed.data.cardExt) as {
      cardId: string
      code: string
      isSuccess: boolean
      cardExt: string
    }
    const plain = [...w.cloud.oa.codes.values()].find((c) => c.encrypted === added.code)!.code
    return { added, plain }
  }
  return { ...w, card, addedAtWeChat }
}

test("the owner's first record racing an operator's redeem of the same code: the card ends REDEEMED, as WeChat has it", async () => {
  const wrong = await overSeeds(TRIALS, async (seed) => {
    const w = world()
    const owner = { openid: `o-card-owner-${seed}` }
    const { added, plain } = await w.addedAtWeChat(owner)
    const [recorded, redeemed] = await w.racing(seed, () =>
      Promise.all([w.card('recordAdded', { cardList: [added] }, owner), w.card('redeem', { code: plain }, STAFF)]),
    )
    const out: string[] = []
    if (!recorded.ok || !redeemed.ok)
      out.push(`recorded ${recorded.error?.code ?? 'ok'}, redeemed ${redeemed.error?.code ?? 'ok'}`)
    if (w.cloud.oa.codes.get(plain)!.status !== 'CONSUMED') out.push('WeChat did not consume the code')
    const mine = (await w.card('myCards', {}, owner)).data.cards as Array<{ code: string; status: string }>
    if (mine.length !== 1 || mine[0]!.status !== 'REDEEMED')
      out.push(`My cards shows ${JSON.stringify(mine.map((c) => c.status))}`)
    return out
  })
  expect(wrong).toEqual([])
})

describe('answers WeChat never gives are never success', () => {
  test.each([
    ['{}', {}],
    ['[]', []],
    ['a JSON string', 'ok'],
    ['null', null],
    ['errcode 0 without the card', { errcode: 0, errmsg: 'ok' }],
  ])('card/code/consume answering %s: CARD_WECHAT_ERROR, the card not marked redeemed', async (_name, answer) => {
    const w = world()
    const owner = { openid: 'o-card-shape' }
    const { added, plain } = await w.addedAtWeChat(owner)
    await w.card('recordAdded', { cardList: [added] }, owner)
    w.cloud.oa.answerNext('/card/code/consume', answer)
    const res = await w.card('redeem', { code: plain }, STAFF)
    expect(res.error?.code).toBe('CARD_WECHAT_ERROR')
    expect(res.error?.message).toMatch(/card\/code\/consume/)
    expect((await w.card('myCards', {}, owner)).data.cards[0].status).toBe('ADDED')
  })

  test.each([
    ['{}', {}],
    ['null', null],
  ])('card/code/get answering %s during a redeem: CARD_WECHAT_ERROR, nothing consumed', async (_name, answer) => {
    const w = world()
    const { plain } = await w.addedAtWeChat({ openid: 'o-card-get' })
    w.cloud.oa.answerNext('/card/code/get', answer)
    expect((await w.card('redeem', { code: plain }, STAFF)).error?.code).toBe('CARD_WECHAT_ERROR')
    expect(w.cloud.oa.codes.get(plain)!.status).toBe('NORMAL')
    expect(w.cloud.db.dump('user_cards')).toEqual([])
  })
})

test.each([
  ['/cgi-bin/stable_token', null],
  ['/cgi-bin/stable_token', { expires_in: 7200 }],
  ['/cgi-bin/ticket/getticket', null],
  ['/cgi-bin/ticket/getticket', { errcode: 0, errmsg: 'ok' }],
])('%s answering %j: signCardExt is CARD_WECHAT_ERROR, never INTERNAL, and nothing is cached', async (path, answer) => {
  const w = world()
  w.cloud.oa.answerNext(path, answer)
  const res = await w.card('signCardExt', { cardKey: 'coffee-coupon' }, { openid: 'o-card-null' })
  expect(res.error?.code).toBe('CARD_WECHAT_ERROR')
  expect(w.cloud.db.dump('wx_tokens').filter((d) => d.value)).toHaveLength(path === '/cgi-bin/stable_token' ? 0 : 1)
  // The next call gets a real answer and works.
  expect((await w.card('signCardExt', { cardKey: 'coffee-coupon' }, { openid: 'o-card-null' })).ok).toBe(true)
})

describe("WeChat's own failures during recordAdded are named as WeChat's, not as a bad code", () => {
  test.each([
    [-1, 'system error'],
    [45009, 'reach max api daily quota limit'],
    [40164, 'invalid ip, not in whitelist'],
    [48001, 'api unauthorized'],
  ])('card/code/decrypt answering %d: CARD_WECHAT_ERROR, nothing stored', async (errcode, errmsg) => {
    const w = world()
    const owner = { openid: 'o-card-fail' }
    const { added } = await w.addedAtWeChat(owner)
    w.cloud.oa.answerNext('/card/code/decrypt', { errcode, errmsg })
    const res = await w.card('recordAdded', { cardList: [added] }, owner)
    expect(res.error).toMatchObject({ code: 'CARD_WECHAT_ERROR', message: expect.stringContaining(String(errcode)) })
    expect(w.cloud.db.dump('user_cards')).toEqual([])
  })

  test('card/code/get answering 45009 while recording: CARD_WECHAT_ERROR; 40056 stays CARD_CODE_INVALID', async () => {
    const w = world()
    const owner = { openid: 'o-card-get45009' }
    const { added } = await w.addedAtWeChat(owner)
    w.cloud.oa.answerNext('/card/code/get', { errcode: 45009, errmsg: 'reach max api daily quota limit' })
    expect((await w.card('recordAdded', { cardList: [added] }, owner)).error?.code).toBe('CARD_WECHAT_ERROR')
    w.cloud.oa.answerNext('/card/code/decrypt', { errcode: 40056, errmsg: 'invalid serial code' })
    expect((await w.card('recordAdded', { cardList: [added] }, owner)).error?.code).toBe('CARD_CODE_INVALID')
  })
})

test('a token quota used up (45009): 50 calls make one token request, not 50, and nobody asks again for a minute', async () => {
  const w = world()
  w.cloud.oa.answerNext('/cgi-bin/stable_token', { errcode: 45009, errmsg: 'reach max api daily quota limit' }, 100)
  const answers = await w.racing(7, () =>
    Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        w.card('signCardExt', { cardKey: 'coffee-coupon' }, { openid: `o-quota-${i}` }),
      ),
    ),
  )
  expect(new Set(answers.map((a) => a.error?.code))).toEqual(new Set(['CARD_WECHAT_ERROR']))
  expect(answers.every((a) => /45009/.test(a.error!.message))).toBe(true)
  expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(1)
  const backoff = w.cloud.db.dump('wx_tokens').find((d) => d._id === 'access_token')!.backoffUntil as Date
  expect(backoff.getTime() - Date.now()).toBeGreaterThan(QUOTA_BACKOFF_MS - 5_000)
  expect(backoff.getTime() - Date.now()).toBeLessThanOrEqual(QUOTA_BACKOFF_MS)
  takeConsole()
})
