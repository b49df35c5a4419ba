/**
 * The `npm start` server (localcloud/server.ts) over real HTTP on a loopback port (fastify's
 * inject needs an ESM-only dependency jest cannot load on Node 20): functions called as
 * wx.cloud.callFunction would, the console's views, and the buttons that act as WeChat.
 */
import { LocalCloud } from '../../localcloud'
import { request as httpRequest } from 'node:http'
import { allowedHost, allowedOrigin } from '../../localcloud/server'
import { LOCAL_VARS, hostFrom, listenFailure, portFrom } from '../../scripts/start'
import { closeServers, serve } from './serve'
import { oaOpenid } from '../../localcloud/oa-sandbox'

afterEach(closeServers)

let serverBase = ''

async function setup() {
  const { cloud, app, base } = await serve('o-console-1')
  serverBase = base
  const post = async (url: string, payload: unknown = {}, headers: Record<string, string> = {}) => {
    const r = await fetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(payload),
    })
    return { status: r.status, body: (await r.json()) as any }
  }
  const get = async (url: string) => {
    const r = await fetch(base + url)
    return { status: r.status, body: (await r.json()) as any }
  }
  const raw = (url: string) => fetch(base + url)
  return { cloud, app, post, get, raw }
}

beforeAll(() => {
  jest.spyOn(console, 'error').mockImplementation(() => {})
  jest.spyOn(console, 'log').mockImplementation(() => {})
})

test('a function is called as wx.cloud.callFunction would: the current user, then another one by header', async () => {
  const { post } = await setup()
  const login = await post('/api/functions/user', { action: 'login' })
  expect(login.status).toBe(200)
  expect(login.body).toMatchObject({ errMsg: 'cloud.callFunction:ok', result: { ok: true } })
  expect(login.body.requestId).toMatch(/^[0-9a-f]{16}$/)
  const other = await post('/api/functions/user', { action: 'getProfile' }, { 'x-openid': 'o-console-2' })
  expect(other.body.result.ok).toBe(false) // o-console-2 never signed in
  const missing = await post('/api/functions/nope', { action: 'x' })
  expect(missing.status).toBe(404)
  expect(missing.body).toMatchObject({ errCode: -501000 })
})

test('pay a pending order from the console: PAID, the callback invoked, the message in the outbox', async () => {
  const { post, get, cloud } = await setup()
  // The user accepted the paid/refunded templates (what requestSubscribeMessage's accept does).
  for (const t of [LOCAL_VARS.SUBSCRIBE_TMPL_PAID!, LOCAL_VARS.SUBSCRIBE_TMPL_REFUNDED!])
    cloud.openapi.grantSubscription('o-console-1', t)
  await post('/api/functions/pay', {
    action: 'recordSubscription',
    answers: { [LOCAL_VARS.SUBSCRIBE_TMPL_PAID!]: 'accept', [LOCAL_VARS.SUBSCRIBE_TMPL_REFUNDED!]: 'accept' },
  })
  const created = await post('/api/functions/pay', {
    action: 'createOrder',
    productId: 'coffee',
    quantity: 1,
    requestId: 'console-req-1',
  })
  const orderId = created.body.result.data.order.orderId as string
  expect((await get('/api/collections/orders')).body.docs[0]).toMatchObject({ _id: orderId, status: 'UNPAID' })
  const paid = await post(`/api/pay/${orderId}`)
  expect(paid.status).toBe(200)
  expect(paid.body.order).toMatchObject({ status: 'PAID' })
  const inv = (await get('/api/invocations')).body as Array<{ fn: string; source: string }>
  expect(inv.some((i) => i.fn === 'payCallback' && i.source === 'wx_paycallback')).toBe(true)
  const outbox = (await get('/api/outbox')).body as Array<{ via: string; api: string; ok: boolean }>
  expect(outbox.map((o) => `${o.via}.${o.api}`)).toEqual(
    expect.arrayContaining(['cloudPay.unifiedOrder', 'cloudPay.queryOrder', 'openapi.subscribeMessage.send']),
  )
  // Paying again is refused by the sandbox, as WeChat Pay would.
  expect((await post(`/api/pay/${orderId}`)).status).toBe(409)

  const refund = await post('/api/functions/pay', { action: 'requestRefund', orderId })
  expect(refund.body.result.data.order.status).toBe('REFUNDING')
  expect((await post(`/api/refunds/${orderId}R1/settle`)).status).toBe(200)
  expect((await get('/api/collections/orders')).body.docs[0].status).toBe('REFUNDED')
})

test('push a customer-service message as a user; switch user; state and collections', async () => {
  const { post, get, raw } = await setup()
  const pushed = await post('/api/push', { content: 'hello', openid: 'o-visitor' })
  expect(pushed.body).toMatchObject({ target: 'customerService', acked: true })
  expect(pushed.body.attempts.length).toBeGreaterThanOrEqual(1)
  const outbox = (await get('/api/outbox')).body as Array<{ api: string; params: { touser?: string } }>
  expect(outbox.some((o) => o.api === 'customerServiceMessage.send' && o.params.touser === 'o-visitor')).toBe(true)
  expect((await post('/api/push', { content: ' ' })).status).toBe(400)

  expect((await post('/api/user', { openid: 'o-console-9' })).body).toEqual({ user: 'o-console-9' })
  expect((await post('/api/user', { openid: 'a"b' })).status).toBe(400)
  const state = (await get('/api/state')).body
  // The users the server knows: switched to, or seen writing (the push's sender).
  expect(state).toMatchObject({
    env: 'local-dev',
    user: 'o-console-9',
    users: [
      { openid: 'o-console-1', nickname: '' },
      { openid: 'o-console-9', nickname: '' },
      { openid: 'o-visitor', nickname: '' },
    ],
  })
  expect(state.functions.map((f: { name: string }) => f.name)).toEqual(
    expect.arrayContaining(['pay', 'user', 'soter', 'customerService']),
  )
  expect(state.collections.find((c: { name: string }) => c.name === 'products').count).toBeGreaterThan(0) // seeded
  expect((await get('/api/collections/nope')).status).toBe(404)
  const page = await raw('/')
  expect(page.headers.get('content-type')).toContain('text/html')
  expect(await page.text()).toContain('id="orders"')
})

test('reload() makes the next call load the rebuilt bundle; the port comes from --port or PORT', async () => {
  const cloud = new LocalCloud()
  await cloud.callFromClient('user', { action: 'login' }, { openid: 'o-reload' })
  await cloud.callFromClient('user', { action: 'getProfile' }, { openid: 'o-reload' })
  expect(cloud.loads.get('user')).toBe(1)
  cloud.reload()
  await cloud.callFromClient('user', { action: 'getProfile' }, { openid: 'o-reload' })
  expect(cloud.loads.get('user')).toBe(2)
  expect(portFrom(['node', 'start', '--port', '4001'], {})).toBe(4001)
  expect(portFrom([], { PORT: '5000' })).toBe(5000)
  expect(portFrom([], {})).toBe(3910)
  expect(() => portFrom([], { PORT: 'x' })).toThrow('Not a port')
})

test("a port that is taken is one sentence with the way out, not Node's EADDRINUSE", async () => {
  const { createServer: netServer } = await import('node:net')
  const busy = netServer().listen(0, '127.0.0.1')
  await new Promise((r) => busy.once('listening', r))
  const port = (busy.address() as { port: number }).port
  const second = netServer()
  const err = await new Promise<unknown>((r) => second.once('error', r).listen(port, '127.0.0.1'))
  busy.close()
  expect(listenFailure(err, port)).toBe(
    `Port ${port} is in use (another npm start?). Stop it, or run PORT=${port + 1} npm start and then npm run configure -- --local http://127.0.0.1:${port + 1}`,
  )
  expect(listenFailure(new Error('other'), port)).toBeNull()
})

test('local-mode routes refuse bad input and write nothing', async () => {
  const { post, cloud } = await setup()
  expect((await post('/api/open-data/contacts')).status).toBe(404)
  for (const cloudPath of ['', 'dir/', '../outside.png', 'a/../../b.png']) {
    const r = await post('/api/storage/upload', { cloudPath, base64: 'AAAA' })
    expect(r.status).toBe(400)
    expect(r.body.errMsg).toBe('cloud.uploadFile:fail cloudPath must name a file')
  }
  expect((await post('/api/storage/upload', { cloudPath: 'ok.png', base64: 'not base64!' })).body.errMsg).toBe(
    'cloud.uploadFile:fail base64 content expected',
  )
  expect(cloud.storage.exists(cloud.storage.fileIdFor('ok.png'))).toBe(false)
  expect((await post('/api/storage/temp-urls', { fileList: 'x' })).status).toBe(400)
  // A CloudID marker the sandbox never issued reaches the function as an unknown CloudID, told
  // apart from an expired one (which the page fetches again) and a forged { cloudID, data }.
  await post('/api/functions/user', { action: 'login' })
  const sync = await post('/api/functions/werun', { action: 'sync', weRunData: { $cloudID: 'devtools-made-id' } })
  expect(sync.body.result).toMatchObject({
    ok: false,
    error: { code: 'CLOUDID_INVALID', message: expect.stringContaining('WeChat does not know this CloudID (-601002') },
  })
  expect(cloud.db.dump('werun_days')).toEqual([])
})

describe('other web pages cannot drive the local server', () => {
  const raw = (base: string, path: string, headers: Record<string, string>, body = '{}') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(base + path)
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
        },
        (res) => {
          let data = ''
          res.on('data', (c: Buffer) => (data += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }))
        },
      )
      req.on('error', reject)
      req.end(body)
    })

  test('a text/plain cross-site POST (what any web page can send without asking) is refused and pays nothing', async () => {
    const { cloud, post } = await setup()
    await post('/api/functions/user', { action: 'login' })
    const created = await post('/api/functions/pay', {
      action: 'createOrder',
      productId: 'coffee',
      quantity: 1,
      requestId: 'csrf-00000001',
    })
    const orderId = created.body.result.data.order.orderId as string
    const r = await raw(serverBase, `/api/pay/${orderId}`, {
      'content-type': 'text/plain',
      origin: 'https://evil.example',
    })
    expect(r.status).toBe(403)
    const plain = await raw(serverBase, `/api/pay/${orderId}`, { 'content-type': 'text/plain' })
    expect(plain.status).toBe(415)
    expect(cloud.db.dump('orders').find((o) => o._id === orderId)!.status).toBe('UNPAID')
  })

  test('a foreign Host (DNS rebinding) is refused; localhost and IP addresses are served', async () => {
    await setup()
    expect(
      (
        await raw(
          serverBase,
          '/api/user',
          { host: 'evil.example:3910', 'content-type': 'application/json' },
          '{"openid":"o-x-1"}',
        )
      ).status,
    ).toBe(403)
    expect(
      (
        await raw(
          serverBase,
          '/api/user',
          { host: 'localhost:3910', 'content-type': 'application/json' },
          '{"openid":"o-x-1"}',
        )
      ).status,
    ).toBe(200)
    expect(allowedHost('192.168.1.5:3910')).toBe(true)
    expect(allowedHost('[::1]:3910')).toBe(true)
    expect(allowedHost('rebind.attacker.example')).toBe(false)
    expect(allowedOrigin('https://servicewechat.com', 'x')).toBe(true)
    expect(allowedOrigin('http://127.0.0.1:61234', 'x')).toBe(true)
    expect(allowedOrigin('https://evil.example', 'x')).toBe(false)
  })

  test('only --host exposes it; the HOST environment variable does not', () => {
    expect(hostFrom([])).toBe('127.0.0.1')
    process.env.HOST = '0.0.0.0'
    try {
      expect(hostFrom(['node', 'start.ts'])).toBe('127.0.0.1')
    } finally {
      delete process.env.HOST
    }
    expect(hostFrom(['node', 'start.ts', '--host', '0.0.0.0'])).toBe('0.0.0.0')
  })
})

test('cards in local mode: wx.addCard through the sandbox, listed in the console, redeemed as staff once, deleted in WeChat', async () => {
  const { post, get } = await setup()
  await post('/api/functions/user', { action: 'login' })
  const signed = (await post('/api/functions/card', { action: 'signCardExt', cardKey: 'coffee-coupon' })).body.result
    .data
  const added = await post('/api/cards/add', { cardList: [{ cardId: signed.cardId, cardExt: signed.cardExt }] })
  expect(added.body).toMatchObject({ errMsg: 'addCard:ok', cardList: [{ cardId: signed.cardId, isSuccess: true }] })
  // The same cardExt again: WeChat refuses a nonce it has seen, as wx.addCard would fail.
  expect(
    await post('/api/cards/add', { cardList: [{ cardId: signed.cardId, cardExt: signed.cardExt }] }),
  ).toMatchObject({ status: 400, body: { errCode: 40080 } })
  const recorded = (await post('/api/functions/card', { action: 'recordAdded', cardList: added.body.cardList })).body
    .result
  const code = recorded.data.cards[0].code
  // The code's holder is named under the official account (another id space than the mini-program's).
  expect((await get('/api/cards')).body).toEqual([
    expect.objectContaining({ code, openid: oaOpenid('o-console-1'), mpOpenid: 'o-console-1', status: 'NORMAL' }),
  ])
  expect((await post('/api/cards/redeem', { code })).body).toMatchObject({
    ok: true,
    data: { card: { code, status: 'REDEEMED' } },
  })
  expect((await post('/api/cards/redeem', { code })).body).toMatchObject({
    ok: false,
    error: { code: 'CARD_REDEEMED_BY_YOU' },
  })
  expect((await get('/api/cards')).body[0].status).toBe('CONSUMED')
  expect((await post('/api/cards/add', { cardList: [] })).status).toBe(400)
  // A second card, deleted by the user in WeChat: the console pushes the card event to cardEvents.
  const second = (await post('/api/functions/card', { action: 'signCardExt', cardKey: 'coffee-coupon' })).body.result
    .data
  const more = await post('/api/cards/add', { cardList: [{ cardId: second.cardId, cardExt: second.cardExt }] })
  const other = (await post('/api/functions/card', { action: 'recordAdded', cardList: more.body.cardList })).body.result
    .data.cards[0].code
  expect((await post('/api/cards/event', { code: other, what: 'delete' })).body).toEqual({
    event: 'user_del_card',
    acked: true,
  })
  expect(
    (await post('/api/functions/card', { action: 'myCards' })).body.result.data.cards.map(
      (c: { code: string }) => c.code,
    ),
  ).toEqual([code])
  expect((await post('/api/cards/event', { code: 'nope', what: 'delete' })).status).toBe(400)
})
