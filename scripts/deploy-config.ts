/**
 * What npm run deploy reads (scripts/deploy.ts): the variables it carries to the functions, which
 * are required for the chosen payment provider, the report of them (merchant keys checked, never
 * printed), and the project's declarations: cloudbaserc.json's functions, database/collections.json
 * and the seed files written in the console's import format.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { v3Config } from '../server/pay/v3/config'
import { sameSerial } from '../server/pay/v3/crypto'
import { createPublicKey, X509Certificate } from 'node:crypto'
import { ROOT } from './build-functions'

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
