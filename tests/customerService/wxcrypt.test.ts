/**
 * The URL-mode crypto against vectors made by an independent implementation (Python +
 * `cryptography`: tests/customerService/vectors/make_vectors.py, output vectors.json), and
 * the request reader (signature checks, modes, formats, rejections) on its own.
 */
import { createCipheriv } from 'node:crypto'
import vectors from './vectors/vectors.json'
import {
  PushCryptoError,
  aesKey,
  decryptMessage,
  encryptMessage,
  sha1Signature,
} from '../../server/customerService/wxcrypt'
import { parseJson, parseXml, readRequest, type HttpRequest } from '../../server/customerService/urlmode'
import type { PushUrlConfig } from '../../server/customerService/config'

const key = aesKey(vectors.encodingAesKey)
const byName = (n: string) => vectors.messages.find((m) => m.name === n)!

describe('against the Python vectors', () => {
  test('signatures: the URL check and every msg_signature', () => {
    expect(sha1Signature([vectors.token, vectors.timestamp, vectors.nonce])).toBe(vectors.urlCheck.signature)
    for (const m of vectors.messages)
      expect(sha1Signature([vectors.token, vectors.timestamp, vectors.nonce, m.encrypt])).toBe(m.msgSignature)
  })
  test.each(vectors.messages.map((m) => [m.name, m] as const))(
    '%s: decrypts to the message and appid, and encrypts back to the same bytes',
    (_n, m) => {
      expect(decryptMessage(m.encrypt, key)).toEqual({ message: m.message, appid: m.appid })
      expect(encryptMessage(m.message, m.appid, key, Buffer.from(m.random, 'hex'))).toBe(m.encrypt)
    },
  )
  test('a plaintext of exactly 32 bytes gets a whole block of padding (32 × 0x20)', () => {
    const m = byName('exactly-32-bytes')
    expect(Buffer.from(m.encrypt, 'base64')).toHaveLength(64)
  })
})

describe('rejections', () => {
  const m = byName('xml-text')
  const code = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      return e instanceof PushCryptoError ? e.code : `not a PushCryptoError: ${String(e)}`
    }
    return 'no error'
  }
  test('a wrong appid', () => {
    expect(code(() => decryptMessage(byName('other-appid').encrypt, key, vectors.appid))).toBe('APPID_MISMATCH')
    expect(decryptMessage(m.encrypt, key, vectors.appid).appid).toBe(vectors.appid)
  })
  test('tampering with the last block breaks the padding; a wrong key too', () => {
    const raw = Buffer.from(m.encrypt, 'base64')
    raw[raw.length - 20]! ^= 0x01 // in the second-to-last block: garbles the last plaintext block
    expect(code(() => decryptMessage(raw.toString('base64'), key))).toBe('BAD_PADDING')
    expect(code(() => decryptMessage(m.encrypt, aesKey('A'.repeat(43))))).toBe('BAD_PADDING')
  })
  test('not whole blocks, not base64, and a bad key', () => {
    expect(code(() => decryptMessage(m.encrypt.slice(0, 40), key))).toBe('BAD_CIPHERTEXT')
    expect(code(() => decryptMessage('%%%', key))).toBe('BAD_CIPHERTEXT')
    expect(code(() => aesKey('short'))).toBe('BAD_KEY')
  })
  test('a length field that runs past the data', () => {
    // 16 random + length 0xFFFFFFFF + 12 bytes: well padded, but the length lies.
    const lie = Buffer.concat([Buffer.alloc(16), Buffer.from('ffffffff', 'hex'), Buffer.from('twelve bytes')])
    const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
    c.setAutoPadding(false)
    const enc = Buffer.concat([c.update(Buffer.concat([lie, Buffer.alloc(32, 32)])), c.final()]).toString('base64')
    expect(code(() => decryptMessage(enc, key))).toBe('BAD_LENGTH')
  })
})

describe('reading a request', () => {
  const cfg: PushUrlConfig = {
    token: vectors.token,
    encodingAesKey: vectors.encodingAesKey,
    appid: vectors.appid,
    mode: 'plain',
  }
  const q = { timestamp: vectors.timestamp, nonce: vectors.nonce, signature: vectors.urlCheck.signature }
  /** The vectors' own time: their timestamp is within the ±5 minute window. */
  const NOW = Number(vectors.timestamp) * 1000
  const post = (body: string, query: Record<string, string>, contentType?: string): HttpRequest => ({
    httpMethod: 'POST',
    queryStringParameters: query,
    body,
    headers: contentType ? { 'Content-Type': contentType } : {},
  })

  test('the URL check echoes echostr only with the right signature', () => {
    expect(
      readRequest({ httpMethod: 'GET', queryStringParameters: { ...q, echostr: vectors.urlCheck.echostr } }, cfg, NOW),
    ).toEqual({ kind: 'echo', echostr: vectors.urlCheck.echostr })
    expect(
      readRequest(
        { httpMethod: 'GET', queryStringParameters: { ...q, signature: 'f'.repeat(40), echostr: 'x' } },
        cfg,
        NOW,
      ),
    ).toMatchObject({ kind: 'reject', status: 401, code: 'BAD_SIGNATURE' })
    expect(readRequest({ httpMethod: 'GET', queryStringParameters: { echostr: 'x' } }, cfg, NOW)).toMatchObject({
      kind: 'reject',
      code: 'BAD_SIGNATURE',
    })
  })
  test('safe mode, XML: the Python-encrypted body decrypts to the message', () => {
    const m = byName('xml-text')
    const body = `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[${m.encrypt}]]></Encrypt></xml>`
    const out = readRequest(
      post(body, { ...q, encrypt_type: 'aes', msg_signature: m.msgSignature }),
      { ...cfg, mode: 'safe' },
      NOW,
    )
    expect(out).toEqual({
      kind: 'message',
      format: 'xml',
      encrypted: true,
      timestamp: vectors.timestamp,
      nonce: vectors.nonce,
      event: {
        ToUserName: 'gh_0123456789ab',
        FromUserName: 'o-alice',
        CreateTime: '1763700000',
        MsgType: 'text',
        Content: '退款 refund please',
        MsgId: '7123456789012345678',
      },
    })
  })
  test('safe mode, JSON: the Python-encrypted event', () => {
    const m = byName('json-enter')
    const out = readRequest(
      post(
        JSON.stringify({ ToUserName: 'gh_0123456789ab', Encrypt: m.encrypt }),
        { ...q, encrypt_type: 'aes', msg_signature: m.msgSignature },
        'application/json',
      ),
      cfg,
      NOW,
    )
    expect(out).toMatchObject({
      kind: 'message',
      format: 'json',
      encrypted: true,
      event: { Event: 'user_enter_tempsession', SessionFrom: 'profile', CreateTime: 1763700001 },
    })
  })
  test('a msg_signature over other data, a foreign appid, safe mode without encryption', () => {
    const m = byName('xml-text')
    const body = `<xml><Encrypt><![CDATA[${m.encrypt}]]></Encrypt></xml>`
    expect(
      readRequest(
        post(body, { ...q, encrypt_type: 'aes', msg_signature: byName('json-enter').msgSignature }),
        cfg,
        NOW,
      ),
    ).toMatchObject({ status: 401, code: 'BAD_SIGNATURE' })
    const other = byName('other-appid')
    expect(
      readRequest(
        post(`<xml><Encrypt><![CDATA[${other.encrypt}]]></Encrypt></xml>`, {
          ...q,
          encrypt_type: 'aes',
          msg_signature: other.msgSignature,
        }),
        cfg,
        NOW,
      ),
    ).toMatchObject({ status: 403, code: 'APPID_MISMATCH' })
    expect(readRequest(post(m.message, q), { ...cfg, mode: 'safe' }, NOW)).toMatchObject({
      status: 400,
      code: 'NOT_ENCRYPTED',
    })
  })
  test('plain mode: the body as it is, with the plain signature checked', () => {
    const m = byName('xml-text')
    expect(readRequest(post(m.message, q), cfg, NOW)).toMatchObject({
      kind: 'message',
      encrypted: false,
      event: { MsgId: '7123456789012345678' },
    })
    expect(readRequest(post(m.message, { ...q, nonce: '1' }), cfg, NOW)).toMatchObject({
      status: 401,
      code: 'BAD_SIGNATURE',
    })
  })
  test('malformed bodies: broken XML, a DTD, broken JSON, encrypt_type without Encrypt', () => {
    expect(readRequest(post('<xml><a>1</b></xml>', q), cfg, NOW)).toMatchObject({ status: 400, code: 'MALFORMED' })
    expect(
      readRequest(
        post('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>', q),
        cfg,
        NOW,
      ),
    ).toMatchObject({ code: 'MALFORMED' })
    expect(readRequest(post('{"MsgType": ', q, 'application/json'), cfg, NOW)).toMatchObject({ code: 'MALFORMED' })
    expect(
      readRequest(
        post('<xml><MsgType>text</MsgType></xml>', { ...q, encrypt_type: 'aes', msg_signature: 'x' }),
        cfg,
        NOW,
      ),
    ).toMatchObject({ code: 'MALFORMED' })
    expect(readRequest({ httpMethod: 'PUT' }, cfg, NOW)).toMatchObject({ status: 405 })
  })
  test('hostile requests: non-string fields, deep nesting, __proto__, oversized bodies: a 4xx each, never a throw', () => {
    expect(readRequest({ httpMethod: 42 as unknown as string }, cfg, NOW)).toMatchObject({
      status: 400,
      code: 'MALFORMED',
    })
    expect(
      readRequest({ httpMethod: 'POST', queryStringParameters: q, body: { a: 1 } as unknown as string }, cfg, NOW),
    ).toMatchObject({ status: 400, code: 'MALFORMED' })
    expect(readRequest(null as unknown as HttpRequest, cfg, NOW)).toMatchObject({ code: 'MALFORMED' })
    expect(
      readRequest(
        {
          httpMethod: 'POST',
          queryStringParameters: { timestamp: ['1'], nonce: {} } as unknown as Record<string, string>,
        },
        cfg,
        NOW,
      ),
    ).toMatchObject({ code: 'BAD_SIGNATURE' })
    const deep = `<xml>${'<a>'.repeat(20_000)}x${'</a>'.repeat(20_000)}</xml>`
    expect(readRequest(post(deep, q), cfg, NOW)).toMatchObject({ status: expect.any(Number) })
    expect((readRequest(post(deep, q), cfg, NOW) as { status: number }).status).toBeGreaterThanOrEqual(400)
    expect(
      readRequest(post('<xml><__proto__><polluted>1</polluted></__proto__></xml>', q), cfg, NOW),
    ).not.toMatchObject({ kind: 'message', event: { polluted: '1' } })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(readRequest(post(`<xml><Content>${'x'.repeat(70_000)}</Content></xml>`, q), cfg, NOW)).toMatchObject({
      status: 413,
      code: 'TOO_LARGE',
    })
  })
  test('the signature is checked before the body is parsed; the timestamp must be within 5 minutes', () => {
    expect(readRequest(post('<xml><a>1</b></xml>', { ...q, signature: 'f'.repeat(40) }), cfg, NOW)).toMatchObject({
      status: 401,
      code: 'BAD_SIGNATURE',
    })
    const m = byName('xml-text')
    expect(readRequest(post(m.message, q), cfg, NOW + 301_000)).toMatchObject({ status: 401, code: 'STALE' })
    expect(readRequest(post(m.message, q), cfg, NOW - 301_000)).toMatchObject({ status: 401, code: 'STALE' })
    expect(readRequest(post(m.message, q), cfg, NOW + 299_000)).toMatchObject({ kind: 'message' })
  })
  test('compatible mode requires the encrypted part; only plain mode takes a plain body', () => {
    const m = byName('xml-text')
    expect(readRequest(post(m.message, q), { ...cfg, mode: 'compatible' }, NOW)).toMatchObject({
      status: 400,
      code: 'NOT_ENCRYPTED',
    })
  })
  test('a message whose text contains <!DOCTYPE is a message: only a DTD in the prolog is refused', () => {
    const body =
      '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Content><![CDATA[what is <!DOCTYPE html>?]]></Content></xml>'
    expect(readRequest(post(body, q), cfg, NOW)).toMatchObject({
      kind: 'message',
      event: { Content: 'what is <!DOCTYPE html>?' },
    })
  })
  test('a 64-bit MsgId survives JSON and XML exactly', () => {
    expect(parseJson('{"MsgId": 7123456789012345678, "CreateTime": 1}')).toEqual({
      MsgId: '7123456789012345678',
      CreateTime: 1,
    })
    expect(parseXml('<xml><MsgId>7123456789012345678</MsgId></xml>')).toEqual({ MsgId: '7123456789012345678' })
    // Why it matters: plain JSON.parse rounds it to another message's id.
    expect(String((JSON.parse('{"n": 7123456789012345678}') as { n: number }).n)).not.toBe('7123456789012345678')
  })
})
