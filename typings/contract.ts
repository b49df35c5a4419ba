/**
 * The wire contract shared by pages and cloud functions (type-only: the mini-program
 * imports it with `import type`, so nothing here reaches the package at run time).
 *
 * A capability declares its function's actions once, e.g. `typings/user.ts`:
 *   interface UserContract { login: Action<LoginReq, LoginRes, 'SOME_CODE'> }
 * The page-side `call()` and the function-side router are both typed from it, so a
 * field that differs on either side fails `tsc`.
 */

/** One action of a function: what the page sends, what it gets back, which errors it may see. */
export interface Action<Req, Res, Err extends string = never> {
  req: Req
  res: Res
  err: Err
}

/** Every function's contract is a map of action name to Action. */
export type Contract = { [action: string]: Action<any, any, string> }

/** Errors the shared router can answer for any action (it decides them, not the handler). */
export type RouterErrorCode =
  | 'INVALID_INPUT' // payload failed the action's schema; nothing was written
  | 'UNKNOWN_ACTION' // no such action in this function
  | 'UNAUTHENTICATED' // a user action called without an OPENID (e.g. from a timer)
  | 'WECHAT_BUSY' // WeChat answered -1 / system busy / rate limit: try again later
  | 'PERMISSION_MISSING' // -604101: the function's config.json lacks the openapi permission
  | 'INTERNAL' // anything unexpected; logged with a request id

/** Errors the page-side call() produces itself when the function could not answer. */
export type TransportErrorCode =
  | 'NETWORK' // no network / request failed before reaching the function
  | 'TIMEOUT' // -504003 or the client timed out
  | 'FUNCTION_NOT_FOUND' // -501000 / not deployed in this environment
  | 'FUNCTION_FAILED' // the function threw or returned something that is not an envelope
  | 'CLOUD_NOT_CONFIGURED' // no env id configured: see docs/start.md, "配置云环境"
  | 'LOCAL_CLOUD_DOWN' // DevTools local mode: the npm start server does not answer

export interface ErrorBody<C extends string> {
  code: C
  message: string
  /** Request id of the invocation, to find its log line. */
  requestId?: string
  /** Field-level problems for INVALID_INPUT. */
  issues?: string[]
}

/** The one response envelope every action answers with. */
export type Envelope<T, C extends string> = { ok: true; data: T } | { ok: false; error: ErrorBody<C | RouterErrorCode> }

/** What the page sends to a function: `{ action, payload }`. */
export interface RequestOf<C extends Contract, A extends keyof C & string> {
  action: A
  payload: C[A]['req']
}

export type ReqOf<C extends Contract, A extends keyof C> = C[A]['req']
export type ResOf<C extends Contract, A extends keyof C> = C[A]['res']
export type ErrOf<C extends Contract, A extends keyof C> = C[A]['err']
export type EnvelopeOf<C extends Contract, A extends keyof C> = Envelope<ResOf<C, A>, ErrOf<C, A>>

/** What the page-side call() resolves with: the envelope, widened by transport errors. */
export type CallResult<C extends Contract, A extends keyof C> =
  { ok: true; data: ResOf<C, A> } | { ok: false; error: ErrorBody<ErrOf<C, A> | RouterErrorCode | TransportErrorCode> }

/**
 * Open data passed with `wx.cloud.CloudID(id)`: the page sends a CloudID as a top-level
 * field; WeChat replaces it before the function runs. The function receives either the
 * decrypted `data` or, when the id expired (5 min), `errCode: -601006`.
 * Always check `OPEN_DATA_INFO` before trusting `data` (see server/opendata.ts).
 */
export interface OpenData<T> {
  cloudID: string
  data?: T
  errCode?: number
  errMsg?: string
}

/** The page sends a CloudID object where the function receives OpenData<T>. */
export type ClientPayload<T> = {
  [K in keyof T]: T[K] extends OpenData<any> ? ICloudIDLike : T[K]
}
/** Structural stand-in for ICloud.CloudID (which only exists in the mini-program typings). */
export interface ICloudIDLike {
  readonly cloudID?: string
}

/**
 * The languages of the kit: Chinese (the default) and English. A user's language lives on the
 * user's record (sent at login and by the profile page's switch); server text that the user sees
 * (customer-service replies, payment body, SOTER prompt, catalogue) follows it.
 */
export type Locale = 'zh_CN' | 'en'
