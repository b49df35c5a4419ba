/**
 * The official account's credentials at api.weixin.qq.com, for the OA sandbox: cgi-bin/token
 * (Get_access_token.html: a token lasts 7200 s, a new one leaves the previous working 5 minutes),
 * cgi-bin/stable_token (getStableAccessToken.html: normal mode answers the valid token,
 * force_refresh at most 20 a day and 30 s apart, isolated from cgi-bin/token's), the global token
 * errors (40001, 40014, 42001) and the card api_ticket (cgi-bin/ticket/getticket?type=wx_card).
 */
import { randomBytes } from 'node:crypto'

type Answer = Record<string, unknown>

const TTL_S = 7200
/** How long a replaced token still works (Get_access_token.html: 5 minutes). */
const OVERLAP_MS = 5 * 60_000
const err = (errcode: number, errmsg: string): Answer => ({ errcode, errmsg })

export class OaTokens {
  private tokens = new Map<string, { expires: number; replacedAt: number | null; stable?: boolean }>()
  private tickets = new Map<string, number>()

  constructor(
    private readonly now: () => number,
    /** The account's AppID and AppSecret (read at each request: the tests configure them later). */
    private readonly account: { readonly appid: string; readonly secret: string },
  ) {}

  token(q: URLSearchParams): Answer {
    if (q.get('grant_type') !== 'client_credential') return err(40002, 'invalid grant_type')
    if (!this.account.appid || q.get('appid') !== this.account.appid) return err(40013, 'invalid appid')
    if (q.get('secret') !== this.account.secret) return err(40125, 'invalid appsecret')
    const now = this.now()
    for (const t of this.tokens.values()) if (t.replacedAt === null && !t.stable) t.replacedAt = now
    const token = `LOCAL_TOKEN_${randomBytes(24).toString('hex')}`
    this.tokens.set(token, { expires: now + TTL_S * 1000, replacedAt: null })
    return { access_token: token, expires_in: TTL_S }
  }

  /** The account's stable token (isolated from cgi-bin/token's: neither replaces the other). */
  private stable: { token: string; expires: number } | null = null
  private forced: number[] = []

  /**
   * cgi-bin/stable_token (getStableAccessToken.html): POST JSON `grant_type, appid, secret,
   * force_refresh`. Normal mode answers the same token while it is valid (with the seconds
   * left); force_refresh makes a new one and the previous stops working, at most 20 a day and
   * 30 s apart (45009 / 45011). Its tokens and cgi-bin/token's do not affect each other.
   */
  stableToken(body: Answer | null): Answer {
    if (body?.grant_type !== 'client_credential') return err(40002, 'invalid grant_type')
    if (!this.account.appid || body.appid !== this.account.appid) return err(40013, 'invalid appid')
    if (body.secret !== this.account.secret) return err(40125, 'invalid appsecret')
    const now = this.now()
    if (body.force_refresh === true) {
      this.forced = this.forced.filter((t) => now - t < 86_400_000)
      if (this.forced.some((t) => now - t < 30_000))
        return err(45011, 'api minute-quota reach limit mustslower retry next minute')
      if (this.forced.length >= 20) return err(45009, 'reach max api daily quota limit')
      this.forced.push(now)
    } else if (this.stable && this.stable.expires > now && this.tokens.has(this.stable.token)) {
      return { access_token: this.stable.token, expires_in: Math.floor((this.stable.expires - now) / 1000) }
    }
    if (this.stable) this.tokens.delete(this.stable.token)
    const token = `LOCAL_STABLE_${randomBytes(24).toString('hex')}`
    this.tokens.set(token, { expires: now + TTL_S * 1000, replacedAt: null, stable: true })
    this.stable = { token, expires: now + TTL_S * 1000 }
    return { access_token: token, expires_in: TTL_S }
  }

  check(token: string | null): Answer | null {
    if (!token || !/^[A-Za-z0-9_-]{16,512}$/.test(token)) return err(40014, 'invalid access_token')
    const t = this.tokens.get(token)
    const now = this.now()
    if (!t || (t.replacedAt !== null && now - t.replacedAt > OVERLAP_MS))
      return err(40001, 'invalid credential, access_token is invalid or not latest')
    if (t.expires <= now) return err(42001, 'access_token expired')
    return null
  }

  ticket(q: URLSearchParams): Answer {
    if (q.get('type') !== 'wx_card') return err(40097, 'invalid args (type must be wx_card here)')
    const ticket = `LOCAL_TICKET_${randomBytes(24).toString('hex')}`
    this.tickets.set(ticket, this.now() + TTL_S * 1000)
    return { errcode: 0, errmsg: 'ok', ticket, expires_in: TTL_S }
  }

  /** The card api_tickets still valid (a cardExt must be signed with one). */
  validTickets(): string[] {
    const now = this.now()
    return [...this.tickets.entries()].filter(([, exp]) => exp > now).map(([t]) => t)
  }

  /** Every issued token expires now (the next call answers 42001). */
  expireAll(): void {
    for (const t of this.tokens.values()) t.expires = this.now() - 1
    if (this.stable) this.stable.expires = this.now() - 1
  }

  /** Every issued token is revoked (the next call answers 40001, as after a secret reset). */
  revokeAll(): void {
    this.tokens.clear()
  }

  /** Another system of the account force-refreshed the stable token: ours answers 40001 (normal mode gives the new one). */
  forceRefreshElsewhere(): void {
    const r = this.stableToken({
      grant_type: 'client_credential',
      appid: this.account.appid,
      secret: this.account.secret,
      force_refresh: true,
    })
    if (typeof r.errcode === 'number') throw new Error(`forceRefreshElsewhere: ${String(r.errmsg)}`)
  }

  forget(): void {
    this.tokens.clear()
    this.stable = null
    this.forced = []
    this.tickets.clear()
  }
}
