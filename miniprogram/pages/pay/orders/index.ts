/** My orders: newest first, paged ("Load more"), each row opens the order. */
import { errorText, subpageTexts, textsOf } from '../../../lib/i18n'
import { call } from '../../../lib/call'
import { shareCard } from '../../../lib/share'
import { toRow } from '../logic'
import type { OrderRow } from '../logic'
import { TEXTS } from '../texts'
import type { Texts } from '../texts'

interface Data {
  /** The pay pages' texts in the user's language. */
  t: Texts
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  orders: OrderRow[]
  more: boolean
  loadingMore: boolean
}

interface Methods {
  load(before?: number): Promise<void>
  onRetry(): void
  onMore(): void
  onOpen(e: { currentTarget: { dataset: { id?: string } } }): void
  onShop(): void
}

const PAGE = 20

Page<Data, Methods>({
  data: { t: textsOf(TEXTS), state: 'LOADING', error: '', orders: [], more: false, loadingMore: false },

  onLoad() {
    const t = subpageTexts(TEXTS, 'ordersNavTitle')
    this.setData({ t })
  },

  onShow() {
    // Back from an order page: its status may have changed.
    void this.load()
  },

  async load(before) {
    const res = await call('pay', 'listOrders', before === undefined ? { limit: PAGE } : { limit: PAGE, before })
    if (!res.ok) {
      this.setData({ state: before === undefined ? 'ERROR' : 'READY', error: errorText(res.error), loadingMore: false })
      return
    }
    const t = this.data.t
    const rows = res.data.orders.map((o) => toRow(o, t))
    if (before === undefined) this.setData({ state: 'READY', error: '', orders: rows, more: res.data.more })
    else {
      // Append only the new rows (setData by path), not the whole list.
      const start = this.data.orders.length
      const patch: Record<string, unknown> = { more: res.data.more, loadingMore: false, error: '' }
      rows.forEach((r, i) => (patch[`orders[${start + i}]`] = r))
      this.setData(patch)
    }
  },

  onRetry() {
    this.setData({ state: 'LOADING', error: '' })
    void this.load()
  },

  onMore() {
    const last = this.data.orders[this.data.orders.length - 1]
    if (!last || this.data.loadingMore) return
    this.setData({ loadingMore: true })
    void this.load(last.createdAt)
  },

  onOpen(e) {
    const id = e.currentTarget.dataset.id
    if (id) void wx.navigateTo({ url: `/pages/pay/order/index?id=${id}` })
  },

  /** The empty list's next step. */
  onShop() {
    void wx.navigateTo({ url: '/pages/pay/index' })
  },

  /** Orders are personal: the card invites to the shop. */
  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/pay/index', this.data.t.shareTitle, { from: e?.from })
  },
})
