/**
 * The WeChat side of `cloud.openapi.*` and `cloud.cloudPay.*` in the local cloud: it records
 * every call (the outbox), answers with the shapes of WeChat's documentation (snake_case, as
 * WeChat sends them: the real SDK converts them to camelCase), and can be told to fail a call
 * with a given errcode, which the SDK turns into its CloudSDKError { errCode, errMsg }.
 */
import { randomBytes } from 'node:crypto'
import { KfSandbox } from './kf-sandbox'
import { SoterSandbox } from './soter-sandbox'
import { wxacodePng } from './wxacode-png'

/** msgSecCheck: content at most 2500 characters. */
const SEC_CHECK_MAX_CHARS = 2500
/** msgSecCheck needs a visit in the last 2 hours (61010). */
const VISIT_WINDOW_MS = 2 * 3600_000

export class WxApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${errcode} ${errmsg}`)
  }
}

export interface CallInfo {
  /** The function making the call, and the user whose invocation it is. */
  fn: string
  openid?: string
  appid: string
}

export type ApiResult = Record<string, unknown> | { buffer: Buffer; contentType: string }
export type ApiHandler = (params: Record<string, unknown>, call: CallInfo) => ApiResult | Promise<ApiResult>

export interface OutboxEntry {
  api: string
  params: Record<string, unknown>
  fn: string
  openid?: string
  at: number
  ok: boolean
  errcode?: number
  result?: unknown
}

export class ApiSandbox {
  readonly calls: OutboxEntry[] = []
  private handlers = new Map<string, ApiHandler>()
  private failures = new Map<string, Array<{ errcode: number; errmsg: string }>>()
  private delays = new Map<string, number[]>()

  constructor(
    private readonly kind: string,
    protected readonly now: () => number,
  ) {}

  /** Replaces or adds the handler of one API (e.g. 'security.msgSecCheck', 'unifiedOrder'). */
  on(api: string, handler: ApiHandler): this {
    this.handlers.set(api, handler)
    return this
  }

  /** The next `times` calls of `api` fail with this errcode (as WeChat would answer). */
  failNext(api: string, errcode: number, errmsg = 'injected by test', times = 1): this {
    const q = this.failures.get(api) ?? []
    for (let i = 0; i < times; i++) q.push({ errcode, errmsg })
    this.failures.set(api, q)
    return this
  }

  /** The next `times` calls of `api` answer only after `ms` (a slow WeChat). */
  delayNext(api: string, ms: number, times = 1): this {
    const q = this.delays.get(api) ?? []
    for (let i = 0; i < times; i++) q.push(ms)
    this.delays.set(api, q)
    return this
  }

  callsTo(api: string): OutboxEntry[] {
    return this.calls.filter((c) => c.api === api)
  }

  async call(api: string, params: Record<string, unknown>, info: CallInfo): Promise<ApiResult> {
    const entry: OutboxEntry = {
      api,
      params,
      fn: info.fn,
      ...(info.openid ? { openid: info.openid } : {}),
      at: this.now(),
      ok: false,
    }
    this.calls.push(entry)
    const delay = this.delays.get(api)?.shift()
    if (delay) await new Promise((r) => setTimeout(r, delay))
    const injected = this.failures.get(api)?.shift()
    if (injected) {
      entry.errcode = injected.errcode
      throw new WxApiError(injected.errcode, injected.errmsg)
    }
    const handler = this.handlers.get(api)
    if (!handler)
      throw new Error(
        `localcloud: ${this.kind}.${api} has no sandbox handler yet (add one with localCloud.${this.kind}.on('${api}', ...))`,
      )
    try {
      const result = await handler(params, info)
      entry.ok = true
      entry.result = result
      return result
    } catch (e) {
      if (e instanceof WxApiError) entry.errcode = e.errcode
      throw e
    }
  }
}

/** Labels of msgSecCheck v2 (documentation): 100 normal, 20001 politics, 20002 porn, 20003 abuse, 21000 other. */
export interface SecCheckRules {
  risky: string[]
  review: string[]
}

export interface IssuedPhone {
  phoneNumber: string
  purePhoneNumber: string
  countryCode: string
}

/**
 * The default openapi handlers. Each follows its documentation page:
 * - security.msgSecCheck (v2): https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/msgSecCheck.html
 *   `result.suggest` risky/review when the content holds a configured word, else pass.
 *   Missing/empty openid -> 40003; version other than 2 -> 47001 (v1 is withdrawn); scene not
 *   1-4 (资料, 评论, 论坛, 社交日志) or content over 2500 characters -> 47001; a user who has not
 *   used the mini-program in the last 2 hours -> 61010 (用户访问记录超时). Visits are what the
 *   local cloud sees: calls from the mini-program (`userVisited`).
 * - phonenumber.getPhoneNumber: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html
 *   codes come from `issuePhoneCode` (what the getPhoneNumber button hands the page): single use,
 *   valid 5 minutes, issued to one user; an unknown, used or expired code, or one redeemed with
 *   the `openid` of another user than it was issued to, -> 40029 "invalid code" (the document's
 *   `openid` parameter lets WeChat check the code belongs to that user).
 * - subscribeMessage.send: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
 *   a one-time template sends once per `accept` the user gave (`grantSubscription`, what
 *   wx.requestSubscribeMessage's accept does), else 43101; an unknown template -> 40037;
 *   data breaking the keyword rules (thing ≤ 20 chars, character_string ≤ 32, amount a
 *   number, time a date) -> 47003; miniprogram_state not developer/trial/formal -> 47003; a
 *   `page` that is not a page of the app (app.json) -> 41030; `lang` outside zh_CN, en_US,
 *   zh_HK, zh_TW -> 47003.
 * - wxacode.getUnlimited: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getUnlimitedQRCode.html
 *   scene empty or over 32 characters -> 40169 ("invalid length for scene"); other characters than
 *   [0-9A-Za-z!#$&'()*+,/:;=?@-._~] -> 40129 ("invalid scene"); page without a
 *   leading slash or query, and with check_path (default true) a page of the published version
 *   (`publishedPages`), else 41030; `width` 280-1280 (else 47001). Answers a real PNG of that
 *   width (wxacode-png.ts) whose tEXt chunks carry the scene and page, so tests can read what a
 *   scan would open.
 */
/** subscribeMessage.send's `lang` values (sendMessage.html). */
const SUBSCRIBE_LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW'])

export class OpenApiSandbox extends ApiSandbox {
  readonly secCheck: SecCheckRules = { risky: ['违禁', 'forbidden-word'], review: ['待审', 'review-word'] }
  private phoneCodes = new Map<string, { phone: IssuedPhone; expires: number; used: boolean; openid?: string }>()
  /** Pages of the published version (wxacode.getUnlimited with check_path checks them). */
  readonly publishedPages = new Set<string>()
  /** The app's pages (app.json pages and subpackages): a subscribe message's `page` must be one. Null: not checked. */
  appPages: Set<string> | null = null
  /** Templates added to the account (公共模板库 → 我的模板). */
  readonly templates = new Set<string>()
  /** Each template's keywords (`thing2`, `amount3`, …), as getTemplateList's content names them; npm run doctor compares them with what the code sends. */
  readonly templateKeywords = new Map<string, string[]>()
  /** openid -> when the user last used the mini-program (a call from it). */
  private visits = new Map<string, number>()

  /** The user used the mini-program now (the local cloud calls this for every call from it). */
  userVisited(openid: string): void {
    this.visits.set(openid, this.now())
  }

  /** openid -> template -> sends the user allowed. */
  private grants = new Map<string, Map<string, number>>()

  /** The user accepted `templateId` in wx.requestSubscribeMessage: one send allowed. */
  grantSubscription(openid: string, templateId: string): void {
    const m = this.grants.get(openid) ?? new Map<string, number>()
    m.set(templateId, (m.get(templateId) ?? 0) + 1)
    this.grants.set(openid, m)
  }

  /** Forgets every user: the outbox, acceptances, phone codes, reply windows and SOTER keys (reset). */
  forgetUsers(): void {
    this.calls.length = 0
    this.grants.clear()
    this.visits.clear()
    this.phoneCodes.clear()
    this.kf.windows.clear()
    this.kf.media.clear()
    this.soter.forget()
  }

  grantsLeft(openid: string, templateId: string): number {
    return this.grants.get(openid)?.get(templateId) ?? 0
  }

  /** customerServiceMessage.*: reply windows, temp media, typing (kf-sandbox.ts). */
  readonly kf: KfSandbox
  /** soter.verifySignature and the phones' keys (soter-sandbox.ts). */
  readonly soter: SoterSandbox

  constructor(now: () => number) {
    super('openapi', now)
    this.kf = new KfSandbox(this, now)
    this.soter = new SoterSandbox(this)
    this.on('security.msgSecCheck', (p) => {
      if (typeof p.openid !== 'string' || !p.openid) throw new WxApiError(40003, 'invalid openid')
      if (p.version !== 2) throw new WxApiError(47001, 'data format error: version must be 2')
      if (![1, 2, 3, 4].includes(p.scene as number))
        throw new WxApiError(47001, 'data format error: scene must be 1, 2, 3 or 4')
      const content = String(p.content ?? '')
      if (Array.from(content).length > SEC_CHECK_MAX_CHARS)
        throw new WxApiError(47001, 'data format error: content over 2500 characters')
      const visited = this.visits.get(p.openid)
      if (visited === undefined || now() - visited > VISIT_WINDOW_MS)
        throw new WxApiError(
          61010,
          'user access record timeout (the user has not used the mini-program in the last 2 hours)',
        )
      const suggest = this.secCheck.risky.some((w) => content.includes(w))
        ? 'risky'
        : this.secCheck.review.some((w) => content.includes(w))
          ? 'review'
          : 'pass'
      const label = suggest === 'pass' ? 100 : 20003
      return {
        errcode: 0,
        errmsg: 'ok',
        result: { suggest, label },
        detail: [{ strategy: 'content_model', errcode: 0, suggest, label, prob: suggest === 'pass' ? 0 : 90 }],
        trace_id: randomBytes(8).toString('hex'),
      }
    })
    this.on('subscribeMessage.send', (p) => {
      const touser = String(p.touser ?? '')
      const templateId = String(p.template_id ?? '')
      if (!touser) throw new WxApiError(40003, 'invalid openid')
      if (!this.templates.has(templateId)) throw new WxApiError(40037, 'invalid template_id')
      const state = p.miniprogram_state ?? 'formal'
      if (!['developer', 'trial', 'formal'].includes(String(state)))
        throw new WxApiError(47003, 'argument invalid! miniprogram_state')
      // page: "仅限本小程序内的页面" (query allowed); a page the app does not have is 41030.
      if (p.page !== undefined && this.appPages && !this.appPages.has(String(p.page).replace(/^\//, '').split('?')[0]!))
        throw new WxApiError(41030, 'invalid page')
      // lang: zh_CN, en_US, zh_HK or zh_TW (the document's list). Its errcode for another value is
      // not documented: 47003 (argument invalid) is the sendMessage table's nearest.
      if (p.lang !== undefined && !SUBSCRIBE_LANGS.has(String(p.lang)))
        throw new WxApiError(47003, 'argument invalid! lang')
      const data = (p.data ?? {}) as Record<string, { value?: unknown }>
      for (const [key, { value } = {}] of Object.entries(data)) {
        const text = String(value ?? '')
        const bad =
          (key.startsWith('thing') && (Array.from(text).length > 20 || !text)) ||
          (key.startsWith('character_string') && (text.length > 32 || !/^[\x21-\x7e]+$/.test(text))) ||
          (key.startsWith('amount') && !/^[¥￥]?\d+(\.\d{1,2})?元?$/.test(text)) ||
          (key.startsWith('time') && !/^\d{4}[-年/]\d{1,2}[-月/]\d{1,2}/.test(text))
        if (bad) throw new WxApiError(47003, `argument invalid! data.${key}.value`)
      }
      const left = this.grantsLeft(touser, templateId)
      if (left <= 0) throw new WxApiError(43101, 'user refuse to accept the msg')
      this.grants.get(touser)!.set(templateId, left - 1)
      return { errcode: 0, errmsg: 'ok', msgid: Number.parseInt(randomBytes(4).toString('hex'), 16) }
    })
    this.on('wxacode.getUnlimited', (p) => {
      const scene = typeof p.scene === 'string' ? p.scene : ''
      if (scene.length === 0 || scene.length > 32)
        throw new WxApiError(40169, 'invalid length for scene, or the data is not json string')
      if (!/^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$/.test(scene)) throw new WxApiError(40129, 'invalid scene')
      const page = typeof p.page === 'string' ? p.page : 'pages/index/index'
      if (page.startsWith('/') || page.includes('?')) throw new WxApiError(41030, 'invalid page')
      if (p.check_path !== false && !this.publishedPages.has(page)) throw new WxApiError(41030, 'invalid page')
      if (p.env_version !== undefined && !['release', 'trial', 'develop'].includes(String(p.env_version)))
        throw new WxApiError(47001, 'data format error: env_version')
      if (p.width !== undefined && (typeof p.width !== 'number' || p.width < 280 || p.width > 1280))
        throw new WxApiError(47001, 'data format error: width must be 280-1280')
      return { buffer: wxacodePng(scene, page, typeof p.width === 'number' ? p.width : 430), contentType: 'image/png' }
    })
    this.on('phonenumber.getPhoneNumber', (p, info) => {
      const entry = typeof p.code === 'string' ? this.phoneCodes.get(p.code) : undefined
      if (!entry || entry.used || entry.expires < now()) throw new WxApiError(40029, 'invalid code')
      if (entry.openid && p.openid !== undefined && p.openid !== entry.openid)
        throw new WxApiError(40029, 'invalid code: issued to another user')
      entry.used = true
      return {
        errcode: 0,
        errmsg: 'ok',
        phone_info: { ...entry.phone, watermark: { timestamp: Math.floor(now() / 1000), appid: info.appid } },
      }
    })
  }

  /** What <button open-type="getPhoneNumber"> gives the page: a one-time code for this phone. */
  issuePhoneCode(phone: Partial<IssuedPhone> & { purePhoneNumber: string }, openid?: string): string {
    const code = randomBytes(16).toString('hex')
    const countryCode = phone.countryCode ?? '86'
    this.phoneCodes.set(code, {
      phone: {
        countryCode,
        purePhoneNumber: phone.purePhoneNumber,
        phoneNumber:
          phone.phoneNumber ??
          (countryCode === '86' ? phone.purePhoneNumber : `+${countryCode}${phone.purePhoneNumber}`),
      },
      expires: this.now() + 5 * 60_000,
      used: false,
      ...(openid ? { openid } : {}),
    })
    return code
  }
}
