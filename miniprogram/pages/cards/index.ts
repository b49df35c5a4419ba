/**
 * Cards (卡券): the shop's cards with "Add to WeChat" (wx.addCard with a cardExt the card
 * function signs), my cards with "Open" (wx.openCard), and for staff a scan-to-redeem
 * (wx.scanCode → card.redeem). One setData per action.
 */
import { errorText, fmt, subpageTexts, textsOf } from '../../lib/i18n'
import { call } from '../../lib/call'
import { cloud } from '../../lib/cloud'
import { shareCard } from '../../lib/share'
import { addFailure, myCardRow, offerRow } from './logic'
import type { MyCardRow, OfferRow } from './logic'
import { TEXTS } from './texts'
import type { Texts } from './texts'

interface Data {
  t: Texts
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  offers: OfferRow[]
  mine: MyCardRow[]
  operator: boolean
  /** The card key being added, or 'redeem' while a redeem runs; '' when idle. */
  busy: string
  notice: string
  noticeType: 'info' | 'error'
}

type Tap<T> = { currentTarget: { dataset: T } }

interface Methods {
  load(): Promise<void>
  onRetry(): void
  onAdd(e: Tap<{ key?: string }>): Promise<void>
  onOpen(e: Tap<{ id?: string; code?: string }>): Promise<void>
  onRedeem(): Promise<void>
}

Page<Data, Methods>({
  data: {
    t: textsOf(TEXTS),
    state: 'LOADING',
    error: '',
    offers: [],
    mine: [],
    operator: false,
    busy: '',
    notice: '',
    noticeType: 'info',
  },

  onLoad() {
    this.setData({ t: subpageTexts(TEXTS, 'navTitle') })
    void this.load()
  },

  async load() {
    const [offers, mine] = await Promise.all([call('card', 'listCards', {}), call('card', 'myCards', {})])
    const failed = !offers.ok ? offers.error : !mine.ok ? mine.error : null
    if (failed || !offers.ok || !mine.ok) {
      this.setData({ state: 'ERROR', error: failed ? errorText(failed) : '' })
      return
    }
    const t = this.data.t
    this.setData({
      state: 'READY',
      error: '',
      offers: offers.data.cards.map((o) => offerRow(o, t)),
      mine: mine.data.cards.map((c) => myCardRow(c, t)),
      operator: offers.data.operator,
    })
  },

  onRetry() {
    this.setData({ state: 'LOADING', error: '' })
    void this.load()
  },

  async onAdd(e) {
    const key = e.currentTarget.dataset.key ?? ''
    const offer = this.data.offers.find((o) => o.cardKey === key)
    if (!offer || this.data.busy) return
    this.setData({ busy: key, notice: '' })
    const t = this.data.t
    const signed = await call('card', 'signCardExt', { cardKey: key })
    if (!signed.ok) {
      this.setData({ busy: '', notice: errorText(signed.error), noticeType: 'error' })
      return
    }
    let added
    try {
      added = await cloud().addCard([{ cardId: signed.data.cardId, cardExt: signed.data.cardExt }])
    } catch (err) {
      const why = addFailure(err)
      const code = String((err as { errCode?: unknown })?.errCode ?? '')
      // WeChat itself said the card is in review (40078): it offers no Add from now on.
      const offers =
        why === 'IN_REVIEW'
          ? this.data.offers.map((o) => (o.cardKey === key ? { ...o, inReview: true } : o))
          : this.data.offers
      this.setData({
        busy: '',
        offers,
        notice:
          why === 'CANCELLED' ? t.addCancelled : why === 'IN_REVIEW' ? t.cardInReview : fmt(t.addFailed, { code }),
        noticeType: why === 'CANCELLED' ? 'info' : 'error',
      })
      return
    }
    const recorded = await call('card', 'recordAdded', { cardList: added })
    if (!recorded.ok) {
      this.setData({ busy: '', notice: errorText(recorded.error), noticeType: 'error' })
      return
    }
    const fresh = recorded.data.cards.map((c) => myCardRow(c, t))
    const keys = new Set(fresh.map((c) => c.key))
    this.setData({
      busy: '',
      mine: [...fresh, ...this.data.mine.filter((c) => !keys.has(c.key))],
      notice: fmt(t.added, { title: offer.title }),
      noticeType: 'info',
    })
  },

  async onOpen(e) {
    const { id, code } = e.currentTarget.dataset
    if (!id || !code) return
    try {
      await cloud().openCard([{ cardId: id, code }])
    } catch (err) {
      if (addFailure(err) !== 'CANCELLED') this.setData({ notice: this.data.t.openFailed, noticeType: 'error' })
    }
  },

  async onRedeem() {
    if (this.data.busy) return
    let scanned: string
    try {
      scanned = (await wx.scanCode({ scanType: ['qrCode', 'barCode'] })).result
    } catch {
      return // the staff member closed the scanner
    }
    this.setData({ busy: 'redeem', notice: '' })
    const res = await call('card', 'redeem', { code: scanned.trim() })
    if (!res.ok) {
      this.setData({ busy: '', notice: errorText(res.error), noticeType: 'error' })
      return
    }
    const row = myCardRow(res.data.card, this.data.t)
    this.setData({
      busy: '',
      notice: fmt(this.data.t.redeemed, { title: row.title }),
      noticeType: 'info',
      mine: this.data.mine.map((c) => (c.key === row.key ? row : c)),
    })
  },

  onShareAppMessage() {
    return shareCard('pages/cards/index', this.data.t.navTitle)
  },
})
