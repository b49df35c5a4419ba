/**
 * Operator actions: people listed in CS_AGENT_OPENIDS read conversations and answer users
 * inside WeChat's window (a user message opens 5 sends for 48 hours). A reply is keyed by the
 * page's requestId, so a retried call never sends twice.
 */
import type { CustomerServiceContract } from '../../../typings/customerService'
import type { Ctx, Handlers } from '../../../server/router'
import { db, getDoc, toMillis } from '../../../server/db'
import { csConfig } from '../../../server/customerService/config'
import { Budget, sendReply } from '../../../server/customerService/send'
import * as store from '../../../server/customerService/store'
import { windowOpen } from '../../../server/customerService/window'
import { displayTime } from '../../../server/pay/money'
import { schemas } from './schemas'

function requireAgent(ctx: Ctx<'NOT_AGENT'>): void {
  if (!csConfig(process.env).agents.has(ctx.openid))
    ctx.fail('NOT_AGENT', 'Only customer-service operators (CS_AGENT_OPENIDS) can do this.')
}

const fmt = (ms: number) => `${displayTime(ms)} (Beijing)`

type ReplyErr = CustomerServiceContract['agentReply']['err']

export const agentHandlers: Handlers<CustomerServiceContract> = {
  agentInbox: {
    input: schemas.agentInbox,
    async handle({ limit }, ctx) {
      requireAgent(ctx)
      const now = Date.now()
      return { conversations: (await store.listConversations(limit ?? 20)).map((c) => store.conversationView(c, now)) }
    },
  },

  agentConversation: {
    input: schemas.agentConversation,
    async handle({ openid, before, limit }, ctx) {
      requireAgent(ctx)
      const [docs, conv] = await Promise.all([
        store.listLog(openid, before, limit ?? 50),
        store.getConversation(openid),
      ])
      return { entries: docs.map(store.toEntry), conversation: conv ? store.conversationView(conv, Date.now()) : null }
    },
  },

  agentReply: {
    input: schemas.agentReply,
    async handle({ touser, text, requestId }, ctx) {
      requireAgent(ctx)
      const id = `agent:${requestId}`
      const now = Date.now()
      const answer = async (doc: store.MessageDoc) => {
        const conv = await store.getConversation(touser)
        return { entry: store.toEntry(doc), conversation: store.conversationView(conv!, Date.now()) }
      }
      const conv = await store.getConversation(touser)
      if (!conv) return ctx.fail('NO_CONVERSATION', 'This user has not written to customer service.')

      // Reserve the request id: of two calls with the same id, one sends and the other answers its record.
      const pending: store.MessageDoc = {
        _id: id,
        openid: touser,
        dir: 'out',
        at: new Date(now),
        by: 'agent',
        kind: 'text',
        summary: text.slice(0, 200),
        status: 'PENDING',
        agent: ctx.openid,
        text,
      }
      try {
        await db().collection(store.MESSAGES).add({ data: pending })
      } catch (e) {
        const prior = await getDoc<store.MessageDoc>(store.MESSAGES, id)
        if (!prior) throw e
        if (prior.openid !== touser || prior.text !== text)
          return ctx.fail('DUPLICATE_REQUEST', 'This requestId was already used for another reply.')
        return answer(prior)
      }
      const finishAs = async (patch: Partial<store.MessageDoc>, code?: ReplyErr, message?: string) => {
        await db().collection(store.MESSAGES).doc(id).update({ data: patch })
        if (code) ctx.fail(code, message ?? code)
      }

      const win = { until: toMillis(conv.windowUntil), left: conv.sendsLeft }
      if (win.until <= now) {
        await finishAs(
          { status: 'SKIPPED', failure: 'WINDOW_CLOSED' },
          'WINDOW_CLOSED',
          `WeChat's reply window closed at ${fmt(win.until)}. The user has to write again first.`,
        )
      }
      if (!windowOpen(win, now) || !(await store.takeSend(touser, now))) {
        await finishAs(
          { status: 'SKIPPED', failure: 'QUOTA_USED' },
          'QUOTA_USED',
          "The 5 replies WeChat allows after the user's last message are used up. Wait for the user to write again.",
        )
      }
      const out = await sendReply(touser, { type: 'text', content: text }, new Budget(now + 8_000, 5_000))
      const patch = {
        status: out.status,
        at: new Date(),
        ...(out.failure ? { failure: out.failure } : {}),
        ...(out.errCode !== undefined ? { errCode: out.errCode } : {}),
      }
      if (out.failure === 'WINDOW_CLOSED' || out.failure === 'QUOTA_USED') {
        await store.closeWindow(touser, out.failure, now)
        await finishAs(
          patch,
          out.failure,
          out.failure === 'WINDOW_CLOSED'
            ? 'WeChat says the reply window is closed (45015). The user has to write again first.'
            : 'WeChat says the reply quota is used up (45047).',
        )
      }
      if (out.status === 'FAILED') {
        await store.giveBackSend(touser)
        await finishAs(
          patch,
          'SEND_FAILED',
          `WeChat did not take the reply (${out.errCode ?? out.failure}). Try again.`,
        )
      }
      await finishAs(patch)
      if (out.status === 'SENT') await store.patchConversation(touser, { waiting: false })
      const done = await getDoc<store.MessageDoc>(store.MESSAGES, id)
      return answer(done!)
    },
  },
}
