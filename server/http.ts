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

export interface RawRequest {
  method: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string | Buffer
  timeoutMs?: number
  /** Bytes of answer believed at most (MAX_ANSWER_BYTES unless given). */
  limit?: number
  /** How the request is named in errors (the redacted URL unless given). */
  label?: string
}

export interface RawAnswer {
  status: number
  headers: Record<string, unknown>
  text: string
}

/** One bounded request: the answer's status, headers and text, or HttpError TIMEOUT / NETWORK / TOO_LARGE. */
export function httpsRaw(url: string, opts: RawRequest): Promise<RawAnswer> {
  const { method } = opts
  const shown = opts.label ?? redact(url)
  const limit = opts.limit ?? MAX_ANSWER_BYTES
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false
    const done = (f: () => void) => {
      if (!settled) {
        settled = true
        f()
      }
    }
    const req = request(url, { method, headers: opts.headers ?? {}, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > limit) {
          done(() => reject(new HttpError('TOO_LARGE', `${method} ${shown}: answer over ${limit} bytes`)))
          req.destroy()
        } else chunks.push(c)
      })
      res.on('error', (e: Error) =>
        done(() => reject(new HttpError('NETWORK', `${method} ${shown}: ${redact(e.message)}`))),
      )
      res.on('end', () =>
        done(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: (res.headers ?? {}) as Record<string, unknown>,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        ),
      )
    })
    req.on('timeout', () => {
      done(() => reject(new HttpError('TIMEOUT', `${method} ${shown}: no answer in ${timeoutMs} ms`)))
      req.destroy()
    })
    req.on('error', (e: Error) =>
      done(() => reject(new HttpError('NETWORK', `${method} ${shown}: ${redact(e.message)}`))),
    )
    req.end(opts.body || undefined)
  })
}

/** Sends a request and parses the JSON answer (any 2xx); throws HttpError otherwise. */
export async function httpsJson<T>(url: string, opts: JsonRequest = {}): Promise<T> {
  const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST')
  const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body))
  const shown = redact(url)
  const a = await httpsRaw(url, {
    method,
    headers: body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {},
    ...(body ? { body } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  })
  if (a.status < 200 || a.status >= 300)
    throw new HttpError('BAD_STATUS', `${method} ${shown}: HTTP ${a.status}`, a.status)
  try {
    return JSON.parse(a.text) as T
  } catch {
    throw new HttpError('BAD_JSON', `${method} ${shown}: the answer is not JSON`, a.status)
  }
}
