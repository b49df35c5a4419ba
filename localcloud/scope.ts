/**
 * One invocation's scope in the local cloud: who calls (Caller), what it did (Invocation), its
 * context (the function, its environment, its caller) carried by an AsyncLocalStorage so that
 * concurrent invocations of different users never see each other's, and the crash plan that
 * cuts its I/O off at a planned request (`cut`). The SDK patches (patches.ts) read it.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { LocalCloud } from './index'

export interface Caller {
  openid?: string
  unionid?: string
  appid?: string
  clientIp?: string
  /** A phone on an IPv6-only network has this instead of clientIp. */
  clientIpv6?: string
}

export interface Invocation {
  id: string
  fn: string
  source: string
  event: unknown
  openid?: string
  startedAt: number
  ms: number
  result?: unknown
  error?: { errCode: number; errMsg: string }
  /** Requests it made: database and WeChat (what a crash test iterates over). */
  io?: { db: number; wechat: number }
  /** It was cut off by a CrashPlan. */
  crashed?: boolean
}

/** Error shape of wx.cloud.callFunction failures (the client SDK's errCode / errMsg). */
export class CallFunctionError extends Error {
  constructor(
    readonly errCode: number,
    readonly errMsg: string,
  ) {
    super(errMsg)
    this.name = 'CallFunctionError'
  }
}

/** What `wx.cloud.CloudID(id)` returns in the page (only top-level ones are replaced). */
export class CloudIdRef {
  constructor(readonly cloudID: string) {}
}

export interface Scope {
  cloud: LocalCloud
  fn: string
  env: Record<string, string>
  caller: Caller
  source: string
  io: Io
}

/**
 * A crash the tests plan for the next invocation of `fn`: CloudBase kills a function at its
 * timeout, recycles an instance, or a request times out after it was applied. At the planned
 * point the invocation's I/O stops: that request (and every later one) never answers, and the
 * caller gets -504003 as from a timeout.
 * - `atDb`: the k-th database request (1-based); `applied`: it took effect and its answer was lost.
 * - `atWeChat`: the k-th call to WeChat (openapi, cloudPay, the official account's HTTPS API);
 *   `effect`: WeChat did it and the answer was lost (else a timeout before it reached WeChat).
 */
export interface CrashPlan {
  fn: string
  atDb?: { k: number; applied: boolean }
  atWeChat?: { k: number; effect: boolean }
}

/** One invocation's requests so far, and its planned crash. */
export interface Io {
  db: number
  wechat: number
  plan?: CrashPlan
  dead: boolean
  kill?: () => void
}

/** A request of a killed invocation: never answers. */
const never = <T>(): Promise<T> => new Promise<T>(() => {})

/**
 * Every request that leaves a function goes through here: counted per invocation, and cut off
 * where a CrashPlan says (the request applied first, or not).
 */
export async function cut<T>(kind: 'db' | 'wechat', run: () => Promise<T>): Promise<T> {
  const io = als.getStore()?.io
  if (!io) return run()
  if (io.dead) return never<T>()
  const n = ++io[kind]
  const at = kind === 'db' ? io.plan?.atDb : io.plan?.atWeChat
  if (!at || at.k !== n) return run()
  const happened = kind === 'db' ? (at as { applied: boolean }).applied : (at as { effect: boolean }).effect
  if (happened) await run().catch(() => undefined)
  io.dead = true
  io.kill?.()
  return never<T>()
}

/** The running invocation's scope (undefined outside one). */
export const als = new AsyncLocalStorage<Scope>()
let lastCloud: LocalCloud | undefined

/** The cloud the SDK patch dispatches to outside invocations: the latest one created. */
export function setLatestCloud(cloud: LocalCloud): void {
  lastCloud = cloud
}

export function current(): LocalCloud {
  const cloud = als.getStore()?.cloud ?? lastCloud
  if (!cloud) throw new Error('localcloud: no LocalCloud has been created')
  return cloud
}

/**
 * The WX_* keys getWXContext() reads for a caller (WX_CONTEXT_KEYS lists them), and the
 * environment's TCB_* keys. Which fields WeChat replaced (`openDataKeys`) comes from WeChat, out
 * of band, never from the call's data.
 */
export function contextEnv(
  caller: Caller,
  at: { appid: string; env: string; source: string; openDataKeys?: string[] | undefined },
): Record<string, string> {
  const wx: Record<string, string> = {}
  if (caller.openid) wx.WX_OPENID = caller.openid
  if (caller.openid || caller.appid) wx.WX_APPID = caller.appid ?? at.appid
  if (caller.unionid) wx.WX_UNIONID = caller.unionid
  if (caller.clientIp) wx.WX_CLIENTIP = caller.clientIp
  if (caller.clientIpv6) wx.WX_CLIENTIPV6 = caller.clientIpv6
  if (at.openDataKeys?.length) wx.WX_OPEN_DATA_INFO = JSON.stringify({ keys: at.openDataKeys })
  return {
    ...wx,
    WX_CONTEXT_KEYS: Object.keys(wx).join(','),
    TCB_ENV: at.env,
    SCF_NAMESPACE: at.env,
    TCB_SOURCE: at.source,
  }
}
