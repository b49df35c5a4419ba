/**
 * The console's own routes: the page, the state it polls (users, functions, collections), switching
 * the user, calling a function as wx.cloud.callFunction does, the invocations, a collection's
 * documents, the outbox (messages sent), and the reset to a fresh environment.
 */
import type { FastifyInstance } from 'fastify'
import { CallFunctionError, type LocalCloud } from '../index'
import { safe, MAX_ROWS, decodeCloudIds, type Session } from './session'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { explainErrcode } from '../errcodes'
import { ensureSamplePartner } from './world'

/** Registers the console's routes. */
export function consoleRoutes(app: FastifyInstance, cloud: LocalCloud, session: Session): void {
  const html = readFileSync(join(__dirname, '..', 'console.html'), 'utf8')
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
    for (const id of session.users) if (!names.has(id)) names.set(id, '')
    return [...names]
      .map(([id, nickname]) => ({ openid: id, nickname }))
      .sort((a, b) => a.openid.localeCompare(b.openid))
  }

  app.get('/api/state', async () => ({
    env: cloud.env,
    appid: cloud.appid,
    user: session.user(),
    users: knownUsers(),
    functions: functionStats(),
    collections: cloud.db.collectionNames().map((name) => ({ name, count: cloud.db.dump(name).length })),
  }))

  app.post<{ Body: { openid?: unknown } }>('/api/user', async (req, reply) => {
    const next = req.body?.openid
    if (typeof next !== 'string' || !/^[A-Za-z0-9_-]{3,64}$/.test(next))
      return reply.code(400).send({ error: 'openid must be 3-64 letters, digits, _ or -' })
    session.switchTo(next)
    return { user: session.user() }
  })

  app.post<{ Params: { name: string }; Body: unknown }>('/api/functions/:name', async (req, reply) => {
    const data = req.body && typeof req.body === 'object' ? decodeCloudIds(req.body as Record<string, unknown>) : {}
    const caller = { openid: session.callerOf(req), clientIp: req.ip }
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
    session.users.clear()
    session.users.add(session.user())
    await ensureSamplePartner(cloud)
    return {
      reset: true,
      collections: cloud.db.collectionNames().map((name) => ({ name, count: cloud.db.dump(name).length })),
    }
  })
}
