/**
 * What to answer, as pure functions: auto-reply rules, the welcome on entering the chat,
 * opening hours. The handler (handle.ts) only feeds them the message, the rules from the
 * database, the user's own order and the time, and sends what they return.
 */
import { fmt } from '../../miniprogram/shared/template'
import type { Locale } from '../../typings/contract'
import type { AutoReplyRule, InboundMessage, Reply, SessionFrom } from '../../typings/customerService'
import type { OrderStatus } from '../../typings/pay'
import type { CsConfig, OpeningHours } from './config'
import { beijingWallClock } from '../time'

/** The same automatic text is not repeated to a user within these gaps. */
export const REPEAT_GAP_MS = { welcome: 10 * 60_000, outOfHours: 30 * 60_000, ack: 30 * 60_000 } as const

/** When the user last got each automatic text (ms), and which SessionFrom the welcome answered. */
export interface AutoState {
  welcomeAt?: number
  welcomeFrom?: string
  outOfHoursAt?: number
  ackAt?: number
}

export type PlanReason = 'rule' | 'welcome' | 'out-of-hours' | 'ack' | 'repeat-suppressed'

export interface Plan {
  reason: PlanReason
  ruleId?: string
  replies: Reply[]
}

/** What the welcome may say about the order in SessionFrom, when it is the sender's own. */
export interface OwnOrder {
  orderId: string
  title: string
  status: OrderStatus
}

/** Entering the chat allows 2 sends (send.html); a user message allows 5. */
export const SENDS_PER_ENTER = 2

const STATE_WORDS: Record<Locale, Record<OrderStatus, string>> = {
  zh_CN: {
    UNPAID: '待支付',
    PAID: '已支付',
    CLOSED: '已关闭',
    REFUNDING: '退款中',
    REFUNDED: '已退款',
    REFUND_FAILED: '退款待人工处理',
  },
  en: {
    UNPAID: 'waiting for payment',
    PAID: 'paid',
    CLOSED: 'closed',
    REFUNDING: 'refund in progress',
    REFUNDED: 'refunded',
    REFUND_FAILED: 'refund needs our attention',
  },
}

const MAX_MATCH_CHARS = 2000

export function isOpen(hours: OpeningHours | null, ms: number): boolean {
  if (!hours) return true
  const d = beijingWallClock(ms)
  const weekday = d.getUTCDay() === 0 ? 7 : d.getUTCDay()
  const minute = d.getUTCHours() * 60 + d.getUTCMinutes()
  return hours.days.includes(weekday) && minute >= hours.start && minute < hours.end
}

/** How opening hours read in each language. */
const HOURS_WORDS: Record<
  Locale,
  { days: string[]; always: string; everyDay: string; through: string; list: string; format: string }
> = {
  zh_CN: {
    days: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
    always: '全天',
    everyDay: '每天',
    through: '至',
    list: '、',
    format: '{days} {start}–{end}（北京时间）',
  },
  en: {
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    always: 'at any time',
    everyDay: 'every day',
    through: '–',
    list: ', ',
    format: '{days} {start}–{end} (Beijing time)',
  },
}
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`

/** "周一至周五 09:00–18:00（北京时间）" / "Mon–Fri 09:00–18:00 (Beijing time)". */
export function hoursText(hours: OpeningHours | null, language: Locale): string {
  const w = HOURS_WORDS[language]
  if (!hours) return w.always
  const ds = [...hours.days].sort((a, b) => a - b)
  const contiguous = ds.every((d, i) => i === 0 || d === ds[i - 1]! + 1)
  const days =
    ds.length === 7
      ? w.everyDay
      : contiguous && ds.length > 2
        ? `${w.days[ds[0]! - 1]}${w.through}${w.days[ds[ds.length - 1]! - 1]}`
        : ds.map((d) => w.days[d - 1]).join(w.list)
  return fmt(w.format, { days, start: hhmm(hours.start), end: hhmm(hours.end) })
}

function compile(rule: AutoReplyRule): RegExp | null {
  if (rule.match.kind !== 'regex') return null
  try {
    // Only i, m, s and u make sense for a one-off test (g and y keep state between calls).
    return new RegExp(rule.match.pattern, (rule.match.flags ?? '').replace(/[^imsu]/g, ''))
  } catch {
    return null // a broken pattern in the database never matches (and is reported by lintRules)
  }
}

/**
 * The first active rule, by priority, that matches the message. A text matches by its words, so
 * the rule that matched (and the language of its replies) follows the language the user wrote
 * in; a card carries no words, so a card rule with a language answers only users of that language.
 */
export function matchRule(
  rules: readonly AutoReplyRule[],
  msg: InboundMessage,
  language: Locale,
): AutoReplyRule | null {
  const sorted = rules
    .filter((r) => r.active && r.replies.length > 0)
    .sort((a, b) => a.priority - b.priority || a._id.localeCompare(b._id))
  for (const rule of sorted) {
    const m = rule.match
    if (msg.MsgType === 'text') {
      const text = msg.Content.slice(0, MAX_MATCH_CHARS)
      if (m.kind === 'keyword' && m.words.some((w) => w && text.toLowerCase().includes(w.toLowerCase()))) return rule
      if (m.kind === 'regex' && compile(rule)?.test(text)) return rule
    } else if (
      msg.MsgType === 'miniprogrampage' &&
      m.kind === 'card' &&
      (!rule.language || rule.language === language) &&
      msg.PagePath.replace(/^\//, '').startsWith(m.pagePrefix.replace(/^\//, ''))
    ) {
      return rule
    }
  }
  return null
}

/** Rules that can never answer (bad pattern, no replies): for the log at load time. */
export function lintRules(rules: readonly AutoReplyRule[]): string[] {
  const problems: string[] = []
  for (const r of rules) {
    if (r.match.kind === 'regex' && !compile(r))
      problems.push(`${r._id}: invalid pattern ${JSON.stringify(r.match.pattern)}`)
    if (!r.replies.length) problems.push(`${r._id}: no replies`)
  }
  return problems
}

export function orderPagePath(orderId: string): string {
  return `pages/pay/order/index?id=${encodeURIComponent(orderId)}`
}

/** The welcome for the page the user came from. An order is mentioned only when it is the sender's own. */
export function welcomeReplies(
  from: SessionFrom | null,
  order: OwnOrder | null,
  cfg: CsConfig,
  language: Locale,
): Reply[] {
  const texts = cfg.texts[language]
  if (from?.page === 'order' && order) {
    const replies: Reply[] = [
      {
        type: 'text',
        content: fmt(texts.welcomeOrder, { title: order.title, state: STATE_WORDS[language][order.status] }),
      },
    ]
    if (cfg.cardThumbFileId)
      replies.push({
        type: 'miniprogrampage',
        title: order.title,
        pagepath: orderPagePath(order.orderId),
        thumbFileId: cfg.cardThumbFileId,
      })
    return replies
  }
  if (from?.page === 'profile') return [{ type: 'text', content: texts.welcomeProfile }]
  return [{ type: 'text', content: texts.welcome }]
}

const recent = (at: number | undefined, now: number, gap: number) => at !== undefined && now - at < gap

/**
 * The replies to one inbound message:
 * - entering the chat: the welcome for its SessionFrom (not repeated within 10 minutes for the
 *   same SessionFrom), plus the hours when closed, within the 2 sends entering allows;
 * - a message: the first matching rule, at any hour; else the out-of-hours text when closed or
 *   an acknowledgement when open, each at most once per 30 minutes.
 * Automatic texts are in `language` (the user's record); a rule answers in its own.
 */
export function planReplies(
  msg: InboundMessage,
  input: {
    rules: readonly AutoReplyRule[]
    cfg: CsConfig
    now: number
    auto: AutoState
    from: SessionFrom | null
    order: OwnOrder | null
    language: Locale
  },
): Plan {
  const { cfg, now, auto, language } = input
  const open = isOpen(cfg.hours, now)
  const closedText = fmt(cfg.texts[language].outOfHours, { hours: hoursText(cfg.hours, language) })
  if (msg.MsgType === 'event') {
    if (recent(auto.welcomeAt, now, REPEAT_GAP_MS.welcome) && auto.welcomeFrom === (msg.SessionFrom ?? ''))
      return { reason: 'repeat-suppressed', replies: [] }
    const replies = welcomeReplies(input.from, input.order, cfg, language)
    if (!open && replies.length < SENDS_PER_ENTER) replies.push({ type: 'text', content: closedText })
    return { reason: 'welcome', replies: replies.slice(0, SENDS_PER_ENTER) }
  }
  const rule = matchRule(input.rules, msg, language)
  if (rule) return { reason: 'rule', ruleId: rule._id, replies: rule.replies }
  if (!open) {
    return recent(auto.outOfHoursAt, now, REPEAT_GAP_MS.outOfHours)
      ? { reason: 'repeat-suppressed', replies: [] }
      : { reason: 'out-of-hours', replies: [{ type: 'text', content: closedText }] }
  }
  return recent(auto.ackAt, now, REPEAT_GAP_MS.ack)
    ? { reason: 'repeat-suppressed', replies: [] }
    : { reason: 'ack', replies: [{ type: 'text', content: cfg.texts[language].ack }] }
}

/** One line for the log and the operators' inbox. */
export function summarize(msg: InboundMessage | Reply): string {
  if ('MsgType' in msg) {
    switch (msg.MsgType) {
      case 'text':
        return msg.Content.slice(0, 200)
      case 'image':
        return '[image]'
      case 'miniprogrampage':
        return `[card] ${msg.Title} (${msg.PagePath})`.slice(0, 200)
      case 'event':
        return `[entered the chat${msg.SessionFrom ? ` from ${msg.SessionFrom}` : ''}]`.slice(0, 200)
    }
  }
  switch (msg.type) {
    case 'text':
      return msg.content.slice(0, 200)
    case 'image':
      return '[image]'
    case 'link':
      return `[link] ${msg.title}`.slice(0, 200)
    case 'miniprogrampage':
      return `[card] ${msg.title} (${msg.pagepath})`.slice(0, 200)
  }
}
