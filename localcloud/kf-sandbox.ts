/**
 * The WeChat side of customer-service messages in the local cloud (customerServiceMessage.*),
 * following the documents:
 * - send (kf-mgnt/kf-message/sendCustomMessage.html) and the sending rules
 *   (framework/open-ability/customer-message/send.html): a user message allows 5 sends within
 *   48 h, entering the chat 2 within 1 minute; allowances do not add up (an action raises the
 *   count and the deadline to at least its own). Outside the window: 45015; count used: 45047.
 *   Unknown or expired media id: 40007; unknown msgtype: 40008; a missing field: 47001;
 *   no openid: 40003.
 * - setTyping (kf-message/setTyping.html): command Typing | CancelTyping (else 45072); needs an
 *   interaction with the user within the last 30 s (else 45080); Typing twice: 45081.
 * - uploadTempMedia (kf-message/uploadTempMedia.html): type 'image' only (else 40004), a PNG,
 *   JPEG or GIF (else 40005), at most 10 MB (40009); the media id lives 3 days.
 * The window is opened by the user's action itself (`userAction`, called by the push
 * simulator when the user writes or enters the chat), not by its delivery to a function.
 */
import { randomBytes } from 'node:crypto'
import { WxApiError, type ApiSandbox } from './sandbox'

const ALLOW = { message: { sends: 5, ms: 48 * 3_600_000 }, enter: { sends: 2, ms: 60_000 } } as const
const MEDIA_MS = 3 * 24 * 3_600_000
const TYPING_NEEDS_INTERACTION_MS = 30_000
const MAX_IMAGE_BYTES = 10 * 1024 * 1024
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/gif'])

export interface KfWindow {
  until: number
  left: number
}

export class KfSandbox {
  /** openid -> what WeChat still allows. */
  readonly windows = new Map<string, KfWindow>()
  readonly media = new Map<string, { expires: number; bytes: number; contentType: string }>()
  private lastInteraction = new Map<string, number>()
  private typing = new Set<string>()

  constructor(
    api: ApiSandbox,
    private readonly now: () => number,
  ) {
    api.on('customerServiceMessage.send', (p) => this.send(p))
    api.on('customerServiceMessage.setTyping', (p) => this.setTyping(p))
    api.on('customerServiceMessage.uploadTempMedia', (p) => this.upload(p))
  }

  /** The user wrote ('message') or entered the chat ('enter') at `at` (ms). */
  userAction(openid: string, action: 'message' | 'enter', at = this.now()): void {
    const a = ALLOW[action]
    const cur = this.windows.get(openid)
    const valid = cur && cur.until > this.now() && cur.left > 0 ? cur : null
    this.windows.set(
      openid,
      valid
        ? { until: Math.max(valid.until, at + a.ms), left: Math.max(valid.left, a.sends) }
        : { until: at + a.ms, left: a.sends },
    )
    this.lastInteraction.set(openid, at)
  }

  /** Sends WeChat still allows this user now. */
  sendsLeft(openid: string): number {
    const w = this.windows.get(openid)
    return w && w.until > this.now() ? w.left : 0
  }

  private mediaOk(id: unknown): boolean {
    const m = typeof id === 'string' ? this.media.get(id) : undefined
    return !!m && m.expires > this.now()
  }

  private send(p: Record<string, unknown>): Record<string, unknown> {
    const touser = typeof p.touser === 'string' ? p.touser : ''
    if (!touser) throw new WxApiError(40003, 'invalid openid')
    const type = String(p.msgtype ?? '')
    const body = (p[type] ?? null) as Record<string, unknown> | null
    const need = (...keys: string[]) => {
      if (!body || keys.some((k) => typeof body[k] !== 'string' || !(body[k] as string).length))
        throw new WxApiError(47001, `data format error: ${type} needs ${keys.join(', ')}`)
    }
    switch (type) {
      case 'text':
        need('content')
        break
      case 'image':
        need('media_id')
        if (!this.mediaOk(body!.media_id)) throw new WxApiError(40007, 'invalid media_id')
        break
      case 'link':
        need('title', 'description', 'url', 'thumb_url')
        break
      case 'miniprogrampage':
        need('title', 'pagepath', 'thumb_media_id')
        if (!this.mediaOk(body!.thumb_media_id)) throw new WxApiError(40007, 'invalid media_id')
        break
      default:
        throw new WxApiError(40008, 'invalid message type')
    }
    const w = this.windows.get(touser)
    if (!w || w.until <= this.now())
      throw new WxApiError(45015, 'response out of time limit or subscription is canceled')
    if (w.left <= 0) throw new WxApiError(45047, 'out of response count limit')
    w.left -= 1
    this.typing.delete(touser)
    this.lastInteraction.set(touser, this.now())
    return { errcode: 0, errmsg: 'ok' }
  }

  private setTyping(p: Record<string, unknown>): Record<string, unknown> {
    const touser = typeof p.touser === 'string' ? p.touser : ''
    if (!touser) throw new WxApiError(40003, 'invalid openid')
    if (p.command !== 'Typing' && p.command !== 'CancelTyping') throw new WxApiError(45072, 'command invalid')
    const last = this.lastInteraction.get(touser)
    if (last === undefined || this.now() - last > TYPING_NEEDS_INTERACTION_MS)
      throw new WxApiError(45080, 'no interaction with the user in the last 30 seconds')
    if (p.command === 'Typing') {
      if (this.typing.has(touser)) throw new WxApiError(45081, 'already typing')
      this.typing.add(touser)
    } else this.typing.delete(touser)
    return { errcode: 0, errmsg: 'ok' }
  }

  private upload(p: Record<string, unknown>): Record<string, unknown> {
    if (p.type !== 'image') throw new WxApiError(40004, 'invalid media type')
    const media = p.media as { contentType?: string; value?: unknown } | undefined
    if (!media || !Buffer.isBuffer(media.value) || media.value.length === 0)
      throw new WxApiError(41005, 'media data missing')
    if (!IMAGE_TYPES.has(String(media.contentType).toLowerCase())) throw new WxApiError(40005, 'invalid file type')
    if (media.value.length > MAX_IMAGE_BYTES) throw new WxApiError(40009, 'invalid image size')
    const id = randomBytes(24).toString('base64url')
    const created = Math.floor(this.now() / 1000)
    this.media.set(id, {
      expires: created * 1000 + MEDIA_MS,
      bytes: media.value.length,
      contentType: String(media.contentType),
    })
    return { errcode: 0, errmsg: 'ok', type: 'image', media_id: id, created_at: created }
  }
}
