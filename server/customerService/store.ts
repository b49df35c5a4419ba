/**
 * Customer-service data in the database (functions only; clients have no access):
 * - cs_seen: one document per delivered message or event (de-duplication and the run's
 *   progress), removed by the hourly cleanup once `expireAt` passes;
 * - cs_conversations: one per user (the reply window as we count it, the automatic texts
 *   already sent, whether the user waits for a person);
 * - cs_messages: the conversation log, inbound and outbound, with deterministic ids so a
 *   retried write lands on the same document;
 * - cs_rules: auto-reply rules (seed: database/seed/cs_rules.json);
 * - cs_media: temp media ids of uploaded images, until they expire (3 days).
 */
import type { DB } from 'wx-server-sdk'
import type {
  AutoReplyRule,
  ConversationView,
  InboundMessage,
  LogEntry,
  Reply,
  SendFailure,
  SendStatus,
} from '../../typings/customerService'
import { db, findDocs, getDoc, toMillis, type Tx } from '../db'
import type { AutoState } from './rules'
import { openWindow, type SendWindow, type UserAction } from './window'

export const SEEN = 'cs_seen'
export const CONVERSATIONS = 'cs_conversations'
export const MESSAGES = 'cs_messages'
export const RULES = 'cs_rules'
export const MEDIA = 'cs_media'
/** URL-mode request nonces, remembered while their timestamp is acceptable (replay protection). */
export const NONCES = 'cs_push_nonces'

/**
 * Remembers a URL-mode request's timestamp and nonce; false when they were seen already (a
 * replay). The document's _id is the pair, so of two concurrent copies one insert wins.
 */
export async function firstUseOfNonce(
  timestamp: string,
  nonce: string,
  now: number,
  windowMs: number,
): Promise<boolean> {
  const _id = `${timestamp}:${nonce}`.slice(0, 100)
  const _ = db().command
  await db()
    .collection(NONCES)
    .where({ expireAt: _.lt(new Date(now)) })
    .remove()
  try {
    await db()
      .collection(NONCES)
      .add({ data: { _id, expireAt: new Date(now + 2 * windowMs) } })
    return true
  } catch (e) {
    if (await getDoc(NONCES, _id)) return false
    throw e
  }
}

/** How long a delivery is remembered: far beyond WeChat's retries (3 within ~15 s). */
export const SEEN_TTL_MS = 24 * 3_600_000
/**
 * A run's claim on a delivery. Longer than the function can live (cloudbaserc.json timeout:
 * 5 s), so a claim that is still valid always belongs to a run that may still be working;
 * an expired one belongs to a run that died, and a retry takes over.
 */
export const CLAIM_LEASE_MS = 8_000

export interface SeenDoc {
  _id: string
  state: 'WORKING' | 'DONE'
  leaseUntil: Date
  attempts: number
  /** The replies decided by the first run; a takeover sends these, not a new decision. */
  plan?: { reason: string; ruleId?: string; replies: Reply[] }
  /** Indexes of the plan's replies taken by a run (a run cut off before their send began leaves them to the next). */
  done: number[]
  /**
   * Indexes whose send to WeChat began. One cut off there may have reached WeChat: it is logged
   * as TIMEOUT and never sent again (replies are at most once).
   */
  calling?: number[]
  /** The message itself, so the hourly timer can finish a run that was cut off (no redelivery took it over). */
  msg?: InboundMessage
  /** When the first delivery arrived (a takeover decides as of then, not as of its own time). */
  arrivedAt?: Date
  expireAt: Date
}

export type Claim = { mine: true; seen: SeenDoc; takeover: boolean } | { mine: false; state: 'DONE' | 'WORKING' }

/**
 * Claims a delivery: the first run inserts the document (its `_id` is the key, so of
 * concurrent deliveries exactly one insert succeeds); a later one sees DONE (answer
 * 'success'), WORKING under a valid lease (the first run is on it), or an expired lease
 * (take over with a conditional update, so only one retry wins).
 */
export async function claim(key: string, now: number, msg?: InboundMessage): Promise<Claim> {
  const seen: SeenDoc = {
    _id: key,
    state: 'WORKING',
    leaseUntil: new Date(now + CLAIM_LEASE_MS),
    attempts: 1,
    done: [],
    calling: [],
    ...(msg ? { msg } : {}),
    arrivedAt: new Date(now),
    expireAt: new Date(now + SEEN_TTL_MS),
  }
  try {
    await db().collection(SEEN).add({ data: seen })
    return { mine: true, seen, takeover: false }
  } catch (e) {
    const existing = await getDoc<SeenDoc>(SEEN, key)
    if (!existing) throw e // the insert failed for another reason
    if (existing.state === 'DONE') return { mine: false, state: 'DONE' }
    if (toMillis(existing.leaseUntil) > now) return { mine: false, state: 'WORKING' }
    const _ = db().command
    const res = (await db()
      .collection(SEEN)
      .where({ _id: key, state: 'WORKING', leaseUntil: existing.leaseUntil })
      .update({ data: { leaseUntil: new Date(now + CLAIM_LEASE_MS), attempts: _.inc(1) } })) as DB.IUpdateResult
    if (res.stats.updated !== 1) return { mine: false, state: 'WORKING' }
    return {
      mine: true,
      seen: { ...existing, leaseUntil: new Date(now + CLAIM_LEASE_MS), attempts: existing.attempts + 1 },
      takeover: true,
    }
  }
}

export async function savePlan(key: string, plan: NonNullable<SeenDoc['plan']>): Promise<void> {
  await db().collection(SEEN).doc(key).update({ data: { plan } })
}

export async function markAttempted(key: string, index: number): Promise<void> {
  await db()
    .collection(SEEN)
    .doc(key)
    .update({ data: { done: db().command.push([index]) } })
}

/** The send of reply `index` begins (after this, a cut-off run's reply is of unknown fate). */
export async function markCalling(key: string, index: number): Promise<void> {
  await db()
    .collection(SEEN)
    .doc(key)
    .update({ data: { calling: db().command.push([index]) } })
}

/** Which of a delivery's replies are in the conversation log (their outcome is known). */
export async function loggedReplies(key: string, count: number): Promise<Set<number>> {
  const _ = db().command
  const ids = Array.from({ length: count }, (_v, i) => `out:${key}:${i}`)
  const docs = await findDocs<{ _id: string }>(
    db()
      .collection(MESSAGES)
      .where({ _id: _.in(ids) })
      .field({ _id: true })
      .limit(count),
  )
  return new Set(docs.map((d) => Number(d._id.slice(d._id.lastIndexOf(':') + 1))))
}

/** Deliveries whose run was cut off (WORKING, lease run out) with their message: the timer's to finish. */
export async function staleRuns(now: number, limit: number): Promise<SeenDoc[]> {
  const _ = db().command
  return findDocs<SeenDoc>(
    db()
      .collection(SEEN)
      .where({ state: 'WORKING', leaseUntil: _.lt(new Date(now)) })
      .limit(limit),
  )
}

export async function finish(key: string): Promise<void> {
  await db()
    .collection(SEEN)
    .doc(key)
    .update({ data: { state: 'DONE' } })
}

/** A run that failed hands the delivery to the next retry at once. */
export async function release(key: string): Promise<void> {
  await db()
    .collection(SEEN)
    .doc(key)
    .update({ data: { leaseUntil: new Date(0) } })
}

// ---- conversations ----

export interface ConversationDoc {
  _id: string // = openid
  lastInAt: Date
  lastIn: string
  windowUntil: Date
  sendsLeft: number
  waiting: boolean
  auto: { welcomeAt?: Date; welcomeFrom?: string; outOfHoursAt?: Date; ackAt?: Date }
  updatedAt: Date
}

export function autoState(c: ConversationDoc | null): AutoState {
  const a = c?.auto ?? {}
  return {
    ...(a.welcomeAt ? { welcomeAt: toMillis(a.welcomeAt) } : {}),
    ...(a.welcomeFrom !== undefined ? { welcomeFrom: a.welcomeFrom } : {}),
    ...(a.outOfHoursAt ? { outOfHoursAt: toMillis(a.outOfHoursAt) } : {}),
    ...(a.ackAt ? { ackAt: toMillis(a.ackAt) } : {}),
  }
}

export function conversationView(c: ConversationDoc, now: number): ConversationView {
  const until = toMillis(c.windowUntil)
  return {
    openid: c._id,
    lastInAt: toMillis(c.lastInAt),
    lastIn: c.lastIn,
    windowUntil: until,
    sendsLeft: until > now ? c.sendsLeft : 0,
    waiting: c.waiting,
  }
}

export function getConversation(openid: string): Promise<ConversationDoc | null> {
  return getDoc<ConversationDoc>(CONVERSATIONS, openid)
}

/** Records a user action: opens (or widens) the reply window, in a transaction so two messages at once count right. */
export async function recordUserAction(
  openid: string,
  action: UserAction,
  actionAt: number,
  summary: string,
  now: number,
): Promise<ConversationDoc> {
  return (await db().runTransaction(async (t: Tx) => {
    const ref = t.collection(CONVERSATIONS).doc(openid)
    const cur = ((await ref.get()) as { data: ConversationDoc | null }).data
    const win: SendWindow = openWindow(
      cur ? { until: toMillis(cur.windowUntil), left: cur.sendsLeft } : null,
      action,
      actionAt,
      now,
    )
    const next: ConversationDoc = {
      _id: openid,
      lastInAt: new Date(Math.max(actionAt, cur ? toMillis(cur.lastInAt) : 0)),
      lastIn: summary,
      windowUntil: new Date(win.until),
      sendsLeft: win.left,
      waiting: action === 'message' ? true : (cur?.waiting ?? false),
      auto: cur?.auto ?? {},
      updatedAt: new Date(now),
    }
    const { _id, ...data } = next
    await ref.set({ data: data as unknown as Record<string, unknown> })
    return next
  })) as ConversationDoc
}

/** Whether the window allows a send now (nothing is taken). */
export async function canSend(openid: string, now: number): Promise<boolean> {
  const c = await getConversation(openid)
  return !!c && c.sendsLeft > 0 && toMillis(c.windowUntil) > now
}

/** Takes one send from the window; false when none is left (nothing is sent then). */
export async function takeSend(openid: string, now: number): Promise<boolean> {
  const _ = db().command
  const res = (await db()
    .collection(CONVERSATIONS)
    .where({ _id: openid, sendsLeft: _.gt(0), windowUntil: _.gt(new Date(now)) })
    .update({ data: { sendsLeft: _.inc(-1) } })) as DB.IUpdateResult
  return res.stats.updated === 1
}

/** After a send WeChat refused for another reason: the send was not used. */
export async function giveBackSend(openid: string): Promise<void> {
  await db()
    .collection(CONVERSATIONS)
    .doc(openid)
    .update({ data: { sendsLeft: db().command.inc(1) } })
}

/** WeChat said the window is closed (45015) or used up (45047): believe it. */
export async function closeWindow(openid: string, failure: 'WINDOW_CLOSED' | 'QUOTA_USED', now: number): Promise<void> {
  await db()
    .collection(CONVERSATIONS)
    .doc(openid)
    .update({ data: failure === 'WINDOW_CLOSED' ? { windowUntil: new Date(now), sendsLeft: 0 } : { sendsLeft: 0 } })
}

export async function patchConversation(openid: string, data: Record<string, unknown>): Promise<void> {
  await db().collection(CONVERSATIONS).doc(openid).update({ data })
}

// ---- the log ----

export interface MessageDoc {
  _id: string
  openid: string
  dir: 'in' | 'out'
  at: Date
  by: LogEntry['by']
  kind: string
  summary: string
  status?: SendStatus | 'PENDING'
  failure?: SendFailure
  errCode?: number
  /** The operator who wrote an agent reply; the request's text for a retry's comparison. */
  agent?: string
  text?: string
}

export async function logMessage(doc: MessageDoc): Promise<void> {
  const { _id, ...data } = doc
  await db().collection(MESSAGES).doc(_id).set({ data })
}

export function toEntry(d: MessageDoc): LogEntry {
  return {
    id: d._id,
    dir: d.dir,
    at: toMillis(d.at),
    by: d.by,
    kind: d.kind,
    summary: d.summary,
    ...(d.status && d.status !== 'PENDING' ? { status: d.status } : {}),
    ...(d.failure ? { failure: d.failure } : {}),
  }
}

export async function listLog(openid: string, before: number | undefined, limit: number): Promise<MessageDoc[]> {
  const _ = db().command
  const where = before ? { openid, at: _.lt(new Date(before)) } : { openid }
  return findDocs<MessageDoc>(db().collection(MESSAGES).where(where).orderBy('at', 'desc').limit(limit))
}

export async function listConversations(limit: number): Promise<ConversationDoc[]> {
  return findDocs<ConversationDoc>(db().collection(CONVERSATIONS).orderBy('lastInAt', 'desc').limit(limit))
}

// ---- rules and media ----

/** The most documents one get() answers (the SDK's clamp): a page of rules. */
export const RULES_PAGE = 1000

/**
 * Every active rule, by priority: read in pages of RULES_PAGE, so the 1001st rule answers too (one
 * round trip for any account with up to a thousand rules). `_id` orders rules of equal priority,
 * so the pages neither skip nor repeat one.
 */
export async function loadRules(): Promise<AutoReplyRule[]> {
  const all: AutoReplyRule[] = []
  for (;;) {
    const page = await findDocs<AutoReplyRule>(
      db()
        .collection(RULES)
        .where({ active: true })
        .orderBy('priority', 'asc')
        .orderBy('_id', 'asc')
        .skip(all.length)
        .limit(RULES_PAGE),
    )
    all.push(...page)
    if (page.length < RULES_PAGE) return all
  }
}

export interface MediaDoc {
  _id: string
  fileId: string
  mediaId: string
  expiresAt: Date
}

/** Expired de-duplication records and media ids (the hourly timer). */
export async function cleanup(now: number): Promise<{ seen: number; media: number }> {
  const _ = db().command
  const seen = (await db()
    .collection(SEEN)
    .where({ expireAt: _.lt(new Date(now)) })
    .remove()) as DB.IRemoveResult
  const media = (await db()
    .collection(MEDIA)
    .where({ expiresAt: _.lt(new Date(now)) })
    .remove()) as DB.IRemoveResult
  return { seen: seen.stats.removed, media: media.stats.removed }
}
