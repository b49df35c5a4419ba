/**
 * One request to WeChat Pay APIv3 (https://api.mch.weixin.qq.com), signed with the merchant key,
 * its answer believed only after its signature checks out (server/pay/v3/crypto.ts): an answer
 * that is not WeChat Pay's, or too old, is an error, never data. On node:https (Node 16 on CloudBase
 * has no fetch). Transport failures and unverifiable answers throw V3Error: the caller does not know
 * what WeChat Pay did, and asks again (the same out_trade_no / out_refund_no is idempotent there).
 */
import { request } from 'node:https'
import { UncertainCallError } from '../../errors'
import { authorization, verifyWechatpay } from './crypto'
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

/**
 * `raw`: a bill download, which WeChat Pay does not sign (download-bill.html: skip verification and
 * compare the SHA-1 given with the download URL instead); its 2xx body is returned as text.
 */
export function v3Request(cfg: V3Config, method: 'GET' | 'POST', pathAndQuery: string, body?: unknown, nowS = () => Math.floor(Date.now() / 1000), raw = false): Promise<V3Answer> {
  const text = body === undefined ? '' : JSON.stringify(body)
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'User-Agent': 'wechat-cloudbase-kit',
    Authorization: authorization({ mchid: cfg.mchid, serialNo: cfg.serialNo, privateKey: cfg.privateKey }, method, pathAndQuery, text, String(nowS())),
    ...(text ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) } : {}),
  }
  return new Promise<V3Answer>((resolve, reject) => {
    let settled = false
    const done = (f: () => void) => {
      if (!settled) {
        settled = true
        f()
      }
    }
    const req = request(`${V3_HOST}${pathAndQuery}`, { method, headers, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > (raw ? MAX_BILL_BYTES : MAX_ANSWER_BYTES)) {
          done(() => reject(new V3Error('TOO_LARGE', `${method} ${pathAndQuery}: answer over ${raw ? MAX_BILL_BYTES : MAX_ANSWER_BYTES} bytes`)))
          req.destroy()
        } else chunks.push(c)
      })
      res.on('error', (e: Error) => done(() => reject(new V3Error('NETWORK', `${method} ${pathAndQuery}: ${e.message}`))))
      res.on('end', () =>
        done(() => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          if (raw && status >= 200 && status < 300) return resolve({ status, json: {}, text })
          const checked = verifyWechatpay((res.headers ?? {}) as Record<string, unknown>, text, cfg.wechatpayKeys, nowS())
          if (!checked.ok) return reject(new V3Error('UNVERIFIED', `${method} ${pathAndQuery}: HTTP ${status} whose signature does not check out (${checked.why}); not believed`))
          if (!text) return resolve({ status, json: {}, text })
          try {
            const json = JSON.parse(text) as unknown
            if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object')
            resolve({ status, json: json as Record<string, unknown>, text })
          } catch {
            reject(new V3Error('BAD_JSON', `${method} ${pathAndQuery}: HTTP ${res.statusCode ?? 0}, the answer is not a JSON object`))
          }
        }),
      )
    })
    req.on('timeout', () => {
      done(() => reject(new V3Error('TIMEOUT', `${method} ${pathAndQuery}: no answer in ${TIMEOUT_MS} ms`)))
      req.destroy()
    })
    req.on('error', (e: Error) => done(() => reject(new V3Error('NETWORK', `${method} ${pathAndQuery}: ${e.message}`))))
    req.end(text || undefined)
  })
}
