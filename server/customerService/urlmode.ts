/**
 * URL mode (the developer-server way of message push), on CloudBase's HTTP access:
 * the function gets CloudBase's integration request (path, httpMethod, headers,
 * queryStringParameters, body, isBase64Encoded — docs.cloudbase.net/service/access-cloud-function)
 * and answers an integration response.
 *
 * - GET  ?signature&timestamp&nonce&echostr: the URL check; answer echostr when
 *   signature = sha1(sort(token, timestamp, nonce)).
 * - POST plain: the same signature; the body is the message (XML or JSON).
 * - POST compatible / safe (`encrypt_type=aes`): the body carries `Encrypt` (compatible mode
 *   also the plain fields, which are ignored); msg_signature = sha1(sort(token, timestamp,
 *   nonce, Encrypt)); the decrypted message is XML or JSON like the body; its appid must be ours.
 * Message format document: https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html
 *
 * Anything that fails a check is rejected with a status and one log line, and handled no further.
 * Checks, cheapest and most telling first: the request's shape (strings only) and body size; the
 * timestamp within ±5 minutes of now; the `signature` over token, timestamp and nonce (WeChat
 * sends it in every mode) BEFORE the body is parsed; in compatible and safe mode the encrypted part
 * is required (only plain mode takes a plain body), and msg_signature covers it. The caller then
 * remembers timestamp + nonce for the window (the database, shared by every instance), so a
 * captured request cannot be replayed. DTDs are refused in the prolog; parse errors are 400s.
 */
import { parsePushXml } from './xml'
import type { PushUrlConfig } from './config'
import { PushCryptoError, aesKey, decryptMessage, sameSignature, sha1Signature } from './wxcrypt'

export interface HttpRequest {
  path?: string
  httpMethod?: string
  headers?: Record<string, string | undefined>
  queryStringParameters?: Record<string, string | undefined> | null
  body?: string | null
  isBase64Encoded?: boolean | string
}

export interface HttpResponse {
  statusCode: number
  headers: Record<string, string>
  body: string
  isBase64Encoded: false
}

export type RejectCode =
  'BAD_SIGNATURE' | 'STALE' | 'TOO_LARGE' | 'MALFORMED' | 'NOT_ENCRYPTED' | 'METHOD' | PushCryptoError['code']

/** How far a request's timestamp may be from now (seconds), and how long nonces are remembered. */
export const TIMESTAMP_WINDOW_S = 300
/** WeChat's pushes are a few KB; nothing bigger is read. */
export const MAX_BODY_BYTES = 64 * 1024

export type UrlOutcome =
  | { kind: 'echo'; echostr: string }
  | {
      kind: 'message'
      event: Record<string, unknown>
      format: 'xml' | 'json'
      encrypted: boolean
      timestamp: string
      nonce: string
    }
  | { kind: 'reject'; status: number; code: RejectCode; detail: string }

export function text(statusCode: number, body: string): HttpResponse {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body, isBase64Encoded: false }
}

const STATUS: Record<RejectCode, number> = {
  BAD_SIGNATURE: 401,
  STALE: 401,
  TOO_LARGE: 413,
  METHOD: 405,
  MALFORMED: 400,
  NOT_ENCRYPTED: 400,
  BAD_KEY: 500,
  BAD_CIPHERTEXT: 400,
  BAD_PADDING: 400,
  BAD_LENGTH: 400,
  APPID_MISMATCH: 403,
}

const reject = (code: RejectCode, detail: string): UrlOutcome => ({
  kind: 'reject',
  status: STATUS[code],
  code,
  detail,
})

// Values stay strings (MsgId is a 64-bit integer); entities inside CDATA are left alone.
/** The `<xml>` root's children, or null when the text is not well-formed or carries a DTD (./xml.ts). */
export function parseXml(body: string): Record<string, unknown> | null {
  return parsePushXml(body)
}

/** JSON, with MsgId kept exact: a 64-bit integer does not survive JSON.parse as a number. */
export function parseJson(body: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(body.replace(/("MsgId"\s*:\s*)(\d+)/g, '$1"$2"')) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

function formatOf(body: string, contentType: string | undefined): 'xml' | 'json' {
  if (/json/i.test(contentType ?? '')) return 'json'
  if (/xml/i.test(contentType ?? '')) return 'xml'
  return body.trimStart().startsWith('{') ? 'json' : 'xml'
}

const header = (h: HttpRequest['headers'], name: string) =>
  Object.entries(h ?? {}).find(([k]) => k.toLowerCase() === name)?.[1]

/** A query or header value as WeChat sends it: a string, else ''. */
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** XML gives every value as a string; the handler's schema turns CreateTime into a number. */
export function readRequest(req: HttpRequest, cfg: PushUrlConfig, now = Date.now()): UrlOutcome {
  if (typeof req !== 'object' || req === null) return reject('MALFORMED', 'not an HTTP request')
  const rawQ = req.queryStringParameters
  const q = (rawQ && typeof rawQ === 'object' ? rawQ : {}) as Record<string, unknown>
  if (req.httpMethod !== undefined && typeof req.httpMethod !== 'string')
    return reject('MALFORMED', 'httpMethod is not a string')
  const method = (req.httpMethod ?? 'GET').toUpperCase()
  const timestamp = str(q.timestamp)
  const nonce = str(q.nonce)
  const plainSigOk = sameSignature(sha1Signature([cfg.token, timestamp, nonce]), str(q.signature))
  if (method === 'GET') {
    if (!plainSigOk) return reject('BAD_SIGNATURE', 'URL check: signature does not match the token')
    return { kind: 'echo', echostr: str(q.echostr).slice(0, 128) }
  }
  if (method !== 'POST') return reject('METHOD', `method ${method.slice(0, 10)}`)
  if (req.body !== undefined && req.body !== null && typeof req.body !== 'string')
    return reject('MALFORMED', 'body is not a string')
  const raw = req.body ?? ''
  if (raw.length > MAX_BODY_BYTES * 2) return reject('TOO_LARGE', `body of ${raw.length} characters`)
  // Signed, and signed recently, before anything reads the body.
  if (!plainSigOk) return reject('BAD_SIGNATURE', 'signature does not match the token')
  const ts = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN
  if (!Number.isFinite(ts) || Math.abs(now / 1000 - ts) > TIMESTAMP_WINDOW_S)
    return reject('STALE', `timestamp ${timestamp.slice(0, 12)} is not within ${TIMESTAMP_WINDOW_S} s of now`)

  const body =
    req.isBase64Encoded === true || req.isBase64Encoded === 'true' ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) return reject('TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`)
  const format = formatOf(body, str(header(req.headers, 'content-type')))
  const outer = format === 'xml' ? parseXml(body) : parseJson(body)
  if (!outer) return reject('MALFORMED', `the body is not a well-formed ${format.toUpperCase()} message`)

  if (q.encrypt_type !== 'aes') {
    // Only plain mode takes a plain body: in compatible mode the plain fields sit beside the
    // encrypted ones, and only the encrypted part is covered by a signature over the content.
    if (cfg.mode !== 'plain')
      return reject('NOT_ENCRYPTED', `${cfg.mode} mode is configured but the body is not encrypted`)
    return { kind: 'message', event: outer, format, encrypted: false, timestamp, nonce }
  }
  const encrypt = outer.Encrypt
  if (typeof encrypt !== 'string' || !encrypt)
    return reject('MALFORMED', 'encrypt_type=aes but the body has no Encrypt')
  if (!sameSignature(sha1Signature([cfg.token, timestamp, nonce, encrypt]), str(q.msg_signature))) {
    return reject('BAD_SIGNATURE', 'msg_signature does not match the token and Encrypt')
  }
  if (!cfg.encodingAesKey || !cfg.appid)
    return reject('BAD_KEY', 'an encrypted body arrived but CS_PUSH_AES_KEY / CS_PUSH_APPID are not set')
  let inner: string
  try {
    inner = decryptMessage(encrypt, aesKey(cfg.encodingAesKey), cfg.appid).message
  } catch (e) {
    if (e instanceof PushCryptoError) return reject(e.code, e.message)
    return reject('BAD_CIPHERTEXT', e instanceof Error ? e.message : String(e))
  }
  const event = format === 'xml' ? parseXml(inner) : parseJson(inner)
  if (!event) return reject('MALFORMED', `the decrypted message is not well-formed ${format.toUpperCase()}`)
  return { kind: 'message', event, format, encrypted: true, timestamp, nonce }
}
