/**
 * npm run deploy's plan (scripts/deploy.ts): options from flags and environment, then the steps in
 * order (build, deploy each function and its triggers, HTTP access, collections, indexes, rules,
 * permissions through miniprogram-ci) and how each is described. Pure: nothing is touched here.
 */
import { envIdProblem } from '../miniprogram/config/env'
import { ROOT } from './build-functions'
import { ShipError, shipOptions } from './preview'
import type { KitSettings, Sourced } from './settings'
import type { CollectionSpec, Env, Project, RcFunction } from './deploy-config'

/**
 * The functions WeChat reaches over CloudBase's HTTP access service: cardEvents (the official
 * account's server URL, needed for cards; deploy creates its path) and customerServiceHttp (only
 * for URL-mode message push, an alternative the team chooses: its path is left to them).
 */
export interface HttpEntry {
  fn: string
  path: string
  /** Whether these settings need the path (deploy creates it; doctor's ✗ when it is missing). */
  required(env: Env): boolean
  /** What cannot reach the function without it. */
  unreachable: { zh: string; en: string }
  /** Where its address is entered once created. */
  enterIn: { zh: string; en: string }
  /** When it is not needed, why. */
  onlyFor?: { zh: string; en: string }
}
const always = () => true
export const HTTP_ENTRIES: HttpEntry[] = [
  {
    fn: 'cardEvents',
    path: '/card-events',
    required: always,
    unreachable: { zh: '公众号的卡券事件到不了它', en: "the official account's card events cannot reach it" },
    enterIn: { zh: '公众号的服务器配置', en: "the official account's server configuration" },
  },
  {
    fn: 'customerServiceHttp',
    path: '/cs',
    required: () => false,
    unreachable: { zh: 'URL 模式的消息推送到不了它', en: 'URL-mode message push cannot reach it' },
    enterIn: { zh: '小程序后台的消息推送配置', en: "the mini-program's message push settings" },
    onlyFor: { zh: '只有 URL 模式的消息推送需要', en: 'needed only for URL-mode message push' },
  },
  {
    fn: 'payNotify',
    path: '/pay-notify',
    required: (env) => env.PAY_PROVIDER === 'wxpay-v3',
    unreachable: {
      zh: '微信支付 APIv3 的支付和退款通知到不了它',
      en: "WeChat Pay APIv3's payment and refund notifications cannot reach it",
    },
    enterIn: { zh: '.env 的 WXPAY_NOTIFY_URL', en: 'WXPAY_NOTIFY_URL in .env' },
    onlyFor: { zh: '只有 PAY_PROVIDER=wxpay-v3 需要', en: 'needed only with PAY_PROVIDER=wxpay-v3' },
  },
]

export type Step =
  | { kind: 'build'; functions: string[] }
  | { kind: 'function'; name: string; triggers: string[]; permissions: string[]; permissionsVia: PermissionsVia }
  | { kind: 'collection'; name: string; indexes: CreateIndex[]; rules: string }
  | { kind: 'route'; fn: string; path: string }
  | { kind: 'manual'; text: string }

/** The Manager SDK's index shape (flexdb CreateIndex). */
export interface CreateIndex {
  IndexName: string
  MgoKeySchema: { MgoIndexKeys: Array<{ Name: string; Direction: string }>; MgoIsUnique: boolean }
}

/** How a function's config.json permissions reach CloudBase. */
export type PermissionsVia = 'none-needed' | 'miniprogram-ci' | 'by-hand'

export interface UploadKey {
  appid: string
  privateKeyPath: string
}

export interface Options {
  envId: string
  dryRun: boolean
  /** The code-upload key, when MP_APPID and MP_PRIVATE_KEY_PATH name a usable one. */
  uploadKey?: UploadKey
  /** --no-permissions: deploy without the key; the plan lists the functions to upload from DevTools. */
  skipPermissions: boolean
  /** Where the env id came from ('--env', 'the shell', '.env', …), said in the plan's first line. */
  envFrom?: string
  /** The settings the functions will carry (which HTTP paths and merchant steps the plan needs). */
  vars?: Env
}

export class DeployError extends Error {}

/** Flags and environment → options, or the one sentence that says what is missing. */
export function parseOptions(
  argv: string[],
  env: Env,
  sources: Partial<Pick<KitSettings, 'envId' | 'appid' | 'privateKeyPath' | 'root'>> = {},
): Options {
  const i = argv.indexOf('--env')
  const chosen: Sourced | undefined =
    i >= 0
      ? { value: argv[i + 1]?.trim() ?? '', from: '--env' }
      : (sources.envId ?? (env.TCB_ENV_ID?.trim() ? { value: env.TCB_ENV_ID.trim(), from: 'TCB_ENV_ID' } : undefined))
  const envId = chosen?.value ?? ''
  if (!envId || envId.startsWith('-')) {
    throw new DeployError(
      'No CloudBase environment id: run npm run configure -- --env <env id>, or set TCB_ENV_ID=<env id> in .env or the shell (云开发控制台 → 设置 → 环境 ID), or run npm run deploy -- --env <env id>.',
    )
  }
  const problem = envIdProblem(envId)
  if (problem && !argv.includes('--force')) throw new DeployError(problem)
  let uploadKey: UploadKey | undefined
  let keyProblem: string | undefined
  try {
    const ship = shipOptions(['preview'], env, sources.root ?? ROOT, sources)
    uploadKey = { appid: ship.appid, privateKeyPath: ship.privateKeyPath }
  } catch (e) {
    if (!(e instanceof ShipError)) throw e
    keyProblem = e.message
  }
  const skipPermissions = argv.includes('--no-permissions')
  const dryRun = argv.includes('--dry-run')
  if (!uploadKey && !skipPermissions && !dryRun) {
    throw new DeployError(
      `Cloud-call permissions (config.json permissions.openapi) are applied only by an upload through DevTools' channel, which needs the code-upload key: ${keyProblem} Or run npm run deploy -- --no-permissions and then upload each function that calls WeChat from DevTools (right-click → 上传并部署：云端安装依赖); without that its WeChat calls fail with -604101.`,
    )
  }
  return { envId, envFrom: chosen!.from, dryRun, skipPermissions, vars: env, ...(uploadKey ? { uploadKey } : {}) }
}

/** How `fn`'s permissions will be applied with these options. */
export function permissionsVia(fn: Pick<RcFunction, 'permissions'>, opts: Pick<Options, 'uploadKey'>): PermissionsVia {
  if (!fn.permissions?.length) return 'none-needed'
  return opts.uploadKey ? 'miniprogram-ci' : 'by-hand'
}

export function toCreateIndex(index: NonNullable<CollectionSpec['indexes']>[number]): CreateIndex {
  return {
    IndexName: index.name,
    MgoKeySchema: {
      MgoIndexKeys: Object.entries(index.keys).map(([Name, d]) => ({ Name, Direction: String(d) })),
      MgoIsUnique: index.unique === true,
    },
  }
}

export function makePlan(project: Project, opts: Options): Step[] {
  const steps: Step[] = [{ kind: 'build', functions: project.functions.map((f) => f.name) }]
  for (const fn of project.functions) {
    steps.push({
      kind: 'function',
      name: fn.name,
      triggers: (fn.triggers ?? []).map((t) => `${t.name} (${t.config})`),
      permissions: fn.permissions ?? [],
      permissionsVia: permissionsVia(fn, opts),
    })
  }
  const byHand = project.functions.filter((f) => permissionsVia(f, opts) === 'by-hand').map((f) => f.name)
  for (const c of project.collections)
    steps.push({
      kind: 'collection',
      name: c.name,
      indexes: (c.indexes ?? []).map(toCreateIndex),
      rules: JSON.stringify(c.rules),
    })
  const vars = opts.vars ?? {}
  for (const e of HTTP_ENTRIES.filter((e) => e.required(vars) && project.functions.some((f) => f.name === e.fn)))
    steps.push({ kind: 'route', fn: e.fn, path: e.path })
  if (byHand.length) {
    steps.push({
      kind: 'manual',
      text: `Cloud-call permissions: upload ${byHand.join(', ')} from DevTools (right-click the folder → 上传并部署：云端安装依赖) so their config.json permissions apply; until then their WeChat calls fail with -604101.`,
    })
  }
  const console = `https://tcb.cloud.tencent.com/dev?envId=${opts.envId}`
  if (project.messagePush) {
    const pairs = project.messagePush.pairs.map((p) => (p.event ? `${p.msgType}/${p.event}` : p.msgType)).join(', ')
    steps.push({
      kind: 'manual',
      text: `Message push: in the cloud console (${console}) → 设置 → 其他设置 → 消息推送, push mode cloud function, add ${pairs}, each to ${project.messagePush.function}.`,
    })
  }
  steps.push(
    vars.PAY_PROVIDER === 'wxpay-v3'
      ? {
          kind: 'manual',
          text: `WeChat Pay APIv3: link the AppID to WXPAY_MCHID (商户平台 → 产品中心 → AppID账号管理, then confirm in the mini-program admin), and set WXPAY_NOTIFY_URL to payNotify's /pay-notify address at the default domain (cloud console ${console} → HTTP 访问服务), then deploy again.`,
        }
      : {
          kind: 'manual',
          text: 'cloudPay: in the cloud console → 设置 → 其他设置 → 微信支付配置, bind the sub-merchant (PAY_SUB_MCH_ID) and authorise it in the WeChat Pay merchant platform (JSAPI and refund).',
        },
    {
      kind: 'manual',
      text: 'Subscribe templates: pick the paid and refunded templates in the mini-program admin (订阅消息) and set SUBSCRIBE_TMPL_PAID / SUBSCRIBE_TMPL_REFUNDED before deploying.',
    },
    {
      kind: 'manual',
      text: `Card events: in the official account (设置与开发 → 基本配置 → 服务器配置) set the URL of cardEvents' HTTP path (the default domain is in the cloud console ${console} → HTTP 访问服务) with OA_PUSH_TOKEN (and OA_PUSH_AES_KEY, OA_PUSH_MODE).`,
    },
  )
  for (const c of project.collections.filter((c) => c.seed)) {
    steps.push({
      kind: 'manual',
      text: `Seed ${c.name}: import .deploy/seed/${c.name}.json (JSON Lines, written by this run) in the console → 数据库 → ${c.name} → 导入, once.`,
    })
  }
  return steps
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'build':
      return `build ${step.functions.length} functions: ${step.functions.join(', ')}`
    case 'function': {
      const perms =
        step.permissionsVia === 'none-needed'
          ? 'no cloud-call permissions needed'
          : step.permissionsVia === 'miniprogram-ci'
            ? `permissions ${step.permissions.join(', ')} uploaded again with miniprogram-ci (DevTools' channel), then read back from WeChat`
            : `permissions ${step.permissions.join(', ')} NOT applied (no upload key): upload it from DevTools`
      return `deploy function ${step.name}${step.triggers.length ? ` + timer ${step.triggers.join(', ')}` : ''}; ${perms}`
    }
    case 'collection':
      return `collection ${step.name}: create if missing; indexes ${step.indexes.map((i) => `${i.IndexName}${i.MgoKeySchema.MgoIsUnique ? ' (unique)' : ''}`).join(', ') || '(none)'}; rules ${step.rules}`
    case 'route':
      return `HTTP access path ${step.path} → function ${step.fn} (created if the function has none)`
    case 'manual':
      return `by hand: ${step.text}`
  }
}
