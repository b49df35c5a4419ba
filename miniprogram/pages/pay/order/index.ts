/**
 * One order: status, amount, times, fulfilment and refund. An unpaid order can be paid from
 * here until it expires; a paid one can be refunded within the refund window.
 */
import { errorText, fmt, subpageTexts, textsOf } from '../../../lib/i18n'
import { call } from '../../../lib/call'
import { shareCard } from '../../../lib/share'
import { contactTarget } from '../../../lib/contact'
import { encodeSessionFrom } from '../../../shared/session-from'
import { formatFen, formatTime, paymentFailure, paymentFailureText, toRow } from '../logic'
import type { OrderRow } from '../logic'
import { cloud } from '../../../lib/cloud'
import { TEXTS } from '../texts'
import type { Texts } from '../texts'

/** The order as the page shows it: the row plus the sentences built from its times and amounts. */
type OrderDetail = OrderRow & { refundableText: string; refundText: string; fulfilled: string; payText: string }

interface Data {
  /** The pay pages' texts in the user's language. */
  t: Texts
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  /** The error cannot be retried away (no such order of yours): offer My orders instead of Try again. */
  errorFinal: boolean
  order: OrderDetail | null
  busy: '' | 'pay' | 'refund'
  notice: string
  noticeType: '' | 'info' | 'error'
  /** The contact button: the welcome in the chat reads sessionFrom; the card sent links back here. */
  contact: { sessionFrom: string; path: string }
}

interface Methods {
  orderId: string
  load(): Promise<void>
  show(o: Parameters<typeof toRow>[0], notice?: string, noticeType?: 'info' | 'error'): void
  onRetry(): void
  onPay(): Promise<void>
  onRefund(): Promise<void>
  refund(soterProof?: string): Promise<void>
  onContact(e: { detail: { path?: string; query?: Record<string, unknown> } }): void
  onOrders(): void
}

/** Errors a retry cannot fix: the next step is the list of the user's orders. */
const FINAL = new Set<string>(['ORDER_NOT_FOUND', 'INVALID_INPUT'])

Page<Data, Methods>({
  data: {
    t: textsOf(TEXTS),
    state: 'LOADING',
    error: '',
    errorFinal: false,
    order: null,
    busy: '',
    notice: '',
    noticeType: '',
    contact: { sessionFrom: '', path: '' },
  },
  orderId: '',

  onLoad(query: Record<string, string | undefined>) {
    this.orderId = decodeURIComponent(query.id ?? '')
    const t = subpageTexts(TEXTS, 'orderNavTitle')
    this.setData({
      t,
      contact: {
        sessionFrom: encodeSessionFrom({ page: 'order', orderId: this.orderId }),
        path: `/pages/pay/order/index?id=${encodeURIComponent(this.orderId)}`,
      },
    })
    void this.load()
  },

  async load() {
    if (!this.orderId) {
      this.setData({ state: 'ERROR', error: this.data.t.noOrder, errorFinal: true })
      return
    }
    const res = await call('pay', 'getOrder', { orderId: this.orderId })
    if (!res.ok) this.setData({ state: 'ERROR', error: errorText(res.error), errorFinal: FINAL.has(res.error.code) })
    else this.show(res.data.order)
  },

  show(o, notice = '', noticeType) {
    const t = this.data.t
    const row = toRow(o, t)
    const refundAmount = o.refund ? formatFen(o.refund.refundFen) : ''
    const order: OrderDetail = {
      ...row,
      refundableText: fmt(t.refundableUntil, { time: formatTime(o.refundableUntil) }),
      refundText: !o.refund
        ? ''
        : o.refund.refundedAt
          ? fmt(t.refundedOn, { amount: refundAmount, time: formatTime(o.refund.refundedAt) })
          : fmt(t.refundInProgress, { amount: refundAmount }),
      fulfilled: formatTime(o.fulfilledAt),
      payText: fmt(t.payAmount, { amount: row.total }),
    }
    this.setData({ state: 'READY', error: '', order, busy: '', notice, noticeType: noticeType ?? '' })
  },

  onRetry() {
    this.setData({ state: 'LOADING', error: '' })
    void this.load()
  },

  async onPay() {
    if (this.data.busy || !this.data.order?.canPay) return
    this.setData({ busy: 'pay', notice: '' })
    const res = await call('pay', 'payOrder', { orderId: this.orderId })
    if (!res.ok) {
      this.setData({ busy: '', notice: errorText(res.error), noticeType: 'error' })
      return
    }
    try {
      await cloud().requestPayment(res.data.payment)
    } catch (err) {
      const notice = paymentFailureText(paymentFailure(String((err as { errMsg?: string }).errMsg ?? '')), this.data.t)
      this.setData({ busy: '', notice, noticeType: 'error' })
      return
    }
    // Confirm with the server (it asks WeChat Pay if the callback is late).
    const after = await call('pay', 'getOrder', { orderId: this.orderId })
    const t = this.data.t
    if (after.ok)
      this.show(after.data.order, after.data.order.status === 'PAID' ? t.paidThanks : t.confirmingPull, 'info')
    else this.setData({ busy: '', notice: errorText(after.error), noticeType: 'error' })
  },

  async onRefund() {
    const order = this.data.order
    if (this.data.busy || !order?.canRefund) return
    const t = this.data.t
    const ok = await wx.showModal({
      title: t.refundAsk,
      content: fmt(t.refundAskContent, { amount: order.total }),
      confirmText: t.refundConfirm,
    })
    if (!ok.confirm) return
    await this.refund()
  },

  /**
   * Asks for the refund; when the shop requires a fingerprint or face check (SOTER_REQUIRED),
   * opens the SOTER page for this order and asks again with the proof it sends back.
   */
  async refund(soterProof) {
    this.setData({ busy: 'refund', notice: '' })
    const res = await call('pay', 'requestRefund', { orderId: this.orderId, ...(soterProof ? { soterProof } : {}) })
    if (res.ok) {
      this.show(res.data.order, this.data.t.refundRequested, 'info')
      return
    }
    if (res.error.code === 'SOTER_REQUIRED' && !soterProof) {
      this.setData({ busy: '', notice: errorText(res.error), noticeType: 'info' })
      void wx.navigateTo({
        url: `/pages/soter/index?purpose=CONFIRM_REFUND&subject=${encodeURIComponent(this.orderId)}&back=1`,
        events: { soterProof: (p: { proof?: string }) => void (p?.proof && this.refund(p.proof)) },
      })
      return
    }
    this.setData({ busy: '', notice: errorText(res.error), noticeType: 'error' })
  },

  /** Back from the chat by tapping a mini-program card: open the page it names (unless it is this one). */
  onContact(e) {
    const url = contactTarget(e.detail, this.data.contact.path)
    if (url) void wx.navigateTo({ url })
  },

  onOrders() {
    void wx.navigateTo({ url: '/pages/pay/orders/index' })
  },

  onPullDownRefresh() {
    void this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Orders are personal: the card invites to the shop. */
  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/pay/index', this.data.t.shareTitle, { from: e?.from })
  },
})
