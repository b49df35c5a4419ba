/**
 * The one handler of customer-service pushes, whichever way they arrive (the cloud console's
 * message push to `customerService`, or URL mode through `customerServiceHttp`):
 *
 *   claim the delivery ─▶ log it, open the reply window ─▶ decide the replies (rules.ts)
 *     ─▶ "typing…" ─▶ send each reply once ─▶ done ─▶ 'success'
 *
 * WeChat waits 5 s for an answer and pushes again (3 times) only when none came. Any answer other
 * than 'success' (or empty) is abnormal data: the user sees "该小程序客服暂时无法提供服务，请稍后再试".
 * So the functions always answer 'success'; what happened is the outcome below, for the logs.
 * Retries and concurrent deliveries of the same message meet at the claim (store.ts), so a reply
 * goes out once; a delivery that finds another run on the message waits for it (or takes over
 * when its lease runs out) within the budget. Every WeChat call is bounded (send.ts) so the run
 * ends well inside the 5 s. Document: .../wxcloud/guide/functions/openapi.html (消息推送).
 */
import { scalar } from '../input'
import * as v from 'valibot'
import { decodeSessionFrom } from '../../miniprogram/shared/session-from'
import type { InboundMessage, Reply } from '../../typings/customerService'
import type { OrderStatus } from '../../typings/pay'
import { getDoc, toMillis } from '../db'
import { errText } from '../errors'
import { userLanguage } from '../locale'
import type { CsConfig } from './config'
import { planReplies, lintRules, summarize, type OwnOrder, type Plan } from './rules'
import { Budget, sendReply, setTyping, type SendOutcome } from './send'
import * as store from './store'

/**
 * What became of a delivery, for the log: handled (recorded, replies attempted), duplicate (done
 * before), in-flight (another run still holds it after the wait), failed (the run broke after the
 * claim; released for a retry WeChat may send on its own), unrecorded (the claim could not be
 * written: the message is in the log line only).
 */
export type PushOutcome = 'handled' | 'duplicate' | 'in-flight' | 'failed' | 'unrecorded'

/** How often a delivery that found another run on its message looks again. */
const CLAIM_POLL_MS = 200

const str = v.pipe(v.string(), v.minLength(1), v.maxLength(4096))
const time = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d{1,12}$/), v.transform(Number))]),
  v.number(),
  v.integer(),
  v.minValue(0),
)
const msgId = v.pipe(v.union([v.pipe(v.number(), v.integer(), v.transform(String)), str]), v.string())
const base = { ToUserName: str, FromUserName: v.pipe(str, v.maxLength(128)), CreateTime: time }

/** The documented push shapes (receive.html). Unknown fields are dropped. */
const InboundSchema = v.variant('MsgType', [
  v.object({ ...base, MsgType: v.literal('text'), Content: v.pipe(v.string(), v.maxLength(4096)), MsgId: msgId }),
  v.object({ ...base, MsgType: v.literal('image'), PicUrl: v.string(), MediaId: v.string(), MsgId: msgId }),
  v.object({
    ...base,
    MsgType: v.literal('miniprogrampage'),
    Title: v.string(),
    AppId: v.string(),
    PagePath: v.string(),
    ThumbUrl: v.optional(v.string()),
    ThumbMediaId: v.optional(v.string()),
    MsgId: msgId,
  }),
  v.object({
    ...base,
    MsgType: v.literal('event'),
    Event: v.literal('user_enter_tempsession'),
    SessionFrom: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  }),
])

export type Parsed = { ok: true; msg: InboundMessage } | { ok: false; reason: string }

export function parseInbound(event: unknown): Parsed {
  const r = v.safeParse(InboundSchema, event)
  if (r.success) return { ok: true, msg: r.output as InboundMessage }
  const e = (event ?? {}) as { MsgType?: unknown; Event?: unknown }
  return {
    ok: false,
    reason: `unsupported or malformed push (MsgType=${scalar(e.MsgType, 32)}, Event=${scalar(e.Event, 32)}): ${r.issues
      .slice(0, 5)
      .map((i) => `${v.getDotPath(i)?.slice(0, 40) ?? ''} ${i.message.slice(0, 80)}`)
      .join('; ')}`,
  }
}

/** A message once per MsgId; an event once per sender + CreateTime (receive.html's advice). */
export function dedupeKey(msg: InboundMessage): string {
  return msg.MsgType === 'event' ? `e:${msg.FromUserName}:${msg.CreateTime}:${msg.Event}` : `m:${msg.MsgId}`
}

const log = (o: Record<string, unknown>) => console.log(JSON.stringify({ fn: 'customerService', ...o }))

async function ownOrder(openid: string, orderId: string): Promise<OwnOrder | null> {
  const o = await getDoc<{ _id: string; _openid: string; title: string; status: OrderStatus }>('orders', orderId)
  return o && o._openid === openid ? { orderId: o._id, title: o.title, status: o.status } : null
}

/** First run: record the message, open the window, decide. */
async function decide(msg: InboundMessage, key: string, cfg: CsConfig, now: number): Promise<Plan> {
  const openid = msg.FromUserName
  await store.logMessage({
    _id: `in:${key}`,
    openid,
    dir: 'in',
    at: new Date(msg.CreateTime * 1000),
    by: 'user',
    kind: msg.MsgType === 'event' ? msg.Event : msg.MsgType,
    summary: summarize(msg),
  })
  // The window opens when the message arrives, not at its CreateTime: that is the sender's clock
  // (the documented sample carries a 2012 time), and entering allows only 1 minute.
  const conv = await store.recordUserAction(
    openid,
    msg.MsgType === 'event' ? 'enter' : 'message',
    now,
    summarize(msg),
    now,
  )
  const from = msg.MsgType === 'event' ? decodeSessionFrom(msg.SessionFrom) : null
  const [rules, order, language] = await Promise.all([
    msg.MsgType === 'event' ? Promise.resolve([]) : store.loadRules(),
    from?.page === 'order' ? ownOrder(openid, from.orderId) : Promise.resolve(null),
    userLanguage(openid),
  ])
  const problems = lintRules(rules)
  if (problems.length) log({ warn: 'auto-reply rules that can never answer', problems })
  const plan = planReplies(msg, { rules, cfg, now, auto: store.autoState(conv), from, order, language })
  await store.savePlan(key, plan)
  // Remember which automatic text went out, so it is not repeated (rules.ts REPEAT_GAP_MS).
  const stamp: Record<string, unknown> = {}
  if (plan.reason === 'welcome')
    Object.assign(stamp, {
      'auto.welcomeAt': new Date(now),
      'auto.welcomeFrom': msg.MsgType === 'event' ? (msg.SessionFrom ?? '') : '',
    })
  if (plan.reason === 'out-of-hours') stamp['auto.outOfHoursAt'] = new Date(now)
  if (plan.reason === 'ack') stamp['auto.ackAt'] = new Date(now)
  if (Object.keys(stamp).length) await store.patchConversation(openid, stamp)
  return plan
}

async function deliver(
  openid: string,
  reply: Reply,
  budget: Budget,
  now: number,
  calling: () => Promise<void>,
): Promise<SendOutcome> {
  if (budget.next() <= 0) return { status: 'SKIPPED', failure: 'TIMEOUT' }
  if (!(await store.takeSend(openid, now))) return { status: 'SKIPPED', failure: 'QUOTA_USED' }
  await calling()
  const out = await sendReply(openid, reply, budget)
  if (out.failure === 'WINDOW_CLOSED' || out.failure === 'QUOTA_USED') await store.closeWindow(openid, out.failure, now)
  else if (out.status === 'FAILED') await store.giveBackSend(openid)
  return out
}

/**
 * Handles one delivery and says what became of it (the caller answers 'success' whatever it is:
 * WeChat pushes again only when no answer came in 5 s). The message is recorded and its replies
 * attempted once, whatever WeChat said to them (failures are in the log with their errCode). A
 * run that breaks after its claim releases it and, while the budget lasts, tries once more
 * itself: WeChat will not push again after an answer, so the retry has to happen here.
 */
export async function handleInbound(
  msg: InboundMessage,
  cfg: CsConfig,
  via: 'push' | 'url' | 'timer',
): Promise<PushOutcome> {
  const started = Date.now()
  const key = dedupeKey(msg)
  const deadline = started + cfg.budgetMs
  let outcome: PushOutcome = 'unrecorded'
  for (let run = 0; run < RUNS; run++) {
    let claim: store.Claim
    try {
      claim = await claimWithin(key, deadline, msg)
    } catch (e) {
      log({ key, via, outcome: 'unrecorded', error: errText(e), from: msg.FromUserName, summary: summarize(msg) })
      return 'unrecorded'
    }
    if (!claim.mine) {
      outcome = claim.state === 'DONE' ? 'duplicate' : 'in-flight'
      log({ key, via, outcome })
      return outcome
    }
    outcome = await runOnce(msg, key, claim, new Budget(deadline, cfg.callTimeoutMs), cfg, via, started)
    if (outcome !== 'failed' || Date.now() + cfg.callTimeoutMs >= deadline) return outcome
  }
  return outcome
}

/** Runs of one delivery: the first, and one more after a failure if time allows. */
const RUNS = 2

async function runOnce(
  msg: InboundMessage,
  key: string,
  claim: Extract<store.Claim, { mine: true }>,
  budget: Budget,
  cfg: CsConfig,
  via: 'push' | 'url' | 'timer',
  started: number,
): Promise<PushOutcome> {
  const openid = msg.FromUserName
  try {
    // Decided as of the message's arrival (a takeover by the timer may come an hour later).
    const plan =
      claim.seen.plan ?? (await decide(msg, key, cfg, claim.seen.arrivedAt ? toMillis(claim.seen.arrivedAt) : started))
    // A takeover finishes what a cut-off run left: replies whose send never began are sent; one
    // whose send began and has no outcome may have reached WeChat, so it is logged as TIMEOUT and
    // not sent again (at most once: a doubled auto reply spends the user's reply window).
    const began = new Set(claim.seen.calling ?? [])
    const logged = claim.takeover ? await store.loggedReplies(key, plan.replies.length) : new Set<number>()
    for (const i of began) {
      if (logged.has(i) || !plan.replies[i]) continue
      await store.logMessage({
        _id: `out:${key}:${i}`,
        openid,
        dir: 'out',
        at: new Date(),
        by: 'auto',
        kind: plan.replies[i].type,
        summary: summarize(plan.replies[i]),
        status: 'TIMEOUT',
        failure: 'TIMEOUT',
      })
      logged.add(i)
    }
    const todo = plan.replies.map((r, i) => ({ r, i })).filter(({ i }) => !began.has(i) && !logged.has(i))
    // Before the first send (a send ends "typing…"; shown after it, it would linger), and only
    // when a send is still allowed: "typing…" with no reply after it would mislead the user.
    if (todo.length > 0 && msg.MsgType !== 'event' && (await store.canSend(openid, started))) {
      await setTyping(openid, 'Typing', budget).catch((e: unknown) => log({ key, typing: errText(e) }))
    }
    const outcomes: Array<SendOutcome & { index: number }> = []
    for (const { r, i } of todo) {
      // Taken, then "calling" just before the send: a run cut off before the send leaves the
      // reply to the next run; one cut off during the send loses it rather than doubling it.
      await store.markAttempted(key, i)
      const out = await deliver(openid, r, budget, started, () => store.markCalling(key, i))
      outcomes.push({ ...out, index: i })
      await store.logMessage({
        _id: `out:${key}:${i}`,
        openid,
        dir: 'out',
        at: new Date(),
        by: 'auto',
        kind: r.type,
        summary: summarize(r),
        status: out.status,
        ...(out.failure ? { failure: out.failure } : {}),
        ...(out.errCode !== undefined ? { errCode: out.errCode } : {}),
      })
    }
    await store.finish(key)
    log({
      key,
      via,
      outcome: 'handled',
      reason: plan.reason,
      ruleId: plan.ruleId,
      takeover: claim.takeover,
      outcomes,
      ms: Date.now() - started,
    })
    return 'handled'
  } catch (e) {
    log({ key, via, outcome: 'failed', error: errText(e), ms: Date.now() - started })
    await store.release(key).catch(() => undefined)
    return 'failed'
  }
}

/** How many cut-off runs one timer tick finishes at most. */
const STALE_PAGE = 20

/**
 * The hourly timer's part: deliveries whose run was cut off and that no redelivery took over
 * (WeChat pushes a message at most 4 times) are taken over and finished, as a redelivery would.
 */
export async function finishStale(cfg: CsConfig, now: number): Promise<number> {
  const stale = await store.staleRuns(now, STALE_PAGE)
  let finished = 0
  for (const seen of stale) {
    if (!seen.msg) continue
    if ((await handleInbound(seen.msg, cfg, 'timer')) === 'handled') finished++
  }
  return finished
}

/**
 * The claim, or the other run's result: while another run holds the message, look again until
 * it is DONE, its lease expires (then this delivery takes over) or the budget is spent.
 */
async function claimWithin(key: string, deadline: number, msg: InboundMessage): Promise<store.Claim> {
  for (;;) {
    let c: store.Claim
    try {
      c = await store.claim(key, Date.now(), msg)
    } catch (e) {
      // The database failed: try again while the budget lasts.
      if (Date.now() + CLAIM_POLL_MS >= deadline) throw e
      await new Promise((r) => setTimeout(r, CLAIM_POLL_MS))
      continue
    }
    if (c.mine || c.state === 'DONE' || Date.now() + CLAIM_POLL_MS >= deadline) return c
    await new Promise((r) => setTimeout(r, CLAIM_POLL_MS))
  }
}
