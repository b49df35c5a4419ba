/**
 * Cloud function `customerServiceHttp`: message push in URL mode (开发管理 → 开发设置 → 消息推送,
 * URL = this function's HTTP access path, with Token, EncodingAESKey and the mode chosen there).
 * Checks signatures, decrypts compatible/safe bodies (server/customerService/urlmode.ts) and
 * hands the message to the same handler as the cloud console's push. Replies go out through
 * customerServiceMessage.send; the HTTP answer to a genuine message is always 200 'success' (any
 * other answer is abnormal data for WeChat, which then tells the user the service is unavailable).
 */
import { csConfig, pushUrlConfig } from '../../../server/customerService/config'
import { handleInbound, parseInbound, PUSH_ANSWER } from '../../../server/customerService/handle'
import { readRequest, text, TIMESTAMP_WINDOW_S, type HttpRequest, type HttpResponse } from '../../../server/customerService/urlmode'
import { firstUseOfNonce } from '../../../server/customerService/store'
import { scalar } from '../../../server/input'

const log = (o: Record<string, unknown>) => console.log(JSON.stringify({ fn: 'customerServiceHttp', ...o }))

export async function main(event: unknown): Promise<HttpResponse> {
  const conf = pushUrlConfig(process.env)
  if (!conf.ok) {
    log({ error: 'not configured', detail: conf.message })
    return text(500, 'message push is not configured')
  }
  const req = (typeof event === 'object' && event !== null ? event : {}) as HttpRequest
  const out = readRequest(req, conf.cfg)
  if (out.kind === 'reject') {
    log({ rejected: out.code, detail: out.detail.slice(0, 200), method: scalar(req.httpMethod, 10), path: scalar(req.path, 100) })
    return text(out.status, out.code)
  }
  if (out.kind === 'echo') return text(200, out.echostr)
  // A captured request sent again (same timestamp and nonce) is answered and not handled.
  if (!(await firstUseOfNonce(out.timestamp, out.nonce, Date.now(), TIMESTAMP_WINDOW_S * 1000))) {
    log({ rejected: 'REPLAYED', timestamp: out.timestamp, nonce: out.nonce.slice(0, 40) })
    return text(200, PUSH_ANSWER)
  }
  const parsed = parseInbound(out.event)
  if (!parsed.ok) {
    log({ ignored: parsed.reason, format: out.format })
    return text(200, PUSH_ANSWER)
  }
  await handleInbound(parsed.msg, csConfig(process.env), 'url')
  return text(200, PUSH_ANSWER)
}
