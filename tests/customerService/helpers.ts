/**
 * Shared setup of the customer-service tests: a local cloud with the functions configured as a
 * deployed environment would be (operators, push secrets), fast push timing (WeChat's 5 s wait
 * scaled down so retries happen within a test), and shortcuts to what WeChat saw.
 */
import { LocalCloud, type Caller } from '../../localcloud'

export const AGENT: Caller = { openid: 'o-agent-01' }
export const ALICE = 'o-alice'
export const BOB = 'o-bob-01'

export const PUSH_TOKEN = 'kitPushToken2026'
export const PUSH_AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C'

export const CS_VARS: Record<string, string> = {
  CS_AGENT_OPENIDS: `${AGENT.openid},o-agent-02`,
  CS_PUSH_TOKEN: PUSH_TOKEN,
  CS_PUSH_AES_KEY: PUSH_AES_KEY,
  CS_PUSH_APPID: 'wx0000000000local',
}

export interface Result {
  ok: boolean
  data?: any
  error?: { code: string; message: string }
}

export function csWorld(opts: { vars?: Record<string, string>; waitMs?: number } = {}) {
  const cloud = new LocalCloud({ vars: { ...CS_VARS, ...(opts.vars ?? {}) } })
  cloud.push.timing = { waitMs: opts.waitMs ?? 400, retries: 3 }
  const sends = () => cloud.openapi.callsTo('customerServiceMessage.send')
  const sent = (openid: string) => sends().filter((c) => c.ok && c.params.touser === openid)
  const texts = (openid: string) =>
    sent(openid).map(
      (c) => (c.params.text as { content?: string } | undefined)?.content ?? `[${String(c.params.msgtype)}]`,
    )
  const log = (openid: string) =>
    (cloud.db.dump('cs_messages') as Array<Record<string, any>>)
      .filter((m) => m.openid === openid)
      .sort((a, b) => a.at - b.at || String(a._id).localeCompare(String(b._id)))
  const conversation = (openid: string) =>
    cloud.db.dump('cs_conversations').find((c) => c._id === openid) as Record<string, any> | undefined
  const agent = async (
    action: string,
    payload: Record<string, unknown> = {},
    caller: Caller = AGENT,
  ): Promise<Result> => {
    const { result } = await cloud.callFromClient('customerService', { action, ...payload }, caller)
    return result as Result
  }
  const addRule = (rule: Record<string, unknown>) => cloud.db.seed('cs_rules', [{ active: true, priority: 1, ...rule }])
  /** An image in cloud storage (a tiny PNG header is enough for WeChat's type check here). */
  const putImage = (path: string) =>
    cloud.storage.put(path, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 1)]))
  return { cloud, push: cloud.push, sends, sent, texts, log, conversation, agent, addRule, putImage }
}

/** Silence the functions' one-line JSON logs (they log every delivery). */
export function quietLogs(): void {
  beforeAll(() => {
    jest.spyOn(console, 'log').mockImplementation(() => {})
    jest.spyOn(console, 'error').mockImplementation(() => {})
  })
}
