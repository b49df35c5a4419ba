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
 */
import { execFileSync } from 'node:child_process'
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  encryptResource,
  parseAuthorization,
  paymentMessage,
  REPLAY_WINDOW_S,
  requestMessage,
  verifyRsa,
  wechatpayHeaders,
} from '../server/pay/v3/crypto'
import type { PaySandbox, SandboxOrder, SandboxRefund } from './pay-sandbox'
import type { CallInfo } from './sandbox'

export interface V3Answer {
  status: number
  headers: Record<string, string>
  body: string
}

/** The path of an HTTP access route (the function the local cloud delivers a notify URL to). */
export type RouteOf = (url: string) => string | undefined

const DESCRIPTION_MAX_BYTES = 127

interface KeyPair {
  publicKey: string
  privateKey: string
}
let KEYS: { merchant: KeyPair; platform: KeyPair } | undefined
const pair = (): KeyPair =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })

/** A platform certificate valid 3 days, under a random serial (openssl: node cannot issue X.509). */
function makeCertificate(leadingZero = false): { serial: string; pem: string; key: KeyPair } {
  const key = pair()
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-cert-'))
  writeFileSync(join(dir, 'key.pem'), key.privateKey)
  // 40 hex digits, positive; WeChat writes them all, so one may begin with zeros (node's serialNumber drops them).
  const serial = randomBytes(20)
    .toString('hex')
    .toUpperCase()
    .replace(/^[89A-F]/, '1')
    .replace(/^../, (d) => (leadingZero ? '00' : d))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-key',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '3',
      '-subj',
      '/C=CN/O=Tenpay.com/CN=Tenpay.com Root CA',
      '-set_serial',
      `0x${serial}`,
    ],
    { stdio: 'pipe' },
  )
  return { serial, pem: readFileSync(join(dir, 'cert.pem'), 'utf8'), key }
}
const makeKeys = () => ({ merchant: pair(), platform: pair() })

export class WxPayV3Sandbox {
  readonly mchid = '1900000109'
  readonly merchantSerial = '3775B6A45ACD588826D15E583A95F5DD00000000'
  readonly publicKeyId = 'PUB_KEY_ID_0119000001092025120500000000000'
  readonly apiV3Key = randomBytes(16).toString('hex')
  /** The merchant's key pair (made once per process, when first needed: RSA-2048 takes ~100 ms). */
  get merchant(): KeyPair {
    return (KEYS ??= makeKeys()).merchant
  }
  /** WeChat Pay's key pair (public-key mode). */
  get platform(): KeyPair {
    return (KEYS ??= makeKeys()).platform
  }
  /** out_trade_no → the notify_url given at ordering (an order placed through APIv3). */
  readonly notifyUrls = new Map<string, string>()
  /** Every request that reached it (signed or not), for tests to look at. */
  readonly requests: Array<{ method: string; path: string; body: string; status: number }> = []
  /** out_refund_no → the notify_url of the refund. */
  readonly refundNotifyUrls = new Map<string, string>()

  constructor(
    private readonly pay: PaySandbox,
    private readonly now: () => number,
  ) {}

  /** The variables a merchant sets for the functions (the private key as PEM); the notify URL is payNotify's HTTP access path. */
  vars(env: string): Record<string, string> {
    return {
      PAY_PROVIDER: 'wxpay-v3',
      WXPAY_NOTIFY_URL: `https://${env}.service.tcloudbase.com/pay-notify`,
      WXPAY_MCHID: this.mchid,
      WXPAY_SERIAL_NO: this.merchantSerial,
      WXPAY_PRIVATE_KEY: this.merchant.privateKey,
      WXPAY_APIV3_KEY: this.apiV3Key,
      WXPAY_PUBLIC_KEY_ID: this.publicKeyId,
      WXPAY_PUBLIC_KEY: this.platform.publicKey,
    }
  }

  /**
   * Certificate mode (merchants before 2024-10): WeChat Pay signs with a platform certificate's key
   * and names the certificate's serial; GET /v3/certificates lists them encrypted with the APIv3 key.
   * The certificates are made with the openssl command line (node cannot issue X.509), so only the
   * tests that ask for this mode need it; npm start uses public-key mode.
   */
  private certificates: Array<{ serial: string; pem: string; key: KeyPair }> = []

  useCertificates(): this {
    // The first serial begins with zeros, as a real one may: the client must still match it.
    if (!this.certificates.length) this.certificates.push(makeCertificate(true))
    return this
  }

  /** WeChat Pay starts signing with a new certificate (both are listed until the old one expires). */
  rotateCertificate(): this {
    this.certificates.push(makeCertificate())
    return this
  }

  /**
   * The next certificate download is answered by someone between the function and WeChat Pay:
   * 'own-certificate' lists their own certificate, encrypted with a key that is not the merchant's
   * APIv3 key and signed by it; 're-signed' is WeChat Pay's genuine list signed by another key
   * under the current certificate's serial.
   */
  forgeNextCertificates(how: 'own-certificate' | 're-signed'): this {
    this.forged = how
    return this
  }
  private forged: 'own-certificate' | 're-signed' | undefined

  private certificateList(): V3Answer {
    const listed = (certs: Array<{ serial: string; pem: string }>, key: string) => ({
      data: certs.map((c) => ({
        serial_no: c.serial,
        effective_time: new Date(this.now() - 3600_000).toISOString(),
        expire_time: new Date(this.now() + 3 * 86_400_000).toISOString(),
        encrypt_certificate: encryptResource(c.pem, key, 'certificate', 'certificate'),
      })),
    })
    const forged = this.forged
    this.forged = undefined
    if (!forged) return this.answer(200, listed(this.certificates, this.apiV3Key))
    const theirs =
      forged === 'own-certificate' ? makeCertificate() : { serial: this.signer().serial, pem: '', key: pair() }
    const text = JSON.stringify(
      forged === 'own-certificate'
        ? listed([theirs], randomBytes(16).toString('hex'))
        : listed(this.certificates, this.apiV3Key),
    )
    return {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'request-id': randomBytes(12).toString('hex'),
        ...wechatpayHeaders(theirs.key.privateKey, theirs.serial, text, String(Math.floor(this.now() / 1000))),
      },
      body: text,
    }
  }

  /** The key and serial WeChat Pay signs with now. */
  private signer(): { key: string; serial: string } {
    const c = this.certificates.at(-1)
    return c ? { key: c.key.privateKey, serial: c.serial } : { key: this.platform.privateKey, serial: this.publicKeyId }
  }

  private answer(status: number, body: unknown): V3Answer {
    const text = body === undefined ? '' : JSON.stringify(body)
    const s = this.signer()
    const headers = {
      'content-type': 'application/json',
      'request-id': randomBytes(12).toString('hex'),
      ...wechatpayHeaders(s.key, s.serial, text, String(Math.floor(this.now() / 1000))),
    }
    return { status, headers, body: text }
  }
  private error(status: number, code: string, message: string): V3Answer {
    return this.answer(status, { code, message })
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
    if (auth.mchid !== this.mchid || auth.serial_no !== this.merchantSerial)
      return this.error(401, 'SIGN_ERROR', '商户证书序列号错误')
    if (Math.abs(Math.floor(this.now() / 1000) - Number(auth.timestamp)) > REPLAY_WINDOW_S)
      return this.error(401, 'SIGN_ERROR', '请求时间戳超出有效期')
    if (
      !verifyRsa(
        this.merchant.publicKey,
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
      if (!this.certificates.length) return this.error(400, 'NO_CERTIFICATE', '商户已使用微信支付公钥，没有平台证书')
      return this.certificateList()
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

  /** The transaction as the query and the notification give it. */
  transaction(o: SandboxOrder): Record<string, unknown> {
    const paid = this.pay.isPaid(o)
    return {
      appid: o.appid,
      mchid: this.mchid,
      out_trade_no: o.outTradeNo,
      trade_type: 'JSAPI',
      trade_state: o.state,
      trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', REFUND: '转入退款' }[o.state],
      payer: { openid: o.payer },
      amount: {
        total: o.totalFee,
        currency: 'CNY',
        ...(paid ? { payer_total: o.totalFee, payer_currency: 'CNY' } : {}),
      },
      ...(paid ? { transaction_id: o.transactionId, bank_type: 'OTHERS', success_time: rfc3339(o.timeEnd!) } : {}),
    }
  }

  private async query(no: string, mchid: string | null, info: CallInfo): Promise<V3Answer> {
    if (mchid !== this.mchid) return this.error(400, 'PARAM_ERROR', 'mchid 参数错误')
    const r = await this.v2('queryOrder', { out_trade_no: no }, info)
    const o = this.order(no)
    if (r.result_code !== 'SUCCESS' || !o) return this.error(404, 'ORDER_NOT_EXIST', '订单不存在')
    return this.answer(200, this.transaction(o))
  }

  private async close(no: string, b: Record<string, any>, info: CallInfo): Promise<V3Answer> {
    if (b.mchid !== this.mchid) return this.error(400, 'PARAM_ERROR', 'mchid 参数错误')
    const r = await this.v2('closeOrder', { out_trade_no: no }, info)
    if (r.result_code === 'SUCCESS' || ['ORDERNOTEXIST', 'ORDERCLOSED'].includes(String(r.err_code)))
      return this.answer(204, undefined)
    return this.bizError(r)
  }

  refundOf(r: SandboxRefund, o: SandboxOrder): Record<string, unknown> {
    const status = { SUCCESS: 'SUCCESS', PROCESSING: 'PROCESSING', CHANGE: 'ABNORMAL', REFUNDCLOSE: 'CLOSED' }[r.status]
    return {
      refund_id: r.refundId,
      out_refund_no: r.outRefundNo,
      transaction_id: o.transactionId,
      out_trade_no: o.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      create_time: rfc3339(o.timeEnd!),
      status,
      ...(r.successTime ? { success_time: `${r.successTime.replace(' ', 'T')}+08:00` } : {}),
      amount: {
        total: o.totalFee,
        refund: r.refundFee,
        payer_total: o.totalFee,
        payer_refund: r.refundFee,
        settlement_refund: r.refundFee,
        discount_refund: 0,
        currency: 'CNY',
      },
    }
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
    return this.answer(200, this.refundOf(o.refunds.get(b.out_refund_no)!, o))
  }

  private async queryRefund(no: string, info: CallInfo): Promise<V3Answer> {
    const o = [...this.pay.orders.values()].find((x) => x.refunds.has(no) && this.notifyUrls.has(x.outTradeNo))
    if (!o) return this.error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在')
    await this.v2('queryRefund', { out_refund_no: no }, info)
    return this.answer(200, this.refundOf(o.refunds.get(no)!, o))
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

  /** A notification as WeChat Pay POSTs it: the envelope, its headers, the encrypted resource. */
  notification(
    eventType: string,
    summary: string,
    associated: 'transaction' | 'refund',
    resource: Record<string, unknown>,
  ): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify({
      id: `EV-${randomBytes(10).toString('hex')}`,
      create_time: rfc3339(new Date(this.now() + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14)),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: encryptResource(JSON.stringify(resource), this.apiV3Key, associated, associated),
    })
    const s = this.signer()
    return {
      headers: {
        'content-type': 'application/json',
        ...wechatpayHeaders(s.key, s.serial, body, String(Math.floor(this.now() / 1000))),
      },
      body,
    }
  }

  /** wx.requestPayment's RSA paySign, checked against this merchant's public key. */
  paySignOk(payment: Record<string, unknown>, appid: string): boolean {
    if (payment.signType !== 'RSA' || typeof payment.paySign !== 'string') return false
    return verifyRsa(
      this.merchant.publicKey,
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

/** yyyyMMddHHmmss (Beijing) → RFC 3339 with +08:00, as APIv3 writes times. */
function rfc3339(t: string): string {
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}+08:00`
}
