/**
 * Recording what WeChat sends (issue #27), off unless RECORD_WECHAT=1 is set on the function:
 * each inbound push or payment / refund notification is stored in `wechat_recordings`, scrubbed first, so `npm run recordings:pull`
 * can turn real traffic into test files (tests/recorded/). Scrubbing keeps the shape (every field,
 * its type and nesting) and what the code decides on (message types, events, times, ids of
 * messages, amounts, codes) and removes who and what was said:
 * - openids, unionids, merchant ids and account ids (FromUserName, ToUserName, …) become stable hashes (the
 *   same user is the same hash in every recording of one environment);
 * - phone numbers, names, nicknames, addresses, message text, links, media ids, tokens,
 *   signatures and encrypted blobs become '[removed]' (the type stays a string).
 * A recording over MAX_RECORDING_BYTES is not kept; each is kept RECORD_TTL_MS (the customer-
 * service timer removes older ones). Recording never breaks the handling of the push.
 */
import { createHash, randomBytes } from 'node:crypto'
import { db } from './db'
import { errText } from './errors'
import { wxContext } from './wx'
import { isAdminInvocation } from './doctor'

export const RECORDINGS = 'wechat_recordings'
export const RECORD_TTL_MS = 7 * 24 * 60 * 60 * 1000
export const MAX_RECORDING_BYTES = 16 * 1024
/** Recordings removed per timer tick at most (the rest on the next). */
const FORGET_PAGE = 100

const HASHED = /(openid|unionid|mch_?id)$|^(FromUserName|ToUserName|touser)$/i
const REMOVED =
  /phone|mobile|tel$|name$|nickname|address|content|text|title|url$|mediaid|token|sign|signature|encrypt|nonce|secret|key$|PagePath|SessionFrom|jsonString/i

/** api: a cloud.openapi call and its answer as the SDK gives it; push: message push (customerService, and customerServiceHttp once verified); card-event: cardEvents once verified; pay-notification / refund-notification: cloudPay's callbacks. */
export type RecordingKind = 'push' | 'pay-notification' | 'refund-notification' | 'card-event' | 'api'

export function scrub(value: unknown, salt: string, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => scrub(v, salt, key))
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, scrub(v, salt, k)]))
  if (typeof value !== 'string') return value
  if (HASHED.test(key)) return `h-${createHash('sha256').update(`${salt}:${value}`).digest('hex').slice(0, 24)}`
  if (REMOVED.test(key)) return '[removed]'
  return value
}

export async function recordInbound(kind: RecordingKind, payload: unknown): Promise<void> {
  if (process.env.RECORD_WECHAT !== '1') return
  try {
    const scrubbed = scrub(payload, wxContext().ENV ?? 'local')
    if (Buffer.byteLength(JSON.stringify(scrubbed)) > MAX_RECORDING_BYTES) return
    const now = Date.now()
    await db()
      .collection(RECORDINGS)
      .add({
        data: {
          _id: `${kind}-${now}-${randomBytes(4).toString('hex')}`,
          kind,
          payload: scrubbed,
          at: new Date(now),
          expiresAt: new Date(now + RECORD_TTL_MS),
        },
      })
  } catch (e) {
    console.error(JSON.stringify({ where: 'recordInbound', error: errText(e) }))
  }
}

/** Removes expired recordings (a page per call); how many. */
export async function forgetExpiredRecordings(now: number): Promise<number> {
  // remove() takes no limit (the SDK ignores it): a page of ids first, then those.
  const _ = db().command
  const page = (await db()
    .collection(RECORDINGS)
    .where({ expiresAt: _.lt(new Date(now)) })
    .field({ _id: true })
    .limit(FORGET_PAGE)
    .get()) as { data: Array<{ _id: string }> }
  if (!page.data.length) return 0
  const r = (await db()
    .collection(RECORDINGS)
    .where({ _id: _.in(page.data.map((d) => d._id)) })
    .remove()) as { stats?: { removed?: number } }
  return r.stats?.removed ?? 0
}

/** `npm run recordings:pull -- --env`'s read: an administrator's invocation of customerService (server/doctor.ts). */
export const RECORDINGS_ACTION = '$recordings'
/** Recordings per page of the pull (16 KB each at most: 800 KB a page, under the 6 MB an invocation may answer). */
export const PULL_PAGE = 50
const AFTER = /^[A-Za-z0-9-]{1,80}$/

export interface RecordingsPage {
  recordings: Array<{ _id: string; kind: string; payload: unknown; at: string }>
  /** The last _id of this page, to ask for the next; null on the last page. */
  next: string | null
}

/** The page of recordings after `event.after` (by _id), or null when the event is not an administrator's pull. */
export async function recordingsAnswer(
  event: unknown,
): Promise<
  { ok: true; data: RecordingsPage } | { ok: false; error: { code: 'INVALID_INPUT'; message: string } } | null
> {
  if (!isAdminInvocation(event, wxContext().OPENID ?? '', RECORDINGS_ACTION)) return null
  const after = (event as { after?: unknown }).after
  if (after !== undefined && (typeof after !== 'string' || !AFTER.test(after)))
    return {
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'after must be the next value of the previous page.' },
    }
  const _ = db().command
  const q = db().collection(RECORDINGS)
  const page = (await (after ? q.where({ _id: _.gt(after) }) : q)
    .orderBy('_id', 'asc')
    .limit(PULL_PAGE)
    .get()) as unknown as { data: Array<{ _id: string; kind: string; payload: unknown; at: Date }> }
  const recordings = page.data.map((r) => ({
    _id: r._id,
    kind: r.kind,
    payload: r.payload,
    at: new Date(r.at).toISOString(),
  }))
  return { ok: true, data: { recordings, next: recordings.length === PULL_PAGE ? recordings.at(-1)!._id : null } }
}

/** Binary values (a wxacode image, an uploaded picture) are kept as their kind, not their bytes. */
export const BINARY = '[binary]'
export function bufferless(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return BINARY
  if (Array.isArray(value)) return value.map(bufferless)
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, bufferless(v)]))
  return value
}

/** Records one cloud.openapi call: the request and the SDK's answer, or the errcode it failed with. */
async function recordAnswer(api: string, request: unknown, answer: unknown, error?: unknown): Promise<void> {
  const e = error as { errCode?: unknown; errMsg?: unknown } | undefined
  const said =
    error === undefined
      ? bufferless(answer)
      : {
          errcode: typeof e?.errCode === 'number' ? e.errCode : -1,
          errmsg: typeof e?.errMsg === 'string' ? e.errMsg : String(error),
        }
  await recordInbound('api', { api, form: 'sdk', request: bufferless(request), answer: said })
}

/**
 * cloud.openapi with every call recorded: openapi.<namespace>.<method>(params). The SDK's own
 * namespaces may themselves be callable proxies, so the depth decides, not the type: the first
 * level is a namespace, the second a call. The SDK's object is untouched.
 */
export function recordingOpenApi<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, ns) {
      const space = Reflect.get(t, ns) as unknown
      if (typeof ns !== 'string' || !space || (typeof space !== 'object' && typeof space !== 'function')) return space
      return new Proxy(space as object, {
        get(s, method) {
          const value = Reflect.get(s, method) as unknown
          if (typeof method !== 'string' || typeof value !== 'function') return value
          const api = `${ns}.${method}`
          return async (params: unknown) => {
            let answer: unknown
            try {
              answer = await (value as (p: unknown) => Promise<unknown>).call(s, params)
            } catch (err) {
              await recordAnswer(api, params, undefined, err)
              throw err
            }
            await recordAnswer(api, params, answer)
            return answer
          }
        },
      })
    },
  })
}
