/**
 * The official account's API at api.weixin.qq.com, as the card function meets it: what the local
 * cloud answers when a function's HTTPS request goes there (localcloud/index.ts routes it).
 * Documents followed, each check answered as WeChat answers it:
 * - cgi-bin/token (Get_access_token.html): grant_type must be client_credential (40002), the
 *   AppID must be the account's (40013 invalid appid), the secret too (40125 invalid appsecret);
 *   a token lasts 7200 s; a new token does not end the previous one at once (5 minutes overlap).
 * - cgi-bin/stable_token (getStableAccessToken.html): the same checks on a JSON body; normal mode
 *   answers the valid token, force_refresh ends it (20 a day: 45009; 30 s apart: 45011); its
 *   tokens and cgi-bin/token's are isolated from each other.
 * - Global errors: 40001 invalid credential (a token that was never issued, or replaced more than
 *   5 minutes ago), 42001 access_token expired, 40014 invalid access_token (malformed).
 * - cgi-bin/ticket/getticket?type=wx_card: the card api_ticket, 7200 s.
 * - card/code/decrypt, card/code/get, card/code/consume (Managing_Coupons_Vouchers_and_Cards,
 *   Card_coupons_error_code.html): 40056 invalid code, 40099 code consumed (get with
 *   check_consume, and consume), 40127 deleted or being given away.
 * - Two identity spaces: the codes belong to the user under the OFFICIAL ACCOUNT; card/code/get,
 *   card/code/consume (and the card events) answer that openid (oaOpenid), never the
 *   mini-program's (Coupons-Mini_Program_Start_Up records the two separately).
 * - wx.addCard's cardExt (附录4-卡券扩展字段及签名生成算法): the signature over the sorted values of
 *   the api_ticket, timestamp, card_id, nonce_str (and code / openid) must match a ticket issued
 *   and still valid; a nonce is used once; a card not yet approved cannot be added; a bind_openid
 *   card needs the openid of the user adding it. Failures answer 40080 (invalid CardExt).
 * Counts every request per API (`calls`), so tests see one token refresh for a burst of callers.
 * The tokens and tickets (the first three items) are issued and checked in oa-tokens.ts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { OaTokens } from './oa-tokens'

/** The card states card/batchget filters by. */
const STATUSES = new Set([
  'CARD_STATUS_NOT_VERIFY',
  'CARD_STATUS_VERIFY_FAIL',
  'CARD_STATUS_VERIFY_OK',
  'CARD_STATUS_DELETE',
  'CARD_STATUS_DISPATCH',
])

export interface SandboxCard {
  cardId: string
  title: string
  /** false: still in WeChat's review (wx.addCard fails). */
  approved: boolean
  bindOpenid?: boolean
}

export interface IssuedCode {
  code: string
  cardId: string
  /** The holder's openid UNDER THE OFFICIAL ACCOUNT (what card/code/get and the card events name). */
  openid: string
  /** The mini-program openid of the user who added it (WeChat knows both; the APIs never say this one). */
  mpOpenid: string
  /** The user's unionid, when the accounts share an Open Platform account and the user has one. */
  unionid?: string
  /** What wx.addCard hands the page (card/code/decrypt turns it back). */
  encrypted: string
  status: 'NORMAL' | 'CONSUMED' | 'DELETE'
  outerStr: string
  addedAt: number
  consumedAt: number | null
}

type Answer = Record<string, unknown>

/**
 * The user's openid under the official account: a different id from their mini-program openid
 * (openids are per account; the card APIs and card events carry this one). The two accounts under
 * one Open Platform account share the user's unionid, which the mini-program learns at login.
 */
export function oaOpenid(mpOpenid: string): string {
  return `oOA${createHash('sha256').update(`oa:${mpOpenid}`).digest('base64url').slice(0, 25)}`
}

const err = (errcode: number, errmsg: string): Answer => ({ errcode, errmsg })

export class OaSandbox {
  appid = ''
  secret = ''
  /** Requests per API path (cgi-bin/token, card/code/get…). */
  readonly calls = new Map<string, number>()
  readonly cards = new Map<string, SandboxCard>()
  readonly codes = new Map<string, IssuedCode>()
  /** mini-program openid -> unionid (the Open Platform binding the card guide requires); the card events carry it. */
  readonly unionids = new Map<string, string>()
  /** The access tokens, stable tokens and card api_tickets issued. */
  readonly tokens: OaTokens
  private nonces = new Set<string>()

  constructor(private readonly now: () => number) {
    this.tokens = new OaTokens(now, this)
  }

  configure(vars: Record<string, string>): void {
    this.appid = (vars.OA_APPID ?? '').trim()
    this.secret = (vars.OA_APPSECRET ?? '').trim()
  }

  callsTo(path: string): number {
    return this.calls.get(path) ?? 0
  }

  forget(): void {
    this.tokens.forget()
    this.nonces.clear()
    this.codes.clear()
    this.calls.clear()
    this.scripted.clear()
  }

  private scripted = new Map<string, unknown[]>()

  /**
   * The next `times` requests to `path` get `answer` as WeChat's JSON body, whatever it is: an
   * errcode WeChat documents (-1 busy, 45009 quota, 40164 IP not allowed, 48001 unauthorized)
   * or a body WeChat never documents (`{}`, `[]`, `null`, a string) that the caller must not
   * believe. The request still counts in `calls`, and the real effect does not happen.
   */
  answerNext(path: string, answer: unknown, times = 1): this {
    const q = this.scripted.get(path) ?? []
    for (let i = 0; i < times; i++) q.push(answer)
    this.scripted.set(path, q)
    return this
  }

  /** An HTTPS request from a function: path without the host, its query and JSON body. */
  handle(path: string, query: URLSearchParams, body: Answer | null): unknown {
    this.calls.set(path, (this.calls.get(path) ?? 0) + 1)
    const q = this.scripted.get(path)
    if (q?.length) return q.shift()
    if (path === '/cgi-bin/token') return this.tokens.token(query)
    if (path === '/cgi-bin/stable_token') return this.tokens.stableToken(body)
    const auth = this.tokens.check(query.get('access_token'))
    if (auth) return auth
    switch (path) {
      case '/cgi-bin/ticket/getticket':
        return this.tokens.ticket(query)
      case '/card/code/decrypt':
        return this.decrypt(body)
      case '/card/code/get':
        return this.get(body)
      case '/card/code/consume':
        return this.consume(body)
      case '/card/batchget':
        return this.batchget(body)
      default:
        return err(48001, `api unauthorized (the local sandbox does not serve ${path})`)
    }
  }

  /**
   * card/batchget (Managing_Coupons_Vouchers_and_Cards, 批量查询卡券列表): POST `offset`, `count`
   * (1-50), optional `status_list` of CARD_STATUS_NOT_VERIFY / VERIFY_FAIL / VERIFY_OK / DELETE /
   * DISPATCH. Answers `card_id_list` (that page of the account's cards in those states) and
   * `total_num` (all of them). A card not yet approved is NOT_VERIFY; an approved one VERIFY_OK.
   */
  private batchget(body: Answer | null): Answer {
    const offset = body?.offset
    const count = body?.count
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) return err(40097, 'invalid args: offset')
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 50)
      return err(40097, 'invalid args: count must be 1-50')
    const wanted = body?.status_list
    if (
      wanted !== undefined &&
      (!Array.isArray(wanted) || !wanted.every((x) => typeof x === 'string' && STATUSES.has(x)))
    )
      return err(40097, 'invalid args: status_list')
    const all = [...this.cards.values()].filter(
      (c) => !wanted || (wanted as string[]).includes(c.approved ? 'CARD_STATUS_VERIFY_OK' : 'CARD_STATUS_NOT_VERIFY'),
    )
    return {
      errcode: 0,
      errmsg: 'ok',
      card_id_list: all.slice(offset, offset + count).map((c) => c.cardId),
      total_num: all.length,
    }
  }

  private decrypt(body: Answer | null): Answer {
    const enc = typeof body?.encrypt_code === 'string' ? body.encrypt_code : ''
    const found = [...this.codes.values()].find((c) => c.encrypted === enc)
    return found ? { errcode: 0, errmsg: 'ok', code: found.code } : err(40056, 'invalid serial code')
  }

  private get(body: Answer | null): Answer {
    const c = this.codes.get(String(body?.code ?? ''))
    if (!c || (typeof body?.card_id === 'string' && body.card_id !== c.cardId)) return err(40056, 'invalid serial code')
    if (body?.check_consume === true) {
      if (c.status === 'CONSUMED') return err(40099, 'invalid code, this code has consumed.')
      if (c.status === 'DELETE')
        return err(
          40127,
          'invalid user-card status! Hint: the card was given to user, but may be deleted or set unavailable !',
        )
    }
    return {
      errcode: 0,
      errmsg: 'ok',
      card: {
        card_id: c.cardId,
        begin_time: Math.floor(c.addedAt / 1000),
        end_time: Math.floor(c.addedAt / 1000) + 30 * 86400,
      },
      openid: c.openid,
      can_consume: c.status === 'NORMAL',
      user_card_status: c.status,
      outer_str: c.outerStr,
    }
  }

  private consume(body: Answer | null): Answer {
    const c = this.codes.get(String(body?.code ?? ''))
    if (!c || (typeof body?.card_id === 'string' && body.card_id && body.card_id !== c.cardId))
      return err(40056, 'invalid serial code')
    if (c.status === 'CONSUMED') return err(40099, 'invalid code, this code has consumed.')
    if (c.status === 'DELETE') return err(40127, 'invalid user-card status')
    c.status = 'CONSUMED'
    c.consumedAt = this.now()
    return { errcode: 0, errmsg: 'ok', card: { card_id: c.cardId }, openid: c.openid }
  }

  /**
   * What the holder of `code` does in WeChat, and the card event WeChat then pushes to the
   * official account's server (Coupons_Vouchers_and_Cards_Event_Push_Messages.html): `take`
   * (user_get_card, after wx.addCard), `delete` (user_del_card), `give` to a friend
   * (user_gifting_card; the friend gets a new code) or `consume` at another counter
   * (user_consume_card). FromUserName is the holder's openid under the official account.
   */
  userDoes(
    code: string,
    what: 'take' | 'delete' | 'give' | 'consume',
    friendMpOpenid?: string,
  ): Record<string, unknown> & { MsgType: 'event'; FromUserName: string; CreateTime: number; Event: string } {
    const c = this.codes.get(code)
    if (!c) throw new Error(`oa sandbox: no code ${code}`)
    const base = {
      ToUserName: 'gh_0a0a0a0a0a0a',
      FromUserName: c.openid,
      CreateTime: Math.floor(this.now() / 1000),
      MsgType: 'event' as const,
      CardId: c.cardId,
      UserCardCode: c.code,
    }
    switch (what) {
      case 'take':
        // Every field of 2.2 领取事件推送 (the document's example and a developer's recorded push,
        // tests/recorded/card-event/): SourceScene is the recorded push's value; which scene a
        // mini-program's wx.addCard gives is unverified.
        return {
          ...base,
          Event: 'user_get_card',
          IsGiveByFriend: 0,
          FriendUserName: '',
          OuterId: 0,
          OldUserCardCode: '',
          OuterStr: c.outerStr,
          IsRestoreMemberCard: 0,
          IsRecommendByFriend: 0,
          SourceScene: 'SOURCE_SCENE_PRE_ACTIVATE',
          ...(c.unionid ? { UnionId: c.unionid } : {}),
        }
      case 'delete':
        c.status = 'DELETE'
        return { ...base, Event: 'user_del_card' }
      case 'give': {
        c.status = 'DELETE'
        const friend = friendMpOpenid ?? 'o-friend'
        const next = String(100_000_000_000 + Math.floor(Math.random() * 900_000_000_000))
        this.codes.set(next, {
          ...c,
          code: next,
          openid: oaOpenid(friend),
          mpOpenid: friend,
          status: 'NORMAL',
          encrypted: randomBytes(18).toString('base64').replace(/[+/=]/g, 'x'),
          addedAt: this.now(),
        })
        return { ...base, Event: 'user_gifting_card', IsReturnBack: 0, FriendUserName: oaOpenid(friend), IsChatRoom: 0 }
      }
      case 'consume':
        c.status = 'CONSUMED'
        c.consumedAt = this.now()
        return {
          ...base,
          Event: 'user_consume_card',
          ConsumeSource: 'FROM_MOBILE_HELPER',
          StaffOpenId: oaOpenid('o-staff-elsewhere'),
        }
    }
  }

  /** wx.addCard's whole list: every card added, or the first refusal (WeChat fails the call). */
  addCards(
    openid: string,
    cardList: ReadonlyArray<{ cardId?: unknown; cardExt?: unknown }>,
  ):
    | { cardList: Array<{ cardId: string; code: string; isSuccess: boolean; cardExt: string }> }
    | { errcode: number; errmsg: string } {
    const out = []
    for (const c of cardList) {
      const r = this.addCard(openid, String(c.cardId ?? ''), String(c.cardExt ?? ''))
      if ('errcode' in r) return r
      out.push(r)
    }
    return { cardList: out }
  }

  /**
   * What WeChat does when the user taps Add in wx.addCard: checks the cardExt against an issued
   * ticket and issues the card's code. Answers the entry of wx.addCard's cardList, or the errcode.
   */
  addCard(
    openid: string,
    cardId: string,
    cardExtJson: string,
  ): { cardId: string; code: string; isSuccess: boolean; cardExt: string } | { errcode: number; errmsg: string } {
    const card = this.cards.get(cardId)
    if (!card) return err(40073, 'invalid card id') as { errcode: number; errmsg: string }
    if (!card.approved)
      return err(40078, 'invalid card status: the card is not approved yet') as { errcode: number; errmsg: string }
    let ext: Record<string, unknown>
    try {
      ext = JSON.parse(cardExtJson) as Record<string, unknown>
    } catch {
      return err(40080, 'invalid cardext: not JSON') as { errcode: number; errmsg: string }
    }
    const timestamp = ext.timestamp
    const nonce = typeof ext.nonce_str === 'string' ? ext.nonce_str : ''
    if (typeof timestamp !== 'number' && typeof timestamp !== 'string')
      return err(40080, 'invalid cardext: no timestamp') as { errcode: number; errmsg: string }
    if (nonce.length > 32)
      return err(40080, 'invalid cardext: nonce_str longer than 32') as { errcode: number; errmsg: string }
    if (card.bindOpenid && ext.openid !== oaOpenid(openid))
      return err(
        40080,
        "invalid cardext: a bind_openid card needs the official account's openid of the user adding it",
      ) as { errcode: number; errmsg: string }
    if (!card.bindOpenid && ext.openid !== undefined)
      return err(40080, 'invalid cardext: openid given for a card without bind_openid') as {
        errcode: number
        errmsg: string
      }
    const now = this.now()
    const signedWith = this.tokens.validTickets()
    const values = (ticket: string) =>
      [
        ticket,
        String(timestamp),
        cardId,
        nonce,
        ...(typeof ext.code === 'string' ? [ext.code] : []),
        ...(typeof ext.openid === 'string' ? [ext.openid] : []),
      ]
        .sort()
        .join('')
    const ok = signedWith.some((t) => createHash('sha1').update(values(t)).digest('hex') === ext.signature)
    if (!ok) return err(40080, 'invalid cardext: signature mismatch') as { errcode: number; errmsg: string }
    if (nonce && this.nonces.has(nonce))
      return err(40080, 'invalid cardext: nonce_str used before') as { errcode: number; errmsg: string }
    if (nonce) this.nonces.add(nonce)
    const code = String(100_000_000_000 + Math.floor(Math.random() * 900_000_000_000))
    const encrypted = randomBytes(18).toString('base64').replace(/[+/=]/g, 'x')
    const unionid = this.unionids.get(openid)
    this.codes.set(code, {
      code,
      cardId,
      openid: oaOpenid(openid),
      mpOpenid: openid,
      ...(unionid ? { unionid } : {}),
      encrypted,
      status: 'NORMAL',
      outerStr: typeof ext.outer_str === 'string' ? ext.outer_str : '',
      addedAt: now,
      consumedAt: null,
    })
    return { cardId, code: encrypted, isSuccess: true, cardExt: cardExtJson }
  }
}
