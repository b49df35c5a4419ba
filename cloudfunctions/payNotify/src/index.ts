/**
 * Cloud function `payNotify`: WeChat Pay APIv3's payment and refund notifications (issue #28,
 * PAY_PROVIDER=wxpay-v3), on CloudBase's HTTP access at the path of WXPAY_NOTIFY_URL (deploy
 * creates /pay-notify). Document: pay.weixin.qq.com/docs/merchant/apis/mini-program-payment/
 * payment-notice.html and refund-result-notice.html.
 * 1. The signature over `timestamp\nnonce\nbody\n` with the key Wechatpay-Serial names (the
 *    WeChat Pay public key, PUB_KEY_ID_…, or a platform certificate downloaded for it), the timestamp within ±5 minutes: else 401 and nothing
 *    is written (WeChat Pay's SIGNTEST probes end here too).
 * 2. The resource decrypted with the APIv3 key (AEAD_AES_256_GCM with its associated data): else
 *    400, nothing written.
 * 3. Nothing believed yet: the order or refund it names is confirmed with WeChat Pay's query
 *    (server/pay/notified.ts), exactly as cloudPay's callbacks are.
 * Answers: 204 to acknowledge; 4xx/5xx with `{ code, message }` to be called again (only a failed
 * query asks for that: WeChat Pay repeats for a day, at growing intervals).
 */
import * as v from 'valibot'
import { doctorAnswer } from '../../../server/doctor'
import { MAX_NOTIFICATION_BYTES } from '../../../server/input'
import { confirmPaymentNotice, confirmRefundNotice } from '../../../server/pay/notified'
import { ensureWechatpayKey } from '../../../server/pay/v3/client'
import { v3Config } from '../../../server/pay/v3/config'
import { decryptResource, DecryptError, verifyWechatpay } from '../../../server/pay/v3/crypto'
import { recordInbound } from '../../../server/recording'
import type { HttpResponse } from '../../../server/customerService/urlmode'

const log = (o: Record<string, unknown>) => console.error(JSON.stringify({ fn: 'payNotify', ...o }))
const answer = (statusCode: number, code?: string, message?: string): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: code ? JSON.stringify({ code, message }) : '',
  isBase64Encoded: false,
})

const Envelope = v.object({
  id: v.pipe(v.string(), v.maxLength(64)),
  event_type: v.pipe(v.string(), v.maxLength(64)),
  resource_type: v.literal('encrypt-resource'),
  resource: v.object({
    algorithm: v.string(),
    ciphertext: v.pipe(v.string(), v.maxLength(16_384)),
    associated_data: v.optional(v.string()),
    nonce: v.string(),
    original_type: v.optional(v.string()),
  }),
})
const NO = /^[A-Za-z0-9_\-|*@]{1,64}$/
const Transaction = v.object({
  out_trade_no: v.pipe(v.string(), v.regex(NO)),
  transaction_id: v.pipe(v.string(), v.regex(/^\d{1,32}$/)),
  trade_state: v.string(),
})
const Refund = v.object({
  out_trade_no: v.pipe(v.string(), v.regex(NO)),
  out_refund_no: v.pipe(v.string(), v.regex(NO)),
  refund_status: v.string(),
  amount: v.optional(v.object({ refund: v.optional(v.number()) })),
})
/** APIv3's refund states as the V2 names confirmRefund reads. */
const REFUND_STATE: Record<string, string> = {
  SUCCESS: 'SUCCESS',
  ABNORMAL: 'CHANGE',
  CLOSED: 'REFUNDCLOSE',
  PROCESSING: 'PROCESSING',
}

interface HttpEvent {
  httpMethod?: unknown
  headers?: unknown
  body?: unknown
  isBase64Encoded?: unknown
}

export async function main(event: unknown): Promise<HttpResponse> {
  // npm run doctor's probe, from an administrator's invocation only (server/doctor.ts).
  const probe = doctorAnswer(event, __dirname)
  if (probe) return probe as never
  const req = (event && typeof event === 'object' ? event : {}) as HttpEvent
  if (req.httpMethod !== 'POST') return answer(405, 'METHOD_NOT_ALLOWED', 'WeChat Pay notifies with POST')
  const raw = typeof req.body === 'string' ? req.body : ''
  if (raw.length > MAX_NOTIFICATION_BYTES * 2) return answer(413, 'TOO_LARGE', 'notification too large')
  const body =
    req.isBase64Encoded === true || req.isBase64Encoded === 'true' ? Buffer.from(raw, 'base64').toString('utf8') : raw
  const c = v3Config(process.env)
  if (!c.ok) {
    log({ error: 'not configured', detail: c.message })
    return answer(500, 'NOT_CONFIGURED', 'payments are not configured here')
  }
  const headers = (req.headers && typeof req.headers === 'object' ? req.headers : {}) as Record<string, unknown>
  const serial = Object.entries(headers).find(([k]) => k.toLowerCase() === 'wechatpay-serial')?.[1]
  try {
    // Certificate mode: a serial not seen yet downloads WeChat Pay's certificates once (it rotates them).
    await ensureWechatpayKey(c.cfg, typeof serial === 'string' ? serial : '')
  } catch (e) {
    log({ error: 'certificates', detail: e instanceof Error ? e.message : String(e) })
    return answer(500, 'FAIL', "WeChat Pay's certificates could not be read; please retry")
  }
  const checked = verifyWechatpay(headers, body, c.cfg.wechatpayKeys, Math.floor(Date.now() / 1000))
  if (!checked.ok) {
    log({ refused: checked.why })
    return answer(401, 'SIGN_ERROR', `the notification's signature does not check out (${checked.why})`)
  }
  let envelope: v.InferOutput<typeof Envelope>
  let resource: unknown
  try {
    const parsed = v.safeParse(Envelope, JSON.parse(body))
    if (!parsed.success) throw new DecryptError('not a notification envelope')
    envelope = parsed.output
    resource = JSON.parse(decryptResource(envelope.resource, c.cfg.apiV3Key))
  } catch (e) {
    log({ refused: e instanceof DecryptError ? e.message : 'not JSON' })
    return answer(400, 'PARAM_ERROR', 'the notification cannot be read')
  }
  // RECORD_WECHAT=1: the verified, decrypted notification, scrubbed (server/recording.ts).
  await recordInbound(envelope.event_type.startsWith('REFUND.') ? 'refund-notification' : 'pay-notification', {
    event_type: envelope.event_type,
    resource,
  })
  if (envelope.event_type === 'TRANSACTION.SUCCESS') {
    const t = v.safeParse(Transaction, resource)
    if (!t.success) {
      log({ ignored: 'a transaction out of its documented shape', id: envelope.id })
      return answer(204)
    }
    const outcome = await confirmPaymentNotice('payNotify', t.output.out_trade_no, t.output.transaction_id)
    return outcome === 'ACK' ? answer(204) : answer(500, 'FAIL', 'could not record the notification; please retry')
  }
  if (envelope.event_type.startsWith('REFUND.')) {
    const r = v.safeParse(Refund, resource)
    if (!r.success) {
      log({ ignored: 'a refund out of its documented shape', id: envelope.id })
      return answer(204)
    }
    const ids = {
      outTradeNo: r.output.out_trade_no,
      outRefundNo: r.output.out_refund_no,
      ...(REFUND_STATE[r.output.refund_status] ? { claimed: REFUND_STATE[r.output.refund_status] } : {}),
      ...(r.output.amount?.refund !== undefined ? { refundFee: r.output.amount.refund } : {}),
    }
    const outcome = await confirmRefundNotice('payNotify', ids, { id: envelope.id })
    return outcome === 'ACK' ? answer(204) : answer(500, 'FAIL', 'could not confirm the refund; please retry')
  }
  log({ ignored: `event ${envelope.event_type.slice(0, 40)}`, id: envelope.id })
  return answer(204)
}
