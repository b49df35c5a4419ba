/**
 * WeChat's message push, simulated. Two ways, as WeChat offers them:
 * - to a cloud function (cloud console 消息推送): routed by (MsgType, Event) pairs read from
 *   cloudfunctions/<fn>/message-push.json, the JSON event as the function's `event`;
 * - to a URL (URL mode): an HTTP request to a function behind CloudBase HTTP access, signed
 *   with the token and, in compatible/safe mode, encrypted with the EncodingAESKey.
 * Either way it waits up to 5 s for an answer and re-delivers up to 3 times only when NO answer
 * came in time. Any answer other than 'success' or an empty string is abnormal data: WeChat does
 * not push again, and the user sees "该小程序客服暂时无法提供服务，请稍后再试" (recorded as
 * `userSaw`). Push document: .../wxcloud/guide/functions/openapi.html; URL mode: message-push.html.
 * Cloud-mode events carry the mini-program's AppID as ToUserName (the document's sample); URL
 * mode carries the original id (gh_…). The invocation's SOURCE is wx_unknown: WeChat documents
 * no SOURCE for message push, and the functions must not depend on one.
 * A delivery does not cancel the one before: a slow run keeps running while the retry arrives,
 * as on WeChat. The user's action also opens the reply window in the openapi sandbox.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { aesKey, encryptMessage, sha1Signature } from '../server/customerService/wxcrypt'
import type { LocalCloud } from './index'

/** wx-server-sdk's errCode for a function that ran past its timeout (or was cut off). */
const FUNCTION_TIMEOUT = -504003

export type PushEvent = Record<string, unknown> & {
  MsgType: string
  FromUserName: string
  CreateTime: number
  Event?: string
}

export interface PushAttempt {
  startedAt: number
  answer?: unknown
  error?: string
  /** The function timed out (-504003): WeChat got no answer, whenever it ended. */
  noAnswer?: boolean
  /** No answer within the wait: WeChat moved on to the next attempt. */
  timedOut: boolean
}

export interface PushDelivery {
  event: PushEvent
  target: string | null
  attempts: PushAttempt[]
  acked: boolean
  /** What the user saw because of an abnormal answer (WeChat's own message), if any. */
  userSaw?: string
}

/** What WeChat shows the user when the push target answers anything but 'success' or ''. */
export const SERVICE_UNAVAILABLE = '该小程序客服暂时无法提供服务，请稍后再试'

export interface PushTiming {
  /** How long WeChat waits for an answer (5 s). */
  waitMs: number
  /** Re-deliveries after the first (3). */
  retries: number
}

export interface UrlModeSettings {
  fn: string
  token: string
  mode: 'plain' | 'compatible' | 'safe'
  format: 'xml' | 'json'
  encodingAesKey?: string
  appid?: string
}

const ORIGINAL_ID = 'gh_0123456789ab'

/** XML as WeChat writes it: strings in CDATA, numbers bare. */
export function toWxXml(o: Record<string, unknown>): string {
  const body = Object.entries(o)
    .map(([k, v]) => (typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${String(v)}]]></${k}>`))
    .join('')
  return `<xml>${body}</xml>`
}

/** JSON as WeChat writes it; a numeric-string MsgId goes out as the 64-bit integer it is. */
export function toWxJson(o: Record<string, unknown>): string {
  return JSON.stringify(o).replace(/("MsgId":)"(\d+)"/, '$1$2')
}

export class MessagePush {
  readonly deliveries: PushDelivery[] = []
  timing: PushTiming = { waitMs: 5000, retries: 3 }
  private inflight = new Set<Promise<unknown>>()
  private seq = 0

  constructor(private readonly cloud: LocalCloud) {}

  private routeMap?: Map<string, string>

  /** (MsgType|Event) -> function, from every cloudfunctions/<fn>/message-push.json (read once). */
  routes(): Map<string, string> {
    if (this.routeMap) return this.routeMap
    const map = new Map<string, string>()
    const dir = join(this.cloud.root, 'cloudfunctions')
    for (const fn of existsSync(dir) ? readdirSync(dir) : []) {
      const file = join(dir, fn, 'message-push.json')
      if (!existsSync(file)) continue
      const cfg = JSON.parse(readFileSync(file, 'utf8')) as {
        function?: string
        pairs: Array<{ msgType: string; event: string }>
      }
      for (const p of cfg.pairs) {
        const key = `${p.msgType}|${p.event}`
        if (map.has(key))
          throw new Error(
            `message push: (${p.msgType}, ${p.event}) is configured twice; WeChat allows one function per pair`,
          )
        map.set(key, cfg.function ?? fn)
      }
    }
    this.routeMap = map
    return map
  }

  // ---- what users do ----

  private base(openid: string): { ToUserName: string; FromUserName: string; CreateTime: number } {
    return { ToUserName: this.cloud.appid, FromUserName: openid, CreateTime: Math.floor(this.cloud.now() / 1000) }
  }

  /** A 64-bit message id, as a decimal string. */
  private msgId(): string {
    return (
      BigInt(Math.floor(this.cloud.now() / 1000)) * 1_000_000_000n +
      BigInt(++this.seq) * 1000n +
      BigInt(randomBytes(1)[0]!)
    ).toString()
  }

  text(openid: string, content: string): PushEvent {
    return { ...this.base(openid), MsgType: 'text', Content: content, MsgId: this.msgId() }
  }

  image(openid: string): PushEvent {
    const id = randomBytes(8).toString('hex')
    return {
      ...this.base(openid),
      MsgType: 'image',
      PicUrl: `https://mmbiz.qpic.cn/local/${id}`,
      MediaId: `media-${id}`,
      MsgId: this.msgId(),
    }
  }

  card(openid: string, card: { title: string; pagePath: string }): PushEvent {
    return {
      ...this.base(openid),
      MsgType: 'miniprogrampage',
      Title: card.title,
      AppId: this.cloud.appid,
      PagePath: card.pagePath,
      ThumbUrl: 'https://mmbiz.qpic.cn/local/thumb',
      ThumbMediaId: 'thumb-media',
      MsgId: this.msgId(),
    }
  }

  enter(openid: string, sessionFrom?: string): PushEvent {
    return {
      ...this.base(openid),
      MsgType: 'event',
      Event: 'user_enter_tempsession',
      ...(sessionFrom !== undefined ? { SessionFrom: sessionFrom } : {}),
    }
  }

  /** The user's action happens (opens WeChat's reply window), then WeChat pushes it. */
  async user(event: PushEvent): Promise<PushDelivery> {
    this.act(event)
    return this.deliver(event)
  }

  /** The user acts now (WeChat's window opens at the action, whatever CreateTime the event carries). */
  act(event: PushEvent): void {
    this.cloud.openapi.kf.userAction(
      event.FromUserName,
      event.MsgType === 'event' ? 'enter' : 'message',
      this.cloud.now(),
    )
  }

  // ---- delivery ----

  private async attempts(
    event: PushEvent,
    target: string | null,
    once: () => Promise<unknown>,
    acked: (answer: unknown) => boolean,
  ): Promise<PushDelivery> {
    const d: PushDelivery = { event, target, attempts: [], acked: false }
    this.deliveries.push(d)
    if (!target) return d
    for (let i = 0; i <= this.timing.retries && !d.acked; i++) {
      const a: PushAttempt = { startedAt: Date.now(), timedOut: false }
      d.attempts.push(a)
      const run = once().then(
        (answer) => {
          a.answer = answer
        },
        (e: unknown) => {
          a.error = e instanceof Error ? e.message : String(e)
          // A function that ran past its timeout (or was cut off) gave WeChat no answer at all.
          if ((e as { errCode?: unknown } | null)?.errCode === FUNCTION_TIMEOUT) a.noAnswer = true
        },
      )
      this.track(run)
      let timer: NodeJS.Timeout | undefined
      const waited = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.timing.waitMs)))
      const first = await Promise.race([
        run.then(() => (a.noAnswer ? ('timeout' as const) : ('answered' as const))),
        waited,
      ])
      clearTimeout(timer)
      if (first === 'timeout') {
        a.timedOut = true
        continue // no answer in 5 s: WeChat pushes again
      }
      if (acked(a.answer) && !a.error) d.acked = true
      else d.userSaw = SERVICE_UNAVAILABLE // abnormal data: no retry, the user is told
      break
    }
    return d
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  /** Pushes an event to the function configured for its (MsgType, Event), as the cloud console would. */
  deliver(event: PushEvent): Promise<PushDelivery> {
    const target = this.routes().get(`${event.MsgType}|${event.Event ?? ''}`) ?? null
    const payload = JSON.stringify(event)
    return this.attempts(
      event,
      target,
      () => this.cloud.invoke(target!, JSON.parse(payload), { openid: event.FromUserName }, 'wx_unknown'),
      (answer) => answer === 'success' || answer === '',
    )
  }

  /** The request WeChat sends in URL mode for `event`. */
  urlRequest(
    pushed: PushEvent,
    s: UrlModeSettings,
  ): { query: Record<string, string>; body: string; contentType: string } {
    const event = { ...pushed, ToUserName: ORIGINAL_ID } // URL mode: the account's original id
    const timestamp = String(Math.floor(this.cloud.now() / 1000))
    const nonce = String(Number.parseInt(randomBytes(4).toString('hex'), 16))
    const plain = s.format === 'xml' ? toWxXml(event) : toWxJson(event)
    const query: Record<string, string> = {
      signature: sha1Signature([s.token, timestamp, nonce]),
      timestamp,
      nonce,
      openid: event.FromUserName,
    }
    let body = plain
    if (s.mode !== 'plain') {
      const encrypted = encryptMessage(plain, s.appid ?? '', aesKey(s.encodingAesKey ?? ''))
      const outer: Record<string, unknown> =
        s.mode === 'compatible'
          ? { ...event, Encrypt: encrypted }
          : { ToUserName: event.ToUserName, Encrypt: encrypted }
      body = s.format === 'xml' ? toWxXml(outer) : toWxJson(outer)
      query.encrypt_type = 'aes'
      query.msg_signature = sha1Signature([s.token, timestamp, nonce, encrypted])
    }
    return { query, body, contentType: s.format === 'xml' ? 'text/xml' : 'application/json' }
  }

  /** URL mode: POSTs the event to an HTTP-accessed function; 200 with 'success' or an empty body acknowledges it. */
  deliverToUrl(event: PushEvent, s: UrlModeSettings): Promise<PushDelivery> {
    const req = this.urlRequest(event, s)
    return this.attempts(
      event,
      s.fn,
      () =>
        this.cloud.http(s.fn, {
          method: 'POST',
          path: '/customer-service',
          query: req.query,
          headers: { 'content-type': req.contentType },
          body: req.body,
        }),
      (answer) => {
        const r = answer as { status?: number; body?: string }
        return r.status === 200 && (r.body === 'success' || r.body === '')
      },
    )
  }

  /** Waits for every run still going (including ones WeChat stopped waiting for). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight])
  }
}
