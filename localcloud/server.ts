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
import type { LocalCloud } from './index'
import { consoleRoutes } from './routes/console'
import { localModeRoutes } from './routes/local-mode'
import type { Session } from './routes/session'
import { worldRoutes } from './routes/world'

export { ensureSamplePartner } from './routes/world'

export interface ServerOptions {
  /** The signed-in user at start. */
  openid?: string
  logger?: boolean
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
  const session: Session = {
    user: () => openid,
    switchTo: (next) => {
      openid = next
      users.add(next)
    },
    users,
    callerOf: (req) => {
      const header = req.headers['x-openid']
      return typeof header === 'string' && header ? header : openid
    },
  }

  // Temp URLs of cloud files point at this server once it listens.
  app.addHook('onListen', async () => {
    const address = app.server.address()
    if (address && typeof address === 'object')
      cloud.storage.baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/storage`
  })
  consoleRoutes(app, cloud, session)
  worldRoutes(app, cloud, session)
  localModeRoutes(app, cloud, session)
  return Object.assign(app, { user: () => openid })
}
