/**
 * WeChat Pay APIv3's cryptography (server/pay/v3/crypto.ts), checked against an independent
 * implementation: the openssl command line (`openssl dgst -sha256 -sign / -verify`, PKCS#1 v1.5),
 * as the signature-generation document does it. Then what WeChat Pay's rules refuse: a changed
 * body, another key, an unknown serial, a stale timestamp, the SIGNTEST probe, and a resource
 * that does not authenticate.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  answerMessage,
  authorization,
  decryptResource,
  DecryptError,
  encryptResource,
  parseAuthorization,
  paymentMessage,
  paymentParams,
  requestMessage,
  signRsa,
  verifyRsa,
  verifyWechatpay,
  wechatpayHeaders,
} from '../../server/pay/v3/crypto'

const dir = mkdtempSync(join(tmpdir(), 'v3-'))
const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
const merchant = pair()
const platform = pair()
const other = pair()
writeFileSync(join(dir, 'key.pem'), merchant.privateKey)
writeFileSync(join(dir, 'pub.pem'), merchant.publicKey)

/** openssl's SHA256withRSA signature of `message`, base64. */
function opensslSign(message: string): string {
  writeFileSync(join(dir, 'msg'), message)
  return execFileSync('openssl', ['dgst', '-sha256', '-sign', join(dir, 'key.pem'), join(dir, 'msg')]).toString(
    'base64',
  )
}
function opensslVerifies(message: string, signature: string): boolean {
  writeFileSync(join(dir, 'msg'), message)
  writeFileSync(join(dir, 'sig'), Buffer.from(signature, 'base64'))
  try {
    return (
      execFileSync(
        'openssl',
        ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'msg')],
        { stdio: 'pipe' },
      )
        .toString()
        .trim() === 'Verified OK'
    )
  } catch {
    return false
  }
}

test("the request signature string is the document's five lines, and openssl agrees with both sides of the signature", () => {
  // The document's example: GET /v3/certificates at 1554208460 with nonce 593BEC0C930BF1AFEB40B4A08C8FB242.
  const message = requestMessage('get', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '')
  expect(message).toBe('GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n')
  const ours = signRsa(merchant.privateKey, message)
  expect(opensslVerifies(message, ours)).toBe(true)
  expect(opensslVerifies(`${message} `, ours)).toBe(false)
  const theirs = opensslSign(message)
  expect(theirs).toBe(ours) // PKCS#1 v1.5 is deterministic: the same key and message give the same bytes
  expect(verifyRsa(merchant.publicKey, message, theirs)).toBe(true)
  expect(verifyRsa(other.publicKey, message, theirs)).toBe(false)
})

test("the Authorization header carries the five parts and verifies against the merchant's key", () => {
  const body = JSON.stringify({ appid: 'wxd678efh567hg6787', mchid: '1230000109', out_trade_no: 'kit0001' })
  const header = authorization(
    { mchid: '1230000109', serialNo: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', privateKey: merchant.privateKey },
    'POST',
    '/v3/pay/transactions/jsapi',
    body,
    '1700000000',
    'ABCDEF0123456789',
  )
  const parts = parseAuthorization(header)!
  expect(parts).toMatchObject({
    mchid: '1230000109',
    serial_no: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
    timestamp: '1700000000',
    nonce_str: 'ABCDEF0123456789',
  })
  expect(
    opensslVerifies(
      requestMessage('POST', '/v3/pay/transactions/jsapi', parts.timestamp, parts.nonce_str, body),
      parts.signature,
    ),
  ).toBe(true)
  expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1"')).toBeNull()
  expect(parseAuthorization('Bearer x')).toBeNull()
})

describe('answers and notifications: the signature over timestamp, nonce and body, by serial, within 5 minutes', () => {
  const serial = 'PUB_KEY_ID_0114232134912410000000000000'
  const keys = new Map([[serial, platform.publicKey]])
  const body = '{"id":"EV-2018022511223320873","event_type":"TRANSACTION.SUCCESS"}'
  const now = 1_700_000_000
  const signed = wechatpayHeaders(platform.privateKey, serial, body, String(now), 'nonce-1')
  test('a genuine one passes, whatever the header case', () => {
    expect(verifyWechatpay(signed, body, keys, now + 299)).toEqual({ ok: true, serial })
    expect(
      verifyWechatpay(
        Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v])),
        body,
        keys,
        now,
      ),
    ).toEqual({ ok: true, serial })
  })
  test.each([
    ['a changed body', signed, `${body} `, now, 'BAD_SIGNATURE'],
    ['another key', wechatpayHeaders(other.privateKey, serial, body, String(now), 'n'), body, now, 'BAD_SIGNATURE'],
    ['an unknown serial', { ...signed, 'Wechatpay-Serial': 'PUB_KEY_ID_unknown' }, body, now, 'UNKNOWN_SERIAL'],
    ['a replay 6 minutes later', signed, body, now + 360, 'STALE'],
    [
      "WeChat Pay's SIGNTEST probe",
      { ...signed, 'Wechatpay-Signature': 'WECHATPAY/SIGNTEST/' + signed['Wechatpay-Signature']!.slice(19) },
      body,
      now,
      'BAD_SIGNATURE',
    ],
    ['no headers', {}, body, now, 'MISSING_HEADERS'],
  ])('%s is refused', (_name, headers, b, at, why) => {
    expect(verifyWechatpay(headers, b, keys, at)).toEqual({ ok: false, why })
  })
  test("the message is the document's three lines", () => {
    expect(answerMessage('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', '')).toBe(
      '1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n\n',
    )
  })
})

test('a resource decrypts with the APIv3 key and its associated data; anything else is a DecryptError', () => {
  const key = 'a'.repeat(32)
  const plain = JSON.stringify({ out_trade_no: 'kit0001', trade_state: 'SUCCESS', amount: { total: 100 } })
  const r = encryptResource(plain, key, 'transaction', 'transaction')
  expect(r.nonce).toHaveLength(12)
  expect(decryptResource(r, key)).toBe(plain)
  expect(() => decryptResource(r, 'b'.repeat(32))).toThrow(DecryptError)
  expect(() => decryptResource({ ...r, associated_data: 'refund' }, key)).toThrow(DecryptError)
  const bytes = Buffer.from(r.ciphertext, 'base64')
  bytes[0] = bytes[0]! ^ 1
  expect(() => decryptResource({ ...r, ciphertext: bytes.toString('base64') }, key)).toThrow(/does not authenticate/)
  expect(() => decryptResource({ ...r, algorithm: 'AES_256_CBC' }, key)).toThrow(/Unknown algorithm/)
  expect(() => decryptResource(r, 'short')).toThrow(/32 bytes/)
})

test("wx.requestPayment's paySign is SHA256withRSA over appId, timeStamp, nonceStr and package, as openssl signs it", () => {
  const p = paymentParams(
    'wxd678efh567hg6787',
    'wx201410272009395522657a690389285100',
    merchant.privateKey,
    '1414561699',
    '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
  )
  expect(p).toMatchObject({ package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA' })
  expect(paymentMessage(p)).toBe(
    'wxd678efh567hg6787\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n',
  )
  expect(p.paySign).toBe(opensslSign(paymentMessage(p)))
})
