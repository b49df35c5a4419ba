/**
 * One order: status, amount, times, fulfilment and refund. An unpaid order can be paid from
 * here until it expires; a paid one can be refunded within the refund window.
 */
import { errorText } from '../../../lib/i18n'
import { call } from '../../../lib/call'
import { shareCard } from '../../../lib/share'
import { contactTarget, encodeSessionFrom } from '../../../lib/contact'
import { formatFen, formatTime, paymentFailure, toRow } from '../logic'
import type { OrderRow } from '../logic'
import { cloud } from '../../../lib/cloud'

interface Data {
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  order: (OrderRow & { refundable: string; refundTotal: string; refunded: string; fulfilled: string }) | null
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
}

Page<Data, Methods>({
  data: { state: 'LOADING', error: '', order: null, busy: '', notice: '', noticeType: '', contact: { sessionFrom: '', path: '' } },
  orderId: '',

  onLoad(query: Record<string, string | undefined>) {
    this.orderId = decodeURIComponent(query.id ?? '')
    this.setData({ contact: { sessionFrom: encodeSessionFrom({ page: 'order', orderId: this.orderId }), path: `/pages/pay/order/index?id=${encodeURIComponent(this.orderId)}` } })
    void this.load()
  },

  async load() {
    if (!this.orderId) {
      this.setData({ state: 'ERROR', error: 'No order was given.' })
      return
    }
    const res = await call('pay', 'getOrder', { orderId: this.orderId })
    if (!res.ok) this.setData({ state: 'ERROR', error: errorText(res.error) })
    else this.show(res.data.order)
  },

  show(o, notice = '', noticeType) {
    const order = {
      ...toRow(o),
      refundable: formatTime(o.refundableUntil),
      refundTotal: o.refund ? formatFen(o.refund.refundFen) : '',
      refunded: o.refund ? formatTime(o.refund.refundedAt) : '',
      fulfilled: formatTime(o.fulfilledAt),
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
      const { message } = paymentFailure(String((err as { errMsg?: string }).errMsg ?? ''))
      this.setData({ busy: '', notice: message, noticeType: 'error' })
      return
    }
    // Confirm with the server (it asks WeChat Pay if the callback is late).
    const after = await call('pay', 'getOrder', { orderId: this.orderId })
    if (after.ok) this.show(after.data.order, after.data.order.status === 'PAID' ? 'Paid. Thank you!' : 'Confirming your payment… pull down to refresh.', 'info')
    else this.setData({ busy: '', notice: errorText(after.error), noticeType: 'error' })
  },

  async onRefund() {
    const order = this.data.order
    if (this.data.busy || !order?.canRefund) return
    const ok = await wx.showModal({ title: 'Request a refund?', content: `${order.total} goes back to where you paid from.`, confirmText: 'Refund' })
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
      this.show(res.data.order, 'Refund requested. WeChat will notify you when the money is back.', 'info')
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

  onPullDownRefresh() {
    void this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Orders are personal: the card invites to the shop. */
  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/pay/index', 'The CloudBase Kit shop: pay with WeChat Pay', { from: e?.from })
  },
})
