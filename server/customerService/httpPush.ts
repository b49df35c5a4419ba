/**
 * The front of an HTTP-accessed function that receives URL-mode pushes (customerServiceHttp for
 * the mini-program's customer service, cardEvents for the official account's card events): the
 * request checked (urlmode.ts readRequest), the URL check echoed, a replay (the same timestamp and
 * nonce again) answered without handling, and otherwise the pushed message handed on.
 */
import type { PushUrlConfig } from './config'
import { firstUseOfNonce } from './store'
import { readRequest, text, TIMESTAMP_WINDOW_S, type HttpRequest, type HttpResponse } from './urlmode'
import { scalar } from '../input'
import { PUSH_ANSWER } from './push-answer'

export type Received = { respond: HttpResponse } | { event: Record<string, unknown>; format: 'xml' | 'json' }

export async function receivePush(
  event: unknown,
  cfg: PushUrlConfig,
  log: (o: Record<string, unknown>) => void,
): Promise<Received> {
  const req = (typeof event === 'object' && event !== null ? event : {}) as HttpRequest
  const out = readRequest(req, cfg)
  if (out.kind === 'reject') {
    log({
      rejected: out.code,
      detail: out.detail.slice(0, 200),
      method: scalar(req.httpMethod, 10),
      path: scalar(req.path, 100),
    })
    return { respond: text(out.status, out.code) }
  }
  if (out.kind === 'echo') return { respond: text(200, out.echostr) }
  // A captured request sent again (same timestamp and nonce) is answered and not handled.
  if (!(await firstUseOfNonce(out.timestamp, out.nonce, Date.now(), TIMESTAMP_WINDOW_S * 1000))) {
    log({ rejected: 'REPLAYED', timestamp: out.timestamp, nonce: out.nonce.slice(0, 40) })
    return { respond: text(200, PUSH_ANSWER) }
  }
  return { event: out.event, format: out.format }
}
