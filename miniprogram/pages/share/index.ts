/** My shares: what I offered to share and how many people came in through each (typings/share.ts). */
import type { ShareView } from '../../../typings/share'
import { call } from '../../lib/call'
import { shareCard } from '../../lib/share'

const PAGE_NAMES: Record<string, string> = {
  'pages/index/index': 'Home',
  'pages/pay/index': 'Shop',
  'pages/werun/index': 'WeRun',
  'pages/share/index': 'My shares',
}
const VIA: Record<ShareView['via'], string> = { menu: 'from the menu', button: 'from a button', timeline: 'to Moments', poster: 'as a poster' }

function when(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000) // Beijing
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`
}

interface Row extends ShareView {
  pageName: string
  when: string
  viaText: string
}

interface Data {
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  shares: Row[]
  totals: { shares: number; entries: number; newUsers: number }
}

Page<Data, { load(): Promise<void>; onRetry(): void }>({
  data: { state: 'LOADING', error: '', shares: [], totals: { shares: 0, entries: 0, newUsers: 0 } },

  onShow() {
    void this.load()
  },

  async load() {
    const res = await call('share', 'myShares', { limit: 30 })
    if (!res.ok) {
      this.setData({ state: 'ERROR', error: res.error.message })
      return
    }
    const shares = res.data.shares.map((s) => ({ ...s, pageName: PAGE_NAMES[s.page] ?? s.page, when: when(s.createdAt), viaText: VIA[s.via] }))
    this.setData({ state: 'READY', error: '', shares, totals: res.data.totals })
  },

  onRetry() {
    this.setData({ state: 'LOADING' })
    void this.load()
  },

  onPullDownRefresh() {
    void this.load().then(() => wx.stopPullDownRefresh())
  },

  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/index/index', 'CloudBase Kit: sign in, pay, WeRun and more', { from: e?.from })
  },
})
