/** The pure parts of customer service: rules, the welcome, opening hours, the reply window, SessionFrom. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeSessionFrom, encodeSessionFrom } from '../../miniprogram/shared/session-from'
import { DEFAULT_TEXTS, csConfig, parseHours, pushUrlConfig } from '../../server/customerService/config'
import {
  hoursText,
  isOpen,
  lintRules,
  matchRule,
  planReplies,
  welcomeReplies,
  type AutoState,
} from '../../server/customerService/rules'
import { CLAIM_LEASE_MS } from '../../server/customerService/store'
import { openWindow, windowOpen } from '../../server/customerService/window'
import type { AutoReplyRule, InboundMessage } from '../../typings/customerService'

const base = { ToUserName: 'gh_x', FromUserName: 'o-alice', CreateTime: 1_763_700_000 }
const text = (Content: string): InboundMessage => ({ ...base, MsgType: 'text', Content, MsgId: '1' })
const enter = (SessionFrom?: string): InboundMessage => ({
  ...base,
  MsgType: 'event',
  Event: 'user_enter_tempsession',
  ...(SessionFrom !== undefined ? { SessionFrom } : {}),
})
/** 2026-11-23 is a Monday; Beijing is UTC+8. */
const beijing = (iso: string) => Date.parse(`${iso}+08:00`)

const rule = (r: Partial<AutoReplyRule> & Pick<AutoReplyRule, '_id' | 'match'>): AutoReplyRule => ({
  active: true,
  priority: 10,
  replies: [{ type: 'text', content: r._id }],
  ...r,
})

describe('opening hours', () => {
  const hours = parseHours('09:00-18:00', '1-5')!
  test('parses HH:MM ranges and ISO weekdays; malformed means always open', () => {
    expect(hours).toEqual({ days: [1, 2, 3, 4, 5], start: 540, end: 1080 })
    expect(parseHours('9-18', '1-5')).toBeNull()
    expect(parseHours('18:00-09:00', '1-5')).toBeNull()
    expect(parseHours('10:00-12:00', '6,7')).toEqual({ days: [6, 7], start: 600, end: 720 })
  })
  test('is judged in Beijing time, start inclusive, end exclusive', () => {
    expect(isOpen(hours, beijing('2026-11-23T09:00:00'))).toBe(true)
    expect(isOpen(hours, beijing('2026-11-23T08:59:59'))).toBe(false)
    expect(isOpen(hours, beijing('2026-11-23T18:00:00'))).toBe(false)
    expect(isOpen(hours, beijing('2026-11-22T12:00:00'))).toBe(false) // Sunday
    // 02:00 UTC Monday = 10:00 Beijing Monday: open although it is early morning in UTC.
    expect(isOpen(hours, Date.parse('2026-11-23T02:00:00Z'))).toBe(true)
    expect(isOpen(null, 0)).toBe(true)
  })
  test('reads as text for the out-of-hours reply', () => {
    expect(hoursText(hours, 'en')).toBe('Mon–Fri 09:00–18:00 (Beijing time)')
    expect(hoursText(hours, 'zh_CN')).toBe('周一至周五 09:00–18:00（北京时间）')
    expect(hoursText(parseHours('00:00-23:59', '1-7'), 'zh_CN')).toBe('每天 00:00–23:59（北京时间）')
    expect(hoursText(null, 'zh_CN')).toBe('全天')
    expect(hoursText(parseHours('10:00-12:00', '6,7'), 'en')).toBe('Sat, Sun 10:00–12:00 (Beijing time)')
    expect(hoursText(parseHours('10:00-12:00', '6,7'), 'zh_CN')).toBe('周六、周日 10:00–12:00（北京时间）')
  })
})

describe('auto-reply rules', () => {
  const rules = [
    rule({ _id: 'late', priority: 50, match: { kind: 'keyword', words: ['refund'] } }),
    rule({ _id: 'early', priority: 5, match: { kind: 'regex', pattern: '^refund\\s+\\d+$', flags: 'gi' } }),
    rule({ _id: 'broken', priority: 1, match: { kind: 'regex', pattern: '([' } }),
    rule({ _id: 'off', priority: 0, active: false, match: { kind: 'keyword', words: ['refund'] } }),
    rule({ _id: 'card', match: { kind: 'card', pagePrefix: '/pages/pay/order/index' } }),
  ]
  test('the first active rule by priority answers; keywords ignore case; a broken pattern never matches', () => {
    expect(matchRule(rules, text('REFUND 42'), 'en')?._id).toBe('early')
    expect(matchRule(rules, text('refund 42'), 'en')?._id).toBe('early') // the g flag is dropped: no state between calls
    expect(matchRule(rules, text('I want a Refund'), 'en')?._id).toBe('late')
    expect(matchRule(rules, text('hello'), 'en')).toBeNull()
    expect(lintRules(rules)).toEqual(['broken: invalid pattern "(["'])
  })
  test('a card the user sends matches by page path, with or without a leading slash', () => {
    const card = (PagePath: string): InboundMessage => ({
      ...base,
      MsgType: 'miniprogrampage',
      Title: 't',
      AppId: 'wx',
      PagePath,
      MsgId: '2',
    })
    expect(matchRule(rules, card('pages/pay/order/index?id=1'), 'en')?._id).toBe('card')
    expect(matchRule(rules, card('pages/profile/index'), 'en')).toBeNull()
  })
  test('the seeded rules are valid and answer what they say', () => {
    const seed = JSON.parse(
      readFileSync(join(__dirname, '../../database/seed/cs_rules.json'), 'utf8'),
    ) as AutoReplyRule[]
    expect(lintRules(seed)).toEqual([])
    // A text: the rule of the language it is written in, whatever the user's record says.
    const zhRefund = matchRule(seed, text('我要退款'), 'en')!
    expect(zhRefund._id).toBe('refund-zh')
    expect(zhRefund.replies[0]).toMatchObject({ type: 'text', content: expect.stringContaining('我的订单') })
    expect(matchRule(seed, text('can I get my money back?'), 'zh_CN')?._id).toBe('refund-en')
    expect(matchRule(seed, text('refunded?'), 'en')).toBeNull() // word boundary: not the refund rule
    expect(matchRule(seed, text('人工客服在吗'), 'zh_CN')?._id).toBe('hours-zh')
    // A card has no words: the rule of the user's language.
    const order = {
      ...base,
      MsgType: 'miniprogrampage',
      Title: 't',
      AppId: 'wx',
      PagePath: 'pages/pay/order/index?id=1',
      MsgId: '3',
    } as const
    expect(matchRule(seed, order, 'zh_CN')?._id).toBe('order-card-zh')
    expect(matchRule(seed, order, 'en')?._id).toBe('order-card-en')
    // Every active rule says which language it answers in, and both languages have the same topics.
    const active = seed.filter((r) => r.active)
    expect(active.every((r) => r.language === 'zh_CN' || r.language === 'en')).toBe(true)
    const topics = (l: string) =>
      active
        .filter((r) => r.language === l)
        .map((r) => r._id.replace(/-(zh|en)$/, ''))
        .sort()
    expect(topics('zh_CN')).toEqual(topics('en'))
  })
})

describe('what to answer', () => {
  const cfg = csConfig({ CS_HOURS: '09:00-18:00', CS_DAYS: '1-5', CS_CARD_THUMB_FILE_ID: 'cloud://env/cs/card.png' })
  const open = beijing('2026-11-23T10:00:00')
  const closed = beijing('2026-11-23T20:00:00')
  const plan = (
    msg: InboundMessage,
    now: number,
    auto: AutoState = {},
    extra: Partial<Parameters<typeof planReplies>[1]> = {},
  ) => planReplies(msg, { rules: [], cfg, now, auto, from: null, order: null, language: 'en', ...extra })

  test('no rule: an acknowledgement in hours, the hours when closed, each once per 30 minutes', () => {
    expect(plan(text('hi'), open)).toEqual({ reason: 'ack', replies: [{ type: 'text', content: cfg.texts.en.ack }] })
    const night = plan(text('hi'), closed)
    expect(night.reason).toBe('out-of-hours')
    expect(night.replies[0]).toEqual({
      type: 'text',
      content: 'Thanks for your message. We answer Mon–Fri 09:00–18:00 (Beijing time); a person will reply then.',
    })
    expect(plan(text('hi'), closed, { outOfHoursAt: closed - 29 * 60_000 }).replies).toEqual([])
    expect(plan(text('hi'), closed, { outOfHoursAt: closed - 31 * 60_000 }).reason).toBe('out-of-hours')
  })
  test('a rule answers at any hour', () => {
    const rules = [rule({ _id: 'r', match: { kind: 'keyword', words: ['hi'] } })]
    expect(plan(text('hi'), closed, {}, { rules })).toEqual({
      reason: 'rule',
      ruleId: 'r',
      replies: [{ type: 'text', content: 'r' }],
    })
  })
  test("the welcome names the order only when it is the sender's own, with its card when a cover is configured", () => {
    const from = decodeSessionFrom('order:20261121abc')
    const own = plan(
      enter('order:20261121abc'),
      open,
      {},
      { from, order: { orderId: '20261121abc', title: 'Coffee voucher', status: 'PAID' } },
    )
    expect(own.replies).toEqual([
      {
        type: 'text',
        content:
          'Hi! You came from your order "Coffee voucher" (paid). Tell us what you need and we will look into it.',
      },
      {
        type: 'miniprogrampage',
        title: 'Coffee voucher',
        pagepath: 'pages/pay/order/index?id=20261121abc',
        thumbFileId: 'cloud://env/cs/card.png',
      },
    ])
    const foreign = plan(enter('order:20261121abc'), open, {}, { from, order: null })
    expect(foreign.replies).toEqual([{ type: 'text', content: cfg.texts.en.welcome }])
    expect(welcomeReplies(decodeSessionFrom('profile'), null, cfg, 'en')).toEqual([
      { type: 'text', content: cfg.texts.en.welcomeProfile },
    ])
  })
  test('a user whose record is Chinese (the default) gets the automatic texts in Chinese', () => {
    const zh = { language: 'zh_CN' } as const
    expect(plan(text('hi'), open, {}, zh).replies).toEqual([
      { type: 'text', content: '收到！稍后会有人工在这里回复你。' },
    ])
    expect(plan(text('hi'), closed, {}, zh).replies).toEqual([
      { type: 'text', content: '感谢留言。我们的服务时间是周一至周五 09:00–18:00（北京时间），届时会有人工回复你。' },
    ])
    const own = plan(
      enter('order:x1'),
      open,
      {},
      { ...zh, from: decodeSessionFrom('order:x1'), order: { orderId: 'x1', title: '咖啡券', status: 'REFUNDING' } },
    )
    expect(own.replies[0]).toEqual({
      type: 'text',
      content: '你好！你从订单“咖啡券”（退款中）进入客服。请告诉我们需要什么帮助，我们会尽快处理。',
    })
    expect(plan(enter('profile'), open, {}, { ...zh, from: decodeSessionFrom('profile') }).replies).toEqual([
      { type: 'text', content: DEFAULT_TEXTS.zh_CN.welcomeProfile },
    ])
  })
  test('entering the chat allows 2 sends: closed adds the hours only when there is room', () => {
    expect(plan(enter(), closed).replies.map((r) => r.type === 'text' && r.content)).toEqual([
      cfg.texts.en.welcome,
      expect.stringContaining('We answer Mon–Fri'),
    ])
    const own = plan(
      enter('order:x1'),
      closed,
      {},
      { from: decodeSessionFrom('order:x1'), order: { orderId: 'x1', title: 'T', status: 'UNPAID' } },
    )
    expect(own.replies.map((r) => r.type)).toEqual(['text', 'miniprogrampage'])
  })
  test('the same welcome is not repeated within 10 minutes; another SessionFrom gets its own', () => {
    const auto = { welcomeAt: open - 5 * 60_000, welcomeFrom: 'profile' }
    expect(plan(enter('profile'), open, auto).reason).toBe('repeat-suppressed')
    expect(plan(enter('order:x1'), open, auto).reason).toBe('welcome')
    expect(plan(enter('profile'), open + 6 * 60_000, auto).reason).toBe('welcome')
  })
})

describe('the reply window (send.html: 5 sends / 48 h after a message, 2 / 1 min after entering)', () => {
  const t0 = 1_000_000_000_000
  test('allowances do not add up; the longer deadline and the larger count win', () => {
    const msg = openWindow(null, 'message', t0, t0)
    expect(msg).toEqual({ until: t0 + 48 * 3_600_000, left: 5 })
    expect(openWindow({ ...msg, left: 4 }, 'enter', t0 + 1000, t0 + 1000)).toEqual({ until: msg.until, left: 4 })
    expect(openWindow({ ...msg, left: 1 }, 'enter', t0 + 1000, t0 + 1000)).toEqual({ until: msg.until, left: 2 })
    expect(openWindow({ until: t0 + 10_000, left: 1 }, 'message', t0 + 5000, t0 + 5000)).toEqual({
      until: t0 + 5000 + 48 * 3_600_000,
      left: 5,
    })
  })
  test('an expired window is replaced, not widened', () => {
    expect(openWindow({ until: t0, left: 5 }, 'enter', t0 + 1, t0 + 1)).toEqual({ until: t0 + 60_001, left: 2 })
    expect(windowOpen({ until: t0, left: 3 }, t0)).toBe(false)
    expect(windowOpen({ until: t0 + 1, left: 0 }, t0)).toBe(false)
  })
})

describe('SessionFrom', () => {
  test('round-trips the pages that set it; anything else is "other" (or null when absent)', () => {
    for (const f of [{ page: 'order', orderId: '20261121abcdefghijkl' }, { page: 'profile' }] as const)
      expect(decodeSessionFrom(encodeSessionFrom(f))).toEqual(f)
    expect(decodeSessionFrom('order:../../x')).toEqual({ page: 'other', raw: 'order:../../x' })
    expect(decodeSessionFrom('')).toBeNull()
    expect(decodeSessionFrom(undefined)).toBeNull()
  })
})

describe('configuration', () => {
  test('operators, limits and texts from the environment, with defaults', () => {
    const c = csConfig({
      CS_AGENT_OPENIDS: ' a1 , b2,',
      CS_BUDGET_MS: '99999',
      CS_CALL_TIMEOUT_MS: '800',
      CS_ACK: '好的！',
      CS_WELCOME_EN: ' Hello there ',
    })
    expect([...c.agents]).toEqual(['a1', 'b2'])
    expect(c.budgetMs).toBe(3500) // out of range: the default
    expect(c.callTimeoutMs).toBe(800)
    expect(c.texts.zh_CN.ack).toBe('好的！') // the unsuffixed variable is the default language's
    expect(c.texts.en.ack).toBe(DEFAULT_TEXTS.en.ack)
    expect(c.texts.en.welcome).toBe('Hello there')
    expect(c.texts.zh_CN.welcome).toBe(DEFAULT_TEXTS.zh_CN.welcome)
    expect(c.hours).toBeNull()
  })
  test('URL mode needs a token; compatible and safe mode need the key and the appid', () => {
    expect(pushUrlConfig({}).ok).toBe(false)
    expect(pushUrlConfig({ CS_PUSH_TOKEN: 'tok123', CS_PUSH_MODE: 'safe' })).toEqual({
      ok: false,
      message: 'CS_PUSH_MODE=safe needs CS_PUSH_AES_KEY and CS_PUSH_APPID',
    })
    expect(pushUrlConfig({ CS_PUSH_TOKEN: 'tok123' })).toEqual({
      ok: true,
      cfg: { token: 'tok123', encodingAesKey: null, appid: null, mode: 'plain' },
    })
  })
  test('a claim outlives the function: the lease is longer than the timeout in cloudbaserc.json', () => {
    const rc = JSON.parse(readFileSync(join(__dirname, '../../cloudbaserc.json'), 'utf8')) as {
      functions: Array<{ name: string; timeout: number }>
    }
    for (const name of ['customerService', 'customerServiceHttp']) {
      const fn = rc.functions.find((f) => f.name === name)!
      expect(fn.timeout * 1000).toBeLessThan(CLAIM_LEASE_MS)
    }
    expect(csConfig({}).budgetMs).toBeLessThan(5000) // WeChat waits 5 s
  })
})
