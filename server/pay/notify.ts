/**
 * Subscribe-message credits and sends. Each `accept` of a one-time template allows ONE send
 * (wx.requestSubscribeMessage docs), so each is stored as one credit per (user, template) and
 * a send first takes a credit with a conditional update (`credits > 0`). No credit, no call.
 * A send that fails is recorded on the order and its credit is gone: nothing else fails
 * because a message could not be sent.
 */
import type { DB } from 'wx-server-sdk'
import { db, findDocs, getDoc, updateElseAdd } from '../db'
import { isSdkError } from '../errors'
import { openapi } from '../wx'
import { userLanguage } from '../locale'
import type { NoticeStatus } from '../../typings/pay'
import type { PayConfig } from './config'
import { messageData, orderPage, sendFailure, type MessageKind } from './messages'
import { ORDERS, SUBSCRIPTIONS, type OrderDoc } from './orders'

interface CreditDoc {
  _id: string
  _openid: string
  templateId: string
  credits: number
}

const creditId = (openid: string, templateId: string) => `${openid}:${templateId}`

/** Adds `n` credits; returns the balance. Safe under concurrency (inc, and a create race falls back to inc). */
export async function addCredits(openid: string, templateId: string, n: number): Promise<number> {
  const id = creditId(openid, templateId)
  const _ = db().command
  if (n > 0) {
    // Someone creating it meanwhile: added to theirs.
    const r = await updateElseAdd(
      SUBSCRIPTIONS,
      id,
      {},
      { credits: _.inc(n), updatedAt: new Date() },
      { _openid: openid, templateId, credits: n, updatedAt: new Date() },
    )
    if (r === 'NONE') throw new Error(`credits of ${templateId} could not be added`)
  }
  return (await getDoc<CreditDoc>(SUBSCRIPTIONS, id))?.credits ?? 0
}

/** Takes one credit if there is one. */
export async function takeCredit(openid: string, templateId: string): Promise<boolean> {
  const database = db()
  const _ = database.command
  const res = (await database
    .collection(SUBSCRIPTIONS)
    .where({ _id: creditId(openid, templateId), credits: _.gt(0) })
    .update({ data: { credits: _.inc(-1), updatedAt: new Date() } })) as DB.IUpdateResult
  return res.stats.updated === 1
}

/** A notice owed and not yet taken (or taken by a sender that has had this long) is the timer's to send. */
export const NOTICE_GRACE_MS = 60_000

/** The update that records where a notice of `kind` stands. */
const noticePatch = (kind: MessageKind, status: NoticeStatus, at: Date, detail?: string) => ({
  notices: { [kind]: { status, at, ...(detail ? { detail } : {}) } },
})

/** What a transition writes with itself: the notice of `kind` is owed (in the same write, so it is never lost). */
export const owed = (kind: MessageKind, at: Date) => noticePatch(kind, 'OWED', at)

/**
 * Sends the paid / refunded message an order owes. The transition recorded it as OWED; a sender
 * takes it (OWED → SENDING, a conditional write: one sender), takes a credit, marks CALLING,
 * calls WeChat, and records the outcome. Cut off anywhere, what is stored says what is left:
 * OWED or a stale SENDING is sent by the payExpire timer (sendOwedNotices); a stale CALLING may
 * have reached WeChat and becomes UNKNOWN, never sent again (at most once: a second "paid" or
 * "refunded" message reads like a second charge or refund, and spends another of the user's
 * one-time acceptances). `stale`: the timer may also take a SENDING older than NOTICE_GRACE_MS.
 * Never throws: the outcome is written to `notices.<kind>` on the order.
 */
export async function notify(
  order: OrderDoc,
  kind: MessageKind,
  cfg: Pick<PayConfig, 'templates' | 'miniprogramState'>,
  amountFen: number,
  stale = false,
): Promise<void> {
  const _ = db().command
  const at = (status: NoticeStatus, detail?: string) => noticePatch(kind, status, new Date(), detail)
  const record = async (status: NoticeStatus, detail?: string) => {
    try {
      await db()
        .collection(ORDERS)
        .doc(order._id)
        .update({ data: at(status, detail) })
    } catch (e) {
      console.error(JSON.stringify({ where: 'notify.record', order: order._id, kind, status, error: String(e) }))
    }
  }
  try {
    const field = `notices.${kind}.status`
    const takeable = stale
      ? _.or([
          { [field]: 'OWED' },
          { [field]: 'SENDING', [`notices.${kind}.at`]: _.lt(new Date(Date.now() - NOTICE_GRACE_MS)) },
        ])
      : { [field]: 'OWED' }
    const taken = (await db()
      .collection(ORDERS)
      .where(_.and([{ _id: order._id }, takeable]))
      .update({ data: at('SENDING') })) as DB.IUpdateResult
    if (taken.stats.updated !== 1) return // another sender has it, or it was sent
    const templateId = cfg.templates?.[kind]
    if (!templateId) return await record('NOT_CONFIGURED')
    if (!(await takeCredit(order._openid, templateId))) return await record('NO_CREDIT')
    // The "进入小程序查看" line in the payer's language (sendMessage `lang`: zh_CN or en_US here).
    const lang = (await userLanguage(order._openid)) === 'en' ? 'en_US' : 'zh_CN'
    await db()
      .collection(ORDERS)
      .doc(order._id)
      .update({ data: at('CALLING') })
    try {
      await openapi().subscribeMessage.send({
        touser: order._openid,
        templateId,
        page: orderPage(order._id),
        data: messageData({ orderId: order._id, title: order.title, amountFen, at: Date.now() }),
        miniprogramState: cfg.miniprogramState,
        lang,
      })
      await record('SENT')
    } catch (e) {
      await record('FAILED', isSdkError(e) ? sendFailure(e.errCode) : String(e))
    }
  } catch (e) {
    console.error(JSON.stringify({ where: 'notify', order: order._id, kind, error: String(e) }))
  }
}

/** Per kind, what the timer finishes: owed notices sent, sends cut off mid-call marked UNKNOWN. */
export async function sendOwedNotices(
  cfg: Pick<PayConfig, 'templates' | 'miniprogramState'>,
  now: number,
  limit: number,
): Promise<{ sent: number; unknown: number }> {
  const _ = db().command
  const before = new Date(now - NOTICE_GRACE_MS)
  let sent = 0
  let unknown = 0
  for (const kind of ['paid', 'refunded'] as const) {
    const status = `notices.${kind}.status`
    const since = `notices.${kind}.at`
    const [due, cut] = await Promise.all([
      findDocs<OrderDoc>(
        db()
          .collection(ORDERS)
          .where({ [status]: _.in(['OWED', 'SENDING']), [since]: _.lt(before) })
          .limit(limit),
      ),
      findDocs<OrderDoc>(
        db()
          .collection(ORDERS)
          .where({ [status]: 'CALLING', [since]: _.lt(before) })
          .limit(limit),
      ),
    ])
    for (const o of due) {
      await notify(o, kind, cfg, kind === 'paid' ? o.totalFee : (o.refund?.refundFen ?? 0), true)
      sent++
    }
    for (const o of cut) {
      const r = (await db()
        .collection(ORDERS)
        .where({ _id: o._id, [status]: 'CALLING', [since]: _.lt(before) })
        .update({
          data: noticePatch(
            kind,
            'UNKNOWN',
            new Date(now),
            'cut off during the send: it may have reached WeChat (not repeated)',
          ),
        })) as DB.IUpdateResult
      unknown += r.stats.updated
    }
  }
  return { sent, unknown }
}
