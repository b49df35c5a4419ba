/**
 * What WeChat or the user would do, from the console: confirm a SOTER challenge on the phone, add,
 * give away or redeem a card, pay an order, settle a refund, run the reconciliation, enter from the
 * sample partner, and send a customer-service message (message push).
 */
import type { FastifyInstance } from 'fastify'
import type { LocalCloud } from '../index'
import { safe, LOCAL_PHONE, type Session } from './session'
import { SAMPLE_PARTNER_SHARE_ID, SAMPLE_PARTNER_OPENID, SAMPLE_PARTNER } from '../../miniprogram/config/partners'
import { ROUTABLE_PAGES } from '../../miniprogram/shared/routes'
import { listVar } from '../../server/input'

/**
 * The sample partner of local mode owns its share id, so an entry from it (DevTools' compile mode
 * 「合作小程序进入（示例）」, or the console) is attributed. Written as seed data is (the document
 * share.recordIntent writes for the partner's user), so it adds no invocation; nothing when it is
 * there already. npm start calls it once listening, and again after a reset.
 */
export async function ensureSamplePartner(cloud: LocalCloud): Promise<void> {
  if (cloud.db.dump('shares').some((s) => s._id === SAMPLE_PARTNER_SHARE_ID)) return
  cloud.db.seed('shares', [
    {
      _id: SAMPLE_PARTNER_SHARE_ID,
      _openid: SAMPLE_PARTNER_OPENID,
      page: 'pages/index/index',
      via: 'button',
      createdAt: new Date(cloud.now()),
    },
  ])
}

/** Registers what WeChat or the user would do. */
export function worldRoutes(app: FastifyInstance, cloud: LocalCloud, session: Session): void {
  /** Waiting SOTER challenges (unused, unexpired), newest first. */
  app.get('/api/soter/challenges', async () =>
    cloud.db
      .dump('soter_challenges')
      .filter((c) => !c.usedAt && c.expiresAt instanceof Date && c.expiresAt.getTime() > cloud.now())
      .reverse()
      .map((c) => safe(c)),
  )

  /** The challenge's user confirms on their phone; the signed result goes to soter.verify as their page would send it. */
  app.post<{ Params: { challenge: string } }>('/api/soter/confirm/:challenge', async (req, reply) => {
    const c = cloud.db.dump('soter_challenges').find((d) => d._id === req.params.challenge)
    if (!c || typeof c._openid !== 'string') return reply.code(404).send({ error: 'no such challenge' })
    const signed = cloud.openapi.soter.authenticate(c._openid, LOCAL_PHONE, req.params.challenge)
    const { result } = await cloud.callFromClient('soter', { action: 'verify', ...signed }, { openid: c._openid })
    return safe(result)
  })

  /**
   * wx.addCard in DevTools local mode: the sandbox's WeChat checks each cardExt (signature over an
   * issued api_ticket, nonce, bind_openid) and issues the codes, answering as wx.addCard does.
   */
  app.post<{ Body: { cardList?: unknown } }>('/api/cards/add', async (req, reply) => {
    const list = Array.isArray(req.body?.cardList)
      ? (req.body.cardList as Array<{ cardId?: unknown; cardExt?: unknown }>).slice(0, 10)
      : []
    if (!list.length) return reply.code(400).send({ errCode: -1, errMsg: 'addCard:fail cardList is empty' })
    const r = cloud.oa.addCards(session.callerOf(req), list)
    if ('errcode' in r) return reply.code(400).send({ errCode: r.errcode, errMsg: `addCard:fail ${r.errmsg}` })
    return { errMsg: 'addCard:ok', cardList: r.cardList }
  })

  /** The cards the sandbox's WeChat has issued (for the console). */
  app.get('/api/cards', async () =>
    [...cloud.oa.codes.values()].map((c) => ({
      code: c.code,
      cardId: c.cardId,
      title: cloud.oa.cards.get(c.cardId)?.title ?? '',
      openid: c.openid,
      mpOpenid: c.mpOpenid,
      status: c.status,
      addedAt: c.addedAt,
      consumedAt: c.consumedAt,
    })),
  )

  /** The user deletes, gives away or has consumed elsewhere a card in WeChat: the card event pushed to cardEvents. */
  app.post<{ Body: { code?: unknown; what?: unknown } }>('/api/cards/event', async (req, reply) => {
    const code = String(req.body?.code ?? '')
    const what = req.body?.what
    if (!cloud.oa.codes.has(code) || (what !== 'delete' && what !== 'give' && what !== 'consume' && what !== 'take'))
      return reply
        .code(400)
        .send({ error: 'code must be an issued card code and what one of take, delete, give, consume' })
    const event = cloud.oa.userDoes(code, what)
    const d = await cloud.cardEvent(event)
    const last = d.attempts.at(-1)
    return {
      event: event.Event,
      acked: d.acked,
      ...(d.acked ? {} : { error: last?.error ?? `answered ${JSON.stringify(last?.answer ?? null).slice(0, 120)}` }),
    }
  })

  /** An operator scans the user's code: card.redeem as the first openid of CARD_OPERATOR_OPENIDS. */
  app.post<{ Body: { code?: unknown } }>('/api/cards/redeem', async (req, reply) => {
    const [operator] = listVar(cloud.vars.CARD_OPERATOR_OPENIDS)
    if (!operator) return reply.code(400).send({ error: 'set CARD_OPERATOR_OPENIDS to redeem from the console' })
    const { result } = await cloud.callFromClient(
      'card',
      { action: 'redeem', code: String(req.body?.code ?? '') },
      { openid: operator },
    )
    return safe(result)
  })

  /** The user pays the order in the WeChat Pay sheet; WeChat Pay then calls back (with retries). */
  app.post<{ Params: { orderId: string } }>('/api/pay/:orderId', async (req, reply) => {
    try {
      const transactionId = await cloud.cloudPay.pay(req.params.orderId)
      await cloud.cloudPay.idle()
      return { transactionId, order: safe(cloud.db.dump('orders').find((o) => o._id === req.params.orderId) ?? null) }
    } catch (e) {
      return reply.code(409).send({ error: e instanceof Error ? e.message : String(e) })
    }
  })

  app.post<{ Params: { outRefundNo: string }; Body: { status?: 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE' } }>(
    '/api/refunds/:outRefundNo/settle',
    async (req, reply) => {
      try {
        await cloud.cloudPay.settleRefund(req.params.outRefundNo, req.body?.status ?? 'SUCCESS')
        await cloud.cloudPay.idle()
        return { settled: req.params.outRefundNo }
      } catch (e) {
        return reply.code(409).send({ error: e instanceof Error ? e.message : String(e) })
      }
    },
  )

  /** Reconciles today's bill now (the timer does the day before at 10:30): payExpire's reconcile trigger, as if run tomorrow. */
  app.post('/api/reconciliations/run', async () => {
    const tomorrow = new Date(cloud.now() + 86_400_000).toISOString()
    const r = (await cloud.invoke(
      'payExpire',
      { Type: 'Timer', TriggerName: 'reconcile', Time: tomorrow },
      {},
      'wx_trigger',
    )) as { reconciled?: unknown; skipped?: string }
    return safe(r.reconciled ?? { skipped: r.skipped ?? 'not run' })
  })

  /** The sample partner and what its share brought in (the console's partner panel). */
  // Read from the stored entries (the console refreshes every 3 s; a function call each time would fill the invocations).
  const partnerState = () => {
    const entries = cloud.db.dump('share_entries').filter((e) => e.shareId === SAMPLE_PARTNER_SHARE_ID)
    return {
      appId: SAMPLE_PARTNER.appId,
      name: SAMPLE_PARTNER.name,
      shareId: SAMPLE_PARTNER_SHARE_ID,
      pages: ROUTABLE_PAGES,
      entries: entries.length,
      newUsers: entries.filter((e) => e.newUser === true).length,
    }
  }
  app.get('/api/partner', async () => partnerState())

  /**
   * The current user opens the app from the sample partner (scene 1037, referrerInfo.extraData
   * { sid, page }): what App.onShow does with it, here done for the console (share.recordEntry as
   * the user), and what the app would show (the page asked for, "Back to 示例合作小程序").
   */
  app.post<{ Body: { page?: unknown } }>('/api/partner/enter', async (req, reply) => {
    const page = req.body?.page ?? 'pages/index/index'
    if (typeof page !== 'string' || !ROUTABLE_PAGES.includes(page))
      return reply.code(400).send({ error: `page must be one of ${ROUTABLE_PAGES.join(', ')}` })
    await ensureSamplePartner(cloud)
    const who = session.callerOf(req)
    const entry = await cloud.callFromClient(
      'share',
      { action: 'recordEntry', shareId: SAMPLE_PARTNER_SHARE_ID, scene: 1037, page },
      { openid: who },
    )
    return {
      user: who,
      entry: safe(entry.result),
      opens: page,
      referrerInfo: { appId: SAMPLE_PARTNER.appId, extraData: { sid: SAMPLE_PARTNER_SHARE_ID, page } },
      partner: partnerState(),
    }
  })

  /** A customer-service message from a user, delivered as message push (5 s wait, 3 retries). */
  app.post<{ Body: { content?: unknown; openid?: unknown } }>('/api/push', async (req, reply) => {
    const content = req.body?.content
    const from = typeof req.body?.openid === 'string' && req.body.openid ? req.body.openid : session.user()
    if (typeof content !== 'string' || !content.trim()) return reply.code(400).send({ error: 'content is required' })
    const delivery = await cloud.push.user(cloud.push.text(from, content))
    return safe(delivery)
  })
}
