/**
 * Compile-time tests of the page side of the contract (checked by `tsc -p miniprogram`).
 * Each @ts-expect-error must be an error, or tsc fails: a mismatch with typings/ cannot compile.
 */
import { call } from '../../miniprogram/lib/call'

export async function pageSide(): Promise<void> {
  // @ts-expect-error unknown function
  await call('nope', 'login', {})
  // @ts-expect-error unknown action
  await call('user', 'nope', {})
  // @ts-expect-error wrong field type
  await call('user', 'bindPhone', { code: 1 })
  // @ts-expect-error missing field
  await call('user', 'bindPhone', {})
  const r = await call('user', 'updateProfile', { nickname: 'x' })
  if (r.ok) {
    const nickname: string = r.data.profile.nickname
    void nickname
    // @ts-expect-error the profile carries no openid
    void r.data.profile.openid
  } else {
    // Action errors, router errors and transport errors, nothing else.
    const code:
      | 'CONTENT_RISKY'
      | 'CONTENT_REVIEW'
      | 'CONTENT_CHECK_UNAVAILABLE'
      | 'NOT_REGISTERED'
      | 'AVATAR_NOT_OWNED'
      | 'AVATAR_NOT_FOUND'
      | 'NOTHING_TO_UPDATE'
      | 'INVALID_INPUT'
      | 'UNKNOWN_ACTION'
      | 'UNAUTHENTICATED'
      | 'WECHAT_BUSY'
      | 'PERMISSION_MISSING'
      | 'INTERNAL'
      | 'NETWORK'
      | 'TIMEOUT'
      | 'FUNCTION_NOT_FOUND'
      | 'FUNCTION_FAILED'
      | 'CLOUD_NOT_CONFIGURED'
      | 'LOCAL_CLOUD_DOWN' = r.error.code
    void code
    // @ts-expect-error not an error of updateProfile
    const other: 'PHONE_CODE_INVALID' = r.error.code
    void other
  }
}

export async function paySide(): Promise<void> {
  // @ts-expect-error the client cannot name a price: the server decides it
  await call('pay', 'createOrder', { productId: 'coffee', quantity: 1, requestId: 'r12345678', totalFee: 1 })
  // @ts-expect-error quantity is a number
  await call('pay', 'createOrder', { productId: 'coffee', quantity: '1', requestId: 'r12345678' })
  const r = await call('pay', 'createOrder', { productId: 'coffee', quantity: 1, requestId: 'r12345678' })
  if (r.ok) {
    // The payment object is exactly what wx.requestPayment takes.
    const options: WechatMiniprogram.RequestPaymentOption = { ...r.data.payment }
    void options
    const status: 'UNPAID' | 'PAID' | 'CLOSED' | 'REFUNDING' | 'REFUNDED' | 'REFUND_FAILED' = r.data.order.status
    void status
    // @ts-expect-error the order view carries no openid
    void r.data.order._openid
  } else if (r.error.code === 'ORDER_EXPIRED') {
    // @ts-expect-error a refund error is not an error of createOrder
    const refundOnly: 'REFUND_WINDOW_PASSED' = r.error.code
    void refundOnly
  }
}

export async function customerServiceSide(): Promise<void> {
  // @ts-expect-error an operator reply names its user as touser, not openid
  await call('customerService', 'agentReply', { openid: 'o-1', text: 'hi', requestId: 'r12345678' })
  // @ts-expect-error the push handler is not an action a page can call
  await call('customerService', 'handleInbound', {})
  const r = await call('customerService', 'agentReply', { touser: 'o-1', text: 'hi', requestId: 'r12345678' })
  if (r.ok) {
    const left: number = r.data.conversation.sendsLeft
    void left
  } else if (r.error.code === 'WINDOW_CLOSED' || r.error.code === 'QUOTA_USED') {
    // @ts-expect-error narrowed to the two window codes: NO_CONVERSATION is not among them
    const other: 'NO_CONVERSATION' = r.error.code
    void other
  }
}
