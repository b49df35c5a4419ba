/**
 * A typed facade over wx-server-sdk. The shipped d.ts types `openapi` as Record<string, any>
 * and lacks cloudPay; this file declares the calls the project makes, with the shapes of
 * WeChat's documentation (after the SDK's snake_case -> camelCase conversion).
 */
import * as cloud from 'wx-server-sdk'
import { recordingOpenApi } from './recording'

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
  detail?: Array<{
    strategy: string
    errcode: number
    suggest?: Suggest
    label?: number
    prob?: number
    keyword?: string
  }>
  traceId?: string
}

/** phonenumber.getPhoneNumber — https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html */
export interface PhoneInfo {
  phoneNumber: string
  purePhoneNumber: string
  countryCode: string
  watermark: { timestamp: number; appid: string }
}

/** subscribeMessage.send — https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html */
export interface SubscribeSendParams {
  touser: string
  templateId: string
  /** Page opened from the message, e.g. 'pages/pay/order/index?id=...' (no leading slash). */
  page?: string
  data: Record<string, { value: string }>
  miniprogramState?: 'developer' | 'trial' | 'formal'
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW'
}

/**
 * customerServiceMessage.* — send: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/kf-mgnt/kf-message/sendCustomMessage.html
 * setTyping: .../kf-mgnt/kf-message/setTyping.html; uploadTempMedia: .../kf-mgnt/kf-message/uploadTempMedia.html
 * (field names in camelCase: the SDK sends media_id, thumb_url, thumb_media_id).
 */
export type CustomerServiceSendParams = { touser: string } & (
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'image'; image: { mediaId: string } }
  | { msgtype: 'link'; link: { title: string; description: string; url: string; thumbUrl: string } }
  | { msgtype: 'miniprogrampage'; miniprogrampage: { title: string; pagepath: string; thumbMediaId: string } }
)
export interface UploadTempMediaResult {
  type: string
  mediaId: string
  /** Seconds since epoch; a temp media id lives 3 days from then. */
  createdAt: number
}

/** wxacode.getUnlimited — https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getUnlimitedQRCode.html */
export interface UnlimitedCodeParams {
  /** ≤ 32 visible characters of [0-9A-Za-z!#$&'()*+,/:;=?@-._~]; arrives as `options.scene` (encoded). */
  scene: string
  /** No leading slash, no query. */
  page?: string
  /** true: the page must exist in the published version (else 41030). */
  checkPath?: boolean
  envVersion?: 'release' | 'trial' | 'develop'
  width?: number
}

/** soter.verifySignature — https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/soter/verifySignature.html (is_ok → isOk). */
export interface SoterVerifyParams {
  openid: string
  /** startSoterAuthentication's resultJSON, exactly as received. */
  jsonString: string
  /** Its resultJSONSignature (SHA256withRSA/PSS, salt 20, base64). */
  jsonSignature: string
}

interface OpenApi {
  soter: { verifySignature(p: SoterVerifyParams): Promise<{ isOk: boolean }> }
  wxacode: { getUnlimited(p: UnlimitedCodeParams): Promise<{ contentType: string; buffer: Buffer }> }
  security: { msgSecCheck(p: MsgSecCheckParams): Promise<MsgSecCheckResult> }
  customerServiceMessage: {
    send(p: CustomerServiceSendParams): Promise<{ errCode: number; errMsg: string }>
    setTyping(p: { touser: string; command: 'Typing' | 'CancelTyping' }): Promise<{ errCode: number; errMsg: string }>
    uploadTempMedia(p: { type: 'image'; media: { contentType: string; value: Buffer } }): Promise<UploadTempMediaResult>
  }
  /** `openid`: WeChat then checks the code was issued to that user (one user's code cannot bind to another account). */
  phonenumber: { getPhoneNumber(p: { code: string; openid?: string }): Promise<{ phoneInfo: PhoneInfo }> }
  subscribeMessage: { send(p: SubscribeSendParams): Promise<{ errCode: number; errMsg: string }> }
}

export function openapi(): OpenApi {
  const api = initCloud().openapi as unknown as OpenApi
  // RECORD_WECHAT=1: each answer (or errcode) kept, scrubbed, for npm run recordings:pull (server/recording.ts).
  return process.env.RECORD_WECHAT === '1' ? recordingOpenApi(api) : api
}

/**
 * cloudPay (WeChat Pay V2 through CloudBase, JSON instead of XML, no signing). The SDK
 * converts camelCase -> snake_case on the way out and back on the way in, and OVERWRITES
 * WeChat Pay's own `err_code` with `errCode: 0` (wx-server-sdk 4.0.2, cloudpay/namespace/generic):
 * success is `returnCode === 'SUCCESS' && resultCode === 'SUCCESS'`, never `errCode`, and the
 * business error survives only as `errCodeDes` (see server/pay/wxpay.ts).
 * Docs: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/CloudPay.unifiedOrder.html
 */
export interface PayResultBase {
  returnCode: 'SUCCESS' | 'FAIL'
  returnMsg?: string
  resultCode?: 'SUCCESS' | 'FAIL'
  /** Always 0 after the SDK: do not read. */
  errCode: number
  errCodeDes?: string
  resultMsg?: string
  subMchId?: string
  nonceStr?: string
}

export interface UnifiedOrderParams {
  body: string
  outTradeNo: string
  spbillCreateIp: string
  subMchId: string
  totalFee: number
  envId: string
  functionName: string
  nonceStr: string
  tradeType: 'JSAPI'
  attach?: string
  /** yyyyMMddHHmmss, Beijing time: WeChat refuses to take the money after it. */
  timeExpire?: string
}
export interface UnifiedOrderResult extends PayResultBase {
  prepayId?: string
  payment?: {
    appId?: string
    timeStamp: string
    nonceStr: string
    package: string
    signType: 'MD5' | 'HMAC-SHA256' | 'RSA'
    paySign: string
  }
}

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR'
export interface QueryOrderResult extends PayResultBase {
  tradeState?: TradeState
  tradeStateDesc?: string
  outTradeNo?: string
  transactionId?: string
  totalFee?: number
  cashFee?: number
  timeEnd?: string
  openid?: string
  subOpenid?: string
}

export interface RefundParams {
  subMchId: string
  nonceStr: string
  outTradeNo: string
  outRefundNo: string
  totalFee: number
  refundFee: number
  envId: string
  functionName: string
  refundDesc?: string
}
export interface RefundResult extends PayResultBase {
  outTradeNo?: string
  outRefundNo?: string
  refundId?: string
  refundFee?: number
}

export interface QueryRefundResult extends PayResultBase {
  outTradeNo?: string
  refundCount?: number
  /** cloudPay's list form (seen in practice). */
  outRefundNoList?: string[]
  refundStatusList?: string[]
  refundFeeList?: Array<number | string>
  refundIdList?: string[]
  /** WeChat Pay V2's indexed form (refund_status_0 …), whichever way the SDK camelCases it. */
  [indexed: string]: unknown
}

interface CloudPay {
  unifiedOrder(p: UnifiedOrderParams): Promise<UnifiedOrderResult>
  queryOrder(p: { subMchId: string; outTradeNo: string; nonceStr: string }): Promise<QueryOrderResult>
  closeOrder(p: { subMchId: string; outTradeNo: string; nonceStr: string }): Promise<PayResultBase>
  refund(p: RefundParams): Promise<RefundResult>
  queryRefund(p: { subMchId: string; nonceStr: string; outRefundNo: string }): Promise<QueryRefundResult>
  /** V2 downloadbill (CloudPay.downloadBill): the bill's text arrives as `data` (wx-server-sdk 4); a failure as returnCode FAIL. */
  downloadBill(p: {
    subMchId: string
    nonceStr: string
    billDate: string
    billType: 'ALL'
  }): Promise<PayResultBase & { data?: unknown }>
}

/** cloud.cloudPay, typed (the shipped d.ts has no cloudPay at all). */
export function cloudPay(): CloudPay {
  return (initCloud() as unknown as { cloudPay: CloudPay }).cloudPay
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

/**
 * The environment this function runs in. getWXContext() carries ENV only when the invocation
 * has a context (a client call); timers and payment callbacks may not, so fall back to the
 * runtime's TCB_ENV / SCF_NAMESPACE, which is where getWXContext reads it from too.
 */
export function runningEnv(): string | undefined {
  return wxContext().ENV || process.env.TCB_ENV || process.env.SCF_NAMESPACE || undefined
}
