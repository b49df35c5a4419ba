/**
 * Shop: product list -> buy. The buy tap asks for the message templates (a user gesture is
 * required), creates the order (price decided by the server, one order per tap), opens
 * WeChat's payment sheet, and then CONFIRMS with the server: the sheet's success proves
 * nothing, getOrder asks WeChat Pay when the callback has not arrived yet.
 */
import { errorText, fmt, subpageTexts, textsOf } from '../../lib/i18n'
import type { OrderView, PaymentParams, Product, SubscribeTemplates } from '../../../typings/pay'
import { call } from '../../lib/call'
import { inSinglePageMode, shareCard, timelineCard } from '../../lib/share'
import {
  CONFIRM_DELAYS,
  formatFen,
  formatTime,
  newRequestId,
  paymentFailure,
  paymentFailureText,
  subscribeAnswers,
  subscribeIds,
} from './logic'
import type { BuyState } from './logic'
import { cloud } from '../../lib/cloud'
import { TEXTS } from './texts'
import type { Texts } from './texts'

/** SINGLE_PAGE: opened from Moments (scene 1154), where nothing can be bought. */
type PageState = 'LOADING' | 'READY' | 'ERROR' | 'SINGLE_PAGE'

interface ProductRow extends Product {
  price: string
  /** What a screen reader says for the buy button (its visible text is only the price). */
  label: string
}

interface Data {
  /** The shop's texts in the user's language. */
  t: Texts
  state: PageState
  error: string
  products: ProductRow[]
  buy: BuyState
  buyingId: string
  notice: string
  order: (OrderView & { total: string; payableText: string }) | null
}

interface Methods {
  templates: SubscribeTemplates | null
  /** The request id of the last buy tap, kept while its order may still be created by a retry. */
  pending: { productId: string; requestId: string } | null
  load(): Promise<void>
  onRetry(): void
  onBuy(e: { currentTarget: { dataset: { id?: string } } }): Promise<void>
  onContinue(): Promise<void>
  onCheckAgain(): Promise<void>
  onViewOrder(): void
  onOrders(): void
  pay(order: OrderView, payment: PaymentParams): Promise<void>
  confirm(orderId: string): Promise<void>
}

const withDisplay = (o: OrderView, t: Texts) => ({
  ...o,
  total: formatFen(o.totalFen),
  payableText: fmt(t.payableUntil, { time: formatTime(o.expiresAt) }),
})
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

Page<Data, Methods>({
  data: {
    t: textsOf(TEXTS),
    state: 'LOADING',
    error: '',
    products: [],
    buy: 'IDLE',
    buyingId: '',
    notice: '',
    order: null,
  },
  templates: null,
  pending: null,

  onLoad() {
    const t = subpageTexts(TEXTS, 'shopNavTitle')
    if (inSinglePageMode()) {
      this.setData({ t, state: 'SINGLE_PAGE' })
      return
    }
    this.setData({ t })
    void wx.showShareMenu({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] })
    void this.load()
  },

  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/pay/index', this.data.t.shareTitle, { from: e?.from })
  },

  onShareTimeline() {
    return timelineCard('pages/pay/index', this.data.t.timelineTitle)
  },

  async load() {
    const res = await call('pay', 'listProducts', {})
    if (!res.ok) {
      this.setData({ state: 'ERROR', error: errorText(res.error) })
      return
    }
    this.templates = res.data.templates
    const t = this.data.t
    const products = res.data.products.map((p) => {
      const price = formatFen(p.priceFen)
      return { ...p, price, label: fmt(t.buyLabel, { title: p.title, price }) }
    })
    this.setData({ state: 'READY', error: '', products })
  },

  onRetry() {
    this.setData({ state: 'LOADING', error: '' })
    void this.load()
  },

  async onBuy(e) {
    const productId = e.currentTarget.dataset.id
    if (!productId || this.data.buy === 'CREATING' || this.data.buy === 'PAYING' || this.data.buy === 'CONFIRMING')
      return
    // A retry of the same product after a failure reuses the tap's request id: if the first
    // attempt did create the order, the server hands that one back instead of a second.
    const requestId =
      this.pending?.productId === productId && this.data.buy === 'FAILED'
        ? this.pending.requestId
        : newRequestId(Date.now())
    this.pending = { productId, requestId }

    // Must run from the tap itself. Failing to subscribe never blocks the purchase.
    const ids = subscribeIds(this.templates)
    let answers: ReturnType<typeof subscribeAnswers> = {}
    if (ids.length) {
      try {
        answers = subscribeAnswers(ids, await cloud().requestSubscribeMessage(ids))
      } catch {
        answers = {}
      }
    }
    this.setData({ buy: 'CREATING', buyingId: productId, notice: '', order: null })
    const [created] = await Promise.all([
      call('pay', 'createOrder', { productId, quantity: 1, requestId }),
      Object.keys(answers).length ? call('pay', 'recordSubscription', { answers }) : Promise.resolve(null),
    ])
    if (!created.ok) {
      this.setData({ buy: 'FAILED', notice: errorText(created.error) })
      return
    }
    this.pending = null
    await this.pay(created.data.order, created.data.payment)
  },

  async pay(order, payment) {
    const t = this.data.t
    this.setData({ buy: 'PAYING', order: withDisplay(order, t) })
    try {
      await cloud().requestPayment(payment)
    } catch (err) {
      const failure = paymentFailure(String((err as { errMsg?: string }).errMsg ?? ''))
      this.setData({ buy: failure.state, notice: paymentFailureText(failure, t) })
      return
    }
    await this.confirm(order.orderId)
  },

  async confirm(orderId) {
    const t = this.data.t
    this.setData({ buy: 'CONFIRMING', notice: t.confirming })
    for (const delay of CONFIRM_DELAYS) {
      if (delay) await sleep(delay)
      const res = await call('pay', 'getOrder', { orderId })
      if (res.ok && res.data.order.status !== 'UNPAID') {
        const paid = res.data.order.status === 'PAID'
        const order = res.data.order
        this.setData({
          buy: paid ? 'PAID' : 'FAILED',
          order: withDisplay(order, t),
          notice: paid ? t.paidThanks : fmt(t.orderEnded, { status: t[order.status] }),
        })
        return
      }
    }
    this.setData({ notice: t.notConfirmed })
  },

  async onContinue() {
    const order = this.data.order
    if (!order || this.data.buy === 'PAYING' || this.data.buy === 'CONFIRMING') return
    const res = await call('pay', 'payOrder', { orderId: order.orderId })
    if (!res.ok) {
      this.setData({ buy: 'FAILED', notice: errorText(res.error) })
      return
    }
    await this.pay(res.data.order, res.data.payment)
  },

  async onCheckAgain() {
    if (this.data.order) await this.confirm(this.data.order.orderId)
  },

  onViewOrder() {
    if (this.data.order) void wx.navigateTo({ url: `/pages/pay/order/index?id=${this.data.order.orderId}` })
  },

  onOrders() {
    void wx.navigateTo({ url: '/pages/pay/orders/index' })
  },
})
