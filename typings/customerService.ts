import type { Action, Locale } from './contract'

/**
 * Customer-service messages (客服消息). WeChat pushes what a user does in the customer-service
 * chat to the `customerService` function (cloud console message push) or, in URL mode, to
 * the HTTP function `customerServiceHttp`; both hand the same InboundMessage to one handler.
 * Replies go out through `customerServiceMessage.send`.
 *
 * Documents followed:
 * - receiving: https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/customer-message/receive.html
 * - push to a function: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/functions/openapi.html
 * - sending, and its limits (a user message opens 5 sends for 48 h; entering the chat opens
 *   2 sends for 1 minute): https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/customer-message/send.html
 */

interface PushBase {
  /** The mini-program's original id (gh_...). */
  ToUserName: string
  /** The user's openid. */
  FromUserName: string
  /** Seconds since epoch. */
  CreateTime: number
}

/** A message the user sent: carries a MsgId (a 64-bit integer; kept as a string here). */
export type UserMessage =
  | (PushBase & { MsgType: 'text'; Content: string; MsgId: string })
  | (PushBase & { MsgType: 'image'; PicUrl: string; MediaId: string; MsgId: string })
  | (PushBase & {
      MsgType: 'miniprogrampage'
      Title: string
      AppId: string
      PagePath: string
      ThumbUrl?: string
      ThumbMediaId?: string
      MsgId: string
    })

/** The user opened the chat (e.g. tapped a contact button); SessionFrom is the button's `session-from`. */
export type EnterSessionEvent = PushBase & { MsgType: 'event'; Event: 'user_enter_tempsession'; SessionFrom?: string }

export type InboundMessage = UserMessage | EnterSessionEvent

/** What the page puts into `session-from` (encoded by miniprogram/lib/contact.ts). */
export type SessionFrom = { page: 'order'; orderId: string } | { page: 'profile' } | { page: 'other'; raw: string }

/** What customerServiceMessage.send can carry (msgtype text | image | link | miniprogrampage). */
export type Reply =
  | { type: 'text'; content: string }
  /** An image from cloud storage; uploaded as temp media once and its media id reused for 3 days. */
  | { type: 'image'; fileId: string }
  | { type: 'link'; title: string; description: string; url: string; thumbUrl: string }
  /** A mini-program card; `thumbFileId` is the cover image in cloud storage. */
  | { type: 'miniprogrampage'; title: string; pagepath: string; thumbFileId: string }

/** An auto-reply rule, kept in the `cs_rules` collection (seed: database/seed/cs_rules.json). */
export interface AutoReplyRule {
  _id: string
  active: boolean
  /** Lower runs first; the first rule that matches answers. */
  priority: number
  /**
   * The language of the replies (keep a rule per language, with that language's keywords). A
   * card rule with a language answers only users whose record has it; none: everyone.
   */
  language?: Locale
  match:
    | { kind: 'keyword'; words: string[] } // any word contained (case-insensitive)
    | { kind: 'regex'; pattern: string; flags?: string }
    | { kind: 'card'; pagePrefix: string } // a mini-program card the user sent, by page path
  replies: Reply[]
}

/** How one outbound message ended. */
export type SendStatus = 'SENT' | 'FAILED' | 'TIMEOUT' | 'SKIPPED'

/** Why a send did not happen or failed, by WeChat's errCode where there is one. */
export type SendFailure =
  | 'WINDOW_CLOSED' // 45015: outside the reply window
  | 'QUOTA_USED' // 45047: the window's send quota is used up
  | 'INVALID_MEDIA' // 40007: media id unknown or expired
  | 'INVALID_OPENID' // 40003
  | 'PERMISSION_MISSING' // -604101
  | 'WECHAT_BUSY' // -1 and other transient answers
  | 'TIMEOUT' // no answer in the time the handler can spend
  | 'OTHER'

export interface ConversationView {
  openid: string
  /** Last thing the user did: when, and a one-line summary. */
  lastInAt: number
  lastIn: string
  /** Until when, and how many more messages, WeChat lets us send (our own count). */
  windowUntil: number
  sendsLeft: number
  /** The user wrote after our last human reply. */
  waiting: boolean
}

export interface LogEntry {
  id: string
  dir: 'in' | 'out'
  at: number
  /** 'user', 'auto' (rules, welcome, out-of-hours) or 'agent'. */
  by: 'user' | 'auto' | 'agent'
  kind: string
  summary: string
  status?: SendStatus
  failure?: SendFailure
}

export type AgentError = 'NOT_AGENT'

export type CustomerServiceContract = {
  /** Operators only (openids in CS_AGENT_OPENIDS): conversations, the most recent first. */
  agentInbox: Action<{ limit?: number }, { conversations: ConversationView[] }, AgentError>
  /** Operators only: one user's log, newest first. */
  agentConversation: Action<
    { openid: string; before?: number; limit?: number },
    { entries: LogEntry[]; conversation: ConversationView | null },
    AgentError
  >
  /**
   * Operators only: a text reply to a user inside WeChat's window. `requestId` makes a retry
   * safe: the same id answers the first result and never sends twice.
   */
  agentReply: Action<
    { touser: string; text: string; requestId: string },
    { entry: LogEntry; conversation: ConversationView },
    AgentError | 'NO_CONVERSATION' | 'WINDOW_CLOSED' | 'QUOTA_USED' | 'SEND_FAILED' | 'DUPLICATE_REQUEST'
  >
}
