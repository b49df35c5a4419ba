/**
 * CloudBase HTTP access (docs.cloudbase.net/service/access-cloud-function), as the local cloud
 * gives it to a function: the integration request it receives as its event, and how its answer
 * becomes the HTTP response (a string is a 200 text/plain body, an object with statusCode is an
 * integration response, any other object is JSON).
 */
import { randomBytes } from 'node:crypto'

export interface HttpAccessRequest {
  method: string
  path?: string
  query?: Record<string, string>
  headers?: Record<string, string>
  body?: string
}

export interface HttpAccessAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** The integration request a function gets for `req` in environment `env`. */
export function httpAccessEvent(env: string, req: HttpAccessRequest): Record<string, unknown> {
  const event = {
    path: req.path ?? '/',
    httpMethod: req.method.toUpperCase(),
    headers: { host: `${env}.service.tcloudbase.com`, ...(req.headers ?? {}) },
    queryStringParameters: req.query ?? {},
    requestContext: { requestId: randomBytes(16).toString('hex'), envId: env, appId: 123456789, uin: 123456789 },
    isBase64Encoded: false,
    body: req.body ?? '',
  }
  return event
}

/** The HTTP response for what the function returned. */
export function httpAccessAnswer(out: unknown): HttpAccessAnswer {
  if (typeof out === 'string' || typeof out === 'number')
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: String(out) }
  const r = (out ?? {}) as {
    statusCode?: number
    headers?: Record<string, string>
    body?: unknown
    isBase64Encoded?: boolean
  }
  if (typeof r.statusCode === 'number') {
    const body =
      typeof r.body === 'string'
        ? r.isBase64Encoded
          ? Buffer.from(r.body, 'base64').toString('utf8')
          : r.body
        : JSON.stringify(r.body ?? '')
    return { status: r.statusCode, headers: r.headers ?? {}, body }
  }
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(out) }
}
