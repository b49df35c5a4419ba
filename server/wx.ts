/**
 * A typed facade over wx-server-sdk. The shipped d.ts types `openapi` as Record<string, any>
 * and lacks cloudPay; this file declares the calls the project makes, with the shapes of
 * WeChat's documentation (after the SDK's snake_case -> camelCase conversion).
 */
import * as cloud from 'wx-server-sdk'

let inited = false
/** Initialise the SDK once per function instance, bound to the environment the function runs in. */
export function initCloud(): typeof cloud {
  if (!inited) {
    // DYNAMIC_CURRENT_ENV is typed `symbol` in the shipped d.ts while init expects string | object.
    cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string })
    inited = true
  }
  return cloud
}

export type Suggest = 'pass' | 'review' | 'risky'

/** security.msgSecCheck v2 — https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/msgSecCheck.html */
export interface MsgSecCheckParams {
  version: 2
  openid: string
  /** 1 profile, 2 comment, 3 forum, 4 social log */
  scene: 1 | 2 | 3 | 4
  content: string
  nickname?: string
  title?: string
  signature?: string
}
export interface MsgSecCheckResult {
  result: { suggest: Suggest; label: number }
  detail?: Array<{ strategy: string; errcode: number; suggest?: Suggest; label?: number; prob?: number; keyword?: string }>
  traceId?: string
}

/** phonenumber.getPhoneNumber — https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html */
export interface PhoneInfo {
  phoneNumber: string
  purePhoneNumber: string
  countryCode: string
  watermark: { timestamp: number; appid: string }
}

interface OpenApi {
  security: { msgSecCheck(p: MsgSecCheckParams): Promise<MsgSecCheckResult> }
  phonenumber: { getPhoneNumber(p: { code: string }): Promise<{ phoneInfo: PhoneInfo }> }
}

export function openapi(): OpenApi {
  return initCloud().openapi as unknown as OpenApi
}

export interface WxContext {
  OPENID?: string
  APPID?: string
  UNIONID?: string
  ENV?: string
  SOURCE?: string
  CLIENTIP?: string
  CLIENTIPV6?: string
  OPEN_DATA_INFO?: string
}

/** Read inside the handler (never at module top: there is no invocation yet). */
export function wxContext(): WxContext {
  return initCloud().getWXContext() as WxContext
}
