/**
 * `npm start`: the local cloud over HTTP (fastify) and its web console.
 * - POST /api/functions/:name  — what wx.cloud.callFunction does: the body is the call's `data`,
 *   the caller is the console's current user (or the `x-openid` header); answers
 *   { result, requestId, errMsg } or, like the client SDK's failures, { errCode, errMsg }.
 * - GET /api/state, /api/invocations, /api/collections/:name, /api/outbox — what happened.
 * - POST /api/pay/:orderId, /api/refunds/:outRefundNo/settle, /api/reconciliations/run, /api/push, /api/user — what WeChat
 *   or the user would do: pay (then the payment callback with its retry rules), settle a refund,
 *   push a customer-service message (5 s / 3 retries), switch the signed-in user.
 * - POST /api/soter/confirm/:challenge — the challenge's user confirms on their phone (signed
 *   by the phone key the sandbox holds for them) and the result goes to soter.verify as the page
 *   would send it. POST /api/reset — back to a fresh environment (asks for { confirm: true }).
 * - Local mode: /api/open-data/*, /api/storage/*, /api/payments/check, /api/subscriptions (the
 *   result of wx.requestSubscribeMessage, which WeChat's servers would learn by themselves) and
 *   /api/soter/authenticate (what wx.startSoterAuthentication returns on a phone).
 * The console page (localcloud/console.html) only uses these routes.
 *
 * It can pay orders and act as any user, so other web pages must not reach it (server-side
 * request forgery from a browser): the Host must be localhost or an IP address (a DNS-rebinding
 * name is refused), an Origin, when sent, must be this server's own, a loopback one or WeChat's
 * (servicewechat.com, what wx.request on a phone sends), and every POST must be
 * application/json (which a cross-site form or a "simple" fetch cannot send without a CORS
 * preflight, which this server never approves).
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { CallFunctionError, CloudIdRef, type LocalCloud } from './index'
import { explainErrcode } from './errcodes'
import { localOpengid, localPhone, weRunDays } from './open-data'
import { listVar } from '../server/input'
import { SAMPLE_PARTNER, SAMPLE_PARTNER_OPENID, SAMPLE_PARTNER_SHARE_ID } from '../miniprogram/config/partners'
import { ROUTABLE_PAGES } from '../miniprogram/shared/routes'

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

export interface ServerOptions {
  /** The signed-in user at start. */
  openid?: string
  logger?: boolean
}

const MAX_ROWS = 200
/** The cpu_id of the phone every local user confirms SOTER on. */
const LOCAL_PHONE = 'local-phone'
/** Uploads travel as base64 in JSON (see miniprogram/lib/cloud.ts): 10 MB of file. */
const UPLOAD_LIMIT = 14 * 1024 * 1024
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}

/** A top-level `{ $cloudID }` of the local client's body is a CloudID field (wx.cloud.CloudID). */
export function decodeCloudIds(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(data)) {
    const id =
      v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1
        ? (v as { $cloudID?: unknown }).$cloudID
        : undefined
    out[k] = typeof id === 'string' ? new CloudIdRef(id) : v
  }
  return out
}

/** JSON-safe copies for the console: Buffers become their size, Dates ISO strings. */
export function safe(value: unknown, depth = 0): unknown {
  if (depth > 12) return '…'
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map((v) => safe(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = safe(v, depth + 1)
    return out
  }
  return value
}

/** A Host header this server answers: localhost or an IP literal, with an optional port. */
export function allowedHost(host: string | undefined): boolean {
  if (!host) return false
  const name = host.replace(/:\d{1,5}$/, '')
  return name === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[0-9a-fA-F:.]+\]$/.test(name)
}

/** An Origin allowed to call: none, this server's own, a loopback one (DevTools), or WeChat's. */
export function allowedOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true
  if (origin === `http://${host}`) return true
  if (/^https:\/\/servicewechat\.com$/.test(origin)) return true
  return /^https?:\/\/(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?$/.test(origin)
}

export function createServer(cloud: LocalCloud, opts: ServerOptions = {}): FastifyInstance & { user(): string } {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 1024 * 1024 })
  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host
    if (!allowedHost(host))
      return reply
        .code(403)
        .send({ error: `refused Host ${String(host).slice(0, 60)}: use localhost or the IP address` })
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined
    if (!allowedOrigin(origin, host))
      return reply.code(403).send({ error: `refused a request from ${origin!.slice(0, 80)}` })
    if (req.method === 'POST' && !/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) {
      return reply.code(415).send({ error: 'POST bodies must be application/json' })
    }
  })
  let openid = opts.openid ?? 'o-local-user-1'
  const users = new Set([openid])
  const html = readFileSync(join(__dirname, 'console.html'), 'utf8')
  /** Who is calling: the `x-openid` header, else the console's current user. */
  const callerOf = (req: { headers: Record<string, unknown> }): string => {
    const header = req.headers['x-openid']
    return typeof header === 'string' && header ? header : openid
  }

  // Temp URLs of cloud files point at this server once it listens.
  app.addHook('onListen', async () => {
    const address = app.server.address()
    if (address && typeof address === 'object')
      cloud.storage.baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/storage`
  })

  /** Per function: calls, failures and the last duration, in one pass over the invocations. */
  const functionStats = () => {
    const runs = new Map<string, { calls: number; failed: number; lastMs: number | null }>()
    for (const i of cloud.invocations) {
      const r = runs.get(i.fn) ?? { calls: 0, failed: 0, lastMs: null }
      runs.set(i.fn, { calls: r.calls + 1, failed: r.failed + (i.error ? 1 : 0), lastMs: i.ms })
    }
    return cloud.functionNames().map((name) => ({
      name,
      permissions: cloud.functionConfig(name).permissions,
      loads: cloud.loads.get(name) ?? 0,
      ...(runs.get(name) ?? { calls: 0, failed: 0, lastMs: null }),
    }))
  }

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(html))

  /** Every user the local cloud knows: signed in (users collection), switched to, or seen calling. */
  const knownUsers = () => {
    const names = new Map<string, string>()
    for (const u of cloud.db.dump('users')) {
      for (const id of Array.isArray(u.openids) ? u.openids : [])
        if (typeof id === 'string') names.set(id, typeof u.nickname === 'string' ? u.nickname : '')
    }
    for (const i of cloud.invocations) if (i.openid && !names.has(i.openid)) names.set(i.openid, '')
    for (const id of users) if (!names.has(id)) names.set(id, '')
    return [...names]
      .map(([id, nickname]) => ({ openid: id, nickname }))
      .sort((a, b) => a.openid.localeCompare(b.openid))
  }

  app.get('/api/state', async () => ({
    env: cloud.env,
    appid: cloud.appid,
    user: openid,
    users: knownUsers(),
    functions: functionStats(),
    collections: cloud.db.collectionNames().map((name) => ({ name, count: cloud.db.dump(name).length })),
  }))

  app.post<{ Body: { openid?: unknown } }>('/api/user', async (req, reply) => {
    const next = req.body?.openid
    if (typeof next !== 'string' || !/^[A-Za-z0-9_-]{3,64}$/.test(next))
      return reply.code(400).send({ error: 'openid must be 3-64 letters, digits, _ or -' })
    openid = next
    users.add(next)
    return { user: openid }
  })

  app.post<{ Params: { name: string }; Body: unknown }>('/api/functions/:name', async (req, reply) => {
    const data = req.body && typeof req.body === 'object' ? decodeCloudIds(req.body as Record<string, unknown>) : {}
    const caller = { openid: callerOf(req), clientIp: req.ip }
    try {
      return safe(await cloud.callFromClient(req.params.name, data, caller))
    } catch (e) {
      if (e instanceof CallFunctionError)
        return reply
          .code(e.errCode === -501000 ? 404 : 500)
          .send({ errCode: e.errCode, errMsg: `cloud.callFunction:fail ${e.errCode} ${e.errMsg}` })
      throw e
    }
  })

  app.get<{ Querystring: { limit?: string; fn?: string } }>('/api/invocations', async (req) => {
    const limit = Math.min(MAX_ROWS, Number(req.query.limit) || 50)
    const fn = req.query.fn
    return cloud.invocations
      .filter((i) => !fn || i.fn === fn)
      .slice(-limit)
      .reverse()
      .map((i) => safe(i))
  })

  app.get<{ Params: { name: string } }>('/api/collections/:name', async (req, reply) => {
    if (!cloud.db.collectionNames().includes(req.params.name))
      return reply.code(404).send({ error: `no collection ${req.params.name}` })
    const docs = cloud.db.dump(req.params.name)
    return {
      total: docs.length,
      docs: docs
        .slice(-MAX_ROWS)
        .reverse()
        .map((d) => safe(d)),
    }
  })

  app.get('/api/outbox', async () => {
    // `id` is stable while the outbox grows (the calls are only appended), so the console keeps its rows.
    const rows = [
      ...cloud.openapi.calls.map((c, i) => ({ id: `openapi-${i}`, via: 'openapi', ...c })),
      ...cloud.cloudPay.calls.map((c, i) => ({ id: `cloudPay-${i}`, via: 'cloudPay', ...c })),
    ]
    return rows
      .sort((a, b) => b.at - a.at)
      .slice(0, MAX_ROWS)
      .map((r) => ({
        ...(safe(r) as Record<string, unknown>),
        ...(r.ok
          ? {}
          : {
              explain:
                explainErrcode(r.errcode, r.api) ??
                "WeChat refused the call (see the errcode on the API's documentation page).",
              explainZh:
                explainErrcode(r.errcode, r.api, 'zh') ?? '微信拒绝了这次调用（错误码的含义见该接口的文档页）。',
            }),
      }))
  })

  /** Back to a fresh environment; the console asks the user first and sends { confirm: true }. */
  app.post<{ Body: { confirm?: unknown } }>('/api/reset', async (req, reply) => {
    if (req.body?.confirm !== true)
      return reply.code(400).send({ error: 'send { "confirm": true } to erase the local data' })
    await cloud.cloudPay.idle()
    cloud.reset()
    users.clear()
    users.add(openid)
    await ensureSamplePartner(cloud)
    return {
      reset: true,
      collections: cloud.db.collectionNames().map((name) => ({ name, count: cloud.db.dump(name).length })),
    }
  })

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
    const r = cloud.oa.addCards(callerOf(req), list)
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
    const who = callerOf(req)
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
    const from = typeof req.body?.openid === 'string' && req.body.openid ? req.body.openid : openid
    if (typeof content !== 'string' || !content.trim()) return reply.code(400).send({ error: 'content is required' })
    const delivery = await cloud.push.user(cloud.push.text(from, content))
    return safe(delivery)
  })

  // ---- DevTools local mode (miniprogram/lib/cloud.ts localCloud) ----

  /** Open data the sandbox signs for the caller (open-data.ts): a CloudID, or a phone code. */
  app.post<{ Params: { kind: string }; Body: { shareTicket?: unknown } }>(
    '/api/open-data/:kind',
    async (req, reply) => {
      const who = callerOf(req)
      const watermark = { appid: cloud.appid, timestamp: Math.floor(cloud.now() / 1000) }
      switch (req.params.kind) {
        case 'werun':
          return { cloudID: cloud.issueCloudId({ stepInfoList: weRunDays(who, cloud.now()), watermark }, who) }
        case 'group':
          return {
            cloudID: cloud.issueCloudId(
              {
                opengid: localOpengid(typeof req.body?.shareTicket === 'string' ? req.body.shareTicket : ''),
                watermark,
              },
              who,
            ),
          }
        case 'phone':
          return { code: cloud.openapi.issuePhoneCode({ purePhoneNumber: localPhone(who) }, who) }
        default:
          return reply.code(404).send({ error: `no open data ${req.params.kind}: werun, group or phone` })
      }
    },
  )

  app.post<{ Body: { cloudPath?: unknown; base64?: unknown } }>(
    '/api/storage/upload',
    { bodyLimit: UPLOAD_LIMIT },
    async (req, reply) => {
      const { cloudPath, base64 } = req.body ?? {}
      if (
        typeof cloudPath !== 'string' ||
        !cloudPath ||
        cloudPath.endsWith('/') ||
        cloudPath.split('/').includes('..')
      ) {
        return reply.code(400).send({ errCode: -1, errMsg: 'cloud.uploadFile:fail cloudPath must name a file' })
      }
      if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
        return reply.code(400).send({ errCode: -1, errMsg: 'cloud.uploadFile:fail base64 content expected' })
      return {
        fileID: cloud.storage.put(cloudPath, Buffer.from(base64, 'base64')),
        statusCode: 200,
        errMsg: 'cloud.uploadFile:ok',
      }
    },
  )

  app.post<{ Body: { fileList?: unknown } }>('/api/storage/temp-urls', async (req, reply) => {
    const list = req.body?.fileList
    if (!Array.isArray(list) || list.length > 50 || !list.every((f) => typeof f === 'string'))
      return reply.code(400).send({ errCode: -1, errMsg: 'cloud.getTempFileURL:fail fileList: 1-50 fileIDs' })
    return {
      errMsg: 'cloud.getTempFileURL:ok',
      fileList: (list as string[]).map((fileID) =>
        cloud.storage.exists(fileID)
          ? { fileID, tempFileURL: cloud.storage.tempUrl(fileID), status: 0 }
          : { fileID, tempFileURL: '', status: -1, errMsg: 'file not exist' },
      ),
    }
  })

  app.get<{ Params: { '*': string } }>('/storage/*', async (req, reply) => {
    const content = cloud.storage.get(cloud.storage.fileIdFor(decodeURIComponent(req.params['*'])))
    if (!content) return reply.code(404).send({ error: 'file not found' })
    return reply.type(CONTENT_TYPES[extname(req.params['*']).toLowerCase()] ?? 'application/octet-stream').send(content)
  })

  /**
   * The result of wx.requestSubscribeMessage in local mode. On WeChat the servers learn the user's
   * answers themselves; here the client forwards them so subscribeMessage.send behaves the same:
   * each `accept` of a template the account has allows one send.
   */
  app.post<{ Body: { answers?: unknown } }>('/api/subscriptions', async (req, reply) => {
    const answers = req.body?.answers
    // One call asks for at most 3 one-time templates (wx.requestSubscribeMessage: 20003 otherwise).
    if (
      !answers ||
      typeof answers !== 'object' ||
      Array.isArray(answers) ||
      Object.keys(answers).length === 0 ||
      Object.keys(answers).length > 3
    ) {
      return reply.code(400).send({
        errCode: 20003,
        errMsg: 'requestSubscribeMessage:fail answers must map 1-3 template ids to accept, reject, ban or filter',
      })
    }
    const who = callerOf(req)
    const granted: string[] = []
    for (const [tmplId, answer] of Object.entries(answers as Record<string, unknown>)) {
      if (!['accept', 'reject', 'ban', 'filter'].includes(String(answer)))
        return reply.code(400).send({
          errCode: 20003,
          errMsg: `requestSubscribeMessage:fail ${tmplId}: ${String(answer)} is not accept, reject, ban or filter`,
        })
      // wx.requestSubscribeMessage fails for ids that are not the account's templates (20001).
      if (!cloud.openapi.templates.has(tmplId))
        return reply.code(400).send({
          errCode: 20001,
          errMsg: `requestSubscribeMessage:fail ${tmplId} is not one of the account's templates`,
        })
    }
    for (const [tmplId, answer] of Object.entries(answers as Record<string, string>)) {
      if (answer === 'accept') {
        cloud.openapi.grantSubscription(who, tmplId)
        granted.push(tmplId)
      }
    }
    return { granted, left: Object.fromEntries(granted.map((t) => [t, cloud.openapi.grantsLeft(who, t)])) }
  })

  /**
   * What wx.startSoterAuthentication returns on the caller's phone: resultJSON with the challenge
   * signed by the phone key the sandbox holds for them (the one soter.verifySignature checks).
   * The documented limits apply: challenge 1-512 characters (90004), authContent ≤ 42 (90005).
   */
  app.post<{ Body: { challenge?: unknown; authContent?: unknown; requestAuthModes?: unknown } }>(
    '/api/soter/authenticate',
    async (req, reply) => {
      const { challenge, authContent, requestAuthModes } = req.body ?? {}
      if (typeof challenge !== 'string' || !challenge || challenge.length > 512)
        return reply.code(400).send({
          errCode: 90004,
          errMsg: 'startSoterAuthentication:fail challenge is empty or longer than 512 characters',
        })
      if (authContent !== undefined && (typeof authContent !== 'string' || Array.from(authContent).length > 42))
        return reply
          .code(400)
          .send({ errCode: 90005, errMsg: 'startSoterAuthentication:fail authContent is longer than 42 characters' })
      const modes = Array.isArray(requestAuthModes) ? requestAuthModes : []
      const mode = modes.includes('fingerPrint') ? 'fingerPrint' : modes.includes('facial') ? 'facial' : undefined
      if (!mode)
        return reply.code(400).send({
          errCode: 90003,
          errMsg: 'startSoterAuthentication:fail requestAuthModes must include fingerPrint or facial',
        })
      return {
        errCode: 0,
        errMsg: 'startSoterAuthentication:ok',
        ...cloud.openapi.soter.authenticate(callerOf(req), LOCAL_PHONE, challenge, mode),
      }
    },
  )

  /** After the console's "User pays": what the payment sheet checks (signature, payer), and paid. */
  app.post<{ Body: Record<string, unknown> }>('/api/payments/check', async (req) => {
    const checked = cloud.cloudPay.checkPayment(req.body ?? {}, callerOf(req))
    if (!checked.ok) return { paid: false, errMsg: checked.errMsg }
    return cloud.cloudPay.isPaid(checked.order)
      ? { paid: true }
      : { paid: false, errMsg: 'requestPayment:fail not paid in the console yet' }
  })

  return Object.assign(app, { user: () => openid })
}
