/**
 * WeChat Pay APIv3 (api.mch.weixin.qq.com) for the local cloud (issue #28): the HTTP API a shop
 * that cannot use cloudPay calls directly, in front of the same order book as the cloudPay sandbox
 * (localcloud/pay-sandbox.ts), so its rules (amounts, prepay lifetime, refunds, duplicates, held
 * and late notifications) and the tests' handles (pay, settleRefund, hold, flush) are the same for
 * both providers. Its own keys: a merchant key pair (the private key and serial are what a merchant
 * downloads; the functions get them as WXPAY_* variables), WeChat Pay's key pair with its public-key
 * id (`PUB_KEY_ID_…`, public-key mode) and the APIv3 key.
 * What it checks and answers (pay.weixin.qq.com/docs/merchant/apis/mini-program-payment/):
 * - every request's Authorization (WECHATPAY2-SHA256-RSA2048: this merchant, its serial, a
 *   timestamp within 5 minutes, the signature): 401 SIGN_ERROR otherwise;
 * - POST /v3/pay/transactions/jsapi (appid, mchid, description ≤ 127 bytes, out_trade_no,
 *   notify_url https, amount.total > 0, payer.openid; time_expire RFC 3339): { prepay_id };
 *   400 PARAM_ERROR, 403 OUT_TRADE_NO_USED / ORDERPAID / ORDER_CLOSED as V2 decides;
 * - GET /v3/pay/transactions/out-trade-no/{no}?mchid=…: the transaction (trade_state, transaction_id,
 *   success_time, amount, payer); 404 ORDER_NOT_EXIST;
 * - POST …/{no}/close: 204, also for an unknown or closed order (as developers report it answers);
 *   400 ORDERPAID for a paid one;
 * - POST /v3/refund/domestic/refunds and GET /v3/refund/domestic/refunds/{out_refund_no}: the refund
 *   (status SUCCESS / PROCESSING / ABNORMAL / CLOSED); 404 RESOURCE_NOT_EXISTS, 403 NOT_ENOUGH;
 * - every answer signed with WeChat Pay's key (Wechatpay-Timestamp/Nonce/Serial/Signature);
 * - notifications: POSTed to the notify URL's function through HTTP access, signed, the resource
 *   encrypted with the APIv3 key (AEAD_AES_256_GCM, associated_data 'transaction' / 'refund'),
 *   again until a 2xx answer (bounded), as the cloudPay sandbox does.
 * Public-key mode by default; useCertificates() switches to platform certificates (with rotation).
 * The keys, certificates and what WeChat Pay signs live in wxpay-v3-signing.ts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { parseAuthorization, paymentMessage, REPLAY_WINDOW_S, requestMessage, verifyRsa } from '../server/pay/v3/crypto'
import type { PaySandbox } from './pay-sandbox'
import type { SandboxOrder, SandboxRefund, SandboxRefundStatus } from './pay-v2'
import type { CallInfo } from './sandbox'
import { V3Signing, type V3Answer } from './wxpay-v3-signing'
import { transactionOf, refundOf, refundResource } from './wxpay-v3-resources'

export type { V3Answer } from './wxpay-v3-signing'

/** The path of an HTTP access route (the function the local cloud delivers a notify URL to). */
export type RouteOf = (url: string) => string | undefined

const DESCRIPTION_MAX_BYTES = 127

export class WxPayV3Sandbox {
  readonly mchid = '1900000109'
  /** WeChat Pay's keys and certificates, and what it signs with them. */
  readonly signing: V3Signing
  /** out_trade_no → the notify_url given at ordering (an order placed through APIv3). */
  readonly notifyUrls = new Map<string, string>()
  /** Every request that reached it (signed or not), for tests to look at. */
  readonly requests: Array<{ method: string; path: string; body: string; status: number }> = []
  /** out_refund_no → the notify_url of the refund. */
  readonly refundNotifyUrls = new Map<string, string>()

  constructor(
    private readonly pay: PaySandbox,
    private readonly now: () => number,
  ) {
    this.signing = new V3Signing(now)
  }

  private answer(status: number, body: unknown): V3Answer {
    return this.signing.answer(status, body)
  }
  private error(status: number, code: string, message: string): V3Answer {
    return this.signing.error(status, code, message)
  }

  /** The variables a merchant sets for the functions (the private key as PEM); the notify URL is payNotify's HTTP access path. */
  vars(env: string): Record<string, string> {
    return {
      PAY_PROVIDER: 'wxpay-v3',
      WXPAY_NOTIFY_URL: `https://${env}.service.tcloudbase.com/pay-notify`,
      WXPAY_MCHID: this.mchid,
      WXPAY_SERIAL_NO: this.signing.merchantSerial,
      WXPAY_PRIVATE_KEY: this.signing.merchant.privateKey,
      WXPAY_APIV3_KEY: this.signing.apiV3Key,
      WXPAY_PUBLIC_KEY_ID: this.signing.publicKeyId,
      WXPAY_PUBLIC_KEY: this.signing.platform.publicKey,
    }
  }

  /** One request to api.mch.weixin.qq.com. */
  async handle(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string | undefined>,
    body: string,
    info: CallInfo,
  ): Promise<V3Answer> {
    const a = await this.route(method, pathAndQuery, headers, body, info)
    this.requests.push({ method, path: pathAndQuery.split('?')[0]!, body, status: a.status })
    return a
  }

  private async route(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string | undefined>,
    body: string,
    info: CallInfo,
  ): Promise<V3Answer> {
    const auth = parseAuthorization(headers.authorization ?? headers.Authorization)
    if (!auth) return this.error(401, 'SIGN_ERROR', 'Authorization 头缺失或格式错误')
    if (auth.mchid !== this.mchid || auth.serial_no !== this.signing.merchantSerial)
      return this.error(401, 'SIGN_ERROR', '商户证书序列号错误')
    if (Math.abs(Math.floor(this.now() / 1000) - Number(auth.timestamp)) > REPLAY_WINDOW_S)
      return this.error(401, 'SIGN_ERROR', '请求时间戳超出有效期')
    if (
      !verifyRsa(
        this.signing.merchant.publicKey,
        requestMessage(method, pathAndQuery, auth.timestamp, auth.nonce_str, body),
        auth.signature,
      )
    )
      return this.error(401, 'SIGN_ERROR', '签名错误')
    const url = new URL(pathAndQuery, 'https://api.mch.weixin.qq.com')
    let json: Record<string, any> = {}
    if (body) {
      try {
        json = JSON.parse(body) as Record<string, any>
      } catch {
        return this.error(400, 'PARAM_ERROR', '请求体不是 JSON')
      }
    }
    const p = url.pathname
    let m: RegExpExecArray | null
    if (method === 'POST' && p === '/v3/pay/transactions/jsapi') return this.jsapi(json, info)
    if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(p)))
      return this.query(decodeURIComponent(m[1]!), url.searchParams.get('mchid'), info)
    if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(p)))
      return this.close(decodeURIComponent(m[1]!), json, info)
    if (method === 'POST' && p === '/v3/refund/domestic/refunds') return this.refund(json, info)
    if (method === 'GET' && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(p)))
      return this.queryRefund(decodeURIComponent(m[1]!), info)
    if (method === 'GET' && p === '/v3/certificates') {
      if (!this.signing.hasCertificates)
        return this.error(400, 'NO_CERTIFICATE', '商户已使用微信支付公钥，没有平台证书')
      return this.signing.certificateList()
    }
    if (method === 'GET' && p === '/v3/bill/tradebill') return this.tradeBillUrl(url.searchParams, info)
    if (method === 'GET' && p === '/v3/billdownload/file') return this.billFile(url.searchParams.get('token') ?? '')
    return this.error(404, 'NOT_FOUND', `${method} ${p} 不存在`)
  }

  private async v2(api: string, params: Record<string, unknown>, info: CallInfo): Promise<Record<string, any>> {
    // The same APIv3 request is the same V2 request (APIv3 has no nonce in the body): identical retries stay identical.
    const nonce = createHash('sha256')
      .update(JSON.stringify([api, params]))
      .digest('hex')
      .slice(0, 16)
    return (await this.pay.call(api, { ...params, sub_mch_id: this.mchid, nonce_str: nonce }, info)) as Record<
      string,
      any
    >
  }

  private async jsapi(b: Record<string, any>, info: CallInfo): Promise<V3Answer> {
    const missing = ['appid', 'mchid', 'description', 'out_trade_no', 'notify_url'].find(
      (k) => typeof b[k] !== 'string' || !b[k],
    )
    if (missing) return this.error(400, 'PARAM_ERROR', `缺少参数 ${missing}`)
    if (b.mchid !== this.mchid) return this.error(400, 'MCH_NOT_EXISTS', '商户号不存在')
    if (b.appid !== info.appid) return this.error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配')
    if (Buffer.byteLength(b.description, 'utf8') > DESCRIPTION_MAX_BYTES)
      return this.error(400, 'PARAM_ERROR', 'description 长度超过限制')
    if (!/^https:\/\//.test(b.notify_url)) return this.error(400, 'PARAM_ERROR', 'notify_url 必须是 https 地址')
    const total = b.amount?.total
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total <= 0)
      return this.error(400, 'PARAM_ERROR', 'amount.total 必须是正整数（分）')
    const openid = b.payer?.openid
    if (typeof openid !== 'string' || !openid) return this.error(400, 'PARAM_ERROR', '缺少参数 payer.openid')
    if (
      b.scene_info !== undefined &&
      (typeof b.scene_info?.payer_client_ip !== 'string' || !b.scene_info.payer_client_ip)
    )
      return this.error(400, 'PARAM_ERROR', 'scene_info.payer_client_ip 必填')
    let timeExpire: string | undefined
    if (b.time_expire !== undefined) {
      const at =
        typeof b.time_expire === 'string' &&
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(b.time_expire)
          ? Date.parse(b.time_expire)
          : NaN
      if (!Number.isFinite(at)) return this.error(400, 'PARAM_ERROR', 'time_expire 格式错误（RFC 3339）')
      timeExpire = new Date(at + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14)
    }
    const r = await this.v2(
      'unifiedOrder',
      {
        body: b.description,
        out_trade_no: b.out_trade_no,
        total_fee: total,
        spbill_create_ip: b.scene_info?.payer_client_ip ?? '127.0.0.1',
        env_id: '(wxpay-v3)',
        function_name: '(notify_url)',
        trade_type: 'JSAPI',
        ...(timeExpire ? { time_expire: timeExpire } : {}),
      },
      { ...info, openid },
    )
    if (r.return_code !== 'SUCCESS') return this.error(400, 'PARAM_ERROR', String(r.return_msg))
    if (r.result_code !== 'SUCCESS') return this.bizError(r)
    this.notifyUrls.set(b.out_trade_no, b.notify_url)
    return this.answer(200, { prepay_id: r.prepay_id })
  }

  private bizError(r: Record<string, any>): V3Answer {
    const code = String(r.err_code)
    const msg = String(r.err_code_des ?? code)
    switch (code) {
      case 'ORDERNOTEXIST':
        return this.error(404, 'ORDER_NOT_EXIST', '订单不存在')
      case 'REFUNDNOTEXIST':
        return this.error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在')
      case 'ORDERPAID':
        return this.error(400, 'ORDERPAID', '该订单已支付')
      case 'ORDERCLOSED':
        return this.error(400, 'ORDER_CLOSED', '订单已关闭')
      case 'OUT_TRADE_NO_USED':
        return this.error(403, 'OUT_TRADE_NO_USED', '商户订单号重复')
      case 'NOTENOUGH':
        return this.error(403, 'NOT_ENOUGH', '基本账户余额不足')
      case 'SYSTEMERROR':
        return this.error(500, 'SYSTEM_ERROR', msg)
      case 'FREQUENCY_LIMITED':
        return this.error(429, 'FREQUENCY_LIMITED', msg)
      default:
        return this.error(400, 'INVALID_REQUEST', msg)
    }
  }

  private order(no: string): SandboxOrder | undefined {
    return this.notifyUrls.has(no) ? this.pay.orders.get(no) : undefined
  }

  private async query(no: string, mchid: string | null, info: CallInfo): Promise<V3Answer> {
    if (mchid !== this.mchid) return this.error(400, 'PARAM_ERROR', 'mchid 参数错误')
    const r = await this.v2('queryOrder', { out_trade_no: no }, info)
    const o = this.order(no)
    if (r.result_code !== 'SUCCESS' || !o) return this.error(404, 'ORDER_NOT_EXIST', '订单不存在')
    return this.answer(200, transactionOf(o, this.mchid))
  }

  private async close(no: string, b: Record<string, any>, info: CallInfo): Promise<V3Answer> {
    if (b.mchid !== this.mchid) return this.error(400, 'PARAM_ERROR', 'mchid 参数错误')
    const r = await this.v2('closeOrder', { out_trade_no: no }, info)
    if (r.result_code === 'SUCCESS' || ['ORDERNOTEXIST', 'ORDERCLOSED'].includes(String(r.err_code)))
      return this.answer(204, undefined)
    return this.bizError(r)
  }

  private async refund(b: Record<string, any>, info: CallInfo): Promise<V3Answer> {
    const missing = ['out_trade_no', 'out_refund_no'].find((k) => typeof b[k] !== 'string' || !b[k])
    if (missing) return this.error(400, 'PARAM_ERROR', `缺少参数 ${missing}`)
    if (b.notify_url !== undefined && !/^https:\/\//.test(String(b.notify_url)))
      return this.error(400, 'PARAM_ERROR', 'notify_url 必须是 https 地址')
    const a = b.amount ?? {}
    if (typeof a.refund !== 'number' || typeof a.total !== 'number' || a.currency !== 'CNY')
      return this.error(400, 'PARAM_ERROR', 'amount.refund、amount.total（分）和 amount.currency CNY 必填')
    const o = this.order(b.out_trade_no)
    if (!o) return this.error(404, 'RESOURCE_NOT_EXISTS', '订单不存在')
    const r = await this.v2(
      'refund',
      {
        out_trade_no: b.out_trade_no,
        out_refund_no: b.out_refund_no,
        total_fee: a.total,
        refund_fee: a.refund,
        env_id: '(wxpay-v3)',
        function_name: '(notify_url)',
      },
      info,
    )
    if (r.return_code !== 'SUCCESS') return this.error(400, 'PARAM_ERROR', String(r.return_msg))
    if (r.result_code !== 'SUCCESS') return this.bizError(r)
    if (b.notify_url) this.refundNotifyUrls.set(b.out_refund_no, b.notify_url)
    return this.answer(200, refundOf(o.refunds.get(b.out_refund_no)!, o))
  }

  private async queryRefund(no: string, info: CallInfo): Promise<V3Answer> {
    const o = [...this.pay.orders.values()].find((x) => x.refunds.has(no) && this.notifyUrls.has(x.outTradeNo))
    if (!o) return this.error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在')
    await this.v2('queryRefund', { out_refund_no: no }, info)
    return this.answer(200, refundOf(o.refunds.get(no)!, o))
  }

  /** Bill download tokens → the bill's text (a download URL is valid 5 minutes: here, until used). */
  private bills = new Map<string, string>()
  /** Tests: the next download answers this text instead (a bill changed in transit: its hash no longer matches). */
  corruptNextDownload?: (text: string) => string

  /** 申请交易账单: the download URL and the bill's SHA-1; 400 NO_STATEMENT_EXIST for a day without one. */
  private tradeBillUrl(q: URLSearchParams, info: CallInfo): V3Answer {
    const date = q.get('bill_date') ?? ''
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return this.error(400, 'PARAM_ERROR', 'bill_date 格式为 yyyy-MM-DD')
    if ((q.get('bill_type') ?? 'ALL') !== 'ALL') return this.error(400, 'PARAM_ERROR', '本沙箱只提供 ALL 账单')
    const text = this.pay.tradeBill(date, this.mchid, info.appid)
    if (text === null) return this.error(400, 'NO_STATEMENT_EXIST', '账单文件不存在')
    const token = randomBytes(16).toString('hex')
    this.bills.set(token, text)
    return this.answer(200, {
      hash_type: 'SHA1',
      hash_value: createHash('sha1').update(text, 'utf8').digest('hex'),
      download_url: `https://api.mch.weixin.qq.com/v3/billdownload/file?token=${token}`,
    })
  }

  /** 下载账单: the text itself, with no Wechatpay-* signature (the document says to skip verification and check the hash). */
  private billFile(token: string): V3Answer {
    const text = this.bills.get(token)
    if (text === undefined) return this.error(400, 'INVALID_REQUEST', '下载地址已失效')
    this.bills.delete(token)
    const corrupt = this.corruptNextDownload
    this.corruptNextDownload = undefined
    return {
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: corrupt ? corrupt(text) : text,
    }
  }

  /** The TRANSACTION.SUCCESS notification of an order placed through APIv3. */
  paymentNotification(o: SandboxOrder): { headers: Record<string, string>; body: string } {
    return this.signing.notification('TRANSACTION.SUCCESS', '支付成功', 'transaction', transactionOf(o, this.mchid))
  }

  /** The REFUND.SUCCESS / ABNORMAL / CLOSED notification of a settled refund. */
  refundNotification(
    o: SandboxOrder,
    r: SandboxRefund,
    status: Exclude<SandboxRefundStatus, 'PROCESSING'>,
  ): { headers: Record<string, string>; body: string } {
    const kind = { SUCCESS: 'REFUND.SUCCESS', CHANGE: 'REFUND.ABNORMAL', REFUNDCLOSE: 'REFUND.CLOSED' }[status]
    return this.signing.notification(kind, '退款状态变化', 'refund', refundResource(o, r, this.mchid))
  }

  /** wx.requestPayment's RSA paySign, checked against this merchant's public key. */
  paySignOk(payment: Record<string, unknown>, appid: string): boolean {
    if (payment.signType !== 'RSA' || typeof payment.paySign !== 'string') return false
    return verifyRsa(
      this.signing.merchant.publicKey,
      paymentMessage({
        appId: appid,
        timeStamp: String(payment.timeStamp),
        nonceStr: String(payment.nonceStr),
        package: String(payment.package),
      }),
      payment.paySign,
    )
  }
}
