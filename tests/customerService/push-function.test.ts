/**
 * `customerService` as the cloud console's message-push target, through the local cloud's push
 * simulator (5 s wait scaled down, 3 re-deliveries) and the openapi sandbox's customer-service
 * rules (reply windows, quotas, temp media, typing). Re-deliveries, refusals and who may push:
 * push-delivery.test.ts.
 */
import { RULES_PAGE } from '../../server/customerService/store'
import { ALICE, BOB, csWorld, quietLogs } from './helpers'

quietLogs()

const ORDER_ID = '20261121103000abcdefghijkl'
function seedOrder(w: ReturnType<typeof csWorld>, owner = ALICE) {
  w.cloud.db.seed('orders', [
    {
      _id: ORDER_ID,
      _openid: owner,
      outTradeNo: ORDER_ID,
      requestKey: `${owner}:r1`,
      title: 'Coffee voucher',
      status: 'PAID',
      totalFee: 1800,
    },
  ])
}

describe('each message type, answered by the rules', () => {
  test('text: a keyword rule answers, the log has both sides, the window is counted', async () => {
    const w = csWorld()
    const d = await w.push.user(w.push.text(ALICE, 'Can I get a refund?'))
    expect(d).toMatchObject({ target: 'customerService', acked: true })
    expect(d.attempts).toHaveLength(1)
    expect(w.texts(ALICE)).toEqual([expect.stringContaining('ask for a refund yourself')])
    expect(w.log(ALICE).map((m) => [m.dir, m.by, m.kind, m.status ?? ''])).toEqual([
      ['in', 'user', 'text', ''],
      ['out', 'auto', 'text', 'SENT'],
    ])
    expect(w.conversation(ALICE)).toMatchObject({ sendsLeft: 4, waiting: true, lastIn: 'Can I get a refund?' })
    expect(w.cloud.openapi.kf.sendsLeft(ALICE)).toBe(4) // our count and WeChat's agree
  })

  test('"typing…" is shown while a user message is answered', async () => {
    const w = csWorld()
    await w.push.user(w.push.text(ALICE, 'refund'))
    const typing = w.cloud.openapi.callsTo('customerServiceMessage.setTyping')
    expect(typing).toHaveLength(1)
    expect(typing[0]!).toMatchObject({ ok: true, params: { touser: ALICE, command: 'Typing' } })
  })

  test('a link reply, and a regex rule', async () => {
    const w = csWorld()
    w.addRule({
      _id: 'docs',
      priority: 1,
      match: { kind: 'regex', pattern: '^how (do|can) i\\b', flags: 'i' },
      replies: [
        {
          type: 'link',
          title: 'Help',
          description: 'Answers',
          url: 'https://example.com/h',
          thumbUrl: 'https://example.com/h.png',
        },
      ],
    })
    await w.push.user(w.push.text(ALICE, 'How do I pay?'))
    expect(w.sent(ALICE)[0]!.params).toEqual({
      touser: ALICE,
      msgtype: 'link',
      link: {
        title: 'Help',
        description: 'Answers',
        url: 'https://example.com/h',
        thumb_url: 'https://example.com/h.png',
      },
    })
  })

  test('rules are read in pages: the 1,001st rule answers too, in priority order', async () => {
    const w = csWorld()
    // 1,000 rules that match nothing, then one that matches, all ahead of the seed's priorities.
    w.cloud.db.seed(
      'cs_rules',
      Array.from({ length: RULES_PAGE }, (_v, i) => ({
        _id: `filler-${String(i).padStart(4, '0')}`,
        active: true,
        priority: -2,
        match: { kind: 'keyword', words: [`zz-never-${i}`] },
        replies: [{ type: 'text', content: 'never' }],
      })),
    )
    w.addRule({
      _id: 'late',
      priority: -1,
      match: { kind: 'keyword', words: ['opening hours'] },
      replies: [{ type: 'text', content: 'the 1001st rule' }],
    })
    await w.push.user(w.push.text(ALICE, 'opening hours?'))
    expect(w.texts(ALICE)).toEqual(['the 1001st rule'])
  })

  test('image replies: uploaded once as temp media, the id reused, uploaded again when it expires', async () => {
    const w = csWorld()
    const fileId = w.putImage('cs/menu.png')
    w.addRule({ _id: 'menu', match: { kind: 'keyword', words: ['menu'] }, replies: [{ type: 'image', fileId }] })
    await w.push.user(w.push.text(ALICE, 'menu please'))
    await w.push.user(w.push.text(BOB, 'the menu?'))
    const uploads = w.cloud.openapi.callsTo('customerServiceMessage.uploadTempMedia')
    expect(uploads).toHaveLength(1)
    expect(uploads[0]!.params).toMatchObject({ type: 'image', media: { contentType: 'image/png' } })
    const mediaIds = [...w.sent(ALICE), ...w.sent(BOB)].map((c) => (c.params.image as { media_id: string }).media_id)
    expect(new Set(mediaIds).size).toBe(1)
    // Our cache says it expired (3 days): the next send uploads again.
    const [cached] = w.cloud.db.dump('cs_media')
    w.cloud.db.seed('cs_media', [{ ...cached!, expiresAt: new Date(Date.now() - 1) }])
    await w.push.user(w.push.text(ALICE, 'menu again'))
    expect(w.cloud.openapi.callsTo('customerServiceMessage.uploadTempMedia')).toHaveLength(2)
  })

  test('a media id WeChat no longer knows (40007) is uploaded again once and the reply still goes out', async () => {
    const w = csWorld()
    const fileId = w.putImage('cs/menu.jpg')
    w.addRule({ _id: 'menu', match: { kind: 'keyword', words: ['menu'] }, replies: [{ type: 'image', fileId }] })
    await w.push.user(w.push.text(ALICE, 'menu'))
    w.cloud.openapi.kf.media.clear() // WeChat dropped it early
    await w.push.user(w.push.text(ALICE, 'menu'))
    expect(w.cloud.openapi.callsTo('customerServiceMessage.uploadTempMedia')).toHaveLength(2)
    expect(w.sent(ALICE)).toHaveLength(2)
    expect(
      w
        .log(ALICE)
        .filter((m) => m.dir === 'out')
        .map((m) => m.status),
    ).toEqual(['SENT', 'SENT'])
  })

  test('a mini-program card reply carries the uploaded cover as thumb_media_id', async () => {
    const w = csWorld()
    const fileId = w.putImage('cs/orders.png')
    w.addRule({
      _id: 'orders',
      match: { kind: 'keyword', words: ['my orders'] },
      replies: [
        { type: 'miniprogrampage', title: 'My orders', pagepath: 'pages/pay/orders/index', thumbFileId: fileId },
      ],
    })
    await w.push.user(w.push.text(ALICE, 'where are my orders'))
    const [send] = w.sent(ALICE)
    const card = send!.params.miniprogrampage as Record<string, string>
    expect(card).toMatchObject({ title: 'My orders', pagepath: 'pages/pay/orders/index' })
    expect(w.cloud.openapi.kf.media.has(card.thumb_media_id!)).toBe(true)
  })

  test('miniprogrampage from the user: the card rule; image from the user: the acknowledgement', async () => {
    const w = csWorld()
    await w.push.user(w.push.card(ALICE, { title: 'Coffee voucher', pagePath: `pages/pay/order/index?id=${ORDER_ID}` }))
    expect(w.texts(ALICE)).toEqual([expect.stringContaining('已收到你发送的订单')])
    await w.push.user(w.push.image(BOB))
    expect(w.texts(BOB)).toEqual(['收到！稍后会有人工在这里回复你。'])
    expect(w.log(BOB)[0]).toMatchObject({ dir: 'in', kind: 'image', summary: '[image]' })
  })

  test('no rule: one acknowledgement, then quiet for 30 minutes; out of hours, the hours instead', async () => {
    const w = csWorld()
    await w.push.user(w.push.text(ALICE, 'hello'))
    await w.push.user(w.push.text(ALICE, 'anyone?'))
    expect(w.texts(ALICE)).toEqual(['收到！稍后会有人工在这里回复你。'])

    // Open only on a day that is neither today nor tomorrow (Beijing): closed now, even across midnight.
    const today = new Date(Date.now() + 8 * 3_600_000).getUTCDay() || 7
    const openDay = ((today + 2 - 1) % 7) + 1
    const closed = csWorld({ vars: { CS_HOURS: '09:00-18:00', CS_DAYS: String(openDay) } })
    await closed.push.user(closed.push.text(ALICE, 'hello'))
    expect(closed.texts(ALICE)).toEqual([
      expect.stringMatching(
        /^感谢留言。我们的服务时间是周[一二三四五六日] 09:00–18:00（北京时间），届时会有人工回复你。$/,
      ),
    ])
  })

  test('an unknown message type is acknowledged and logged, nothing else', async () => {
    const w = csWorld()
    const spy = console.log as jest.Mock
    spy.mockClear()
    const answer = await w.cloud.invoke(
      'customerService',
      { ToUserName: 'gh_x', FromUserName: ALICE, CreateTime: 1, MsgType: 'voice', MediaId: 'm', MsgId: '5' },
      { openid: ALICE },
      'wx_unknown',
    )
    expect(answer).toBe('success')
    expect(w.cloud.db.dump('cs_seen')).toEqual([])
    expect(w.sends()).toEqual([])
    expect(spy.mock.calls.map((c) => String(c[0])).join('\n')).toContain('unsupported or malformed push (MsgType=voice')
  })
})

describe('the welcome reads SessionFrom', () => {
  test("from the user's own order: the order, its state, and its card", async () => {
    const w = csWorld({ vars: { CS_CARD_THUMB_FILE_ID: '' } })
    seedOrder(w)
    await w.push.user(w.push.enter(ALICE, `order:${ORDER_ID}`))
    expect(w.texts(ALICE)).toEqual([
      '你好！你从订单“Coffee voucher”（已支付）进入客服。请告诉我们需要什么帮助，我们会尽快处理。',
    ])

    const w2 = csWorld({ vars: { CS_CARD_THUMB_FILE_ID: 'cloud://local-dev.local-local-dev/cs/card.png' } })
    expect(w2.putImage('cs/card.png')).toBe('cloud://local-dev.local-local-dev/cs/card.png')
    seedOrder(w2)
    await w2.push.user(w2.push.enter(ALICE, `order:${ORDER_ID}`))
    expect(w2.sent(ALICE).map((c) => c.params.msgtype)).toEqual(['text', 'miniprogrampage'])
    expect(w2.sent(ALICE)[1]!.params.miniprogrampage).toMatchObject({
      title: 'Coffee voucher',
      pagepath: `pages/pay/order/index?id=${ORDER_ID}`,
    })
    expect(w2.cloud.openapi.kf.sendsLeft(ALICE)).toBe(0) // entering allows exactly 2
  })

  test("someone else's order id gives the plain welcome: nothing about that order leaks", async () => {
    const w = csWorld()
    seedOrder(w, BOB)
    await w.push.user(w.push.enter(ALICE, `order:${ORDER_ID}`))
    expect(w.texts(ALICE)).toEqual(['你好！有什么可以帮你？在这里留言，我们会在这里回复。'])
  })

  test('from the profile page, and from nowhere; not repeated within 10 minutes', async () => {
    const w = csWorld()
    await w.push.user(w.push.enter(ALICE, 'profile'))
    await w.push.user(w.push.enter(BOB))
    expect(w.texts(ALICE)).toEqual(['你好！账号或手机号有疑问？请在这里留言。'])
    expect(w.texts(BOB)).toEqual(['你好！有什么可以帮你？在这里留言，我们会在这里回复。'])
    const again = w.push.enter(ALICE, 'profile')
    again.CreateTime += 1 // a second entry, not a retry
    await w.push.user(again)
    expect(w.texts(ALICE)).toHaveLength(1)
    expect(w.cloud.db.dump('cs_seen')).toHaveLength(3)
  })
})

test('"typing…" goes out before the reply, so the reply ends it', async () => {
  const w = csWorld()
  await w.push.user(w.push.text(ALICE, 'refund'))
  const apis = w.cloud.openapi.calls.filter((c) => c.api.startsWith('customerServiceMessage.')).map((c) => c.api)
  expect(apis).toEqual(['customerServiceMessage.setTyping', 'customerServiceMessage.send'])
  // A second message can show "typing…" again: the first one is not left on.
  await w.push.user(w.push.text(ALICE, 'refund again'))
  expect(w.cloud.openapi.callsTo('customerServiceMessage.setTyping').map((c) => c.ok)).toEqual([true, true])
})

test('the documented sample event (CreateTime in 2016): the window counts from its arrival, so typing is followed by the reply', async () => {
  const w = csWorld()
  // receive.html's sample text message, as WeChat documents it, sent by ALICE.
  const sample = {
    ToUserName: w.cloud.appid,
    FromUserName: ALICE,
    CreateTime: 1482048670,
    MsgType: 'text',
    Content: 'refund',
    MsgId: '1234567890123456',
  }
  const d = await w.push.user(sample)
  expect(d.acked).toBe(true)
  const apis = w.cloud.openapi.calls
    .filter((c) => c.api.startsWith('customerServiceMessage.'))
    .map((c) => [c.api, c.ok])
  expect(apis).toEqual([
    ['customerServiceMessage.setTyping', true],
    ['customerServiceMessage.send', true],
  ])
})

describe('language: Chinese first, English for users whose record says so', () => {
  test('a Chinese message gets the Chinese rule; an English user gets English automatic texts and card rule; the words decide a text', async () => {
    const w = csWorld()
    w.cloud.db.seed('users', [
      {
        _id: 'u-bob',
        openids: [BOB],
        language: 'en',
        status: 'ACTIVE',
        nickname: '',
        avatarFileId: '',
        loginCount: 1,
        createdAt: new Date(0),
        lastLoginAt: new Date(0),
      },
    ])
    await w.push.user(w.push.text(ALICE, '我要退款'))
    expect(w.texts(ALICE)).toEqual([
      '支付后 7 天内可自助退款：打开“我的订单”，选择订单并点击“申请退款”，款项将原路退回。',
    ])
    await w.push.user(w.push.text(BOB, 'hello'))
    await w.push.user(w.push.card(BOB, { title: 'Coffee voucher', pagePath: `pages/pay/order/index?id=${ORDER_ID}` }))
    await w.push.user(w.push.text(BOB, '怎么退款？'))
    expect(w.texts(BOB)).toEqual([
      'Thanks! A person will reply here shortly.',
      expect.stringContaining('we have the order you sent'),
      expect.stringContaining('支付后 7 天内可自助退款'),
    ])
  })
})
