/**
 * Subscribe-message credits and sends. Each `accept` of a one-time template allows ONE send
 * (wx.requestSubscribeMessage docs), so each is stored as one credit per (user, template) and
 * a send first takes a credit with a conditional update (`credits > 0`). No credit, no call.
 * A send that fails is recorded on the order and its credit is gone: nothing else fails
 * because a message could not be sent.
 */
import type { DB } from 'wx-server-sdk'
import { db, getDoc } from '../db'
import { isSdkError } from '../errors'
import { openapi } from '../wx'
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
  const database = db()
  const _ = database.command
  const coll = database.collection(SUBSCRIPTIONS)
  if (n > 0) {
    const inc = async () => ((await coll.where({ _id: id }).update({ data: { credits: _.inc(n), updatedAt: new Date() } })) as DB.IUpdateResult).stats.updated
    if ((await inc()) === 0) {
      try {
        await coll.add({ data: { _id: id, _openid: openid, templateId, credits: n, updatedAt: new Date() } })
      } catch (e) {
        // Someone created it meanwhile: add to theirs.
        if ((await inc()) === 0) throw e
      }
    }
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

/**
 * Sends the paid / refunded message for an order (called once, by whoever made the
 * transition). Never throws: the outcome is written to `notices.<kind>` on the order.
 */
export async function notify(order: OrderDoc, kind: MessageKind, cfg: Pick<PayConfig, 'templates' | 'miniprogramState'>, amountFen: number): Promise<void> {
  const record = async (status: 'SENT' | 'NO_CREDIT' | 'FAILED' | 'NOT_CONFIGURED', detail?: string) => {
    try {
      await db()
        .collection(ORDERS)
        .doc(order._id)
        .update({ data: { notices: { [kind]: { status, at: new Date(), ...(detail ? { detail } : {}) } } } })
    } catch (e) {
      console.error(JSON.stringify({ where: 'notify.record', order: order._id, kind, status, error: String(e) }))
    }
  }
  try {
    const templateId = cfg.templates?.[kind]
    if (!templateId) return await record('NOT_CONFIGURED')
    if (!(await takeCredit(order._openid, templateId))) return await record('NO_CREDIT')
    try {
      await openapi().subscribeMessage.send({
        touser: order._openid,
        templateId,
        page: orderPage(order._id),
        data: messageData({ orderId: order._id, title: order.title, amountFen, at: Date.now() }),
        miniprogramState: cfg.miniprogramState,
        lang: 'zh_CN',
      })
      await record('SENT')
    } catch (e) {
      await record('FAILED', isSdkError(e) ? sendFailure(e.errCode) : String(e))
    }
  } catch (e) {
    console.error(JSON.stringify({ where: 'notify', order: order._id, kind, error: String(e) }))
  }
}
