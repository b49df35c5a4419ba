/**
 * Cloud function `payExpire`: a timer (cron in cloudbaserc.json, every 5 minutes). Closes
 * UNPAID orders past their expiry with cloudPay.closeOrder (an order paid meanwhile is
 * reconciled to PAID instead), resubmits refunds WeChat Pay has not accepted yet (same
 * outRefundNo, so never a second refund), and confirms by queryRefund the refunds still
 * REFUNDING five minutes after acceptance (the refund callback may never come, or not be
 * readable), and sends the paid / refunded messages owed by a function cut off before it sent
 * them. Timer event: `{ Type: 'Timer', TriggerName, Time }`.
 */
import { payConfig } from '../../../server/pay/config'
import { closeExpired, confirmRefund, dueOrders, submitRefund } from '../../../server/pay/settle'
import { sendOwedNotices } from '../../../server/pay/notify'
import { errText } from '../../../server/errors'
import { runningEnv, wxContext } from '../../../server/wx'
import { doctorAnswer } from '../../../server/doctor'
import { billDayBefore, reconcileDay } from '../../../server/pay/reconcile'

/** The daily timer of cloudbaserc.json that reconciles yesterday's bill (after 10:00, when WeChat Pay has written it). */
export const RECONCILE_TRIGGER = 'reconcile'

export interface ExpireReport {
  closed: number
  paid: number
  unchanged: number
  refundsResubmitted: number
  refundsConfirmed: number
  refundsFailed: number
  /** Owed subscribe messages sent, and sends cut off mid-call marked UNKNOWN (server/pay/notify.ts). */
  noticesSent: number
  noticesUnknown: number
  errors: number
  skipped?: string
  /** The reconcile timer's outcome (server/pay/reconcile.ts). */
  reconciled?: { date: string; state: string; differences: number }
}

const BATCH = 100

export async function main(event?: unknown): Promise<ExpireReport> {
  // npm run doctor's probe, from an administrator's invocation only (server/doctor.ts).
  const probe = doctorAnswer(event, __dirname)
  if (probe) return probe as never
  const report: ExpireReport = {
    closed: 0,
    paid: 0,
    unchanged: 0,
    refundsResubmitted: 0,
    refundsConfirmed: 0,
    refundsFailed: 0,
    noticesSent: 0,
    noticesUnknown: 0,
    errors: 0,
  }
  const wx = wxContext()
  if (wx.OPENID || wx.SOURCE === 'wx_client') return { ...report, skipped: 'not callable from the mini-program' }
  const cfg = payConfig(process.env, runningEnv())
  if (!cfg.ok) {
    console.error(JSON.stringify({ fn: 'payExpire', skipped: cfg.message }))
    return { ...report, skipped: cfg.message }
  }
  const ev = (event && typeof event === 'object' ? event : {}) as {
    Type?: unknown
    TriggerName?: unknown
    Time?: unknown
  }
  if (ev.Type === 'Timer' && ev.TriggerName === RECONCILE_TRIGGER) {
    // The daily reconciliation of yesterday's bill (server/pay/reconcile.ts), not the 5-minute sweep.
    const at = typeof ev.Time === 'string' && Number.isFinite(Date.parse(ev.Time)) ? Date.parse(ev.Time) : Date.now()
    const r = await reconcileDay(billDayBefore(at))
    console.log(
      JSON.stringify({
        fn: 'payExpire',
        reconciled: r.date,
        state: r.state,
        billLines: r.billLines,
        differences: r.differences.length,
        ...(r.message ? { message: r.message } : {}),
      }),
    )
    return {
      ...report,
      reconciled: { date: r.date, state: r.state, differences: r.differences.length },
    } as ExpireReport
  }
  const { expired, refunds, unconfirmed } = await dueOrders(Date.now(), BATCH)
  for (const order of expired) {
    try {
      const r = await closeExpired(order, cfg)
      if (r === 'CLOSED') report.closed++
      else if (r === 'PAID') report.paid++
      else report.unchanged++
    } catch (e) {
      report.errors++
      console.error(JSON.stringify({ fn: 'payExpire', order: order._id, error: errText(e) }))
    }
  }
  for (const order of refunds) {
    try {
      await submitRefund(order, cfg, 'timer')
      report.refundsResubmitted++
    } catch (e) {
      report.errors++
      console.error(JSON.stringify({ fn: 'payExpire', refund: order._id, error: errText(e) }))
    }
  }
  for (const order of unconfirmed) {
    try {
      const r = await confirmRefund(order, cfg, 'timer')
      if (r === 'REFUNDED') report.refundsConfirmed++
      else if (r === 'FAILED') report.refundsFailed++
    } catch (e) {
      report.errors++
      console.error(JSON.stringify({ fn: 'payExpire', confirm: order._id, error: errText(e) }))
    }
  }
  try {
    const n = await sendOwedNotices(cfg, Date.now(), BATCH)
    report.noticesSent = n.sent
    report.noticesUnknown = n.unknown
  } catch (e) {
    report.errors++
    console.error(JSON.stringify({ fn: 'payExpire', notices: errText(e) }))
  }
  console.log(JSON.stringify({ fn: 'payExpire', ...report }))
  return report
}
