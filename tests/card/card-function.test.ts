/**
 * `card` on the local cloud: the official account's sandbox (localcloud/oa-sandbox.ts) answers the
 * token, ticket and card-code APIs the function reaches over HTTPS (server/http.ts).
 */
import { LocalCloud, type Caller } from '../../localcloud'
import { cardExt, cardSignature } from '../../server/card/sign'
import { redact } from '../../server/http'
import { oaOpenid } from '../../localcloud/oa-sandbox'
import { underLatency } from '../setup/races'
import { REVIEW_RECHECK_MS } from '../../server/card/catalogue'

const OA = {
  OA_APPID: 'wx0000000000oatest',
  OA_APPSECRET: 'test-secret-9f8e7d',
  CARD_OPERATOR_OPENIDS: 'o-staff-1, o-staff-2',
}
const ALICE: Caller = { openid: 'o-card-alice' }
const BOB: Caller = { openid: 'o-card-bob' }
const STAFF: Caller = { openid: 'o-staff-1' }

function world(vars: Record<string, string> = OA) {
  const cloud = new LocalCloud({ vars })
  const card = async (action: string, data: Record<string, unknown>, caller: Caller) =>
    (await cloud.callFromClient('card', { action, ...data }, caller)).result as {
      ok: boolean
      data?: any
      error?: { code: string; message: string }
    }
  /** What the page does: sign, wx.addCard (the sandbox's WeChat), record. */
  const add = async (caller: Caller, cardKey: string) => {
    const signed = await card('signCardExt', { cardKey }, caller)
    if (!signed.ok) return { signed, added: null, recorded: null }
    const added = cloud.oa.addCard(caller.openid!, signed.data.cardId, signed.data.cardExt)
    if ('errcode' in added) return { signed, added, recorded: null }
    const recorded = await card('recordAdded', { cardList: [added] }, caller)
    return { signed, added, recorded }
  }
  return { cloud, card, add }
}

test('the cardExt signature equals a SHA-1 computed independently (Python hashlib) for known inputs', () => {
  const base = {
    apiTicket: 'TICKET-sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
    cardId: 'pbLatjk4T4Hx-QFQGL4zGQy27_Qg',
    timestamp: 1404896688,
    nonceStr: 'wB1OsHNTYmfhA8Dw',
  }
  // python3 -c "import hashlib; print(hashlib.sha1(''.join(sorted([ticket, '1404896688', card_id, nonce])).encode()).hexdigest())"
  expect(cardSignature(base)).toBe('5a3b85a946b1c6e8fe9c12489cc54e51a5f6ce9d')
  expect(cardSignature({ ...base, code: '12345678', openid: 'oFS7Fjl0WsZ9AMZqrI80nbIq8xrA' })).toBe(
    '3af3d7998e5350406a7852b9c6adf0429fcb972a',
  )
  const ext = JSON.parse(cardExt({ ...base, outerStr: 'kit.coffee' }))
  expect(ext).toEqual({
    timestamp: 1404896688,
    nonce_str: 'wB1OsHNTYmfhA8Dw',
    outer_str: 'kit.coffee',
    signature: '5a3b85a946b1c6e8fe9c12489cc54e51a5f6ce9d',
  })
})

test('add → decrypt → my cards → redeem, end to end; a second redeem is refused; only operators redeem', async () => {
  const w = world()
  const offered = await w.card('listCards', {}, ALICE)
  // member-card is bind_openid: the official account gives it out, the mini-program does not offer it.
  expect(offered.data.cards.map((c: { cardKey: string }) => c.cardKey)).toEqual(['coffee-coupon', 'pending-card'])
  expect(offered.data.cards[0].title).toBe('咖啡立减 5 元') // Chinese unless the user's record says English
  expect(offered.data.operator).toBe(false)
  const { recorded, added } = await w.add(ALICE, 'coffee-coupon')
  expect(recorded!.data).toMatchObject({ recorded: 1, cards: [{ cardKey: 'coffee-coupon', status: 'ADDED' }] })
  const code: string = recorded!.data.cards[0].code
  expect(code).toMatch(/^\d{12}$/)
  expect(code).not.toBe((added as { code: string }).code) // the page got it encrypted
  // Recording the same answer again (a retry) changes nothing.
  expect((await w.card('recordAdded', { cardList: [added] }, ALICE)).data.recorded).toBe(1)
  expect(w.cloud.db.dump('user_cards')).toHaveLength(1)
  expect((await w.card('myCards', {}, ALICE)).data.cards).toEqual([
    expect.objectContaining({ code, status: 'ADDED', redeemedAt: null }),
  ])

  expect((await w.card('redeem', { code }, ALICE)).error?.code).toBe('NOT_OPERATOR')
  expect((await w.card('listCards', {}, STAFF)).data.operator).toBe(true)
  const redeemed = await w.card('redeem', { code }, STAFF)
  expect(redeemed.data.card).toMatchObject({ code, status: 'REDEEMED' })
  expect(w.cloud.oa.codes.get(code)!.status).toBe('CONSUMED')
  // Refused again: to the same operator as their own redeem of moments ago, to anyone else as already redeemed.
  expect((await w.card('redeem', { code }, STAFF)).error?.code).toBe('CARD_REDEEMED_BY_YOU')
  expect((await w.card('redeem', { code }, { openid: 'o-staff-2' })).error?.code).toBe('CARD_ALREADY_REDEEMED')
  expect((await w.card('myCards', {}, ALICE)).data.cards[0]).toMatchObject({ status: 'REDEEMED' })
  expect((await w.card('redeem', { code: '999999999999' }, STAFF)).error?.code).toBe('CARD_CODE_INVALID')
})

test('two operators redeeming the same code at once: one redeems, the other is told it was', async () => {
  const w = world()
  const { recorded } = await w.add(ALICE, 'coffee-coupon')
  const code = recorded!.data.cards[0].code
  const answers = await underLatency(w.cloud, 2, () =>
    Promise.all([w.card('redeem', { code }, STAFF), w.card('redeem', { code }, { openid: 'o-staff-2' })]),
  )
  expect(answers.map((a) => (a.ok ? 'OK' : a.error!.code)).sort()).toEqual(['CARD_ALREADY_REDEEMED', 'OK'])
})

test('a code is recorded for the user who submitted it first: another user cannot record it; a forged code is refused', async () => {
  const w = world()
  const { added } = await w.add(ALICE, 'coffee-coupon')
  // Two id spaces: WeChat names the holder by the official account's openid, not ALICE's.
  const stored = w.cloud.db.dump('user_cards')[0]!
  expect(stored).toMatchObject({ _openid: ALICE.openid, oaOpenid: oaOpenid(ALICE.openid!) })
  expect(stored.oaOpenid).not.toBe(ALICE.openid)
  expect((await w.card('recordAdded', { cardList: [added] }, BOB)).error?.code).toBe('CARD_NOT_YOURS')
  expect(
    (
      await w.card(
        'recordAdded',
        { cardList: [{ cardId: 'pLocalCoffeeCoupon0001', code: 'forged-encrypted-code', isSuccess: true }] },
        BOB,
      )
    ).error?.code,
  ).toBe('CARD_CODE_INVALID')
  expect(w.cloud.db.dump('user_cards')).toHaveLength(1)
})

test('WeChat checks the cardExt: a card in review, a tampered signature, a reused nonce, a member card for someone else', async () => {
  const w = world()
  const pending = await w.add(ALICE, 'pending-card')
  expect(pending.added).toMatchObject({ errcode: 40078 })
  const signed = (await w.card('signCardExt', { cardKey: 'coffee-coupon' }, ALICE)).data
  const tampered = JSON.stringify({ ...JSON.parse(signed.cardExt), timestamp: 1 })
  expect(w.cloud.oa.addCard(ALICE.openid!, signed.cardId, tampered)).toMatchObject({ errcode: 40080 })
  expect(w.cloud.oa.addCard(ALICE.openid!, signed.cardId, signed.cardExt)).toMatchObject({ isSuccess: true })
  expect(w.cloud.oa.addCard(ALICE.openid!, signed.cardId, signed.cardExt)).toMatchObject({
    errcode: 40080,
    errmsg: expect.stringContaining('nonce'),
  })
  // bind_openid: the cardExt must name the official account's openid of the user, which the
  // mini-program does not have: its own openid is refused (40080), so the function does not sign one.
  expect((await w.card('signCardExt', { cardKey: 'member-card' }, ALICE)).error?.code).toBe('CARD_NOT_FOUND')
  const extFor = (openid: string) =>
    cardExt({
      apiTicket: String(w.cloud.db.dump('wx_tokens').find((d) => d._id === 'card_ticket')!.value),
      cardId: 'pLocalMemberCard00002',
      timestamp: Math.floor(Date.now() / 1000),
      nonceStr: `n${openid.length}${Math.random().toString(36).slice(2, 10)}`,
      openid,
    })
  expect(w.cloud.oa.addCard(ALICE.openid!, 'pLocalMemberCard00002', extFor(ALICE.openid!))).toMatchObject({
    errcode: 40080,
  })
  expect(w.cloud.oa.addCard(ALICE.openid!, 'pLocalMemberCard00002', extFor(oaOpenid(ALICE.openid!)))).toMatchObject({
    isSuccess: true,
  })
  expect((await w.card('signCardExt', { cardKey: 'no-such-card' }, ALICE)).error?.code).toBe('CARD_NOT_FOUND')
})

test('50 concurrent callers: one token request and one ticket request', async () => {
  const w = world()
  const answers = await underLatency(w.cloud, 50, () =>
    Promise.all(
      Array.from({ length: 50 }, (_v, i) =>
        w.card('signCardExt', { cardKey: 'coffee-coupon' }, { openid: `o-burst-${i}` }),
      ),
    ),
  )
  expect(answers.every((a) => a.ok)).toBe(true)
  expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(1)
  expect(w.cloud.oa.callsTo('/cgi-bin/ticket/getticket')).toBe(1)
  // Every cardExt is signed with the one ticket, and each is accepted once.
  for (const [i, a] of answers.entries())
    expect(w.cloud.oa.addCard(`o-burst-${i}`, a.data.cardId, a.data.cardExt)).toMatchObject({ isSuccess: true })
})

test('a token WeChat answers 42001 (expired) or 40001 (replaced) is refreshed at once and the call retried once', async () => {
  const w = world()
  const { added } = await w.add(ALICE, 'coffee-coupon')
  expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(1)
  w.cloud.oa.tokens.expireAll() // our cache still believes it valid: WeChat says 42001
  const first = await w.card('recordAdded', { cardList: [added] }, ALICE)
  expect(first.ok).toBe(true)
  expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(2)
  expect(w.cloud.oa.callsTo('/card/code/decrypt')).toBe(3) // the first add, the refused try, the retry
  w.cloud.oa.tokens.revokeAll() // 40001: the secret was reset, or another server took a new token
  expect((await w.card('myCards', {}, ALICE)).ok).toBe(true) // no WeChat call: nothing to refresh
  const again = await w.card('recordAdded', { cardList: [added] }, ALICE)
  expect(again.ok).toBe(true)
  expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(3)
  // The refreshed token is shared: the next call does not fetch another.
  await w.card('recordAdded', { cardList: [added] }, ALICE)
  expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(3)
})

test("without the official account configured: CARDS_NOT_CONFIGURED, and a wrong secret is WeChat's 40125, not a crash", async () => {
  const w = world({})
  expect((await w.card('signCardExt', { cardKey: 'coffee-coupon' }, ALICE)).error?.code).toBe('CARDS_NOT_CONFIGURED')
  const wrong = world({ ...OA, OA_APPSECRET: 'not-the-secret' })
  wrong.cloud.oa.configure(OA) // WeChat knows the real secret; the function was given another
  const res = await wrong.card('signCardExt', { cardKey: 'coffee-coupon' }, ALICE)
  expect(res.error?.code).toBe('CARD_WECHAT_ERROR')
  expect(res.error?.message).toContain('40125')
  expect(JSON.stringify(res)).not.toContain('not-the-secret')
})

test('no secret or token appears in a URL the HTTP client shows', () => {
  expect(redact('https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cr3t')).toBe(
    'https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=***',
  )
  expect(redact('https://api.weixin.qq.com/card/code/get?access_token=LOCAL_TOKEN_abc')).toBe(
    'https://api.weixin.qq.com/card/code/get?access_token=***',
  )
})

describe("the official account's token is the stable token (getStableAccessToken.html)", () => {
  test('another system taking a cgi-bin/token for the same account does not invalidate ours', async () => {
    const w = world()
    const { added } = await w.add(ALICE, 'coffee-coupon')
    // The account's other system (its menu, its replies) asks cgi-bin/token: with the old endpoint ours would die in 5 minutes.
    w.cloud.oa.handle(
      '/cgi-bin/token',
      new URLSearchParams({ grant_type: 'client_credential', appid: OA.OA_APPID, secret: OA.OA_APPSECRET }),
      null,
    )
    expect((await w.card('recordAdded', { cardList: [added] }, ALICE)).ok).toBe(true)
    expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(1)
    expect(w.cloud.oa.callsTo('/cgi-bin/token')).toBe(1) // the other system's only
  })

  test('when another system force-refreshed it, normal mode gives the new token: no force refresh of ours', async () => {
    const w = world()
    const { added } = await w.add(ALICE, 'coffee-coupon')
    w.cloud.oa.tokens.forceRefreshElsewhere() // our cached token now answers 40001
    expect((await w.card('recordAdded', { cardList: [added] }, ALICE)).ok).toBe(true)
    expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(2)
  })

  test('force_refresh only when normal mode answers the very token WeChat refused', async () => {
    const w = world()
    const { added } = await w.add(ALICE, 'coffee-coupon')
    w.cloud.oa.answerNext('/card/code/decrypt', {
      errcode: 40001,
      errmsg: 'invalid credential, access_token is invalid or not latest',
    })
    expect((await w.card('recordAdded', { cardList: [added] }, ALICE)).ok).toBe(true)
    // Normal mode answered the same token, so the second request forced a new one.
    expect(w.cloud.oa.callsTo('/cgi-bin/stable_token')).toBe(3)
    const tokens = new Set(
      w.cloud.db
        .dump('wx_tokens')
        .filter((d) => d._id === 'access_token')
        .map((d) => d.value),
    )
    expect(tokens.size).toBe(1)
  })

  test('the sandbox keeps the documented limits: force refreshes 30 s apart (45011)', () => {
    const w = world()
    const body = { grant_type: 'client_credential', appid: OA.OA_APPID, secret: OA.OA_APPSECRET }
    const first = w.cloud.oa.handle('/cgi-bin/stable_token', new URLSearchParams(), body) as { access_token: string }
    expect(w.cloud.oa.handle('/cgi-bin/stable_token', new URLSearchParams(), body)).toMatchObject({
      access_token: first.access_token,
    })
    expect(
      w.cloud.oa.handle('/cgi-bin/stable_token', new URLSearchParams(), { ...body, force_refresh: true }),
    ).toMatchObject({ access_token: expect.not.stringMatching(first.access_token) })
    expect(
      w.cloud.oa.handle('/cgi-bin/stable_token', new URLSearchParams(), { ...body, force_refresh: true }),
    ).toMatchObject({ errcode: 45011 })
    expect(
      w.cloud.oa.handle('/cgi-bin/stable_token', new URLSearchParams(), { ...body, secret: 'wrong' }),
    ).toMatchObject({ errcode: 40125 })
  })
})

test('review states: one card/batchget for the offers not known to be approved, stored; approved ones are not asked about again', async () => {
  const w = world()
  const ask = () => w.cloud.oa.calls.get('/card/batchget') ?? 0
  const states = async () =>
    ((await w.card('listCards', {}, ALICE)).data.cards as Array<{ cardKey: string; inReview: boolean }>).map((c) => [
      c.cardKey,
      c.inReview,
    ])
  expect(await states()).toEqual(
    expect.arrayContaining([
      ['coffee-coupon', false],
      ['pending-card', true],
    ]),
  )
  expect(ask()).toBe(1)
  await states()
  expect(ask()).toBe(1) // within REVIEW_RECHECK_MS: what was stored stands
  const pending = w.cloud.db.dump('cards').find((c) => c._id === 'pending-card')!
  w.cloud.oa.cards.get(pending.cardId as string)!.approved = true
  const start = Date.now()
  const clock = jest.spyOn(Date, 'now').mockImplementation(() => start + REVIEW_RECHECK_MS + 1000)
  try {
    expect(await states()).toEqual(expect.arrayContaining([['pending-card', false]]))
    expect(ask()).toBe(2)
    clock.mockImplementation(() => start + 3 * REVIEW_RECHECK_MS)
    await states()
    expect(ask()).toBe(2) // every offer approved: nothing to ask
  } finally {
    clock.mockRestore()
  }
})
