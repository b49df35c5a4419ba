/**
 * The sandbox's orders and refunds as WeChat Pay APIv3 writes them: the transaction (查询订单),
 * the refund (申请退款 / 查询单笔退款) and a refund notification's resource (退款结果通知), with
 * times in RFC 3339 (+08:00). Pure. Follows pay.weixin.qq.com/docs/merchant/apis/mini-program-payment/.
 */
import { isPaid, type SandboxOrder, type SandboxRefund } from './pay-v2'
import { rfc3339 } from './wxpay-v3-signing'

/** The transaction as the query and the notification give it. */
export function transactionOf(o: SandboxOrder, mchid: string): Record<string, unknown> {
  const paid = isPaid(o)
  return {
    appid: o.appid,
    mchid,
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

export function refundOf(r: SandboxRefund, o: SandboxOrder): Record<string, unknown> {
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

/** The resource of a refund notification (decrypted). */
export function refundResource(o: SandboxOrder, r: SandboxRefund, mchid: string): Record<string, unknown> {
  const v3 = refundOf(r, o)
  return {
    mchid,
    out_trade_no: o.outTradeNo,
    transaction_id: o.transactionId,
    out_refund_no: r.outRefundNo,
    refund_id: r.refundId,
    refund_status: v3.status,
    ...(v3.success_time ? { success_time: v3.success_time } : {}),
    user_received_account: '支付用户零钱',
    amount: { total: o.totalFee, refund: r.refundFee, payer_total: o.totalFee, payer_refund: r.refundFee },
  }
}
