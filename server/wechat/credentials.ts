/**
 * The official account's credentials, shared by every function instance through the database
 * (no server of our own): the `access_token` (cgi-bin/token, with OA_APPID and OA_APPSECRET from
 * the function's environment) and the card `api_ticket` (cgi-bin/ticket/getticket?type=wx_card).
 *
 * - A value is used until REFRESH_EARLY_MS before it expires.
 * - One caller at a time refreshes: it takes a lease on the credential's document in a
 *   transaction; the others wait for the new value (polling), or use the old one while it is
 *   still really valid. A burst of 50 calls makes one request to WeChat.
 * - A call WeChat refuses with 40001 / 42001 / 40014 (invalid or expired token) refreshes at once
 *   (unless another caller already did) and is retried once: callWithToken.
 * Both values are rate-limited by WeChat (2000 token calls a day): never fetched per request.
 * Documents: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html,
 * 卡券 api_ticket (附录4-卡券扩展字段及签名生成算法).
 */
import { randomBytes } from 'node:crypto'
import { db, getDoc, toMillis, transact, type Tx } from '../db'
import { httpsJson } from '../http'

export const TOKENS = 'wx_tokens'
export const API_BASE = 'https://api.weixin.qq.com'
/** Refresh this long before the expiry WeChat gave. */
export const REFRESH_EARLY_MS = 5 * 60_000
/** How long a refresher may hold the lease before another caller may take over. */
export const LEASE_MS = 5_000
/** How often a waiting caller looks again, and for how long at most. */
export const WAIT_STEP_MS = 50
export const WAIT_MAX_MS = 4_000
/** WeChat's answers for an invalid or expired access_token. */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001])

export type CredentialKind = 'access_token' | 'card_ticket'

interface CredentialDoc {
  _id: CredentialKind
  value: string
  expiresAt: Date
  lease?: { by: string; until: Date } | null
}

/** An answer of WeChat's with a non-zero errcode (the errmsg is WeChat's; nothing secret). */
export class WeChatApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`WeChat errcode ${errcode}: ${errmsg}`)
    this.name = 'WeChatApiError'
  }
}

export interface OaConfig {
  appid: string
  secret: string
}

/** The official account bound to the mini-program, or null when the function has none configured. */
export function oaConfig(env: NodeJS.ProcessEnv = process.env): OaConfig | null {
  const appid = (env.OA_APPID ?? '').trim()
  const secret = (env.OA_APPSECRET ?? '').trim()
  return appid && secret ? { appid, secret } : null
}

interface Fetched {
  value: string
  expiresIn: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The credential, from the shared cache or refreshed by exactly one caller. `stale`: a value WeChat refused. */
async function cached(kind: CredentialKind, fetch: () => Promise<Fetched>, stale?: string): Promise<string> {
  const deadline = Date.now() + WAIT_MAX_MS
  const me = randomBytes(8).toString('hex')
  const usable = (d: CredentialDoc | null, now: number, margin: number): boolean => !!d && !!d.value && d.value !== stale && toMillis(d.expiresAt) - margin > now
  for (;;) {
    const now = Date.now()
    const doc = await getDoc<CredentialDoc>(TOKENS, kind)
    if (doc && usable(doc, now, REFRESH_EARLY_MS)) return doc.value
    const outcome = await transact(async (t: Tx): Promise<'FRESH' | 'BUSY' | 'MINE'> => {
      const ref = t.collection(TOKENS).doc(kind)
      const cur = ((await ref.get()) as { data: CredentialDoc | null }).data
      if (usable(cur, now, REFRESH_EARLY_MS)) return 'FRESH'
      if (cur?.lease && toMillis(cur.lease.until) > now) return 'BUSY'
      await ref.set({ data: { value: cur?.value ?? '', expiresAt: cur?.expiresAt ?? new Date(0), lease: { by: me, until: new Date(now + LEASE_MS) } } })
      return 'MINE'
    })
    if (outcome === 'FRESH') continue
    if (outcome === 'MINE') {
      let got: Fetched
      try {
        got = await fetch()
      } catch (e) {
        // Let the next caller try at once rather than wait for the lease to run out.
        await db().collection(TOKENS).doc(kind).update({ data: { lease: null } })
        throw e
      }
      await db().collection(TOKENS).doc(kind).set({ data: { value: got.value, expiresAt: new Date(Date.now() + got.expiresIn * 1000), lease: null } })
      return got.value
    }
    // Someone else is refreshing: the old value serves while it is really valid.
    if (doc && usable(doc, Date.now(), 0)) return doc.value
    if (Date.now() > deadline) throw new WeChatApiError(-1, `the ${kind} refresh by another call is taking too long`)
    await sleep(WAIT_STEP_MS)
  }
}

interface TokenAnswer {
  access_token?: string
  expires_in?: number
  ticket?: string
  errcode?: number
  errmsg?: string
}

function checked(a: TokenAnswer, field: 'access_token' | 'ticket'): Fetched {
  const value = a[field]
  if (a.errcode || typeof value !== 'string' || !value) throw new WeChatApiError(a.errcode ?? -1, a.errmsg ?? `no ${field} in WeChat's answer`)
  return { value, expiresIn: typeof a.expires_in === 'number' && a.expires_in > 0 ? a.expires_in : 7200 }
}

/** The official account's access_token. */
export function accessToken(cfg: OaConfig, stale?: string): Promise<string> {
  const url = `${API_BASE}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(cfg.appid)}&secret=${encodeURIComponent(cfg.secret)}`
  return cached('access_token', async () => checked(await httpsJson<TokenAnswer>(url), 'access_token'), stale)
}

/** Calls an API with the token; on 40001 / 42001 / 40014 refreshes the token and tries once more. */
export async function callWithToken<T extends { errcode?: number; errmsg?: string }>(cfg: OaConfig, call: (token: string) => Promise<T>): Promise<T> {
  const token = await accessToken(cfg)
  const first = await call(token)
  if (!TOKEN_ERRCODES.has(first.errcode ?? 0)) return first
  return call(await accessToken(cfg, token))
}

/** The card api_ticket (for cardExt signatures). */
export function cardTicket(cfg: OaConfig): Promise<string> {
  return cached('card_ticket', async () => checked(await callWithToken(cfg, (token) => httpsJson<TokenAnswer>(`${API_BASE}/cgi-bin/ticket/getticket?access_token=${encodeURIComponent(token)}&type=wx_card`)), 'ticket'))
}

/** POST to an official-account API with the token (refreshed and retried once when WeChat refuses it). */
export async function oaPost<T extends { errcode?: number; errmsg?: string }>(cfg: OaConfig, path: string, body: Record<string, unknown>): Promise<T> {
  return callWithToken(cfg, (token) => httpsJson<T>(`${API_BASE}${path}?access_token=${encodeURIComponent(token)}`, { method: 'POST', body }))
}
