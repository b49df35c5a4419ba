/**
 * `npm run doctor -- --env <id>` (issue #27): the View (scripts/doctor.ts) of a real CloudBase
 * environment, read only, through two documented APIs:
 * - the CloudBase Manager API (@cloudbase/manager-node, with the CAM key in
 *   TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY):
 *   - GetFunction (manager.functions.getFunctionDetail; SCF's GetFunction): Runtime, Timeout,
 *     Environment.Variables [{ Key, Value }] (only the names are kept, never a value), Triggers
 *     [{ TriggerName, Type }]; a function that does not exist is the error ResourceNotFound.Function;
 *   - InvokeFunction (manager.functions.invokeFunction): RetMsg, the function's return as a JSON
 *     string, for the probe inside the function (server/doctor.ts: an invocation with no OPENID);
 *   - DescribeCollection / ListCollections (manager.database): Indexes [{ Name }],
 *     Collections [{ CollectionName }] with a Pager;
 *   - the HTTP access routes (manager.access.getAccessList: APISet [{ Path, Name, Type: 1 for a
 *     function }]);
 *   - DescribeSafeRule (tcb 2018-06-08, cloud.tencent.com/document/api/876/128118): AclTag and
 *     Rule, a JSON string (null for the four simple permissions, which are mapped to the rules
 *     they mean: docs.cloudbase.net, 安全规则 → 简易权限).
 * - WeChat, with the mini-program's AppSecret (MP_APPSECRET): the cloud-call permissions through
 *   tcb/getfuncconfig (scripts/func-config.ts) and the account's subscribe templates through
 *   `GET https://api.weixin.qq.com/wxaapi/newtmpl/gettemplate` ({ errcode, data: [{ priTmplId,
 *   content: '…{{thing2.DATA}}…' }] }, developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/
 *   mp-message-management/subscribe-message/getMessageTemplateList.html).
 * Every answer is checked against its documented shape; an odd one is an EnvError naming the call,
 * never a ✓.
 */
import * as v from 'valibot'
import { KEY_REFUSED } from './deploy-cloudbase'
import type { Project } from './deploy-config'
import type { DeployedFunction, View } from './doctor-view'
import { accessToken, fetchJson, readPermissions, type Readback } from './func-config'
import type { Env } from './settings'

/** What doctor asks a real environment; each answer is the API's own (unknown until checked). */
export interface EnvApi {
  getFunctionDetail(name: string): Promise<unknown>
  invokeFunction(name: string, params: Record<string, unknown>): Promise<unknown>
  listCollections(offset: number, limit: number): Promise<unknown>
  describeCollection(name: string): Promise<unknown>
  describeSafeRule(name: string): Promise<unknown>
  /** The HTTP access service's routes (manager.access.getAccessList: APISet [{ Path, Name, Type }]). */
  accessList(): Promise<unknown>
  permissions(name: string, wanted: readonly string[]): Promise<Readback>
  /** The gettemplate answer, or why it could not be asked. */
  templates(): Promise<unknown>
}

export class EnvError extends Error {
  override name = 'EnvError'
}

const FunctionInfo = v.object({
  Runtime: v.string(),
  Timeout: v.number(),
  Environment: v.optional(
    v.object({ Variables: v.nullish(v.array(v.object({ Key: v.string(), Value: v.nullish(v.string()) }))) }),
  ),
  Triggers: v.nullish(v.array(v.object({ TriggerName: v.string(), Type: v.string() }))),
})
const Invoked = v.object({ RetMsg: v.string() })
const Probe = v.object({
  ok: v.literal(true),
  data: v.object({
    buildId: v.nullable(v.string()),
    variables: v.record(v.string(), v.boolean()),
    merchant: v.optional(
      v.object({
        state: v.picklist(['BOUND', 'NOT_BOUND', 'NOT_SET', 'UNKNOWN']),
        detail: v.optional(v.string()),
        provider: v.optional(v.picklist(['cloudpay', 'wxpay-v3'])),
      }),
    ),
  }),
})
const Collections = v.object({
  Collections: v.array(v.object({ CollectionName: v.string() })),
  Pager: v.object({ Total: v.number() }),
})
const Described = v.object({ Indexes: v.nullish(v.array(v.object({ Name: v.string() }))) })
const SafeRule = v.object({
  AclTag: v.picklist(['READONLY', 'PRIVATE', 'ADMINWRITE', 'ADMINONLY', 'CUSTOM']),
  Rule: v.nullish(v.string()),
})
/** Type 1: the route leads to a cloud function (2: to static hosting). */
const Access = v.object({
  APISet: v.nullish(v.array(v.object({ Path: v.string(), Name: v.string(), Type: v.number() }))),
})
const Templates = v.object({
  errcode: v.optional(v.literal(0)),
  data: v.array(v.object({ priTmplId: v.string(), content: v.string() })),
})

/** What each simple permission means as a rule (CloudBase's security-rules guide, 简易权限). */
const OWNER = 'doc._openid == auth.openid'
export const SIMPLE_RULES: Record<string, Record<string, unknown>> = {
  READONLY: { read: true, write: OWNER },
  PRIVATE: { read: OWNER, write: OWNER },
  ADMINWRITE: { read: true, write: false },
  ADMINONLY: { read: false, write: false },
}

/** Collections read per ListCollections page. */
const PAGE = 100

const odd = (call: string, what: string) =>
  new EnvError(
    `CloudBase answered ${call} for ${what} in a shape its document does not give: doctor cannot tell, so it stops here.`,
  )

/** The keywords of a template's content (`{{thing2.DATA}}` → thing2). */
export function keywordsOf(content: string): string[] {
  return [...content.matchAll(/\{\{\s*([A-Za-z_]+\d+)\.DATA\s*\}\}/g)].map((m) => m[1]!)
}

/** A failure of the Manager API in one sentence (the CAM key, or the call and its code). */
function managerProblem(call: string, e: unknown): EnvError {
  const code = (e as { code?: unknown })?.code
  const text = `${typeof code === 'string' ? code : ''} ${e instanceof Error ? e.message : String(e)}`
  if (/AuthFailure|SecretIdNotFound|SignatureFailure|InvalidCredential|UnauthorizedOperation/i.test(text))
    return new EnvError(KEY_REFUSED)
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(text))
    return new EnvError(
      'CloudBase cannot be reached from this machine: check the network (or the HTTP proxy) and run npm run doctor again.',
    )
  return new EnvError(`CloudBase refused ${call}: ${text.trim().slice(0, 200)}`)
}

async function ask<T>(
  call: string,
  what: string,
  f: () => Promise<unknown>,
  schema: v.GenericSchema<unknown, T>,
): Promise<T> {
  let answer: unknown
  try {
    answer = await f()
  } catch (e) {
    throw managerProblem(`${call} (${what})`, e)
  }
  const r = v.safeParse(schema, answer)
  if (!r.success) throw odd(call, what)
  return r.output
}

async function functionView(api: EnvApi, fn: Project['functions'][number]): Promise<DeployedFunction | null> {
  let raw: unknown
  try {
    raw = await api.getFunctionDetail(fn.name)
  } catch (e) {
    if (/^ResourceNotFound/.test(String((e as { code?: unknown })?.code ?? ''))) return null
    throw managerProblem(`GetFunction (${fn.name})`, e)
  }
  const info = v.safeParse(FunctionInfo, raw)
  if (!info.success) throw odd('GetFunction', fn.name)
  const names = Object.keys(fn.envVariables ?? {})
  const invoked = await ask(
    'InvokeFunction',
    fn.name,
    () => api.invokeFunction(fn.name, { action: '$doctor', variables: names }),
    Invoked,
  )
  let ret: unknown
  try {
    ret = JSON.parse(invoked.RetMsg)
  } catch {
    ret = undefined
  }
  const probe = v.safeParse(Probe, ret)
  const wanted = fn.permissions ?? []
  const back = wanted.length ? await api.permissions(fn.name, wanted) : ({ state: 'APPLIED' } as Readback)
  return {
    // A function that does not answer the probe runs a build from before it (or fails): no id.
    buildId: probe.success ? probe.output.data.buildId : null,
    runtime: info.output.Runtime,
    timeout: info.output.Timeout,
    // Names only: a value is read by the API and dropped here.
    variables: (info.output.Environment?.Variables ?? []).filter((x) => x.Value).map((x) => x.Key),
    permissions:
      back.state === 'APPLIED'
        ? [...wanted]
        : back.state === 'MISSING'
          ? wanted.filter((p) => !back.missing.includes(p))
          : { unknown: back.why },
    triggers: (info.output.Triggers ?? []).filter((t) => t.Type === 'timer').map((t) => t.TriggerName),
    ...(probe.success && probe.output.data.merchant ? { merchant: probe.output.data.merchant } : {}),
  }
}

/** A real environment's view of itself (see the header). */
export async function envView(api: EnvApi, project: Project, vars: Env): Promise<View> {
  const functions = new Map<string, DeployedFunction>()
  for (const fn of project.functions) {
    const got = await functionView(api, fn)
    if (got) functions.set(fn.name, got)
  }
  const names: string[] = []
  for (let offset = 0; ; offset += PAGE) {
    const page = await ask('ListCollections', `offset ${offset}`, () => api.listCollections(offset, PAGE), Collections)
    names.push(...page.Collections.map((c) => c.CollectionName))
    if (!page.Collections.length || offset + PAGE >= page.Pager.Total) break
  }
  const collections = new Map<string, { indexes: string[]; rules: unknown }>()
  for (const name of names.filter((n) => project.collections.some((c) => c.name === n))) {
    const d = await ask('DescribeCollection', name, () => api.describeCollection(name), Described)
    const r = await ask('DescribeSafeRule', name, () => api.describeSafeRule(name), SafeRule)
    let rules: unknown = SIMPLE_RULES[r.AclTag]
    if (r.AclTag === 'CUSTOM') {
      try {
        rules = r.Rule ? (JSON.parse(r.Rule) as unknown) : null
      } catch {
        throw odd('DescribeSafeRule', `${name} (Rule is not JSON)`)
      }
    }
    collections.set(name, { indexes: (d.Indexes ?? []).map((i) => i.Name), rules })
  }
  const access = await ask('DescribeCloudBaseGWAPI', 'the HTTP access routes', () => api.accessList(), Access)
  const httpRoutes = new Map<string, string[]>()
  for (const r of (access.APISet ?? []).filter((x) => x.Type === 1))
    httpRoutes.set(r.Name, [...(httpRoutes.get(r.Name) ?? []), r.Path])
  const pay = functions.get('pay')
  const merchant = pay ? (pay.merchant ?? null) : null
  const answer = await api.templates()
  const list = v.safeParse(Templates, answer)
  if (list.success)
    return {
      functions,
      collections,
      merchant,
      templates: new Map(list.output.data.map((t) => [t.priTmplId, keywordsOf(t.content)])),
      vars,
      httpRoutes,
    }
  const failed = v.safeParse(v.object({ errcode: v.number(), errmsg: v.optional(v.string()) }), answer)
  const why = v.safeParse(v.object({ why: v.string() }), answer)
  const templatesWhy = why.success
    ? why.output.why
    : failed.success
      ? `gettemplate errcode ${failed.output.errcode}${failed.output.errmsg ? `: ${failed.output.errmsg}` : ''}`
      : 'gettemplate answered in a shape its document does not give'
  return { functions, collections, merchant, templates: null, templatesWhy, vars, httpRoutes }
}

/** The Manager SDK's calls doctor makes (a subset of @cloudbase/manager-node's types). */
interface Manager {
  functions: {
    getFunctionDetail(n: string): Promise<unknown>
    invokeFunction(n: string, p: Record<string, unknown>): Promise<unknown>
  }
  access: { getAccessList(): Promise<unknown> }
  database: {
    listCollections(o: { MgoOffset: number; MgoLimit: number }): Promise<unknown>
    describeCollection(n: string): Promise<unknown>
  }
  commonService(
    s?: string,
    v?: string,
  ): { call(o: { Action: string; Param: Record<string, unknown> }): Promise<unknown> }
}

/** GETs JSON (gettemplate is a GET). */
async function getJson(url: string): Promise<unknown> {
  const r = await fetch(url, { signal: AbortSignal.timeout(15_000) })
  return (await r.json()) as unknown
}

/** The EnvApi of a real environment: the CAM key for CloudBase, MP_APPSECRET for WeChat. */
export function realEnvApi(envId: string, appid: string | undefined, env: Env): EnvApi {
  if (!env.TENCENTCLOUD_SECRETID || !env.TENCENTCLOUD_SECRETKEY) {
    throw new EnvError(
      `npm run doctor -- --env ${envId} reads the environment through CloudBase's Manager API, which needs a CAM API key: set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (访问管理 → API 密钥; a key with read access is enough) and run it again.`,
    )
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const CloudBaseManager = require('@cloudbase/manager-node') as new (c: Record<string, string | undefined>) => Manager
  const m = new CloudBaseManager({
    secretId: env.TENCENTCLOUD_SECRETID,
    secretKey: env.TENCENTCLOUD_SECRETKEY,
    token: env.TENCENTCLOUD_SESSIONTOKEN,
    envId,
  })
  let token: Promise<{ token: string } | { why: string }> | undefined
  const wechat = () =>
    (token ??=
      !appid || !env.MP_APPSECRET?.trim()
        ? Promise.resolve({
            why: 'MP_APPSECRET (开发管理 → 开发设置) is not set in the untracked .env, so WeChat cannot be asked',
          })
        : accessToken(fetchJson, appid, env.MP_APPSECRET.trim()))
  return {
    getFunctionDetail: (n) => m.functions.getFunctionDetail(n),
    invokeFunction: (n, p) => m.functions.invokeFunction(n, p),
    listCollections: (offset, limit) => m.database.listCollections({ MgoOffset: offset, MgoLimit: limit }),
    describeCollection: (n) => m.database.describeCollection(n),
    accessList: () => m.access.getAccessList(),
    describeSafeRule: (n) =>
      m
        .commonService('tcb', '2018-06-08')
        .call({ Action: 'DescribeSafeRule', Param: { EnvId: envId, CollectionName: n } }),
    async permissions(n, wanted) {
      const t = await wechat()
      return 'why' in t ? { state: 'UNKNOWN', why: t.why } : readPermissions(fetchJson, t.token, envId, n, wanted)
    },
    async templates() {
      const t = await wechat()
      if ('why' in t) return { why: t.why }
      try {
        return await getJson(
          `https://api.weixin.qq.com/wxaapi/newtmpl/gettemplate?access_token=${encodeURIComponent(t.token)}`,
        )
      } catch (e) {
        return { why: e instanceof Error ? e.message : String(e) }
      }
    },
  }
}
