/**
 * The official account's credentials, shared by every function instance through the database
 * (no server of our own): the `access_token` (cgi-bin/stable_token, with OA_APPID and OA_APPSECRET
 * from the function's environment) and the card `api_ticket` (cgi-bin/ticket/getticket?type=wx_card).
 *
 * - A value is used until REFRESH_EARLY_MS before it expires.
 * - One caller at a time refreshes: it takes a lease on the credential's document in a
 *   transaction; the others wait for the new value (polling), or use the old one while it is
 *   still really valid. A burst of 50 calls makes one request to WeChat.
 * - A call WeChat refuses with 40001 / 42001 / 40014 (invalid or expired token) refreshes at once
 *   (unless another caller already did) and is retried once: callWithToken.
 * Both values are rate-limited by WeChat (token calls a day; force refreshes 20 a day): never fetched per request.
 * Documents: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html,
 * 卡券 api_ticket (附录4-卡券扩展字段及签名生成算法).
 */
import { randomBytes } from 'node:crypto'
import * as v from 'valibot'
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
/** The account's daily quota of token (or ticket) requests is used up (全局返回码 45009). */
export const QUOTA_ERRCODE = 45009
/** After 45009, one attempt per this long across all instances (the quota resets daily; asking more only adds calls). */
export const QUOTA_BACKOFF_MS = 60_000
/** What a function puts in place of a malformed answer's errcode (WeChat's own "system busy"). */
export const MALFORMED_ERRCODE = -1

export type CredentialKind = 'access_token' | 'card_ticket'

interface CredentialDoc {
  _id: CredentialKind
  value: string
  expiresAt: Date
  lease?: { by: string; until: Date } | null
  /** After 45009: no request for a new value before this. */
  backoffUntil?: Date | null
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

/** An answer that is not what WeChat documents (not an object, no errcode, success without its fields): never believed. */
export class MalformedAnswerError extends WeChatApiError {
  constructor(path: string, what: string) {
    super(MALFORMED_ERRCODE, `${path}: ${what}`)
    this.name = 'MalformedAnswerError'
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
  const usable = (d: CredentialDoc | null, now: number, margin: number): boolean =>
    !!d && !!d.value && d.value !== stale && toMillis(d.expiresAt) - margin > now
  const backingOff = (d: CredentialDoc | null, now: number): boolean =>
    !!d?.backoffUntil && toMillis(d.backoffUntil) > now
  const quotaUsed = (d: CredentialDoc | null) =>
    new WeChatApiError(
      QUOTA_ERRCODE,
      `the ${kind} quota is used up; the next request to WeChat after ${new Date(toMillis(d?.backoffUntil)).toISOString()}`,
    )
  for (;;) {
    const now = Date.now()
    const doc = await getDoc<CredentialDoc>(TOKENS, kind)
    if (doc && usable(doc, now, REFRESH_EARLY_MS)) return doc.value
    if (backingOff(doc, now)) {
      if (doc && usable(doc, now, 0)) return doc.value
      throw quotaUsed(doc)
    }
    const outcome = await transact(async (t: Tx): Promise<'FRESH' | 'BUSY' | 'MINE' | 'BACKOFF'> => {
      const ref = t.collection(TOKENS).doc(kind)
      const cur = ((await ref.get()) as { data: CredentialDoc | null }).data
      if (usable(cur, now, REFRESH_EARLY_MS)) return 'FRESH'
      if (backingOff(cur, now)) return 'BACKOFF'
      if (cur?.lease && toMillis(cur.lease.until) > now) return 'BUSY'
      await ref.set({
        data: {
          value: cur?.value ?? '',
          expiresAt: cur?.expiresAt ?? new Date(0),
          lease: { by: me, until: new Date(now + LEASE_MS) },
          backoffUntil: null,
        },
      })
      return 'MINE'
    })
    if (outcome === 'FRESH' || outcome === 'BACKOFF') continue
    if (outcome === 'MINE') {
      let got: Fetched
      try {
        got = await fetch()
      } catch (e) {
        // Let the next caller try at once rather than wait for the lease to run out; after
        // 45009 nobody tries for QUOTA_BACKOFF_MS (one request a minute, not one per call).
        const quota = e instanceof WeChatApiError && e.errcode === QUOTA_ERRCODE
        await db()
          .collection(TOKENS)
          .doc(kind)
          .update({
            data: { lease: null, ...(quota ? { backoffUntil: new Date(Date.now() + QUOTA_BACKOFF_MS) } : {}) },
          })
        throw e
      }
      await db()
        .collection(TOKENS)
        .doc(kind)
        .set({
          data: {
            value: got.value,
            expiresAt: new Date(Date.now() + got.expiresIn * 1000),
            lease: null,
            backoffUntil: null,
          },
        })
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

/** A plain JSON object, or the named error: `null`, an array, a string or a number is no answer of WeChat's. */
function asObject(path: string, a: unknown): Record<string, unknown> {
  if (!a || typeof a !== 'object' || Array.isArray(a))
    throw new MalformedAnswerError(
      path,
      `the answer is ${a === null ? 'null' : Array.isArray(a) ? 'an array' : typeof a}, not a JSON object`,
    )
  return a as Record<string, unknown>
}

function checked(path: string, answer: unknown, field: 'access_token' | 'ticket'): Fetched {
  const a = asObject(path, answer) as TokenAnswer
  if (a.errcode) throw new WeChatApiError(a.errcode, a.errmsg ?? '')
  const value = a[field]
  if (typeof value !== 'string' || !value) throw new MalformedAnswerError(path, `no ${field} in the answer`)
  return { value, expiresIn: typeof a.expires_in === 'number' && a.expires_in > 0 ? a.expires_in : 7200 }
}

/**
 * The official account's access_token, from cgi-bin/stable_token (getStableAccessToken.html):
 * cgi-bin/token would invalidate the token of any other system serving the same account (its
 * menu, its replies), and the two would take turns failing with 40001; the stable token is one
 * that several systems share. Normal mode first (it answers the valid token); force_refresh
 * (20 a day, 30 s apart) only when normal mode answers the very token WeChat just refused.
 */
export function accessToken(cfg: OaConfig, stale?: string): Promise<string> {
  const path = 'cgi-bin/stable_token'
  const ask = async (forceRefresh: boolean) =>
    checked(
      path,
      await httpsJson<unknown>(`${API_BASE}/${path}`, {
        method: 'POST',
        body: { grant_type: 'client_credential', appid: cfg.appid, secret: cfg.secret, force_refresh: forceRefresh },
      }),
      'access_token',
    )
  return cached(
    'access_token',
    async () => {
      const got = await ask(false)
      return stale && got.value === stale ? ask(true) : got
    },
    stale,
  )
}

/** Calls an API with the token; on 40001 / 42001 / 40014 refreshes the token and tries once more. */
export async function callWithToken<T extends { errcode?: number; errmsg?: string }>(
  cfg: OaConfig,
  call: (token: string) => Promise<T>,
): Promise<T> {
  const token = await accessToken(cfg)
  const first = await call(token)
  if (!TOKEN_ERRCODES.has(first.errcode ?? 0)) return first
  return call(await accessToken(cfg, token))
}

/** The card api_ticket (for cardExt signatures). */
export function cardTicket(cfg: OaConfig): Promise<string> {
  const path = 'cgi-bin/ticket/getticket'
  return cached('card_ticket', async () =>
    checked(
      path,
      await callWithToken(
        cfg,
        async (token) =>
          asObject(
            path,
            await httpsJson<unknown>(`${API_BASE}/${path}?access_token=${encodeURIComponent(token)}&type=wx_card`),
          ) as TokenAnswer,
      ),
      'ticket',
    ),
  )
}

/** WeChat's answer of an official-account API: a failure with its errcode, or a success with the documented fields. */
export type OaAnswer<T> = { ok: true; errcode: 0; data: T } | { ok: false; errcode: number; errmsg: string }

/**
 * POST to an official-account API with the token (refreshed and retried once when WeChat
 * refuses it). The answer is believed only in the shape its document gives: an object with a
 * numeric errcode; on errcode 0, `shape`'s fields too. Anything else is MalformedAnswerError.
 */
export async function oaPost<T>(
  cfg: OaConfig,
  path: string,
  body: Record<string, unknown>,
  shape: v.GenericSchema<unknown, T>,
): Promise<OaAnswer<T>> {
  return callWithToken(cfg, async (token): Promise<OaAnswer<T>> => {
    const a = asObject(
      path,
      await httpsJson<unknown>(`${API_BASE}${path}?access_token=${encodeURIComponent(token)}`, {
        method: 'POST',
        body,
      }),
    )
    if (typeof a.errcode !== 'number' || !Number.isInteger(a.errcode))
      throw new MalformedAnswerError(path, 'the answer has no numeric errcode')
    if (a.errcode !== 0) return { ok: false, errcode: a.errcode, errmsg: typeof a.errmsg === 'string' ? a.errmsg : '' }
    const parsed = v.safeParse(shape, a)
    if (!parsed.success)
      throw new MalformedAnswerError(
        path,
        `errcode 0 without the documented fields (${parsed.issues[0]?.message ?? 'invalid'})`,
      )
    return { ok: true, errcode: 0, data: parsed.output }
  })
}
