/**
 * Every flow a user can start in DevTools local mode finishes, through the HTTP routes the
 * local-mode client (miniprogram/lib/cloud-local.ts localCloud) uses: subscribe messages after the
 * user accepted, SOTER verification and a SOTER-guarded refund, a poster code that decodes, and
 * the console's reset.
 */
import { PNG } from 'pngjs'
import { pngText } from '../../localcloud/wxacode-png'
import { LOCAL_VARS } from '../../scripts/start'
import { closeServers, serve } from './serve'

afterEach(closeServers)

beforeAll(() => {
  // The functions log one JSON line per refusal; these flows provoke none on purpose, but the
  // payment callback logs its outcome.
  jest.spyOn(console, 'log').mockImplementation(() => {})
})

const PAID = LOCAL_VARS.SUBSCRIBE_TMPL_PAID!
const REFUNDED = LOCAL_VARS.SUBSCRIBE_TMPL_REFUNDED!

async function setup(vars: Record<string, string> = LOCAL_VARS) {
  const { cloud, base } = await serve('o-flow-1', vars)
  const post = async (url: string, payload: unknown = {}) => {
    const r = await fetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    })
    return { status: r.status, body: (await r.json()) as any }
  }
  const fn = async (name: string, data: Record<string, unknown>) =>
    (await post(`/api/functions/${name}`, data)).body.result as {
      ok: boolean
      data?: any
      error?: { code: string; message: string }
    }
  const outbox = async () =>
    (await (await fetch(`${base}/api/outbox`)).json()) as Array<{
      api: string
      ok: boolean
      errcode?: number
      explain?: string
      params: Record<string, unknown>
    }>
  return { cloud, base, post, fn, outbox }
}

async function buyAndPay(w: Awaited<ReturnType<typeof setup>>) {
  const created = await w.fn('pay', {
    action: 'createOrder',
    productId: 'coffee',
    quantity: 1,
    requestId: `req-${Math.random().toString(36).slice(2, 10)}`,
  })
  expect(created.ok).toBe(true)
  const orderId = created.data.order.orderId as string
  expect((await w.post(`/api/pay/${orderId}`)).status).toBe(200) // the console's "User pays"
  return orderId
}

test('a user who accepted both templates gets the paid and the refunded message', async () => {
  const w = await setup()
  await w.fn('user', { action: 'login' })
  // What the local client forwards after wx.requestSubscribeMessage, and what the page records.
  const answers = { [PAID]: 'accept', [REFUNDED]: 'accept' }
  expect((await w.post('/api/subscriptions', { answers })).body).toEqual({
    granted: [PAID, REFUNDED],
    left: { [PAID]: 1, [REFUNDED]: 1 },
  })
  expect((await w.fn('pay', { action: 'recordSubscription', answers })).ok).toBe(true)
  const orderId = await buyAndPay(w)
  const paid = (await w.outbox()).filter((o) => o.api === 'subscribeMessage.send')
  expect(paid).toEqual([
    expect.objectContaining({ ok: true, params: expect.objectContaining({ touser: 'o-flow-1', template_id: PAID }) }),
  ])

  expect((await w.fn('pay', { action: 'requestRefund', orderId })).data.order.status).toBe('REFUNDING')
  expect((await w.post(`/api/refunds/${orderId}R1/settle`)).status).toBe(200)
  const sends = (await w.outbox()).filter((o) => o.api === 'subscribeMessage.send')
  expect(sends.map((s) => [s.params.template_id, s.ok])).toEqual([
    [REFUNDED, true],
    [PAID, true],
  ]) // newest first
})

test('an accept WeChat never saw (recorded by the page only) fails with 43101, and the outbox says why in words', async () => {
  const w = await setup()
  await w.fn('user', { action: 'login' })
  expect((await w.post('/api/subscriptions', { answers: { [PAID]: 'reject' } })).body.granted).toEqual([])
  expect((await w.fn('pay', { action: 'recordSubscription', answers: { [PAID]: 'accept' } })).ok).toBe(true)
  await buyAndPay(w)
  const [send] = (await w.outbox()).filter((o) => o.api === 'subscribeMessage.send')
  expect(send).toMatchObject({
    ok: false,
    errcode: 43101,
    explain: expect.stringContaining('has not accepted this template, or used up the acceptance'),
  })
})

test('the subscriptions route refuses what wx.requestSubscribeMessage would', async () => {
  const w = await setup()
  expect((await w.post('/api/subscriptions', { answers: { 'not-a-template': 'accept' } })).body).toMatchObject({
    errCode: 20001,
  })
  expect((await w.post('/api/subscriptions', { answers: { [PAID]: 'yes' } })).body).toMatchObject({ errCode: 20003 })
  expect((await w.post('/api/subscriptions', { answers: [] })).status).toBe(400)
  // At most 3 templates per request (20003), as the API table says.
  expect(
    (await w.post('/api/subscriptions', { answers: { a1: 'accept', a2: 'accept', a3: 'accept', a4: 'accept' } })).body,
  ).toMatchObject({ errCode: 20003, errMsg: expect.stringContaining('1-3 template ids') })
  expect((await w.post('/api/subscriptions', { answers: {} })).status).toBe(400)
  expect(w.cloud.openapi.grantsLeft('o-flow-1', PAID)).toBe(0)
})

test('SOTER: the local phone signs the challenge, soter.verify gives a proof, and a SOTER-guarded refund completes', async () => {
  const w = await setup({ ...LOCAL_VARS, PAY_REFUND_REQUIRES_SOTER: '1' })
  await w.fn('user', { action: 'login' })
  const orderId = await buyAndPay(w)
  expect((await w.fn('pay', { action: 'requestRefund', orderId })).error?.code).toBe('SOTER_REQUIRED')

  const c = await w.fn('soter', { action: 'challenge', purpose: 'CONFIRM_REFUND', subject: orderId })
  const signed = await w.post('/api/soter/authenticate', {
    challenge: c.data.challenge,
    authContent: c.data.authContent,
    requestAuthModes: ['fingerPrint'],
  })
  expect(signed.body).toMatchObject({
    errCode: 0,
    authMode: 'fingerPrint',
    resultJSON: expect.stringContaining(c.data.challenge),
  })
  const v = await w.fn('soter', {
    action: 'verify',
    authMode: 'fingerPrint',
    resultJSON: signed.body.resultJSON,
    resultJSONSignature: signed.body.resultJSONSignature,
  })
  expect(v).toMatchObject({ ok: true, data: { purpose: 'CONFIRM_REFUND', subject: orderId } })
  // WeChat checked the signature with the user's key.
  expect((await w.outbox()).find((o) => o.api === 'soter.verifySignature')).toMatchObject({ ok: true })
  expect((await w.fn('pay', { action: 'requestRefund', orderId, soterProof: v.data.proof })).data.order.status).toBe(
    'REFUNDING',
  )
  expect((await w.post(`/api/refunds/${orderId}R1/settle`)).status).toBe(200)
  expect(w.cloud.db.dump('orders').find((o) => o._id === orderId)).toMatchObject({ status: 'REFUNDED' })
})

test('SOTER from the console: a waiting challenge is confirmed as its user; the documented limits hold', async () => {
  const w = await setup()
  await w.fn('user', { action: 'login' })
  const c = await w.fn('soter', { action: 'challenge', purpose: 'CONFIRM_IDENTITY' })
  const waiting = (await (await fetch(`${w.base}/api/soter/challenges`)).json()) as Array<{
    _id: string
    _openid: string
  }>
  expect(waiting.map((x) => [x._id, x._openid])).toEqual([[c.data.challenge, 'o-flow-1']])
  const confirmed = await w.post(`/api/soter/confirm/${c.data.challenge}`)
  expect(confirmed.body).toMatchObject({ ok: true, data: { purpose: 'CONFIRM_IDENTITY' } })
  expect(await (await fetch(`${w.base}/api/soter/challenges`)).json()).toEqual([]) // used
  expect((await w.post(`/api/soter/confirm/${c.data.challenge}`)).body).toMatchObject({
    ok: false,
    error: { code: 'CHALLENGE_USED' },
  })
  expect((await w.post('/api/soter/confirm/nope')).status).toBe(404)
  expect(
    (await w.post('/api/soter/authenticate', { challenge: 'x'.repeat(513), requestAuthModes: ['fingerPrint'] })).body
      .errCode,
  ).toBe(90004)
  expect(
    (
      await w.post('/api/soter/authenticate', {
        challenge: 'abc',
        authContent: '长'.repeat(43),
        requestAuthModes: ['fingerPrint'],
      })
    ).body.errCode,
  ).toBe(90005)
  expect(
    (await w.post('/api/soter/authenticate', { challenge: 'abc', requestAuthModes: ['speech'] })).body.errCode,
  ).toBe(90003)
})

test('the poster code is a PNG that decodes, served at its temp URL', async () => {
  const w = await setup() // npm start's MINIPROGRAM_STATE is developer: no check_path
  await w.fn('user', { action: 'login' })
  const poster = await w.fn('share', { action: 'poster', page: 'pages/index/index' })
  expect(poster.ok).toBe(true)
  const urls = (await w.post('/api/storage/temp-urls', { fileList: [poster.data.fileID] })).body.fileList
  const res = await fetch(urls[0].tempFileURL)
  expect(res.headers.get('content-type')).toBe('image/png')
  const bytes = Buffer.from(await res.arrayBuffer())
  const png = PNG.sync.read(bytes)
  expect([png.width, png.height]).toEqual([430, 430])
  expect(pngText(bytes)).toEqual({ scene: `s=${poster.data.shareId}`, page: 'pages/index/index' })
})

test('reset: data, files, invocations and the outbox are gone; the seeds are back; it asks for confirmation', async () => {
  const w = await setup()
  await w.fn('user', { action: 'login' })
  await w.post('/api/subscriptions', { answers: { [PAID]: 'accept' } })
  await buyAndPay(w)
  expect((await w.post('/api/reset', {})).status).toBe(400)
  expect(w.cloud.db.dump('orders')).toHaveLength(1)
  const reset = await w.post('/api/reset', { confirm: true })
  expect(reset.body.reset).toBe(true)
  expect(w.cloud.db.dump('orders')).toEqual([])
  expect(w.cloud.db.dump('users')).toEqual([])
  expect(w.cloud.db.dump('products').length).toBeGreaterThan(0) // seeded again
  expect(await w.outbox()).toEqual([])
  expect(w.cloud.invocations).toEqual([])
  expect(w.cloud.openapi.grantsLeft('o-flow-1', PAID)).toBe(0)
  // And it works afterwards.
  expect((await w.fn('user', { action: 'login' })).ok).toBe(true)
})
