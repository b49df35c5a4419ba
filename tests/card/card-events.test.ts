/**
 * The official account's card events (server/card/events.ts, function cardEvents): WeChat pushes
 * them to the official account's server URL, signed (and in safe mode encrypted) as message push
 * in URL mode is; each keeps My cards true. Document:
 * offiaccount/Cards_and_Offer/Coupons_Vouchers_and_Cards_Event_Push_Messages.html
 */
import { LocalCloud, type Caller } from '../../localcloud'
import { oaOpenid } from '../../localcloud/oa-sandbox'
import { takeConsole } from '../setup/console'
import { sha1Signature } from '../../server/customerService/wxcrypt'

const OA = {
  OA_APPID: 'wx0000000000oatest',
  OA_APPSECRET: 'test-secret-9f8e7d',
  CARD_OPERATOR_OPENIDS: 'o-staff-1',
  OA_PUSH_TOKEN: 'oaPushToken2026',
  OA_PUSH_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  OA_PUSH_MODE: 'safe',
}
const ALICE: Caller = { openid: 'o-events-alice' }

async function world() {
  const cloud = new LocalCloud({ vars: OA })
  cloud.push.timing = { waitMs: 400, retries: 3 }
  const card = async (action: string, data: Record<string, unknown>, caller: Caller) =>
    (await cloud.callFromClient('card', { action, ...data }, caller)).result as {
      ok: boolean
      data?: any
      error?: { code: string }
    }
  const signed = await card('signCardExt', { cardKey: 'coffee-coupon' }, ALICE)
  const added = cloud.oa.addCard(ALICE.openid!, signed.data.cardId, signed.data.cardExt) as {
    cardId: string
    code: string
    isSuccess: boolean
  }
  const code = [...cloud.oa.codes.values()].find((c) => c.encrypted === added.code)!.code
  const mine = async () => (await card('myCards', {}, ALICE)).data.cards as Array<{ code: string; status: string }>
  return { cloud, card, added, code, mine }
}

test('taken, then deleted in WeChat: the event (safe mode) takes it out of My cards; a repeated push changes nothing', async () => {
  const w = await world()
  await w.card('recordAdded', { cardList: [w.added] }, ALICE)
  const taken = await w.cloud.cardEvent(w.cloud.oa.userDoes(w.code, 'take'))
  expect(taken.acked).toBe(true)
  expect(w.cloud.db.dump('user_cards')).toEqual([
    expect.objectContaining({ _openid: ALICE.openid, oaOpenid: oaOpenid(ALICE.openid!), status: 'ADDED' }),
  ])
  const del = w.cloud.oa.userDoes(w.code, 'delete')
  expect((await w.cloud.cardEvent(del)).acked).toBe(true)
  expect(await w.mine()).toEqual([])
  expect((await w.cloud.cardEvent({ ...del })).acked).toBe(true) // WeChat pushes again when unsure
  expect(w.cloud.db.dump('user_cards')).toEqual([expect.objectContaining({ gone: 'DELETED' })])
  takeConsole()
})

test("given to a friend: gone from the giver's cards; consumed at another counter: REDEEMED", async () => {
  const w = await world()
  await w.card('recordAdded', { cardList: [w.added] }, ALICE)
  await w.cloud.cardEvent(w.cloud.oa.userDoes(w.code, 'consume'))
  expect(await w.mine()).toEqual([expect.objectContaining({ code: w.code, status: 'REDEEMED' })])
  // A redeem here now meets WeChat's 40099 and says so.
  expect((await w.card('redeem', { code: w.code }, { openid: 'o-staff-1' })).error?.code).toBe('CARD_ALREADY_REDEEMED')

  const w2 = await world()
  await w2.card('recordAdded', { cardList: [w2.added] }, ALICE)
  await w2.cloud.cardEvent(w2.cloud.oa.userDoes(w2.code, 'give', 'o-events-friend'))
  expect(await w2.mine()).toEqual([])
  expect(w2.cloud.db.dump('user_cards')[0]).toMatchObject({ gone: 'GIVEN' })
  takeConsole()
})

test('a card taken before the mini-program recorded it is kept for whoever records it first', async () => {
  const w = await world()
  await w.cloud.cardEvent(w.cloud.oa.userDoes(w.code, 'take'))
  expect(w.cloud.db.dump('user_cards')).toEqual([
    expect.objectContaining({ _openid: '', oaOpenid: oaOpenid(ALICE.openid!), cardKey: 'coffee-coupon' }),
  ])
  expect((await w.card('recordAdded', { cardList: [w.added] }, ALICE)).data).toMatchObject({
    recorded: 1,
    cards: [{ code: w.code, status: 'ADDED' }],
  })
  expect(await w.mine()).toHaveLength(1)
  takeConsole()
})

test("a push that is not WeChat's: bad signature 401, a replay or a stale timestamp does nothing; the URL check echoes", async () => {
  const w = await world()
  const ev = w.cloud.oa.userDoes(w.code, 'delete')
  const req = w.cloud.push.urlRequest(ev as never, {
    fn: 'cardEvents',
    token: OA.OA_PUSH_TOKEN,
    mode: 'safe',
    format: 'xml',
    encodingAesKey: OA.OA_PUSH_AES_KEY,
    appid: OA.OA_APPID,
  })
  const post = (query: Record<string, string>, body = req.body) =>
    w.cloud.http('cardEvents', { method: 'POST', query, headers: { 'content-type': 'text/xml' }, body })
  expect((await post({ ...req.query, signature: 'x'.repeat(40) })).status).toBe(401)
  expect((await post({ ...req.query, msg_signature: 'y'.repeat(40) })).status).toBe(401)
  // Signed right, but 10 minutes old (outside the 5-minute window).
  const old = String(Number(req.query.timestamp) - 600)
  const stale = {
    ...req.query,
    timestamp: old,
    signature: sha1Signature([OA.OA_PUSH_TOKEN, old, req.query.nonce!]),
    msg_signature: sha1Signature([
      OA.OA_PUSH_TOKEN,
      old,
      req.query.nonce!,
      /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(req.body)![1]!,
    ]),
  }
  expect((await post(stale)).status).toBe(401)
  expect(w.cloud.db.dump('user_cards')).toEqual([])
  expect((await post(req.query)).body).toBe('success')
  expect((await post(req.query)).body).toBe('success') // the same request again: a replay, not handled twice
  const echo = await w.cloud.http('cardEvents', {
    method: 'GET',
    query: {
      signature: req.query.signature!,
      timestamp: req.query.timestamp!,
      nonce: req.query.nonce!,
      echostr: 'hello-oa',
    },
  })
  expect(echo).toMatchObject({ status: 200, body: 'hello-oa' })
  // Other official-account pushes (a follow event) are acknowledged and ignored.
  expect(
    (
      await w.cloud.cardEvent({
        ToUserName: 'gh_x',
        FromUserName: 'oOAx',
        CreateTime: Math.floor(Date.now() / 1000),
        MsgType: 'event',
        Event: 'subscribe',
      })
    ).acked,
  ).toBe(true)
  expect(takeConsole('log').join('\n')).toMatch(/BAD_SIGNATURE[\s\S]*STALE[\s\S]*REPLAYED[\s\S]*not a card event/)
})

test('with the Open Platform binding, a card taken in WeChat shows in My cards of the user with that unionid', async () => {
  const cloud = new LocalCloud({ vars: OA })
  cloud.push.timing = { waitMs: 400, retries: 3 }
  const BOB: Caller = { openid: 'o-events-bob', unionid: 'u-events-bob' }
  cloud.oa.unionids.set(BOB.openid!, BOB.unionid!)
  const card = async (action: string, data: Record<string, unknown>, caller: Caller) =>
    (await cloud.callFromClient('card', { action, ...data }, caller)).result as { ok: boolean; data?: any }
  const signed = await card('signCardExt', { cardKey: 'coffee-coupon' }, BOB)
  cloud.oa.addCard(BOB.openid!, signed.data.cardId, signed.data.cardExt)
  const [issued] = [...cloud.oa.codes.values()]
  // The page never recorded it (closed right after the sheet); the official account's event did.
  await cloud.cardEvent(cloud.oa.userDoes(issued!.code, 'take'))
  expect((await card('myCards', {}, BOB)).data.cards).toEqual([
    expect.objectContaining({ code: issued!.code, status: 'ADDED' }),
  ])
  expect(cloud.db.dump('user_cards')[0]).toMatchObject({
    _openid: BOB.openid,
    unionid: BOB.unionid,
    oaOpenid: oaOpenid(BOB.openid!),
  })
  // Someone without that unionid sees nothing of it.
  expect((await card('myCards', {}, { openid: 'o-events-eve', unionid: 'u-eve' })).data.cards).toEqual([])
  takeConsole()
})
