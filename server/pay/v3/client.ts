/**
 * One request to WeChat Pay APIv3 (https://api.mch.weixin.qq.com), signed with the merchant key,
 * its answer believed only after its signature checks out (server/pay/v3/crypto.ts): an answer
 * that is not WeChat Pay's, or too old, is an error, never data. On node:https (Node 16 on CloudBase
 * has no fetch). Transport failures and unverifiable answers throw V3Error: the caller does not know
 * what WeChat Pay did, and asks again (the same out_trade_no / out_refund_no is idempotent there).
 * Two ways to know WeChat Pay's key (V3Config.verify):
 * - public-key mode (merchants since 2024-10): Wechatpay-Serial is the public key's id;
 * - certificate mode (older merchants): platform certificates from GET /v3/certificates, each
 *   encrypted with the APIv3 key (associated_data 'certificate'); that answer is itself verified
 *   with a certificate it carries. A serial not yet known (WeChat Pay rotated its certificate) makes
 *   one download again; expired certificates are dropped (wechatpay-certificates.html).
 */
import { X509Certificate, type KeyObject } from 'node:crypto'
import * as v from 'valibot'
import { UncertainCallError } from '../../errors'
import { HttpError, httpsRaw, type RawAnswer } from '../../http'
import { authorization, decryptResource, sameSerial, verifyWechatpay } from './crypto'
import type { V3Config } from './config'

export const V3_HOST = 'https://api.mch.weixin.qq.com'
const TIMEOUT_MS = 5000
const MAX_ANSWER_BYTES = 64 * 1024
/** A day's bill: 10k lines of ~300 bytes. */
const MAX_BILL_BYTES = 4 * 1024 * 1024

export class V3Error extends UncertainCallError {
  constructor(
    readonly code: 'TIMEOUT' | 'NETWORK' | 'UNVERIFIED' | 'BAD_JSON' | 'TOO_LARGE',
    message: string,
  ) {
    super(message)
    this.name = 'V3Error'
  }
}

export interface V3Answer {
  status: number
  /** The parsed body ({} for 204 and for a raw download). */
  json: Record<string, unknown>
  /** The body as text. */
  text: string
}

async function send(
  cfg: V3Config,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  body: string,
  nowS: () => number,
  limit: number,
): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'User-Agent': 'wechat-cloudbase-kit',
    Authorization: authorization(
      { mchid: cfg.mchid, serialNo: cfg.serialNo, privateKey: cfg.privateKey },
      method,
      pathAndQuery,
      body,
      String(nowS()),
    ),
    ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
  }
  try {
    return await httpsRaw(`${V3_HOST}${pathAndQuery}`, {
      method,
      headers,
      body,
      timeoutMs: TIMEOUT_MS,
      limit,
      label: pathAndQuery,
    })
  } catch (e) {
    // The transport's failures, as this client's (uncertain: the request may have reached WeChat Pay).
    if (e instanceof HttpError && (e.code === 'TIMEOUT' || e.code === 'NETWORK' || e.code === 'TOO_LARGE'))
      throw new V3Error(e.code, e.message)
    throw e
  }
}

const serialOf = (headers: Record<string, unknown>) => {
  const k = Object.keys(headers).find((h) => h.toLowerCase() === 'wechatpay-serial')
  const s = k === undefined ? undefined : headers[k]
  return typeof s === 'string' ? s : ''
}

/**
 * `raw`: a bill download, which WeChat Pay does not sign (download-bill.html: skip verification and
 * compare the SHA-1 given with the download URL instead); its 2xx body is returned as text.
 */
export async function v3Request(
  cfg: V3Config,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  body?: unknown,
  nowS = () => Math.floor(Date.now() / 1000),
  raw = false,
): Promise<V3Answer> {
  const a = await send(
    cfg,
    method,
    pathAndQuery,
    body === undefined ? '' : JSON.stringify(body),
    nowS,
    raw ? MAX_BILL_BYTES : MAX_ANSWER_BYTES,
  )
  if (raw && a.status >= 200 && a.status < 300) return { status: a.status, json: {}, text: a.text }
  await ensureWechatpayKey(cfg, serialOf(a.headers), nowS)
  const checked = verifyWechatpay(a.headers, a.text, cfg.wechatpayKeys, nowS())
  if (!checked.ok)
    throw new V3Error(
      'UNVERIFIED',
      `${method} ${pathAndQuery}: HTTP ${a.status} whose signature does not check out (${checked.why}); not believed`,
    )
  if (!a.text) return { status: a.status, json: {}, text: a.text }
  try {
    const json = JSON.parse(a.text) as unknown
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object')
    return { status: a.status, json: json as Record<string, unknown>, text: a.text }
  } catch {
    throw new V3Error('BAD_JSON', `${method} ${pathAndQuery}: HTTP ${a.status}, the answer is not a JSON object`)
  }
}

const Certificates = v.object({
  data: v.array(
    v.object({
      serial_no: v.string(),
      expire_time: v.string(),
      encrypt_certificate: v.object({
        algorithm: v.string(),
        nonce: v.string(),
        associated_data: v.optional(v.string()),
        ciphertext: v.string(),
      }),
    }),
  ),
})
/** Certificates per merchant, shared by the calls of one function instance. */
const certificateCache = new Map<string, Map<string, KeyObject>>()

/** Certificate mode: the key for `serial`, downloading WeChat Pay's certificates once when it is not known yet. */
export async function ensureWechatpayKey(
  cfg: V3Config,
  serial: string,
  nowS = () => Math.floor(Date.now() / 1000),
): Promise<void> {
  if (cfg.verify !== 'certificate' || !serial || cfg.wechatpayKeys.has(serial)) return
  const cached = certificateCache.get(cfg.mchid)
  if (cached?.has(serial)) {
    for (const [s, k] of cached) cfg.wechatpayKeys.set(s, k)
    return
  }
  const a = await send(cfg, 'GET', '/v3/certificates', '', nowS, MAX_ANSWER_BYTES)
  let parsed: v.InferOutput<typeof Certificates>
  try {
    const r = v.safeParse(Certificates, JSON.parse(a.text))
    if (a.status !== 200 || !r.success) throw new Error('shape')
    parsed = r.output
  } catch {
    const code = /"code"\s*:\s*"([A-Z_]{1,40})"/.exec(a.text)?.[1]
    throw new V3Error(
      'UNVERIFIED',
      `GET /v3/certificates: HTTP ${a.status}${code ? ` ${code}` : ' in a shape its document does not give'}; WeChat Pay's key for ${serial.slice(0, 40)} is unknown`,
    )
  }
  const found = new Map<string, KeyObject>()
  for (const c of parsed.data) {
    try {
      const cert = new X509Certificate(
        decryptResource(
          { ...c.encrypt_certificate, associated_data: c.encrypt_certificate.associated_data ?? '' },
          cfg.apiV3Key,
        ),
      )
      if (!sameSerial(cert.serialNumber, c.serial_no) || Date.parse(cert.validTo) < nowS() * 1000) continue
      found.set(c.serial_no, cert.publicKey)
    } catch {
      // A certificate that does not decrypt with this APIv3 key, or is not X.509: not WeChat Pay's for this merchant.
    }
  }
  // The download itself is believed only if one of the certificates it carries signed it.
  if (!verifyWechatpay(a.headers, a.text, found, nowS()).ok)
    throw new V3Error('UNVERIFIED', 'GET /v3/certificates: not signed by a certificate it carries; not believed')
  certificateCache.set(cfg.mchid, found)
  for (const [s, k] of found) cfg.wechatpayKeys.set(s, k)
}
