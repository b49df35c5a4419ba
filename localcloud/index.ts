/**
 * The local cloud: runs each cloud function's deployed bundle (cloudfunctions/<name>/index.js,
 * which does `require('wx-server-sdk')`) UNCHANGED, with the REAL wx-server-sdk. Only the
 * SDK's network layer is replaced — the methods of @cloudbase/node-sdk that would leave the
 * machine:
 *   CloudBase#callCompatibleWxOpenApi  -> this.openapi (protobuf in, protobuf out, as on the wire)
 *   CloudBase#callWxPayApi             -> this.cloudPay (JSON in, JSON out)
 *   CloudBase#uploadFile/getTempFileURL/deleteFile/downloadFile -> this.storage
 *   CloudBase#callFunction             -> this.invoke (function calling function)
 *   TcbDBApiHttpRequester#send         -> this.db (database protocol, mingo engine)
 * So the SDK's own request encoding, camelCase/snake_case conversion, error classes,
 * `throwOnNotFound` and `runTransaction` retries are what runs.
 *
 * getWXContext() reads process.env (WX_CONTEXT_KEYS, WX_OPENID, ...). Each invocation gets its
 * own values through an AsyncLocalStorage-backed view of process.env, so concurrent
 * invocations of different users never see each other's context.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { listFunctions } from './project'
import { tmpdir } from 'node:os'
import { dirname, join, resolve, sep } from 'node:path'
import { DbEngine, type CollectionSpec, type LatencyRange } from './db-engine'
import { MessagePush, type PushDelivery } from './message-push'
import { OaSandbox } from './oa-sandbox'
import { BILL_TEXT, PaySandbox } from './pay-sandbox'
import { WxPayV3Sandbox } from './wxpay-v3-sandbox'
import { API_TYPE, decodeCommApiData, decodeGetOpenDataReq, encodeGetOpenDataResp, encodeResp } from './protocol'
import { OpenApiSandbox, WxApiError, type CallInfo } from './sandbox'
import { LocalStorage } from './storage'

export { WxApiError } from './sandbox'
export { parseLatency, type LatencyRange } from './db-engine'
export { PaySandbox, paySign } from './pay-sandbox'
export { MessagePush, toWxJson, toWxXml, type PushDelivery, type PushEvent, type UrlModeSettings } from './message-push'

export interface Caller {
  openid?: string
  unionid?: string
  appid?: string
  clientIp?: string
  /** A phone on an IPv6-only network has this instead of clientIp. */
  clientIpv6?: string
}

export interface LocalCloudOptions {
  /** Project root (holds cloudfunctions/, database/, cloudbaserc.json). */
  root?: string
  env?: string
  appid?: string
  /** Folder for a persistent database and storage; omitted: memory database, temp storage. */
  dataDir?: string
  now?: () => number
  /**
   * Values for `{{env.NAME}}` placeholders in cloudbaserc.json's `envVariables` (what your
   * untracked .env gives `tcb fn deploy`). Unset names fall back to process.env; a placeholder
   * with no value leaves the variable unset, as a deploy without it would.
   */
  vars?: Record<string, string>
  /**
   * Database latency per request (CloudBase's network round trip), e.g. `{ min: 1, max: 8, seed: 7 }`
   * or `parseLatency(process.env.LOCALCLOUD_DB_LATENCY)`; none by default (`npm start` answers at once).
   */
  dbLatency?: LatencyRange | null
  /**
   * A query no index serves, on a collection above SCAN_LIMIT documents: 'refuse' (tests, the
   * bench: the query fails naming the index to declare) or 'warn' (`npm start`: one line per
   * query shape on stderr). Default 'refuse'.
   */
  scans?: 'refuse' | 'warn'
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

export interface FunctionConfig {
  /** Seconds, from cloudbaserc.json (3 when unset, CloudBase's default). */
  timeout: number
  /** config.json permissions.openapi. */
  permissions: string[]
  /** cloudbaserc.json envVariables with placeholders resolved. */
  envVariables: Record<string, string>
}

/** CloudBase error names by errCode (wx-server-sdk's TCB_ERR_CODE), for failures injected into cloudPay. */
const TCB_CODE_NAMES: Record<number, string> = {
  [-501001]: 'SYS_ERR',
  [-501002]: 'SERVER_TIMEOUT',
  [-501003]: 'EXCEED_REQUEST_LIMIT',
  [-501004]: 'EXCEED_CONCURRENT_REQUEST_LIMIT',
  [-501007]: 'INVALID_PARAM',
}

interface Store {
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
interface Io {
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
async function cut<T>(kind: 'db' | 'wechat', run: () => Promise<T>): Promise<T> {
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

/** The pages of the project's app.json (main package and subpackages), or null without one. */
function appPages(root: string): Set<string> | null {
  const file = join(root, 'miniprogram', 'app.json')
  if (!existsSync(file)) return null
  const app = JSON.parse(readFileSync(file, 'utf8')) as {
    pages?: string[]
    subPackages?: Array<{ root: string; pages: string[] }>
    subpackages?: Array<{ root: string; pages: string[] }>
  }
  const pages = [
    ...(app.pages ?? []),
    ...(app.subPackages ?? app.subpackages ?? []).flatMap((p) =>
      p.pages.map((x) => `${p.root.replace(/\/$/, '')}/${x}`),
    ),
  ]
  return new Set(pages)
}

const als = new AsyncLocalStorage<Store>()
let lastCloud: LocalCloud | undefined

const CLOUD_ID_TTL_MS = 5 * 60_000

export class LocalCloud {
  readonly root: string
  readonly env: string
  readonly appid: string
  readonly db: DbEngine
  readonly openapi: OpenApiSandbox
  readonly cloudPay: PaySandbox
  /** WeChat Pay APIv3 at api.mch.weixin.qq.com, over the same order book (PAY_PROVIDER=wxpay-v3). */
  readonly wxpayV3: WxPayV3Sandbox
  readonly storage: LocalStorage
  /** The official account's API (tokens, card ticket, card codes) that functions reach over HTTPS. */
  readonly oa: OaSandbox
  /** WeChat's message push (cloud console routing and URL mode), with its 5 s wait and 3 retries. */
  readonly push: MessagePush
  readonly invocations: Invocation[] = []
  /** "fn:api" pairs to refuse as if config.json lacked them (tests of -604101). */
  readonly deniedPermissions = new Set<string>()
  readonly now: () => number
  private cloudIds = new Map<string, { data: unknown; expires: number; openid?: string }>()
  private modules = new Map<string, { main: (event: unknown, context: unknown) => Promise<unknown> }>()

  constructor(opts: LocalCloudOptions = {}) {
    this.root = resolve(opts.root ?? join(__dirname, '..'))
    this.env = opts.env ?? 'local-dev'
    this.appid = opts.appid ?? 'wx0000000000local'
    this.now = opts.now ?? Date.now
    this.db = new DbEngine({ ...(opts.dataDir ? { file: join(opts.dataDir, 'db.json') } : {}), now: this.now })
    this.db.setLatency(opts.dbLatency ?? null)
    this.db.scanPolicy = opts.scans ?? 'refuse'
    this.openapi = new OpenApiSandbox(this.now)
    this.openapi.appPages = appPages(this.root)
    this.vars = opts.vars ?? {}
    this.oa = new OaSandbox(this.now)
    this.oa.configure(this.vars)
    this.cloudPay = new PaySandbox(this.now, this.env, (fn, event, http) =>
      this.invoke(fn, event, {}, http ? 'http' : 'wx_paycallback'),
    ) // getWXContext SOURCE 枚举: wx_paycallback 微信支付回调
    this.wxpayV3 = new WxPayV3Sandbox(this.cloudPay, this.now)
    this.cloudPay.v3 = this.wxpayV3
    // PAY_PROVIDER=wxpay-v3: the merchant's keys and ids, as a merchant would set them (the test's own values win).
    if (this.vars.PAY_PROVIDER === 'wxpay-v3') this.vars = { ...this.wxpayV3.vars(this.env), ...this.vars }
    this.push = new MessagePush(this)
    this.storage = new LocalStorage(
      opts.dataDir ? join(opts.dataDir, 'storage') : mkdtempSync(join(tmpdir(), 'localcloud-')),
      this.env,
    )
    this.seedAll()
    this.loadSandboxCards()
    installSdkPatch()
    installHttpsPatch()
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the SDK patch dispatches to the latest cloud outside invocations
    lastCloud = this
  }

  /** The project's collections, and seed data (database/seed/*.json) in the empty ones, as the console's import would. */
  private seedAll(): void {
    for (const spec of this.collectionSpecs()) {
      this.db.createCollection(spec)
      if (spec.seed && this.db.dump(spec.name).length === 0) {
        this.db.seed(
          spec.name,
          JSON.parse(readFileSync(join(this.root, 'database', spec.seed), 'utf8')) as Array<Record<string, unknown>>,
        )
      }
    }
  }

  /** The catalogue's cards exist at the sandbox's WeChat (approved unless `localSandbox.approved` is false). */
  private loadSandboxCards(): void {
    const file = join(this.root, 'database', 'seed', 'cards.json')
    if (!existsSync(file)) return
    const cards = JSON.parse(readFileSync(file, 'utf8')) as Array<{
      cardId: string
      title: string
      bindOpenid?: boolean
      localSandbox?: { approved?: boolean }
    }>
    for (const c of cards)
      this.oa.cards.set(c.cardId, {
        cardId: c.cardId,
        title: c.title,
        approved: c.localSandbox?.approved !== false,
        ...(c.bindOpenid ? { bindOpenid: true } : {}),
      })
  }

  /**
   * Back to a fresh environment: empty collections with their seed data, no files, no
   * invocations, nothing in the outbox, and WeChat's memory of users (subscribe acceptances,
   * phone codes, reply windows, SOTER keys, CloudIDs, sandbox orders) forgotten.
   */
  reset(): void {
    this.db.clear()
    this.seedAll()
    this.storage.clear()
    this.invocations.length = 0
    this.cloudIds.clear()
    this.openapi.forgetUsers()
    this.cloudPay.forgetOrders()
    this.oa.forget()
  }

  /** database/collections.json: the collections, indexes and rules the project ships. */
  collectionSpecs(): CollectionSpec[] {
    const file = join(this.root, 'database', 'collections.json')
    if (!existsSync(file)) return []
    return (JSON.parse(readFileSync(file, 'utf8')) as { collections: CollectionSpec[] }).collections
  }

  /** The functions' environment variables (cloudbaserc.json `envVariables` resolved from these). */
  readonly vars: Record<string, string>
  private configs = new Map<string, FunctionConfig>()

  /**
   * The function's settings: timeout (seconds) from cloudbaserc.json, openapi permissions from
   * its config.json. Read once per function, like its module (a reload must clear both).
   */
  functionConfig(name: string): FunctionConfig {
    let cfg = this.configs.get(name)
    if (!cfg) this.configs.set(name, (cfg = this.readFunctionConfig(name)))
    return cfg
  }

  private readFunctionConfig(name: string): FunctionConfig {
    const rc = join(this.root, 'cloudbaserc.json')
    let timeout = 3 // CloudBase's default when none is set
    const envVariables: Record<string, string> = {}
    if (existsSync(rc)) {
      const fns =
        (
          JSON.parse(readFileSync(rc, 'utf8')) as {
            functions?: Array<{ name: string; timeout?: number; envVariables?: Record<string, string> }>
          }
        ).functions ?? []
      const fn = fns.find((f) => f.name === name)
      timeout = fn?.timeout ?? timeout
      for (const [k, raw] of Object.entries(fn?.envVariables ?? {})) {
        const value = String(raw).replace(
          /\{\{\s*env\.([A-Za-z0-9_]+)\s*\}\}/g,
          (_m, v: string) => this.vars[v] ?? process.env[v] ?? '',
        )
        if (value !== '') envVariables[k] = value
      }
    }
    const cfg = join(this.root, 'cloudfunctions', name, 'config.json')
    const permissions = existsSync(cfg)
      ? ((JSON.parse(readFileSync(cfg, 'utf8')) as { permissions?: { openapi?: string[] } }).permissions?.openapi ?? [])
      : []
    return { timeout, permissions, envVariables }
  }

  private crashPlans: CrashPlan[] = []

  /** The next invocation of `plan.fn` is cut off where the plan says (tests of crash consistency). */
  crashNext(plan: CrashPlan): void {
    this.crashPlans.push(plan)
  }

  /**
   * WeChat pushes an official-account card event (OaSandbox.userDoes) to the official account's
   * server: in URL mode, signed with OA_PUSH_TOKEN (encrypted in OA_PUSH_MODE compatible / safe),
   * to `cardEvents` over HTTP access, again when no answer came in 5 s.
   */
  cardEvent(
    event: Record<string, unknown> & { MsgType: string; FromUserName: string; CreateTime: number },
  ): Promise<PushDelivery> {
    const v = (k: string) => this.vars[k] ?? process.env[k] ?? ''
    const mode =
      v('OA_PUSH_MODE') === 'safe' || v('OA_PUSH_MODE') === 'compatible'
        ? (v('OA_PUSH_MODE') as 'safe' | 'compatible')
        : 'plain'
    return this.push.deliverToUrl(event, {
      fn: 'cardEvents',
      token: v('OA_PUSH_TOKEN'),
      mode,
      format: 'xml',
      encodingAesKey: v('OA_PUSH_AES_KEY'),
      appid: v('OA_APPID'),
    })
  }

  /** Fires a timer trigger, as CloudBase does on the function's cron (event: Type, TriggerName, Time). */
  runTimer(name: string, triggerName = 'timer'): Promise<unknown> {
    return this.invoke(
      name,
      { Type: 'Timer', TriggerName: triggerName, Time: new Date(this.now()).toISOString() },
      {},
      'wx_trigger',
    )
  }

  /** Issues a CloudID for open data (what wx.getWeRunData & co. give the page). Valid 5 minutes. */
  issueCloudId(data: unknown, openid?: string): string {
    const id = `local_${randomBytes(12).toString('hex')}`
    this.cloudIds.set(id, { data, expires: this.now() + CLOUD_ID_TTL_MS, ...(openid ? { openid } : {}) })
    return id
  }

  resolveCloudId(cloudID: string): { cloudID: string; data?: unknown; errCode?: number; errMsg?: string } {
    const entry = this.cloudIds.get(cloudID)
    // An id WeChat never issued: its exact code is undocumented; the sandbox answers with the
    // system parameter error (-601002, 微信后台通用错误：系统参数错误), never with data.
    if (!entry) return { cloudID, errCode: -601002, errMsg: 'invalid cloudID' }
    if (entry.expires < this.now()) return { cloudID, errCode: -601006, errMsg: 'cloudID expired' }
    return { cloudID, data: entry.data }
  }

  /** How many times each function's bundle was loaded (a cold start, or a reload after a rebuild). */
  readonly loads = new Map<string, number>()

  /** The functions of the project (the ones the build builds). */
  functionNames(): string[] {
    return listFunctions(join(this.root, 'cloudfunctions'))
  }

  /** Forgets loaded function bundles (all, or one) so the next call loads the rebuilt index.js. */
  reload(name?: string): void {
    for (const fn of name ? [name] : [...this.modules.keys()]) {
      // index.js and the bundle it loads (scripts/build-functions.ts).
      const dir = join(this.root, 'cloudfunctions', fn) + sep
      for (const key of Object.keys(require.cache))
        if (key.startsWith(dir) && !key.includes(`${sep}node_modules${sep}`)) delete require.cache[key]
      this.modules.delete(fn)
    }
  }

  private loadFunction(name: string) {
    let mod = this.modules.get(name)
    if (mod) return mod
    const file = join(this.root, 'cloudfunctions', name, 'index.js')
    if (!/^[A-Za-z0-9_-]+$/.test(name) || !existsSync(file)) {
      throw new CallFunctionError(-501000, `[FunctionName] function ${name} not found (is it built? run npm run build)`)
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as { main: (event: unknown, context: unknown) => Promise<unknown> }
    if (typeof mod.main !== 'function') throw new CallFunctionError(-501000, `function ${name} exports no main`)
    this.modules.set(name, mod)
    this.loads.set(name, (this.loads.get(name) ?? 0) + 1)
    return mod
  }

  /**
   * Runs a function as CloudBase would for `source`: its own context (getWXContext), the
   * timeout from cloudbaserc.json (-504003), errors as -504002.
   */
  async invoke(
    name: string,
    event: unknown,
    caller: Caller = {},
    source = 'wx_client',
    openDataKeys?: string[],
  ): Promise<unknown> {
    const { timeout, envVariables } = this.functionConfig(name)
    const requestId = randomBytes(8).toString('hex')
    const wx: Record<string, string> = {}
    if (caller.openid) wx.WX_OPENID = caller.openid
    if (caller.openid || caller.appid) wx.WX_APPID = caller.appid ?? this.appid
    if (caller.unionid) wx.WX_UNIONID = caller.unionid
    if (caller.clientIp) wx.WX_CLIENTIP = caller.clientIp
    if (caller.clientIpv6) wx.WX_CLIENTIPV6 = caller.clientIpv6
    // Which fields WeChat replaced comes from WeChat (out of band), never from the call's data.
    if (openDataKeys?.length) wx.WX_OPEN_DATA_INFO = JSON.stringify({ keys: openDataKeys })
    const env = {
      ...envVariables,
      ...wx,
      WX_CONTEXT_KEYS: Object.keys(wx).join(','),
      TCB_ENV: this.env,
      SCF_NAMESPACE: this.env,
      TCB_SOURCE: source,
    }
    if (source === 'wx_client' && caller.openid) this.openapi.userVisited(caller.openid)
    const record: Invocation = {
      id: requestId,
      fn: name,
      source,
      event,
      ...(caller.openid ? { openid: caller.openid } : {}),
      startedAt: this.now(),
      ms: 0,
    }
    this.invocations.push(record)
    const t0 = performance.now()
    let timer: NodeJS.Timeout | undefined
    const planned = this.crashPlans.findIndex((p) => p.fn === name)
    const io: Io = {
      db: 0,
      wechat: 0,
      dead: false,
      ...(planned >= 0 ? { plan: this.crashPlans.splice(planned, 1)[0]! } : {}),
    }
    const killed = new Promise<never>((_, reject) => {
      io.kill = () => {
        record.crashed = true
        reject(
          new CallFunctionError(-504003, `Invoking task timed out after ${timeout} seconds (cut off by a crash plan)`),
        )
      }
    })
    try {
      // The module loads inside the invocation too: a cold start sees the function's environment.
      const run = als.run({ cloud: this, fn: name, env, caller, source, io }, () =>
        Promise.resolve().then(() =>
          this.loadFunction(name).main(event, { request_id: requestId, function_name: name }),
        ),
      )
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CallFunctionError(-504003, `Invoking task timed out after ${timeout} seconds`)),
          timeout * 1000,
        )
      })
      const result = await Promise.race([run, limit, killed])
      record.result = result
      return result
    } catch (e) {
      const err =
        e instanceof CallFunctionError
          ? e
          : new CallFunctionError(-504002, `functions execute fail: ${e instanceof Error ? e.message : String(e)}`)
      record.error = { errCode: err.errCode, errMsg: err.errMsg }
      throw err
    } finally {
      if (timer) clearTimeout(timer)
      record.ms = performance.now() - t0
      record.io = { db: io.db, wechat: io.wechat }
    }
  }

  /**
   * A request through CloudBase HTTP access (docs.cloudbase.net/service/access-cloud-function):
   * the function gets the integration request; a string answer is a 200 text/plain body, an
   * object with statusCode is an integration response, any other object is JSON.
   */
  async http(
    name: string,
    req: {
      method: string
      path?: string
      query?: Record<string, string>
      headers?: Record<string, string>
      body?: string
    },
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const event = {
      path: req.path ?? '/',
      httpMethod: req.method.toUpperCase(),
      headers: { host: `${this.env}.service.tcloudbase.com`, ...(req.headers ?? {}) },
      queryStringParameters: req.query ?? {},
      requestContext: { requestId: randomBytes(16).toString('hex'), envId: this.env, appId: 123456789, uin: 123456789 },
      isBase64Encoded: false,
      body: req.body ?? '',
    }
    const out = await this.invoke(name, event, {}, 'http')
    if (typeof out === 'string' || typeof out === 'number')
      return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: String(out) }
    const r = (out ?? {}) as {
      statusCode?: number
      headers?: Record<string, string>
      body?: unknown
      isBase64Encoded?: boolean
    }
    if (typeof r.statusCode === 'number') {
      const body =
        typeof r.body === 'string'
          ? r.isBase64Encoded
            ? Buffer.from(r.body, 'base64').toString('utf8')
            : r.body
          : JSON.stringify(r.body ?? '')
      return { status: r.statusCode, headers: r.headers ?? {}, body }
    }
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(out) }
  }

  /**
   * What wx.cloud.callFunction does from a page: data travels as JSON; top-level CloudIDs
   * (at most 5) are replaced by `{ cloudID, data }` (or `{ cloudID, errCode: -601006 }`) and
   * listed in OPEN_DATA_INFO; WeChat adds `userInfo: { appId, openId }` to the event.
   */
  async callFromClient(
    name: string,
    data: Record<string, unknown> = {},
    caller: Caller = {},
  ): Promise<{ result: unknown; requestId: string; errMsg: string }> {
    const replaced: string[] = []
    const event: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(data)) {
      if (v instanceof CloudIdRef) {
        replaced.push(k)
        event[k] = this.resolveCloudId(v.cloudID)
      } else event[k] = v
    }
    if (replaced.length > 5) throw new CallFunctionError(-501007, 'at most 5 CloudID fields per call')
    const wire = JSON.parse(JSON.stringify(event)) as Record<string, unknown>
    if (caller.openid) wire.userInfo = { appId: caller.appid ?? this.appid, openId: caller.openid }
    const result = await this.invoke(name, wire, caller, 'wx_client', replaced)
    const last = this.invocations[this.invocations.length - 1]
    return {
      result: result === undefined ? undefined : JSON.parse(JSON.stringify(result)),
      requestId: last?.id ?? '',
      errMsg: 'cloud.callFunction:ok',
    }
  }

  // ---- what the patched SDK calls ----

  /** Who is calling a WeChat API: the running function and its user. */
  /** @internal */
  callInfo(store: Store | undefined): CallInfo {
    return {
      fn: store?.fn ?? '(outside a function)',
      appid: store?.caller.appid ?? this.appid,
      ...(store?.caller.openid ? { openid: store.caller.openid } : {}),
    }
  }

  /** @internal */
  async wxOpenApi(apiName: string, requestData: Buffer): Promise<Buffer> {
    const store = als.getStore()
    const info = this.callInfo(store)
    const call = decodeCommApiData(requestData)
    if (call.apiType === API_TYPE.SVRKIT_API && call.svrkit?.apiName === 'ApiGetOpenDataByCloudId') {
      const ids = decodeGetOpenDataReq(call.svrkit.reqData)
      const items = ids.map((id) => ({ cloudId: id, json: JSON.stringify(this.resolveCloudId(id)) }))
      return encodeResp({ respData: encodeGetOpenDataResp(items), contentType: 'application/octet-stream' })
    }
    if (
      store &&
      (!this.functionConfig(store.fn).permissions.includes(apiName) ||
        this.deniedPermissions.has(`${store.fn}:${apiName}`))
    ) {
      // What CloudBase answers when config.json's permissions.openapi lacks the API.
      return encodeResp({ errorCode: -604101 })
    }
    try {
      const result = await this.openapi.call(apiName, call.params, info)
      if ('buffer' in result && Buffer.isBuffer(result.buffer)) {
        return encodeResp({ respData: result.buffer, contentType: String(result.contentType) })
      }
      return encodeResp({
        respData: Buffer.from(JSON.stringify(result)),
        contentType: 'application/json; charset=utf-8',
      })
    } catch (e) {
      if (e instanceof WxApiError) {
        return encodeResp({
          respData: Buffer.from(JSON.stringify({ errcode: e.errcode, errmsg: e.errmsg })),
          contentType: 'application/json',
        })
      }
      throw e
    }
  }

  /** @internal */
  async wxPayApi(apiName: string, requestData: Buffer): Promise<Buffer | { errcode: number; errmsg: string }> {
    const store = als.getStore()
    const info = this.callInfo(store)
    const permission = `cloudPay.${apiName}`
    if (
      store &&
      (!this.functionConfig(store.fn).permissions.includes(permission) ||
        this.deniedPermissions.has(`${store.fn}:${permission}`))
    ) {
      // As for openapi: config.json permissions.openapi must list the cloudPay API (the SDK throws -604101).
      return { errcode: -604101, errmsg: `function ${store.fn} has no permission for ${permission}` }
    }
    const params = JSON.parse(requestData.toString('utf8')) as Record<string, unknown>
    try {
      const result = await this.cloudPay.call(apiName, params, info)
      // downloadBill answers the bill as text, which the SDK hands over as { data } (wx-server-sdk 4, cloudpay generic).
      if (typeof (result as Record<string, unknown>)[BILL_TEXT] === 'string')
        return Buffer.from((result as Record<string, string>)[BILL_TEXT]!)
      return Buffer.from(JSON.stringify(result))
    } catch (e) {
      // A failure before WeChat Pay answered is a CloudBase error `{ code, message }`, which
      // the SDK throws as CloudSDKError with the matching TCB errCode (-501002 timeout, ...).
      if (e instanceof WxApiError)
        return Buffer.from(JSON.stringify({ code: TCB_CODE_NAMES[e.errcode] ?? 'SYS_ERR', message: e.errmsg }))
      throw e
    }
  }
}

function current(): LocalCloud {
  const cloud = als.getStore()?.cloud ?? lastCloud
  if (!cloud) throw new Error('localcloud: no LocalCloud has been created')
  return cloud
}

let patched = false
let httpsPatched = false

/**
 * Functions reach the official account's API (api.weixin.qq.com) over HTTPS themselves
 * (server/http.ts): those requests go to the local cloud's OaSandbox; any other host is left alone.
 */
function installHttpsPatch(): void {
  if (httpsPatched) return
  httpsPatched = true
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const https = require('node:https') as { request: (...args: unknown[]) => unknown }
  const original = https.request
  https.request = function (this: unknown, ...args: unknown[]) {
    const [first, second, third] = args
    const target = typeof first === 'string' ? new URL(first) : first instanceof URL ? first : null
    const callback = (typeof second === 'function' ? second : third) as
      ((res: NodeJS.ReadableStream & { statusCode: number; headers?: Record<string, string> }) => void) | undefined
    if (target?.hostname === 'api.mch.weixin.qq.com')
      return wxpayRequest(
        target,
        (typeof second === 'object' && second ? second : {}) as { method?: string; headers?: Record<string, string> },
        callback,
      )
    if (!target || target.hostname !== 'api.weixin.qq.com') return original.apply(this, args)
    return sandboxRequest(target, callback)
  }
}

/** A request to WeChat Pay APIv3: the method, headers and body go to the local cloud's WxPayV3Sandbox, its status and signed headers come back. */
function wxpayRequest(
  target: URL,
  options: { method?: string; headers?: Record<string, string> },
  callback?: (res: NodeJS.ReadableStream & { statusCode: number; headers?: Record<string, string> }) => void,
): EventEmitter {
  const req = new EventEmitter() as EventEmitter & {
    end(body?: Buffer | string): void
    destroy(): void
    write(c: Buffer | string): void
    setTimeout(): void
  }
  const chunks: Buffer[] = []
  let destroyed = false
  req.write = (c) => void chunks.push(Buffer.from(c))
  req.destroy = () => void (destroyed = true)
  req.setTimeout = () => undefined
  req.end = (body) => {
    if (body) chunks.push(Buffer.from(body))
    setTimeout(() => {
      if (destroyed) return
      const headers = Object.fromEntries(
        Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      )
      const cloud = current()
      cut('wechat', async () =>
        cloud.wxpayV3.handle(
          (options.method ?? 'GET').toUpperCase(),
          `${target.pathname}${target.search}`,
          headers,
          Buffer.concat(chunks).toString('utf8'),
          cloud.callInfo(als.getStore()),
        ),
      ).then(
        (answer) => {
          if (destroyed) return
          const res = Object.assign(new PassThrough(), {
            statusCode: answer.status,
            headers: Object.fromEntries(Object.entries(answer.headers).map(([k, v]) => [k.toLowerCase(), v])),
          })
          callback?.(res)
          res.end(answer.body)
        },
        (e: unknown) => req.emit('error', e instanceof Error ? e : new Error(String(e))),
      )
    }, 0)
  }
  return req
}

function sandboxRequest(
  target: URL,
  callback?: (res: NodeJS.ReadableStream & { statusCode: number }) => void,
): EventEmitter {
  const req = new EventEmitter() as EventEmitter & {
    end(body?: Buffer | string): void
    destroy(): void
    write(c: Buffer | string): void
  }
  const chunks: Buffer[] = []
  let destroyed = false
  req.write = (c) => void chunks.push(Buffer.from(c))
  req.destroy = () => void (destroyed = true)
  req.end = (body) => {
    if (body) chunks.push(Buffer.from(body))
    // A macrotask, as a network answer is (setTimeout: jsdom test environments have no setImmediate).
    setTimeout(() => {
      if (destroyed) return
      const text = Buffer.concat(chunks).toString('utf8')
      cut('wechat', async () =>
        current().oa.handle(
          target.pathname,
          target.searchParams,
          text ? (JSON.parse(text) as Record<string, unknown>) : null,
        ),
      ).then(
        (answer) => {
          if (destroyed) return
          const res = Object.assign(new PassThrough(), { statusCode: 200 })
          callback?.(res)
          res.end(JSON.stringify(answer))
        },
        (e: unknown) => req.emit('error', e instanceof Error ? e : new Error(String(e))),
      )
    }, 0)
  }
  return req
}

/** Replaces the network layer of the @cloudbase/node-sdk that wx-server-sdk loads (once per module registry). */
function installSdkPatch(): void {
  if (patched) return
  patched = true
  const sdkDir = dirname(require.resolve('wx-server-sdk/package.json'))
  const nodeSdkDir = dirname(require.resolve('@cloudbase/node-sdk/package.json', { paths: [sdkDir] }))
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { CloudBase } = require(join(nodeSdkDir, 'dist/cloudbase.js')) as {
    CloudBase: { prototype: Record<string, unknown> }
  }
  const { TcbDBApiHttpRequester } = require(join(nodeSdkDir, 'dist/utils/tcbdbapirequester.js')) as {
    TcbDBApiHttpRequester: { prototype: { send: unknown } }
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  const P = CloudBase.prototype

  TcbDBApiHttpRequester.prototype.send = async function (action: string, data?: Record<string, unknown>) {
    return cut('db', () => current().db.handle(action, data ?? {}))
  }
  P.callCompatibleWxOpenApi = async function ({ apiName, requestData }: { apiName: string; requestData: Buffer }) {
    return cut('wechat', () => current().wxOpenApi(apiName, requestData))
  }
  P.callWxPayApi = async function ({ apiName, requestData }: { apiName: string; requestData: Buffer }) {
    return cut('wechat', () => current().wxPayApi(apiName, requestData))
  }
  P.callWxOpenApi = async function () {
    throw new Error('localcloud: the deprecated callWxOpenApi path is not used by wx-server-sdk 4')
  }
  P.uploadFile = async function (
    { cloudPath, fileContent }: { cloudPath: string; fileContent: Buffer | string },
    opts?: { onResponseReceived?: (r: { statusCode: number }) => void },
  ) {
    const content = Buffer.isBuffer(fileContent) ? fileContent : Buffer.from(fileContent)
    const fileID = current().storage.put(cloudPath, content)
    opts?.onResponseReceived?.({ statusCode: 200 })
    return { fileID, requestId: randomBytes(6).toString('hex') }
  }
  P.getTempFileURL = async function ({ fileList }: { fileList: Array<string | { fileID: string; maxAge?: number }> }) {
    const s = current().storage
    return {
      requestId: randomBytes(6).toString('hex'),
      fileList: fileList.map((f) => {
        const fileID = typeof f === 'string' ? f : f.fileID
        const maxAge = typeof f === 'string' ? 86400 : (f.maxAge ?? 86400)
        return s.exists(fileID)
          ? { fileID, tempFileURL: s.tempUrl(fileID), maxAge, code: 'SUCCESS' }
          : { fileID, tempFileURL: '', maxAge, code: 'STORAGE_FILE_NONEXIST' }
      }),
    }
  }
  P.deleteFile = async function ({ fileList }: { fileList: string[] }) {
    const s = current().storage
    return {
      requestId: randomBytes(6).toString('hex'),
      fileList: fileList.map((fileID) => ({ fileID, code: s.remove(fileID) ? 'SUCCESS' : 'STORAGE_FILE_NONEXIST' })),
    }
  }
  P.downloadFile = async function ({ fileID }: { fileID: string }) {
    const content = current().storage.get(fileID)
    if (!content) return { code: 'STORAGE_FILE_NONEXIST', message: `file ${fileID} does not exist` }
    return { fileContent: content, message: 'success' }
  }
  P.callFunction = async function ({ name, data }: { name: string; data?: unknown }) {
    const store = als.getStore()
    const cloud = current()
    try {
      const result = await cloud.invoke(
        name,
        JSON.parse(JSON.stringify(data ?? {})),
        store?.caller ?? {},
        `${store?.source ?? 'wx_unknown'},scf`,
      )
      return { result, requestId: cloud.invocations[cloud.invocations.length - 1]?.id }
    } catch (e) {
      const code = e instanceof CallFunctionError && e.errCode === -501000 ? 'INVALID_PARAM' : 'FUNCTIONS_EXECUTE_FAIL'
      return { code, message: e instanceof Error ? e.message : String(e), requestId: '' }
    }
  }

  // getWXContext() reads process.env: give each invocation its own view of the WX_* keys.
  const base = process.env
  // A deployed function runs with TENCENTCLOUD_RUNENV=SCF. Without it @cloudbase/node-sdk
  // probes Tencent's metadata server at init to learn where it runs (a network call).
  const platform: Record<string, string> = { TENCENTCLOUD_RUNENV: 'SCF', TENCENTCLOUD_REGION: 'ap-shanghai' }
  const ctxKeys = (s: Store | undefined) => ({ ...platform, ...(s?.env ?? {}) })
  process.env = new Proxy(base, {
    get(target, key) {
      const env = ctxKeys(als.getStore())
      if (typeof key === 'string' && key in env) return env[key]
      if (typeof key === 'string' && als.getStore() && /^WX_/.test(key)) return undefined
      return Reflect.get(target, key)
    },
    has(target, key) {
      const env = ctxKeys(als.getStore())
      return (typeof key === 'string' && key in env) || Reflect.has(target, key)
    },
    // `process.env.X = v` on the real object (with the proxy as receiver, Node's env refuses the
    // plain descriptor the assignment would define: "only accepts a ... data descriptor").
    set(target, key, value) {
      return Reflect.set(target, key, value)
    },
  })
}
