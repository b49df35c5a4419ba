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
 *
 * This file owns the LocalCloud class: its sandboxes, invoking functions (from a page, over HTTP
 * access, from a timer, from another function) and CloudIDs. Its parts: scope.ts (an invocation's
 * context and crash plans), patches.ts (the SDK's and https' network replaced),
 * function-config.ts (what it reads from the project), http-access.ts (HTTP access's event and answer).
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { listFunctions } from './project'
import { tmpdir } from 'node:os'
import { join, resolve, sep } from 'node:path'
import { DbEngine, type CollectionSpec, type LatencyRange } from './db-engine'
import { MessagePush, type PushDelivery } from './message-push'
import { OaSandbox } from './oa-sandbox'
import { PaySandbox } from './pay-sandbox'
import { WxPayV3Sandbox } from './wxpay-v3-sandbox'
import { OpenApiSandbox } from './sandbox'
import { LocalStorage } from './storage'
import {
  appPages,
  readCollectionSpecs,
  type FunctionConfig,
  readFunctionConfig,
  readSandboxCards,
} from './function-config'
import { installSdkPatch, installHttpsPatch } from './patches'
import {
  CallFunctionError,
  CloudIdRef,
  als,
  contextEnv,
  setLatestCloud,
  type Caller,
  type CrashPlan,
  type Invocation,
  type Io,
} from './scope'
import { httpAccessAnswer, httpAccessEvent, type HttpAccessAnswer, type HttpAccessRequest } from './http-access'

export { WxApiError } from './sandbox'
export { parseLatency, type LatencyRange } from './db-engine'
export { CallFunctionError, CloudIdRef, type Caller, type CrashPlan, type Invocation } from './scope'
export type { FunctionConfig } from './function-config'
export { PaySandbox } from './pay-sandbox'
export { paySign } from './pay-v2'
export { MessagePush, toWxJson, toWxXml, type PushDelivery, type PushEvent, type UrlModeSettings } from './message-push'

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
    setLatestCloud(this)
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
    for (const card of readSandboxCards(this.root)) this.oa.cards.set(card.cardId, card)
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
    return readCollectionSpecs(this.root)
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
    if (!cfg) this.configs.set(name, (cfg = readFunctionConfig(this.root, name, this.vars)))
    return cfg
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
    const env = { ...envVariables, ...contextEnv(caller, { appid: this.appid, env: this.env, source, openDataKeys }) }
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
  async http(name: string, req: HttpAccessRequest): Promise<HttpAccessAnswer> {
    return httpAccessAnswer(await this.invoke(name, httpAccessEvent(this.env, req), {}, 'http'))
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
}
