/**
 * Cloud function `customerService`:
 * - the target of the cloud console's message push (云开发 → 设置 → 其他设置 → 消息推送) for
 *   the customer-service pairs listed in message-push.json: text, image, miniprogrampage and
 *   event/user_enter_tempsession. The event is WeChat's JSON; the answer 'success' stops
 *   WeChat's retries (server/customerService/handle.ts);
 * - operator actions `agentInbox`, `agentConversation`, `agentReply` (typings/customerService.ts),
 *   called from the mini-program;
 * - an hourly timer that finishes deliveries whose run was cut off (replies not yet sent), and
 *   removes expired de-duplication records, media ids and recordings (RECORD_WECHAT=1);
 * - `$recordings`, an administrator's invocation only: a page of the recordings for
 *   npm run recordings:pull -- --env (server/recording.ts).
 * Push document: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/functions/openapi.html
 */
import { eventBytes, MAX_PUSH_BYTES, scalar } from '../../../server/input'
import type { CustomerServiceContract } from '../../../typings/customerService'
import { createRouter } from '../../../server/router'
import { errText } from '../../../server/errors'
import { csConfig } from '../../../server/customerService/config'
import { finishStale, handleInbound, parseInbound } from '../../../server/customerService/handle'
import { PUSH_ANSWER } from '../../../server/customerService/push-answer'
import { cleanup } from '../../../server/customerService/store'
import { wxContext } from '../../../server/wx'
import { forgetExpiredRecordings, recordInbound, recordingsAnswer } from '../../../server/recording'
import { agentHandlers } from './agent'

const router = createRouter<CustomerServiceContract>('customerService', agentHandlers)

const log = (o: Record<string, unknown>) => console.log(JSON.stringify({ fn: 'customerService', ...o }))

export async function main(event: unknown, context?: { request_id?: string }): Promise<unknown> {
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>
  // npm run recordings:pull -- --env: an administrator's invocation only (a user's call has an OPENID).
  const pulled = await recordingsAnswer(event)
  if (pulled) return pulled
  if (typeof ev.action === 'string') return router(event, context)

  const wx = wxContext()
  // Any client can call any function with any data: a push never comes from a client.
  if (wx.SOURCE === 'wx_client') {
    log({ refused: 'a push-shaped call from a client', openid: wx.OPENID })
    return {
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'customerService takes pushes from WeChat, or an action.' },
    }
  }
  if (ev.Type === 'Timer') {
    try {
      // Runs cut off mid-way are finished first (their records must not be removed unfinished).
      const finished = await finishStale(csConfig(process.env), Date.now())
      const removed = { ...(await cleanup(Date.now())), recordings: await forgetExpiredRecordings(Date.now()) }
      log({ timer: scalar(ev.TriggerName, 32), finished, removed })
      return { finished, removed }
    } catch (e) {
      log({ timer: scalar(ev.TriggerName, 32), error: errText(e) })
      throw e
    }
  }
  if (eventBytes(event) > MAX_PUSH_BYTES) {
    log({ ignored: 'push too large' })
    return PUSH_ANSWER
  }
  // RECORD_WECHAT=1: what WeChat sent, scrubbed, for npm run recordings:pull (server/recording.ts).
  await recordInbound('push', event)
  const parsed = parseInbound(event)
  if (!parsed.ok) {
    // Unknown types (or a pair configured by mistake) are acknowledged so WeChat does not retry them.
    log({ ignored: parsed.reason })
    return PUSH_ANSWER
  }
  if (wx.OPENID && wx.OPENID !== parsed.msg.FromUserName) {
    log({ refused: 'FromUserName is not the pushing user', openid: wx.OPENID, from: parsed.msg.FromUserName })
    return PUSH_ANSWER
  }
  // Always 'success': WeChat treats any other answer as abnormal data and tells the user the
  // service is unavailable; it pushes again only when no answer came in 5 s. The outcome is logged.
  await handleInbound(parsed.msg, csConfig(process.env), 'push')
  return PUSH_ANSWER
}
