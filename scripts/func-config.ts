/**
 * A function's cloud-call permissions read back from WeChat, so `npm run deploy` says "applied"
 * only when WeChat says so (issue #27). Uploading a folder with its config.json is what DevTools
 * does; whether the permissions took is a separate setting WeChat keeps per function:
 * - `POST https://api.weixin.qq.com/tcb/getfuncconfig?access_token=…` `{ type: 1, env, function_name }`
 *   answers `{ errcode: 0, errmsg: 'ok', config: '{"permissions":{"openapi":[…]}}' }` (config is
 *   a JSON string); 85089 is 云调用配置不存在 (developers.weixin.qq.com/doc/oplatform/openApi/
 *   cloudbase-common/scf-management/api_getfuntionconfig, and the Third-party_Platforms 2.0 page
 *   api/cloudbase/common/getFuncConfig.html with the same example).
 * - The access_token comes from `POST https://api.weixin.qq.com/cgi-bin/stable_token`
 *   `{ grant_type: 'client_credential', appid, secret }` (the stable one: asking for it does not
 *   invalidate a token the account's other servers hold, as cgi-bin/token would), which needs the
 *   mini-program's AppSecret (MP_APPSECRET, never committed) and this machine's IP in the API IP
 *   whitelist (40164 otherwise).
 * Every answer is checked against its documented shape; anything else is UNKNOWN with the reason,
 * never APPLIED.
 */
import * as v from 'valibot'

export type Readback =
  { state: 'APPLIED' } | { state: 'MISSING'; missing: string[]; why: string } | { state: 'UNKNOWN'; why: string }

/** POSTs JSON and resolves with the parsed answer (fetch in deploy; a sandbox in tests). */
export type PostJson = (url: string, body: Record<string, unknown>) => Promise<unknown>

export const STABLE_TOKEN_URL = 'https://api.weixin.qq.com/cgi-bin/stable_token'
export const GET_FUNC_CONFIG_URL = 'https://api.weixin.qq.com/tcb/getfuncconfig'
/** getfuncconfig's type for the cloud-call (openapi permissions) configuration. */
export const PERMISSIONS_CONFIG = 1
/** getfuncconfig: the function has no cloud-call configuration at all. */
export const NO_CONFIG = 85089

const Errcode = v.object({ errcode: v.number(), errmsg: v.optional(v.string()) })
const Token = v.object({ access_token: v.pipe(v.string(), v.minLength(1)), expires_in: v.number() })
const FuncConfig = v.object({ errcode: v.literal(0), config: v.string() })
const Permissions = v.object({ permissions: v.optional(v.object({ openapi: v.optional(v.array(v.string())) })) })

/** Why a token could not be had, in one sentence (the errcodes stable_token documents). */
function tokenProblem(errcode: number, errmsg: string | undefined): string {
  switch (errcode) {
    case 40013:
      return 'WeChat does not know MP_APPID (40013): check the AppID.'
    case 40125:
    case 40001:
      return `WeChat refused MP_APPSECRET (${errcode}): copy the AppSecret again from 开发管理 → 开发设置 (a reset makes the old one invalid).`
    case 40164:
      return `This machine's IP is not in the mini-program's API IP whitelist (40164: ${errmsg ?? ''}): add it in 开发管理 → 开发设置 → IP白名单.`
    case -1:
      return 'WeChat was busy (-1) when asked for an access token: run npm run deploy again.'
    default:
      return `WeChat gave no access token (errcode ${errcode}${errmsg ? `: ${errmsg}` : ''}).`
  }
}

/** The mini-program's access token, or why there is none. */
export async function accessToken(
  post: PostJson,
  appid: string,
  secret: string,
): Promise<{ token: string } | { why: string }> {
  let answer: unknown
  try {
    answer = await post(STABLE_TOKEN_URL, { grant_type: 'client_credential', appid, secret })
  } catch (e) {
    return { why: `WeChat could not be reached for an access token: ${e instanceof Error ? e.message : String(e)}` }
  }
  const token = v.safeParse(Token, answer)
  if (token.success) return { token: token.output.access_token }
  const err = v.safeParse(Errcode, answer)
  if (err.success && err.output.errcode !== 0) return { why: tokenProblem(err.output.errcode, err.output.errmsg) }
  return { why: 'WeChat answered the access-token request in a shape its document does not give.' }
}

/** Which of `wanted` WeChat lists as the function's cloud-call permissions. */
export async function readPermissions(
  post: PostJson,
  token: string,
  env: string,
  name: string,
  wanted: readonly string[],
): Promise<Readback> {
  let answer: unknown
  try {
    answer = await post(`${GET_FUNC_CONFIG_URL}?access_token=${encodeURIComponent(token)}`, {
      type: PERMISSIONS_CONFIG,
      env,
      function_name: name,
    })
  } catch (e) {
    return {
      state: 'UNKNOWN',
      why: `WeChat could not be reached to read ${name}'s permissions: ${e instanceof Error ? e.message : String(e)}`,
    }
  }
  const ok = v.safeParse(FuncConfig, answer)
  if (!ok.success) {
    const err = v.safeParse(Errcode, answer)
    if (err.success && err.output.errcode === NO_CONFIG)
      return {
        state: 'MISSING',
        missing: [...wanted],
        why: `WeChat has no cloud-call configuration for ${name} (${NO_CONFIG}).`,
      }
    if (err.success && err.output.errcode !== 0)
      return {
        state: 'UNKNOWN',
        why: `WeChat did not say (getfuncconfig errcode ${err.output.errcode}${err.output.errmsg ? `: ${err.output.errmsg}` : ''}).`,
      }
    return { state: 'UNKNOWN', why: 'getfuncconfig answered in a shape its document does not give.' }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(ok.output.config)
  } catch {
    return { state: 'UNKNOWN', why: "getfuncconfig's config is not JSON." }
  }
  const config = v.safeParse(Permissions, parsed)
  if (!config.success)
    return {
      state: 'UNKNOWN',
      why: "getfuncconfig's config is not in the documented { permissions: { openapi: [...] } } shape.",
    }
  const have = new Set(config.output.permissions?.openapi ?? [])
  const missing = wanted.filter((p) => !have.has(p))
  return missing.length
    ? {
        state: 'MISSING',
        missing,
        why: `WeChat lists ${have.size ? [...have].join(', ') : 'no permissions'} for ${name}.`,
      }
    : { state: 'APPLIED' }
}

/** fetch as PostJson: a JSON body, the JSON answer (a non-JSON answer is an error). */
export const fetchJson: PostJson = async (url, body) => {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  })
  return (await r.json()) as unknown
}
