/**
 * Cloud function `customerServiceHttp`: message push in URL mode (开发管理 → 开发设置 → 消息推送,
 * URL = this function's HTTP access path, with Token, EncodingAESKey and the mode chosen there).
 * Checks signatures, decrypts compatible/safe bodies (server/customerService/urlmode.ts) and
 * hands the message to the same handler as the cloud console's push. Replies go out through
 * customerServiceMessage.send; the HTTP answer to a genuine message is always 200 'success' (any
 * other answer is abnormal data for WeChat, which then tells the user the service is unavailable).
 */
import { csConfig, pushUrlConfig } from '../../../server/customerService/config'
import { handleInbound, parseInbound } from '../../../server/customerService/handle'
import { PUSH_ANSWER } from '../../../server/customerService/push-answer'
import { text, type HttpResponse } from '../../../server/customerService/urlmode'
import { receivePush } from '../../../server/customerService/httpPush'
import { doctorAnswer } from '../../../server/doctor'
import { recordInbound } from '../../../server/recording'

const log = (o: Record<string, unknown>) => console.log(JSON.stringify({ fn: 'customerServiceHttp', ...o }))

export async function main(event: unknown): Promise<HttpResponse> {
  // npm run doctor's probe, from an administrator's invocation only (server/doctor.ts).
  const probe = doctorAnswer(event, __dirname)
  if (probe) return probe as never
  const conf = pushUrlConfig(process.env)
  if (!conf.ok) {
    log({ error: 'not configured', detail: conf.message })
    return text(500, 'message push is not configured')
  }
  const got = await receivePush(event, conf.cfg, log)
  if ('respond' in got) return got.respond
  // RECORD_WECHAT=1: the verified (decrypted) message, as the push kind it is, for npm run recordings:pull.
  await recordInbound('push', got.event)
  const parsed = parseInbound(got.event)
  if (!parsed.ok) {
    log({ ignored: parsed.reason, format: got.format })
    return text(200, PUSH_ANSWER)
  }
  await handleInbound(parsed.msg, csConfig(process.env), 'url')
  return text(200, PUSH_ANSWER)
}
