/**
 * WeChat Pay APIv3's cryptography (issue #28), pure functions over node:crypto: the project's
 * functions sign requests and check answers and notifications with them, and the local cloud's
 * APIv3 sandbox does the other side with the same rules. Documents (pay.weixin.qq.com/docs/merchant/
 * development/interface-rules/):
 * - signature-generation: the request's signature string is five lines, each ending in \n
 *   (`METHOD\nURL-path-and-query\ntimestamp\nnonce\nbody\n`, body '' for a GET), signed
 *   SHA256withRSA (PKCS#1 v1.5) with the merchant's private key, base64; sent as
 *   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
 * - signature-verification: an answer or a notification is checked over
 *   `Wechatpay-Timestamp\nWechatpay-Nonce\nbody\n` with the key `Wechatpay-Serial` names: the WeChat
 *   Pay public key (`PUB_KEY_ID_…`, merchants since 2024-10) or a platform certificate's key.
 *   WeChat Pay sends probes signed `WECHATPAY/SIGNTEST/…` that must fail: they do here, as any
 *   other bad signature.
 * - certificate-callback-decryption: a notification's `resource` is AEAD_AES_256_GCM with the APIv3
 *   key (32 bytes), its `nonce` (12 bytes) and `associated_data`; the base64 `ciphertext` ends with
 *   the 16-byte tag.
 * - JSAPI 调起支付 (wx.requestPayment): `signType: 'RSA'`, paySign = SHA256withRSA over
 *   `appId\ntimeStamp\nnonceStr\npackage\n`.
 * Why node:crypto and not a library (wechatpay-axios-plugin, wechatpay-node-v3): these are four
 * primitives node has built in; a library adds 100-400 KB of dependencies (axios among them) to every
 * pay function bundle, and its own certificate handling is where the October 2024 public-key change
 * broke popular SDKs.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  randomBytes,
  type KeyObject,
} from 'node:crypto'

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048'
/** How far a timestamp may be from now before an answer or notification is refused (5 minutes). */
export const REPLAY_WINDOW_S = 300
const GCM_TAG_BYTES = 16

export type Key = string | KeyObject

/** `METHOD\nURL\ntimestamp\nnonce\nbody\n` (signature-generation). */
export function requestMessage(
  method: string,
  pathAndQuery: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`
}

/** `timestamp\nnonce\nbody\n` (signature-verification; an empty body is an empty line). */
export function answerMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`
}

export function signRsa(privateKey: Key, message: string): string {
  return createSign('RSA-SHA256')
    .update(message, 'utf8')
    .sign(typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey, 'base64')
}

/** False for a wrong signature, a signature that is not base64 of the key's size, or an unusable key. */
export function verifyRsa(publicKey: Key, message: string, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false
  try {
    return createVerify('RSA-SHA256')
      .update(message, 'utf8')
      .verify(typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey, signature, 'base64')
  } catch {
    return false
  }
}

export interface Signer {
  mchid: string
  /** The merchant API certificate's serial number. */
  serialNo: string
  privateKey: Key
}

/** The Authorization header of one request. */
export function authorization(
  signer: Signer,
  method: string,
  pathAndQuery: string,
  body: string,
  timestamp = String(Math.floor(Date.now() / 1000)),
  nonce = randomBytes(16).toString('hex').toUpperCase(),
): string {
  const signature = signRsa(signer.privateKey, requestMessage(method, pathAndQuery, timestamp, nonce, body))
  return `${AUTH_SCHEME} mchid="${signer.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${signer.serialNo}"`
}

/** An Authorization header's parts (the five in any order), or null when it is not one. */
export function parseAuthorization(
  header: string | undefined,
): { mchid: string; nonce_str: string; signature: string; timestamp: string; serial_no: string } | null {
  if (!header || !header.startsWith(`${AUTH_SCHEME} `) || header.length > 2048) return null
  const parts: Record<string, string> = {}
  for (const m of header.slice(AUTH_SCHEME.length + 1).matchAll(/([a-z_]+)="([^"]*)"/g)) parts[m[1]!] = m[2]!
  const { mchid, nonce_str, signature, timestamp, serial_no } = parts
  return mchid && nonce_str && signature && timestamp && serial_no
    ? { mchid, nonce_str, signature, timestamp, serial_no }
    : null
}

export type VerifyFailure = 'MISSING_HEADERS' | 'UNKNOWN_SERIAL' | 'STALE' | 'BAD_SIGNATURE'

/** Header names are case-insensitive (CloudBase's HTTP access gives them lower-cased). */
function header(headers: Record<string, unknown>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase())
  const v = key === undefined ? undefined : headers[key]
  return typeof v === 'string' ? v : undefined
}

/**
 * Checks a WeChat Pay answer or notification: its four Wechatpay-* headers, a key for its serial
 * (`keys`: serial → public key), a timestamp within ±5 minutes of `nowS`, and the signature.
 */
export function verifyWechatpay(
  headers: Record<string, unknown>,
  body: string,
  keys: ReadonlyMap<string, Key>,
  nowS: number,
): { ok: true; serial: string } | { ok: false; why: VerifyFailure } {
  const timestamp = header(headers, 'Wechatpay-Timestamp')
  const nonce = header(headers, 'Wechatpay-Nonce')
  const signature = header(headers, 'Wechatpay-Signature')
  const serial = header(headers, 'Wechatpay-Serial')
  if (!timestamp || !nonce || !signature || !serial || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, why: 'MISSING_HEADERS' }
  const key = keys.get(serial)
  if (!key) return { ok: false, why: 'UNKNOWN_SERIAL' }
  if (Math.abs(nowS - Number(timestamp)) > REPLAY_WINDOW_S) return { ok: false, why: 'STALE' }
  return verifyRsa(key, answerMessage(timestamp, nonce, body), signature)
    ? { ok: true, serial }
    : { ok: false, why: 'BAD_SIGNATURE' }
}

/** The headers WeChat Pay signs an answer or notification with (the sandbox's side). */
export function wechatpayHeaders(
  key: Key,
  serial: string,
  body: string,
  timestamp = String(Math.floor(Date.now() / 1000)),
  nonce = randomBytes(16).toString('hex'),
): Record<string, string> {
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature': signRsa(key, answerMessage(timestamp, nonce, body)),
  }
}

export interface EncryptedResource {
  algorithm: string
  ciphertext: string
  associated_data?: string
  nonce: string
  original_type?: string
}

export class DecryptError extends Error {
  override name = 'DecryptError'
}

/** The APIv3 key as AES-256 wants it: its 32 characters as bytes. */
function aesKey(apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, 'utf8')
  if (key.length !== 32)
    throw new DecryptError('The APIv3 key must be 32 bytes (商户平台 → 账户中心 → API安全 → APIv3密钥).')
  return key
}

/** A notification's resource, decrypted (AEAD_AES_256_GCM); a DecryptError for anything that does not authenticate. */
export function decryptResource(r: EncryptedResource, apiV3Key: string): string {
  if (r.algorithm !== 'AEAD_AES_256_GCM')
    throw new DecryptError(`Unknown algorithm ${String(r.algorithm).slice(0, 32)}.`)
  const data = Buffer.from(r.ciphertext, 'base64')
  if (data.length <= GCM_TAG_BYTES) throw new DecryptError('The ciphertext is shorter than its tag.')
  const nonce = Buffer.from(r.nonce, 'utf8')
  if (nonce.length !== 12) throw new DecryptError('The nonce must be 12 bytes.')
  try {
    const d = createDecipheriv('aes-256-gcm', aesKey(apiV3Key), nonce)
    d.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES))
    d.setAAD(Buffer.from(r.associated_data ?? '', 'utf8'))
    return Buffer.concat([d.update(data.subarray(0, data.length - GCM_TAG_BYTES)), d.final()]).toString('utf8')
  } catch (e) {
    if (e instanceof DecryptError) throw e
    throw new DecryptError(
      'The resource does not authenticate with the APIv3 key (a wrong key, or a changed ciphertext, nonce or associated data).',
    )
  }
}

/** Encrypts a resource as WeChat Pay does (the sandbox's side). */
export function encryptResource(
  plaintext: string,
  apiV3Key: string,
  associatedData: string,
  originalType: string,
  nonce = randomBytes(6).toString('hex'),
): EncryptedResource {
  const c = createCipheriv('aes-256-gcm', aesKey(apiV3Key), Buffer.from(nonce, 'utf8'))
  c.setAAD(Buffer.from(associatedData, 'utf8'))
  const data = Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()])
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: data.toString('base64'),
    associated_data: associatedData,
    nonce,
    original_type: originalType,
  }
}

export interface PaymentParams {
  appId: string
  timeStamp: string
  nonceStr: string
  package: string
  signType: 'RSA'
  paySign: string
}

/** `appId\ntimeStamp\nnonceStr\npackage\n` (JSAPI 调起支付). */
export function paymentMessage(p: Pick<PaymentParams, 'appId' | 'timeStamp' | 'nonceStr' | 'package'>): string {
  return `${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`
}

/** wx.requestPayment's parameters for a prepay id, signed with the merchant key. */
export function paymentParams(
  appId: string,
  prepayId: string,
  privateKey: Key,
  timeStamp = String(Math.floor(Date.now() / 1000)),
  nonceStr = randomBytes(16).toString('hex'),
): PaymentParams {
  const base = { appId, timeStamp, nonceStr, package: `prepay_id=${prepayId}` }
  return { ...base, signType: 'RSA', paySign: signRsa(privateKey, paymentMessage(base)) }
}

/**
 * A certificate serial as hex for comparison: node's X509Certificate.serialNumber drops leading
 * zeros (it prints the number), while WeChat Pay and the merchant platform write all 40 digits.
 */
export function sameSerial(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .toUpperCase()
      .replace(/^0+(?=.)/, '')
  return norm(a) === norm(b)
}
