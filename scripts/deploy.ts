/**
 * npm run deploy: ships the project to a CloudBase environment.
 *   TCB_ENV_ID=<env id> npm run deploy             (or: npm run deploy -- --env <id>)
 *   npm run deploy -- --dry-run                    prints the plan, touches nothing, needs no login
 * Configuration is read as configure and preview read it (scripts/settings.ts): the shell, then
 * `.env.local`, then `.env`, then the env id npm run configure wrote; the plan says which source
 * gave the env id. The variables are listed below as required or optional. `--force` takes an env
 * id the format check doubts. Before printing a
 * plan it is going to carry out, it checks the login and that the env id is one of the login's
 * environments.
 * 1. builds every function (the same build as npm start and npm test);
 * 2. deploys each with `tcb fn deploy <name> --force` from cloudbaserc.json, then creates its
 *    timer triggers (`tcb fn trigger create <name>`; flags checked against tcb 2.12 --help);
 * 3. creates the collections of database/collections.json that are missing, their missing
 *    indexes, and sets their security rules (CloudBase Manager SDK; ModifySafeRule, AclTag CUSTOM);
 * 4. prints what only the console can do (message-push routing, the cloudPay sub-merchant, seeds).
 * Cloud-call permissions: a function's config.json `permissions.openapi` is documented as applied
 * when the function is uploaded from DevTools (CloudBase FAQ on -604101); nothing documents
 * `tcb fn deploy` or the Manager SDK reading it. So each function that has permissions is, after
 * `tcb fn deploy` (runtime, timeout, variables, triggers), uploaded again through the channel
 * DevTools uses: miniprogram-ci `cloud.uploadFunction` with the code-upload key (MP_APPID,
 * MP_PRIVATE_KEY_PATH), which zips the folder with its config.json. Without the key deploy stops
 * and says so, unless `--no-permissions` (then it lists the functions to upload from DevTools).
 * An upload is not proof that they took: deploy then reads them back from WeChat
 * (tcb/getfuncconfig; scripts/func-config.ts, with MP_APPSECRET) and says "applied" only when
 * WeChat lists them, "NOT applied" when it does not, and "not confirmed", with why, otherwise.
 * Credentials: a `tcb login` for the functions; the database step needs a CAM API key
 * (TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY, which `tcb` uses too). Nothing is committed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { accessToken, fetchJson, readPermissions, type Readback } from './func-config'
import { v3Config } from '../server/pay/v3/config'
import { sameSerial } from '../server/pay/v3/crypto'
import { createPublicKey, X509Certificate } from 'node:crypto'
import { ENV_ID_WHERE, envIdProblem } from '../miniprogram/config/env'
import { buildFunction, ROOT } from './build-functions'
import { ciProject, loadCi } from './compile-miniprogram'
import { ShipError, shipFailure, shipOptions } from './preview'
import {
  configRoot,
  envMismatch,
  readSettings,
  said,
  type KitSettings,
  type Sourced,
  modeOf,
  ModeError,
} from './settings'

// ---- configuration ----

export type Env = Record<string, string | undefined>

/**
 * What `tcb` substitutes for `{{env.X}}`: `.env`, then `.env.local` (the CLI's loadEnvVariables,
 * @cloudbase/cli 2.12), with the shell's variables over both. Missing files are skipped.
 */
export function loadDeployEnv(root: string, shell: Env): Env {
  const file = (name: string): Env =>
    existsSync(join(root, name)) ? parseEnv(readFileSync(join(root, name), 'utf8')) : {}
  return { ...file('.env'), ...file('.env.local'), ...shell }
}

/**
 * Every `{{env.X}}` of cloudbaserc.json: required ones break a capability when empty, optional
 * ones have a default (a test fails when cloudbaserc.json gains a variable this table lacks).
 */
export const VARIABLES: Record<string, { required: boolean; what: string }> = {
  TCB_ENV_ID: { required: true, what: 'the environment id (or --env)' },
  PAY_SUB_MCH_ID: {
    required: true,
    what: 'payments: the merchant bound to the environment; without it createOrder answers PAY_NOT_CONFIGURED',
  },
  SUBSCRIBE_TMPL_PAID: {
    required: true,
    what: 'the "paid" subscribe-message template; without it no paid message is sent',
  },
  SUBSCRIBE_TMPL_REFUNDED: {
    required: true,
    what: 'the "refunded" subscribe-message template; without it no refund message is sent',
  },
  PAY_CALLBACK_ENV_ID: {
    required: false,
    what: 'the full env id of the pay callbacks (default: the environment they run in)',
  },
  PAY_BODY_PREFIX: { required: false, what: 'the shop name on the payment sheet' },
  PAY_ORDER_TTL_MINUTES: { required: false, what: 'minutes an order stays payable (15)' },
  PAY_REFUND_WINDOW_DAYS: { required: false, what: 'days a refund may be asked for (7)' },
  PAY_MAX_OPEN_ORDERS: { required: false, what: 'unpaid orders one user may have waiting (5)' },
  PAY_PROVIDER: {
    required: false,
    what: "cloudpay (default) or wxpay-v3: the merchant's own WeChat Pay APIv3, for shops cloudPay excludes (docs/pay.md)",
  },
  WXPAY_MCHID: { required: false, what: 'wxpay-v3: the merchant id (商户号)' },
  WXPAY_SERIAL_NO: { required: false, what: "wxpay-v3: the merchant API certificate's serial number" },
  WXPAY_PRIVATE_KEY: { required: false, what: 'wxpay-v3: apiclient_key.pem (newlines as \\n), a secret' },
  WXPAY_APIV3_KEY: { required: false, what: 'wxpay-v3: the 32-character APIv3 key, a secret' },
  WXPAY_PUBLIC_KEY_ID: { required: false, what: "wxpay-v3: the WeChat Pay public key's id (PUB_KEY_ID_…)" },
  WXPAY_PUBLIC_KEY: { required: false, what: 'wxpay-v3: the WeChat Pay public key (pub_key.pem, newlines as \\n)' },
  WXPAY_MERCHANT_CERT: {
    required: false,
    what: 'wxpay-v3, optional: apiclient_cert.pem, only for deploy to check the key and serial belong together (never uploaded)',
  },
  WXPAY_NOTIFY_URL: { required: false, what: "wxpay-v3: https address of payNotify's HTTP access path (…/pay-notify)" },
  PAY_REFUND_REQUIRES_SOTER: { required: false, what: '1: a refund needs a fingerprint or face proof' },
  MINIPROGRAM_STATE: {
    required: false,
    what: 'which version a subscribe message opens: developer, trial or formal (formal)',
  },
  WERUN_GOAL: { required: false, what: 'the daily step goal (8000)' },
  CS_AGENT_OPENIDS: { required: false, what: 'openids of customer-service operators (none)' },
  OA_APPID: {
    required: false,
    what: 'cards: the AppID of the official account bound to the mini-program (without it the card function answers CARDS_NOT_CONFIGURED)',
  },
  OA_APPSECRET: { required: false, what: "cards: that official account's AppSecret (never commit it)" },
  CARD_OPERATOR_OPENIDS: { required: false, what: 'cards: openids of staff who may redeem (none)' },
  CS_HOURS: { required: false, what: 'customer-service hours, e.g. 09:00-18:00 (always open)' },
  CS_DAYS: { required: false, what: 'customer-service days, e.g. 1-5 (every day)' },
  CS_CARD_THUMB_FILE_ID: { required: false, what: 'the cover image of order cards in the chat' },
  CS_WELCOME: { required: false, what: 'the welcome text (Chinese; _EN: for English-language users)' },
  CS_WELCOME_EN: { required: false, what: 'the welcome text for English-language users' },
  RECORD_WECHAT: {
    required: false,
    what: '1: keep what WeChat pushes and WeChat Pay notifies, scrubbed, for npm run recordings:pull (off)',
  },
  CS_WELCOME_ORDER: { required: false, what: 'the welcome text from an order page (Chinese)' },
  CS_WELCOME_ORDER_EN: { required: false, what: 'the welcome text from an order page, in English' },
  CS_WELCOME_PROFILE: { required: false, what: 'the welcome text from the profile page (Chinese)' },
  CS_WELCOME_PROFILE_EN: { required: false, what: 'the welcome text from the profile page, in English' },
  CS_OUT_OF_HOURS: { required: false, what: 'the out-of-hours text (Chinese)' },
  CS_OUT_OF_HOURS_EN: { required: false, what: 'the out-of-hours text, in English' },
  CS_ACK: { required: false, what: 'the acknowledgement text (Chinese)' },
  CS_ACK_EN: { required: false, what: 'the acknowledgement text, in English' },
  CS_BUDGET_MS: { required: false, what: 'time budget per message push delivery (3500)' },
  CS_CALL_TIMEOUT_MS: { required: false, what: 'time limit per WeChat call in customer service (1500)' },
  CS_PUSH_TOKEN: { required: false, what: 'URL mode only (customerServiceHttp): the message-push Token' },
  CS_PUSH_AES_KEY: { required: false, what: 'URL mode only: the EncodingAESKey' },
  CS_PUSH_APPID: { required: false, what: 'URL mode only: your AppID, checked in encrypted messages' },
  CS_PUSH_MODE: { required: false, what: 'URL mode only: plain, compatible or safe' },
  OA_PUSH_TOKEN: {
    required: false,
    what: "card events (cardEvents): the Token of the official account's server settings",
  },
  OA_PUSH_AES_KEY: { required: false, what: "card events: the official account's EncodingAESKey" },
  OA_PUSH_MODE: { required: false, what: 'card events: plain, compatible or safe' },
}

/** The `{{env.X}}` names of cloudbaserc.json (its envId and every function's envVariables). */
export function placeholders(project: Project): string[] {
  const names = new Set<string>(['TCB_ENV_ID'])
  for (const fn of project.functions) {
    for (const v of Object.values(fn.envVariables ?? {}))
      for (const m of v.matchAll(/\{\{\s*env\.([A-Z0-9_]+)\s*\}\}/g)) names.add(m[1]!)
  }
  return [...names].sort()
}

/** The variables PAY_PROVIDER=wxpay-v3 needs instead of cloudPay's PAY_SUB_MCH_ID (the public key pair may be empty: certificate mode). */
const V3_REQUIRED = ['WXPAY_MCHID', 'WXPAY_SERIAL_NO', 'WXPAY_PRIVATE_KEY', 'WXPAY_APIV3_KEY', 'WXPAY_NOTIFY_URL']

/** Whether deploy needs `name` set for these settings (the payment provider decides which merchant settings). */
export function isRequired(name: string, env: Env): boolean {
  const v3 = env.PAY_PROVIDER === 'wxpay-v3'
  if (name === 'PAY_SUB_MCH_ID') return !v3
  if (V3_REQUIRED.includes(name)) return v3
  return VARIABLES[name]?.required ?? false
}

/** The variables, required first, each set or not: what the deploy will carry. */
export function variableReport(project: Project, env: Env): string[] {
  const names = placeholders(project)
  const missing = names.filter((n) => isRequired(n, env) && !env[n])
  const unsetOptional = names.filter((n) => !isRequired(n, env) && !env[n])
  const lines = [
    `Variables (from .env, .env.local, then the shell): ${names.length - missing.length - unsetOptional.length} of ${names.length} set.`,
  ]
  for (const n of missing) lines.push(`  required, NOT SET: ${n} — ${VARIABLES[n]!.what}`)
  if (unsetOptional.length) lines.push(`  optional, not set (defaults apply): ${unsetOptional.join(', ')}`)
  if (env.PAY_PROVIDER === 'wxpay-v3' && !missing.some((n) => V3_REQUIRED.includes(n)))
    lines.push(...merchantKeyReport(env))
  return lines
}

/**
 * wxpay-v3's secrets checked without printing them: their shapes (server/pay/v3/config.ts) and,
 * when the merchant certificate (apiclient_cert.pem) is given in WXPAY_MERCHANT_CERT, that its
 * serial is WXPAY_SERIAL_NO and its public key belongs to WXPAY_PRIVATE_KEY.
 */
export function merchantKeyReport(env: Env): string[] {
  const c = v3Config(env)
  if (!c.ok) return [`  wxpay-v3 settings: ${c.message}`]
  const raw = (env.WXPAY_MERCHANT_CERT ?? '').trim().replace(/\\n/g, '\n')
  if (!raw)
    return [
      `  wxpay-v3 settings: well-formed (${c.cfg.verify === 'certificate' ? 'platform certificates' : 'WeChat Pay public key'}); set WXPAY_MERCHANT_CERT (apiclient_cert.pem) to check that the private key and serial belong together`,
    ]
  let cert: X509Certificate
  try {
    cert = new X509Certificate(raw)
  } catch {
    return ['  wxpay-v3 settings: WXPAY_MERCHANT_CERT is not a PEM certificate (apiclient_cert.pem)']
  }
  if (!sameSerial(cert.serialNumber, c.cfg.serialNo))
    return [
      '  wxpay-v3 settings: WXPAY_SERIAL_NO is not the serial of the certificate in WXPAY_MERCHANT_CERT: copy the serial again (API安全 → API证书)',
    ]
  const ofKey = createPublicKey(c.cfg.privateKey).export({ type: 'spki', format: 'der' })
  if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(ofKey))
    return [
      '  wxpay-v3 settings: WXPAY_PRIVATE_KEY does not belong to the certificate in WXPAY_MERCHANT_CERT: WeChat Pay would answer SIGN_ERROR to every request',
    ]
  return ['  wxpay-v3 settings: the private key, the serial and the merchant certificate belong together']
}

// ---- the project's declarations ----

export interface RcFunction {
  name: string
  runtime?: string
  /** Seconds. */
  timeout?: number
  /** config.json permissions.openapi (read by readProject). */
  permissions?: string[]
  envVariables?: Record<string, string>
  triggers?: Array<{ name: string; type: string; config: string }>
}
export interface CollectionSpec {
  name: string
  seed?: string
  indexes?: Array<{ name: string; keys: Record<string, 1 | -1 | string>; unique?: boolean }>
  rules: Record<string, unknown>
}
export interface Project {
  functions: RcFunction[]
  collections: CollectionSpec[]
  /** cloudfunctions/customerService/message-push.json: the console's message-push pairs. */
  messagePush?: { function: string; pairs: Array<{ msgType: string; event: string }> }
}

export function readProject(root = ROOT): Project {
  const rc = JSON.parse(readFileSync(join(root, 'cloudbaserc.json'), 'utf8')) as { functions: RcFunction[] }
  const db = JSON.parse(readFileSync(join(root, 'database', 'collections.json'), 'utf8')) as {
    collections: CollectionSpec[]
  }
  const push = join(root, 'cloudfunctions', 'customerService', 'message-push.json')
  const messagePush = existsSync(push) ? (JSON.parse(readFileSync(push, 'utf8')) as Project['messagePush']) : undefined
  const functions = rc.functions.map((f) => {
    const cfg = join(root, 'cloudfunctions', f.name, 'config.json')
    const permissions = existsSync(cfg)
      ? ((JSON.parse(readFileSync(cfg, 'utf8')) as { permissions?: { openapi?: string[] } }).permissions?.openapi ?? [])
      : []
    return { ...f, permissions }
  })
  return { functions, collections: db.collections, ...(messagePush ? { messagePush } : {}) }
}

// ---- the plan ----

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

// ---- doing it ----

/** What deploying needs from CloudBase; the real one is tcb + the Manager SDK, tests pass a fake. */
export interface CloudBase {
  /** Throws DeployError when there is no usable login. */
  checkLogin(): Promise<void>
  deployFunction(name: string): Promise<void>
  /** Uploads the function folder (config.json included) through DevTools' channel, which applies its permissions. */
  uploadWithPermissions(name: string): Promise<void>
  /** What WeChat lists as the function's cloud-call permissions (scripts/func-config.ts), against `wanted`. */
  readPermissions(name: string, wanted: string[]): Promise<Readback>
  createTriggers(name: string): Promise<void>
  ensureCollection(name: string): Promise<'created' | 'exists'>
  ensureIndex(collection: string, index: CreateIndex): Promise<'created' | 'exists'>
  setRules(collection: string, rules: string): Promise<void>
  /** The function's HTTP access paths, `path` created when it has none. */
  ensureRoute(fn: string, path: string): Promise<{ state: 'created' | 'exists'; paths: string[] }>
}

export async function execute(
  steps: Step[],
  cloud: CloudBase,
  log: (line: string) => void,
  build = buildFunction,
): Promise<string[]> {
  await cloud.checkLogin()
  const manual: string[] = []
  for (const step of steps) {
    switch (step.kind) {
      case 'build':
        await Promise.all(step.functions.map((n) => build(n)))
        log(`built ${step.functions.length} functions`)
        break
      case 'function': {
        await cloud.deployFunction(step.name)
        let perms = step.permissionsVia === 'by-hand' ? ', permissions NOT applied' : ''
        if (step.permissionsVia === 'miniprogram-ci') {
          await cloud.uploadWithPermissions(step.name)
          // Said applied only when WeChat lists them (an upload is not proof: #27).
          const back = await cloud.readPermissions(step.name, step.permissions)
          if (back.state === 'APPLIED') perms = ', permissions applied (read back from WeChat)'
          else if (back.state === 'MISSING') {
            perms = `, permissions NOT applied: ${back.missing.join(', ')} missing`
            manual.push(
              `Cloud-call permissions of ${step.name}: ${back.why} Upload it from DevTools (right-click the folder → 上传并部署：云端安装依赖); until then its WeChat calls fail with -604101.`,
            )
          } else {
            perms = ', permissions uploaded, not confirmed'
            manual.push(
              `Cloud-call permissions of ${step.name} could not be read back: ${back.why} Check them in DevTools (云开发 → 云函数 → ${step.name} → 云调用权限).`,
            )
          }
        }
        if (step.triggers.length) await cloud.createTriggers(step.name)
        log(`deployed ${step.name}${step.triggers.length ? ' (with timer)' : ''}${perms}`)
        break
      }
      case 'collection': {
        const made = await cloud.ensureCollection(step.name)
        const created: string[] = []
        for (const index of step.indexes)
          if ((await cloud.ensureIndex(step.name, index)) === 'created') created.push(index.IndexName)
        await cloud.setRules(step.name, step.rules)
        log(
          `collection ${step.name}: ${made}${created.length ? `, indexes created: ${created.join(', ')}` : ''}, rules set`,
        )
        break
      }
      case 'route': {
        // Said as it is: a path that could not be made is a manual step with why, not a failed deploy.
        try {
          const r = await cloud.ensureRoute(step.fn, step.path)
          log(
            `HTTP access for ${step.fn}: ${r.state === 'created' ? `created ${step.path}` : `exists (${r.paths.join(', ')})`}`,
          )
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e)
          log(`HTTP access for ${step.fn}: NOT created`)
          manual.push(
            `HTTP access for ${step.fn} could not be created (${why.slice(0, 200)}): in the cloud console → HTTP 访问服务, turn the service on and add the path ${step.path} → ${step.fn}.`,
          )
        }
        break
      }
      case 'manual':
        manual.push(step.text)
        break
    }
  }
  return manual
}

/** A key that is set but not accepted: not the same fix as no login at all. */
export const KEY_REFUSED =
  'CloudBase refused the API key in TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY: check both in 访问管理 → API 密钥 (a deleted or disabled key, or one of another account), or unset them to use npx tcb login.'

/**
 * The one sentence for what tcb printed, or undefined when it printed no known failure. tcb 2.x
 * exits 0 on some failures (an unhandled rejection), so its words decide too. The network first:
 * offline, a key that was never checked is not "refused"; a key that is set and refused is not
 * "not logged in".
 */
export function tcbProblem(out: string, env: Env): string | undefined {
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|请求超时/.test(out))
    return 'CloudBase cannot be reached from this machine: check the network (or the HTTP proxy) and run npm run deploy again.'
  const keySet = Boolean(env.TENCENTCLOUD_SECRETID && env.TENCENTCLOUD_SECRETKEY)
  if (
    keySet &&
    /No valid identity information|AuthFailure|SecretIdNotFound|SignatureFailure|InvalidCredential/i.test(out)
  )
    return KEY_REFUSED
  if (/No valid identity information/i.test(out))
    return 'Not logged in to CloudBase: run npx tcb login (or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY) and run npm run deploy again.'
  return undefined
}

/** The env ids in `tcb env list` output (a table; ids look like prod-8gabc123). */
export function envIdsIn(output: string): string[] {
  return [...new Set(output.match(/\b[a-z][a-z0-9-]*-[a-z0-9]{4,}\b/g) ?? [])]
}

/** tcb (node_modules/.bin) for functions and triggers; the Manager SDK for the database. */
export function realCloudBase(opts: Options, env: Record<string, string | undefined>): CloudBase {
  const tcbBin = join(ROOT, 'node_modules', '.bin', 'tcb')
  /** Runs tcb; `-e <env>` is added to the commands that take it (fn ...), not to `env list`. */
  const tcb = (args: string[]): string => {
    const r = spawnSync(tcbBin, args[0] === 'fn' ? [...args, '-e', opts.envId] : args, {
      cwd: ROOT,
      env: env as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 10 * 60_000,
    })
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`
    const problem = tcbProblem(out, env)
    if (problem) throw new DeployError(problem)
    if (r.error || r.status !== 0 || /CloudBaseError|unhandledRejection/.test(out))
      throw new DeployError(
        `tcb ${args.join(' ')} failed: ${(out.trim().split('\n').filter(Boolean).pop() ?? r.error?.message ?? 'no output').slice(0, 300)}`,
      )
    return out
  }
  type Manager = {
    access: {
      getAccessList(o?: { name?: string }): Promise<{ APISet?: Array<{ Path: string; Name: string; Type: number }> }>
      createAccess(o: { name: string; path: string; type?: 1 | 2 }): Promise<unknown>
    }
    database: {
      createCollectionIfNotExists(n: string): Promise<{ IsCreated: boolean }>
      checkIndexExists(c: string, i: string): Promise<{ Exists: boolean }>
      updateCollection(c: string, info: { CreateIndexes: CreateIndex[] }): Promise<unknown>
    }
    commonService(
      s?: string,
      v?: string,
    ): { call(o: { Action: string; Param: Record<string, unknown> }): Promise<unknown> }
  }
  let manager: Manager | undefined
  const db = (): Manager => {
    if (manager) return manager
    if (!env.TENCENTCLOUD_SECRETID || !env.TENCENTCLOUD_SECRETKEY) {
      throw new DeployError(
        'The database step needs a CAM API key: set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (访问管理 → API 密钥) and run npm run deploy again.',
      )
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const CloudBaseManager = require('@cloudbase/manager-node') as new (
      c: Record<string, string | undefined>,
    ) => Manager
    manager = new CloudBaseManager({
      secretId: env.TENCENTCLOUD_SECRETID,
      secretKey: env.TENCENTCLOUD_SECRETKEY,
      token: env.TENCENTCLOUD_SESSIONTOKEN,
      envId: opts.envId,
    })
    return manager
  }
  let checked = false
  /** The mini-program's access token for reading permissions back, fetched once per deploy. */
  let token: { token: string } | { why: string } | undefined
  return {
    async checkLogin() {
      if (checked) return
      if (!existsSync(tcbBin)) throw new DeployError('The CloudBase CLI is missing: run npm ci first.')
      const listed = envIdsIn(tcb(['env', 'list']))
      if (!listed.includes(opts.envId)) {
        throw new DeployError(
          `${opts.envId} is not one of the environments this login can use (${listed.join(', ') || 'none listed'}): check the id in ${ENV_ID_WHERE}, or log in with the account that owns it (npx tcb login).`,
        )
      }
      db()
      checked = true
    },
    async deployFunction(name) {
      tcb(['fn', 'deploy', name, '--force', '--yes'])
    },
    async uploadWithPermissions(name) {
      if (!opts.uploadKey) throw new DeployError(`No upload key to apply ${name}'s permissions.`)
      const ci = loadCi()
      const project = ciProject(ci, { ...opts.uploadKey, offline: false })
      try {
        await ci.cloud.uploadFunction({
          project,
          env: opts.envId,
          name,
          path: join(ROOT, 'cloudfunctions', name),
          remoteNpmInstall: true,
        })
      } catch (e) {
        throw new DeployError(`Uploading ${name} with its permissions failed: ${shipFailure(e)}`)
      }
    },
    async readPermissions(name, wanted) {
      if (!token) {
        const appid = opts.uploadKey?.appid
        const secret = env.MP_APPSECRET?.trim()
        token =
          !appid || !secret
            ? {
                why: "MP_APPSECRET (the mini-program's AppSecret, 开发管理 → 开发设置) is not set in the untracked .env, so WeChat cannot be asked.",
              }
            : await accessToken(fetchJson, appid, secret)
      }
      if ('why' in token) return { state: 'UNKNOWN', why: token.why }
      return readPermissions(fetchJson, token.token, opts.envId, name, wanted)
    },
    async createTriggers(name) {
      tcb(['fn', 'trigger', 'create', name])
    },
    async ensureCollection(name) {
      return (await db().database.createCollectionIfNotExists(name)).IsCreated ? 'created' : 'exists'
    },
    async ensureIndex(collection, index) {
      if ((await db().database.checkIndexExists(collection, index.IndexName)).Exists) return 'exists'
      await db().database.updateCollection(collection, { CreateIndexes: [index] })
      return 'created'
    },
    async ensureRoute(fn, path) {
      const paths = ((await db().access.getAccessList({ name: fn })).APISet ?? [])
        .filter((a) => a.Type === 1 && a.Name === fn)
        .map((a) => a.Path)
      if (paths.length) return { state: 'exists', paths }
      await db().access.createAccess({ name: fn, path, type: 1 })
      return { state: 'created', paths: [path] }
    },
    async setRules(collection, rules) {
      await db()
        .commonService('tcb', '2018-06-08')
        .call({
          Action: 'ModifySafeRule',
          Param: { EnvId: opts.envId, CollectionName: collection, AclTag: 'CUSTOM', Rule: rules },
        })
    },
  }
}

/** The seed files as JSON Lines, the console's import format. */
export function writeSeeds(project: Project, root = ROOT): string[] {
  const out: string[] = []
  for (const c of project.collections.filter((c) => c.seed)) {
    const docs = JSON.parse(readFileSync(join(root, 'database', c.seed!), 'utf8')) as unknown[]
    mkdirSync(join(root, '.deploy', 'seed'), { recursive: true })
    const file = join(root, '.deploy', 'seed', `${c.name}.json`)
    writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n') + '\n')
    out.push(file)
  }
  return out
}

export const DEPLOY_USAGE = [
  'npm run deploy                       deploy to the env id of the shell, .env.local, .env, or npm run configure (in that order)',
  'npm run deploy -- --env <env id>     deploy to this environment',
  "npm run deploy -- --mode prod        read .env.prod over .env.local and .env (the CloudBase CLI's convention; also for configure and preview)",
  'npm run deploy -- --dry-run          print the plan; nothing is changed, no login needed',
  'npm run deploy -- --no-permissions   without the code-upload key: list the functions to upload from DevTools',
  'npm run deploy -- --force            take an env id the format check doubts',
].join('\n')

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(DEPLOY_USAGE)
    return
  }
  // KIT_ENV_DIR: where .env, .env.local and configure's file are read (the project root by
  // default). The tests point it at a folder of their own, so a user's .env never changes what they see.
  const { mode, rest } = modeOf(process.argv.slice(2))
  const settings = readSettings(configRoot(), process.env, mode)
  const env = settings.vars
  const opts = parseOptions(rest, env, settings)
  const project = readProject()
  const steps = makePlan(project, opts)
  // A plan is printed as "Deploying" only once the login and the env id are known to work.
  const cloud = opts.dryRun ? undefined : realCloudBase(opts, env)
  await cloud?.checkLogin()
  console.log(
    `${opts.dryRun ? 'Plan (dry run, nothing is changed)' : 'Deploying'} to ${said({ value: opts.envId, from: opts.envFrom ?? 'TCB_ENV_ID' })}:`,
  )
  const mismatch = envMismatch({ value: opts.envId, from: opts.envFrom ?? 'TCB_ENV_ID' }, settings)
  steps.forEach((s, i) => console.log(`  ${i + 1}. ${describeStep(s)}`))
  variableReport(project, env).forEach((l) => console.log(l))
  if (mismatch) console.log(mismatch)
  if (!cloud) return
  writeSeeds(project)
  const manual = await execute(steps, cloud, (l) => console.log(l))
  console.log('\nDone. Left to do by hand in the console:')
  manual.forEach((m) => console.log(`  - ${m}`))
}

if (require.main === module) {
  main().catch((e) => {
    // One sentence for what the user can fix; a stack only for our own bugs.
    console.error(e instanceof DeployError || e instanceof ModeError ? e.message : e)
    process.exit(1)
  })
}
