/**
 * Customer-service settings, from the function's environment variables (cloudbaserc.json
 * `envVariables`, values from your untracked .env at deploy). Everything has a working
 * default except the operator list and the URL-mode secrets.
 */
import type { Locale } from '../../typings/contract'
import { listVar } from '../input'

export interface OpeningHours {
  /** ISO weekdays (1 = Monday … 7 = Sunday) when people answer. */
  days: number[]
  /** Minutes after midnight, Beijing time (UTC+8): [start, end). */
  start: number
  end: number
}

export interface CsTexts {
  welcome: string
  /** {title} and {state} are filled from the user's own order. */
  welcomeOrder: string
  welcomeProfile: string
  outOfHours: string
  /** In hours, when no rule answers: tell the user a person will. */
  ack: string
}

export interface CsConfig {
  agents: ReadonlySet<string>
  hours: OpeningHours | null
  /** The automatic texts in each language; a user gets those of the language on the user's record. */
  texts: Record<Locale, CsTexts>
  /** Cover image (cloud storage fileID) for the order card sent with an order welcome. */
  cardThumbFileId: string | null
  /** What the handler may spend on WeChat calls in one delivery (WeChat waits 5 s). */
  budgetMs: number
  /** One WeChat call's limit. */
  callTimeoutMs: number
}

export const DEFAULT_TEXTS: Record<Locale, CsTexts> = {
  zh_CN: {
    welcome: '你好！有什么可以帮你？在这里留言，我们会在这里回复。',
    welcomeOrder: '你好！你从订单“{title}”（{state}）进入客服。请告诉我们需要什么帮助，我们会尽快处理。',
    welcomeProfile: '你好！账号或手机号有疑问？请在这里留言。',
    outOfHours: '感谢留言。我们的服务时间是{hours}，届时会有人工回复你。',
    ack: '收到！稍后会有人工在这里回复你。',
  },
  en: {
    welcome: 'Hi! How can we help? Send us a message and we will answer here.',
    welcomeOrder: 'Hi! You came from your order "{title}" ({state}). Tell us what you need and we will look into it.',
    welcomeProfile: 'Hi! Questions about your account or phone number? Send us a message.',
    outOfHours: 'Thanks for your message. We answer {hours}; a person will reply then.',
    ack: 'Thanks! A person will reply here shortly.',
  },
}

/** The variable that replaces each text: as named for Chinese (the default language), with _EN for English. */
const TEXT_VARIABLES: Record<keyof CsTexts, string> = {
  welcome: 'CS_WELCOME',
  welcomeOrder: 'CS_WELCOME_ORDER',
  welcomeProfile: 'CS_WELCOME_PROFILE',
  outOfHours: 'CS_OUT_OF_HOURS',
  ack: 'CS_ACK',
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/

/** "09:00-18:00" and "1-5" (or "1,2,3,4,5,6") → OpeningHours; unset or malformed → always open. */
export function parseHours(hours: string | undefined, days: string | undefined): OpeningHours | null {
  const [a, b] = (hours ?? '').split('-').map((s) => s.trim())
  const ma = HHMM.exec(a ?? '')
  const mb = HHMM.exec(b ?? '')
  if (!ma || !mb) return null
  const start = Number(ma[1]) * 60 + Number(ma[2])
  const end = Number(mb[1]) * 60 + Number(mb[2])
  if (end <= start) return null
  const d = (days ?? '1-7').trim()
  let list: number[]
  const range = /^([1-7])-([1-7])$/.exec(d)
  if (range) {
    list = []
    for (let i = Number(range[1]); i <= Number(range[2]); i++) list.push(i)
  } else
    list = d
      .split(',')
      .map((x) => Number(x.trim()))
      .filter((x) => Number.isInteger(x) && x >= 1 && x <= 7)
  return list.length ? { days: list, start, end } : null
}

function intIn(raw: string | undefined, min: number, max: number, fallback: number): number {
  const n = Number(raw)
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback
}

export function csConfig(env: Record<string, string | undefined>): CsConfig {
  const agents = new Set(listVar(env.CS_AGENT_OPENIDS))
  const texts = (locale: Locale, suffix: string): CsTexts => {
    const out = { ...DEFAULT_TEXTS[locale] }
    for (const k of Object.keys(TEXT_VARIABLES) as Array<keyof CsTexts>)
      out[k] = (env[TEXT_VARIABLES[k] + suffix] ?? '').trim() || out[k]
    return out
  }
  return {
    agents,
    hours: parseHours(env.CS_HOURS, env.CS_DAYS),
    texts: { zh_CN: texts('zh_CN', ''), en: texts('en', '_EN') },
    cardThumbFileId: (env.CS_CARD_THUMB_FILE_ID ?? '').trim() || null,
    budgetMs: intIn(env.CS_BUDGET_MS, 500, 4500, 3500),
    callTimeoutMs: intIn(env.CS_CALL_TIMEOUT_MS, 200, 4000, 1500),
  }
}

/** URL mode (customerServiceHttp): the push settings of 开发管理 → 消息推送. */
export interface PushUrlConfig {
  token: string
  /** 43 characters; required for compatible and safe mode. */
  encodingAesKey: string | null
  appid: string | null
  /** 'safe' refuses unencrypted bodies; otherwise what each request declares is accepted. */
  mode: 'plain' | 'compatible' | 'safe'
}

/** The environment variables that hold one URL-mode push setting (the mini-program's, or the official account's). */
export interface PushUrlVars {
  token: string
  aesKey: string
  appid: string
  mode: string
  /** Where the Token is found, for the message when it is missing. */
  where: string
}

/** URL-mode push settings from the environment, or what is missing. */
export function urlPushConfig(
  env: Record<string, string | undefined>,
  names: PushUrlVars,
): { ok: true; cfg: PushUrlConfig } | { ok: false; message: string } {
  const token = (env[names.token] ?? '').trim()
  if (!/^[A-Za-z0-9]{3,32}$/.test(token))
    return { ok: false, message: `${names.token} is not set (3-32 letters or digits, ${names.where})` }
  const aes = (env[names.aesKey] ?? '').trim() || null
  const appid = (env[names.appid] ?? '').trim() || null
  const m = (env[names.mode] ?? '').trim()
  const mode = m === 'safe' || m === 'compatible' ? m : 'plain'
  if (mode !== 'plain' && (!aes || !appid))
    return { ok: false, message: `${names.mode}=${mode} needs ${names.aesKey} and ${names.appid}` }
  return { ok: true, cfg: { token, encodingAesKey: aes, appid, mode } }
}

export function pushUrlConfig(
  env: Record<string, string | undefined>,
): { ok: true; cfg: PushUrlConfig } | { ok: false; message: string } {
  return urlPushConfig(env, {
    token: 'CS_PUSH_TOKEN',
    aesKey: 'CS_PUSH_AES_KEY',
    appid: 'CS_PUSH_APPID',
    mode: 'CS_PUSH_MODE',
    where: 'as in the push settings',
  })
}
