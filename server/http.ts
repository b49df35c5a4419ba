/**
 * The one client for outbound HTTPS (the official account's APIs at api.weixin.qq.com, which
 * CloudBase's cloud.openapi does not cover): JSON in and out, a timeout, typed errors, and no
 * secret in anything it logs or throws (`secret`, `access_token`, `ticket` are masked).
 * On node:https, which every CloudBase runtime has (Node 16 has no fetch).
 */
import { request } from 'node:https'

export type HttpErrorCode = 'TIMEOUT' | 'NETWORK' | 'BAD_STATUS' | 'BAD_JSON' | 'TOO_LARGE'

export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

/** Query parameters whose values never appear in a log line or an error. */
const SECRET_PARAMS = /([?&](?:secret|access_token|ticket|appsecret)=)[^&#]*/gi

export function redact(url: string): string {
  return url.replace(SECRET_PARAMS, '$1***')
}

/** WeChat answers a few KB; more is not an answer. */
export const MAX_ANSWER_BYTES = 256 * 1024
export const DEFAULT_TIMEOUT_MS = 3000

export interface JsonRequest {
  method?: 'GET' | 'POST'
  body?: unknown
  timeoutMs?: number
}

/** Sends a request and parses the JSON answer (any 2xx); throws HttpError otherwise. */
export function httpsJson<T>(url: string, opts: JsonRequest = {}): Promise<T> {
  const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST')
  const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body))
  const shown = redact(url)
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const done = (f: () => void) => {
      if (!settled) {
        settled = true
        f()
      }
    }
    const req = request(url, { method, headers: body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_ANSWER_BYTES) {
          done(() => reject(new HttpError('TOO_LARGE', `${method} ${shown}: answer over ${MAX_ANSWER_BYTES} bytes`)))
          req.destroy()
        } else chunks.push(c)
      })
      res.on('error', (e: Error) => done(() => reject(new HttpError('NETWORK', `${method} ${shown}: ${redact(e.message)}`))))
      res.on('end', () =>
        done(() => {
          const status = res.statusCode ?? 0
          if (status < 200 || status >= 300) return reject(new HttpError('BAD_STATUS', `${method} ${shown}: HTTP ${status}`, status))
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T)
          } catch {
            reject(new HttpError('BAD_JSON', `${method} ${shown}: the answer is not JSON`, status))
          }
        }),
      )
    })
    req.on('timeout', () => {
      done(() => reject(new HttpError('TIMEOUT', `${method} ${shown}: no answer in ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)))
      req.destroy()
    })
    req.on('error', (e: Error) => done(() => reject(new HttpError('NETWORK', `${method} ${shown}: ${redact(e.message)}`))))
    req.end(body)
  })
}
