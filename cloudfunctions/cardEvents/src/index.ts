/**
 * Cloud function `cardEvents`: the official account's card events (server/card/events.ts), on
 * CloudBase's HTTP access. Point the official account's server settings (公众号 → 设置与开发 →
 * 基本配置 → 服务器配置) at this function's HTTP path, with the Token (OA_PUSH_TOKEN), the
 * EncodingAESKey (OA_PUSH_AES_KEY) and the mode (OA_PUSH_MODE). The request is checked as
 * message push in URL mode is (signature, timestamp window, safe-mode decryption, a nonce used
 * once: server/customerService/urlmode.ts, the same machinery), then the event keeps user_cards
 * true. A genuine push is answered 200 'success' (an official account accepts 'success' or an
 * empty body; anything else makes WeChat retry, then warn the account's administrator).
 */
import { applyCardEvent, oaPushConfig, parseCardEvent } from '../../../server/card/events'
import { text, type HttpResponse } from '../../../server/customerService/urlmode'
import { receivePush } from '../../../server/customerService/httpPush'
import { PUSH_ANSWER as SUCCESS } from '../../../server/customerService/push-answer'
import { errText } from '../../../server/errors'
import { doctorAnswer } from '../../../server/doctor'
import { recordInbound } from '../../../server/recording'
const log = (o: Record<string, unknown>) => console.log(JSON.stringify({ fn: 'cardEvents', ...o }))

export async function main(event: unknown): Promise<HttpResponse> {
  // npm run doctor's probe, from an administrator's invocation only (server/doctor.ts).
  const probe = doctorAnswer(event, __dirname)
  if (probe) return probe as never
  const conf = oaPushConfig(process.env)
  if (!conf.ok) {
    log({ error: 'not configured', detail: conf.message })
    return text(500, 'card events are not configured')
  }
  const got = await receivePush(event, conf.cfg, log)
  if ('respond' in got) return got.respond
  // RECORD_WECHAT=1: the verified (decrypted) event, scrubbed, for npm run recordings:pull (server/recording.ts).
  await recordInbound('card-event', got.event)
  const parsed = parseCardEvent(got.event)
  if (!parsed.ok) {
    log({ ignored: parsed.reason })
    return text(200, SUCCESS)
  }
  try {
    const outcome = await applyCardEvent(parsed.ev)
    log({ event: parsed.ev.Event, cardId: parsed.ev.CardId, outcome })
    return text(200, SUCCESS)
  } catch (e) {
    // Not recorded: no answer WeChat accepts, so it pushes the event again.
    log({ event: parsed.ev.Event, cardId: parsed.ev.CardId, error: errText(e) })
    return text(500, 'retry')
  }
}
