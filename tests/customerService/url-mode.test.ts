/**
 * `customerServiceHttp` end to end: WeChat's URL-mode requests (signed, and encrypted in
 * compatible and safe mode, XML and JSON) through the local cloud's HTTP access, answered by
 * the same handler as the cloud console's push.
 */
import { sha1Signature } from '../../server/customerService/wxcrypt'
import { ALICE, PUSH_AES_KEY, PUSH_TOKEN, csWorld, quietLogs } from './helpers'
import type { UrlModeSettings } from '../../localcloud'

quietLogs()

const settings = (
  mode: UrlModeSettings['mode'],
  format: UrlModeSettings['format'],
  over: Partial<UrlModeSettings> = {},
): UrlModeSettings => ({
  fn: 'customerServiceHttp',
  token: PUSH_TOKEN,
  mode,
  format,
  encodingAesKey: PUSH_AES_KEY,
  appid: 'wx0000000000local',
  ...over,
})

const logLines = () => (console.log as jest.Mock).mock.calls.map((c) => String(c[0]))

describe('the URL check (GET)', () => {
  test('echoes echostr for the right signature, 401 otherwise', async () => {
    const w = csWorld()
    const timestamp = '1763700000'
    const nonce = '42'
    const good = await w.cloud.http('customerServiceHttp', {
      method: 'GET',
      query: { signature: sha1Signature([PUSH_TOKEN, timestamp, nonce]), timestamp, nonce, echostr: 'hello-echo' },
    })
    expect(good).toMatchObject({ status: 200, body: 'hello-echo' })
    const bad = await w.cloud.http('customerServiceHttp', {
      method: 'GET',
      query: { signature: sha1Signature(['other', timestamp, nonce]), timestamp, nonce, echostr: 'hello-echo' },
    })
    expect(bad).toMatchObject({ status: 401, body: 'BAD_SIGNATURE' })
  })

  test('without a token configured, every request is refused with a clear log line', async () => {
    const w = csWorld({ vars: { CS_PUSH_TOKEN: '' } })
    const res = await w.cloud.http('customerServiceHttp', { method: 'GET', query: { echostr: 'x' } })
    expect(res.status).toBe(500)
    expect(logLines().some((l) => l.includes('CS_PUSH_TOKEN is not set'))).toBe(true)
  })
})

describe('each mode and format', () => {
  test.each([
    ['plain', 'xml'],
    ['plain', 'json'],
    ['compatible', 'xml'],
    ['compatible', 'json'],
    ['safe', 'xml'],
    ['safe', 'json'],
  ] as const)('%s mode, %s: the message is answered by the rules', async (mode, format) => {
    const w = csWorld({ vars: { CS_PUSH_MODE: mode } })
    const ev = w.push.text(ALICE, 'I want a refund')
    w.push.act(ev)
    const d = await w.push.deliverToUrl(ev, settings(mode, format))
    expect(d.acked).toBe(true)
    expect(d.attempts).toHaveLength(1)
    expect(w.texts(ALICE)).toEqual([expect.stringContaining('ask for a refund yourself')])
    expect(w.log(ALICE)[0]).toMatchObject({ _id: `in:m:${String(ev.MsgId)}`, kind: 'text' })
  })

  test('an event in safe mode JSON: the welcome reads SessionFrom', async () => {
    const w = csWorld({ vars: { CS_PUSH_MODE: 'safe' } })
    const ev = w.push.enter(ALICE, 'profile')
    w.push.act(ev)
    await w.push.deliverToUrl(ev, settings('safe', 'json'))
    expect(w.texts(ALICE)).toEqual(['你好！账号或手机号有疑问？请在这里留言。'])
  })

  test('the same message by URL mode and by the console push is answered once (same MsgId)', async () => {
    const w = csWorld()
    const ev = w.push.text(ALICE, 'refund')
    w.push.act(ev)
    await w.push.deliverToUrl(ev, settings('plain', 'xml'))
    await w.push.deliver(ev)
    expect(w.sent(ALICE)).toHaveLength(1)
  })
})

describe('rejected requests: a status, one log line, nothing handled', () => {
  async function post(
    w: ReturnType<typeof csWorld>,
    req: { query: Record<string, string>; body: string; contentType: string },
  ) {
    return w.cloud.http('customerServiceHttp', {
      method: 'POST',
      query: req.query,
      headers: { 'content-type': req.contentType },
      body: req.body,
    })
  }
  const nothingHandled = (w: ReturnType<typeof csWorld>) => {
    expect(w.cloud.db.dump('cs_seen')).toEqual([])
    expect(w.sends()).toEqual([])
  }

  test('a bad signature (plain) and a bad msg_signature (safe)', async () => {
    const w = csWorld()
    ;(console.log as jest.Mock).mockClear()
    const ev = w.push.text(ALICE, 'refund')
    const plain = w.push.urlRequest(ev, settings('plain', 'xml', { token: 'wrongToken' }))
    expect(await post(w, plain)).toMatchObject({ status: 401, body: 'BAD_SIGNATURE' })
    const safe = w.push.urlRequest(ev, settings('safe', 'json'))
    expect(await post(w, { ...safe, query: { ...safe.query, msg_signature: safe.query.signature! } })).toMatchObject({
      status: 401,
    })
    nothingHandled(w)
    expect(logLines().filter((l) => l.includes('"rejected":"BAD_SIGNATURE"'))).toHaveLength(2)
  })

  test('tampered ciphertext: refused by msg_signature; re-signed by someone holding the token, refused by the decryption', async () => {
    const w = csWorld()
    const req = w.push.urlRequest(w.push.text(ALICE, 'refund'), settings('safe', 'xml'))
    const enc = /<Encrypt><!\[CDATA\[(.*)\]\]><\/Encrypt>/.exec(req.body)![1]!
    const raw = Buffer.from(enc, 'base64')
    raw[raw.length - 17]! ^= 0xff
    const tampered = raw.toString('base64')
    const body = req.body.replace(enc, tampered)
    expect(await post(w, { ...req, body })).toMatchObject({ status: 401 })
    const resigned = {
      ...req.query,
      msg_signature: sha1Signature([PUSH_TOKEN, req.query.timestamp!, req.query.nonce!, tampered]),
    }
    const res = await post(w, { ...req, body, query: resigned })
    expect(res.status).toBe(400)
    expect(['BAD_PADDING', 'BAD_LENGTH', 'MALFORMED']).toContain(res.body)
    nothingHandled(w)
  })

  test('a message encrypted for another appid: 403', async () => {
    const w = csWorld()
    const req = w.push.urlRequest(
      w.push.text(ALICE, 'refund'),
      settings('safe', 'json', { appid: 'wx9999999999other' }),
    )
    expect(await post(w, req)).toMatchObject({ status: 403, body: 'APPID_MISMATCH' })
    nothingHandled(w)
  })

  test('safe mode configured: an unencrypted body is refused even with a valid signature', async () => {
    const w = csWorld({ vars: { CS_PUSH_MODE: 'safe' } })
    const req = w.push.urlRequest(w.push.text(ALICE, 'refund'), settings('plain', 'xml'))
    expect(await post(w, req)).toMatchObject({ status: 400, body: 'NOT_ENCRYPTED' })
    nothingHandled(w)
  })

  test('malformed XML and an XML entity bomb', async () => {
    const w = csWorld()
    const req = w.push.urlRequest(w.push.text(ALICE, 'refund'), settings('plain', 'xml'))
    expect(await post(w, { ...req, body: req.body.replace('</xml>', '') })).toMatchObject({
      status: 400,
      body: 'MALFORMED',
    })
    const bomb = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>`
    expect(await post(w, { ...req, body: bomb })).toMatchObject({ status: 400, body: 'MALFORMED' })
    nothingHandled(w)
  })
})

describe('the answer to a genuine message is always 200 "success"', () => {
  test('even when nothing can be recorded: never a 5xx WeChat would treat as abnormal data', async () => {
    const w = csWorld({ vars: { CS_BUDGET_MS: '600' }, waitMs: 2000 })
    w.cloud.db.failNext({ collection: 'cs_seen' }, 50)
    const ev = w.push.text(ALICE, 'hello')
    w.push.act(ev)
    const d = await w.push.deliverToUrl(ev, settings('safe', 'xml'))
    expect(d.attempts.map((a) => a.answer)).toEqual([expect.objectContaining({ status: 200, body: 'success' })])
    expect(d.userSaw).toBeUndefined()
    expect(logLines().some((l) => l.includes('"outcome":"unrecorded"'))).toBe(true)
  })
})

describe('replays and stale requests', () => {
  async function post(
    w: ReturnType<typeof csWorld>,
    req: { query: Record<string, string>; body: string; contentType: string },
  ) {
    return w.cloud.http('customerServiceHttp', {
      method: 'POST',
      query: req.query,
      headers: { 'content-type': req.contentType },
      body: req.body,
    })
  }

  test('a captured plain-mode signature cannot carry a forged message: the timestamp and nonce are remembered', async () => {
    const w = csWorld()
    const genuine = w.push.urlRequest(w.push.text(ALICE, 'hello'), settings('plain', 'xml'))
    w.push.act(w.push.text(ALICE, 'hello'))
    expect(await post(w, genuine)).toMatchObject({ status: 200, body: 'success' })
    // The same query with another body (the signature does not cover it in plain mode): not handled.
    const forged = genuine.body.replace('hello', 'refund').replace(/<MsgId>\d+<\/MsgId>/, '<MsgId>1</MsgId>')
    ;(console.log as jest.Mock).mockClear()
    expect(await post(w, { ...genuine, body: forged })).toMatchObject({ status: 200, body: 'success' })
    expect(logLines().some((l) => l.includes('"rejected":"REPLAYED"'))).toBe(true)
    expect(w.log(ALICE).filter((e) => e.dir === 'in')).toHaveLength(1)
    expect(w.cloud.db.dump('cs_push_nonces')).toHaveLength(1)
  })

  test('a request signed more than 5 minutes ago is refused before its body is read', async () => {
    const w = csWorld()
    const req = w.push.urlRequest(w.push.text(ALICE, 'hello'), settings('plain', 'xml'))
    const timestamp = String(Math.floor(Date.now() / 1000) - 600)
    const old = { ...req.query, timestamp, signature: sha1Signature([PUSH_TOKEN, timestamp, req.query.nonce!]) }
    expect(await post(w, { ...req, query: old })).toMatchObject({ status: 401, body: 'STALE' })
    expect(w.cloud.db.dump('cs_seen')).toEqual([])
    expect(w.cloud.db.dump('cs_push_nonces')).toEqual([])
  })
})
