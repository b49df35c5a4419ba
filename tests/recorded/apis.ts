/**
 * Replaying a recorded WeChat API answer (tests/recorded/api/): the sandbox is brought to the state
 * the answer was given in, asked the same, and its answer compared with the recording: the same
 * errcode, and the same shape (tests/setup/shape.ts).
 * Two forms: WeChat's own JSON (snake_case, as its documents print it), and `form: 'sdk'`, what a
 * function recorded with RECORD_WECHAT=1 got from wx-server-sdk: the request in camelCase and the
 * answer converted by the SDK (wx-server-sdk 3.x utils.convertCase: every key snake_case →
 * camelCase, recursively, then errCode 0 and errMsg '<api>:ok' added; a failure thrown as
 * { errCode, errMsg }, recorded as { errcode, errmsg }). The sandbox speaks WeChat's JSON, so the
 * request goes back to snake_case and the answer through the same conversion.
 */
import { LocalCloud } from '../../localcloud'
import { WxApiError } from '../../localcloud/sandbox'
import { BINARY, bufferless } from '../../server/recording'
import { shapeDiff } from '../setup/shape'

export interface ApiRecording {
  api: string
  form?: 'sdk'
  request: Record<string, any>
  answer: Record<string, any>
}

const snake = (k: string) => k.replace(/[A-Z]/g, (m, i: number) => `${i ? '_' : ''}${m.toLowerCase()}`)
const camel = (k: string) => k.replace(/_[a-z]/g, (m) => m[1]!.toUpperCase())
function keys(value: unknown, f: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => keys(v, f))
  if (value && typeof value === 'object' && !Buffer.isBuffer(value))
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [f(k), keys(v, f)]))
  return value
}
const withoutStatus = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !['errcode', 'errmsg', 'errCode', 'errMsg'].includes(k)))

/** A valid value where the recording's was scrubbed. */
const usable = (v: unknown, fallback: string) => (typeof v === 'string' && v !== '[removed]' ? v : fallback)

/** What the sandbox needs to be in the state the recorded answer was given in. */
function prepared(
  cloud: LocalCloud,
  api: string,
  request: Record<string, any>,
  answer: Record<string, any>,
  ok: boolean,
): Record<string, any> {
  if (api === 'phonenumber.getPhoneNumber' && ok) {
    // A code the sandbox issued for this phone (the recorded code was WeChat's, single use).
    const info = answer.phone_info ?? answer.phoneInfo
    const code = cloud.openapi.issuePhoneCode({
      phoneNumber: usable(info.phoneNumber, '13800000000'),
      purePhoneNumber: usable(info.purePhoneNumber, '13800000000'),
      countryCode: usable(info.countryCode, '86'),
    })
    return { ...request, code }
  }
  if (api === 'subscribeMessage.send') {
    cloud.openapi.templates.add(request.template_id)
    if (ok) cloud.openapi.grantSubscription(request.touser, request.template_id)
  }
  // The user had opened the mini-program (msgSecCheck's 61010 otherwise; customer-service messages' 45015).
  for (const who of [request.openid, request.touser]) if (ok && typeof who === 'string') cloud.openapi.userVisited(who)
  // A binary the recording kept as its kind: some bytes in its place.
  return JSON.parse(JSON.stringify(request), (_k, v) => (v === BINARY ? Buffer.from('recorded') : v)) as Record<
    string,
    any
  >
}

/** The sandbox's answer to a recording's request, in the recording's form, and how it differs. */
export async function replayApi(r: ApiRecording): Promise<{ errcode: number; expected: number; shape: string | null }> {
  const sdk = r.form === 'sdk'
  const expected = Number(r.answer.errcode ?? r.answer.errCode ?? 0)
  const request = (sdk ? keys(r.request, snake) : r.request) as Record<string, any>
  const cloud = new LocalCloud()
  let raw: Record<string, unknown>
  try {
    raw = (await cloud.openapi.call(r.api, prepared(cloud, r.api, request, r.answer, expected === 0), {
      fn: 'recorded',
      appid: cloud.appid,
    })) as Record<string, unknown>
  } catch (e) {
    if (!(e instanceof WxApiError)) throw e
    raw = { errcode: e.errcode, errmsg: e.errmsg }
  }
  const errcode = Number(raw.errcode ?? 0)
  if (!sdk || errcode !== 0 || expected !== 0)
    return {
      errcode,
      expected,
      shape: shapeDiff(
        sdk ? { errcode: r.answer.errcode, errmsg: r.answer.errmsg } : r.answer,
        sdk ? { errcode: raw.errcode, errmsg: raw.errmsg } : raw,
      ),
    }
  return {
    errcode,
    expected,
    shape: shapeDiff(withoutStatus(r.answer), bufferless(withoutStatus(keys(raw, camel) as Record<string, unknown>))),
  }
}
