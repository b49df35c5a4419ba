/**
 * Step rank: opt in or out, today or the last 7 days, everyone or one of the user's WeChat
 * groups (typings/rank.ts). One setData per tap.
 */
import { errorText } from '../../lib/i18n'
import type { RankPeriod, RankRow } from '../../../typings/rank'
import { call } from '../../lib/call'
import { cloud } from '../../lib/cloud'
import { shareCard } from '../../lib/share'

/** A board row as shown: a unique key (tied users share a rank) and the avatar's URL. */
export interface RowView extends RankRow {
  key: string
  avatar: string
}

interface Data {
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  optedIn: boolean
  busy: boolean
  period: RankPeriod
  /** '' = everyone; else an opengid. */
  scope: string
  groups: string[]
  rows: RowView[]
  me: RowView | null
  meShown: boolean
}

interface Methods {
  start(): Promise<void>
  board(period: RankPeriod, scope: string, patch?: Partial<Data>): Promise<void>
  onRetry(): void
  onOptIn(): Promise<void>
  onOptOut(): Promise<void>
  onPeriod(e: { currentTarget: { dataset: { period?: string } } }): void
  onScope(e: { currentTarget: { dataset: { scope?: string } } }): void
}

/** fileID → temporary URL for the avatars that exist (at most 50 per call, as getTempFileURL allows). */
async function avatarUrls(fileIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(fileIds.filter((id) => id.startsWith('cloud://')))].slice(0, 50)
  if (!ids.length) return new Map()
  try {
    return new Map((await cloud().getTempFileURL(ids)).filter((f) => f.tempFileURL).map((f) => [f.fileID, f.tempFileURL]))
  } catch {
    return new Map()
  }
}

Page<Data, Methods>({
  data: { state: 'LOADING', error: '', optedIn: false, busy: false, period: 'today', scope: '', groups: [], rows: [], me: null, meShown: false },

  onLoad() {
    void this.start()
  },

  async start() {
    const res = await call('rank', 'status', {})
    if (!res.ok) {
      this.setData({ state: 'ERROR', error: errorText(res.error) })
      return
    }
    if (!res.data.optedIn) this.setData({ state: 'READY', optedIn: false, groups: res.data.groups })
    else await this.board(this.data.period, this.data.scope, { optedIn: true, groups: res.data.groups })
  },

  async board(period, scope, patch = {}) {
    const res = await call('rank', 'board', { period, ...(scope ? { opengid: scope } : {}) })
    if (!res.ok) {
      this.setData({ ...patch, state: 'ERROR', busy: false, error: errorText(res.error) })
      return
    }
    const { rows, me } = res.data
    // Avatars are cloud files: one getTempFileURL for the board (a missing one shows the initial instead).
    const urls = await avatarUrls([...rows, ...(me ? [me] : [])].map((r) => r.avatarFileId))
    const view = (r: RankRow, i: number): RowView => ({ ...r, key: `${r.rank}-${i}`, avatar: urls.get(r.avatarFileId) ?? '' })
    this.setData({ ...patch, state: 'READY', busy: false, period, scope, rows: rows.map(view), me: me ? view(me, -1) : null, meShown: rows.some((r) => r.me) })
  },

  onRetry() {
    this.setData({ state: 'LOADING', error: '' })
    void this.start()
  },

  async onOptIn() {
    if (this.data.busy) return
    this.setData({ busy: true })
    const res = await call('rank', 'optIn', {})
    if (!res.ok) this.setData({ busy: false, state: 'ERROR', error: errorText(res.error) })
    else await this.board(this.data.period, this.data.scope, { optedIn: true })
  },

  async onOptOut() {
    if (this.data.busy) return
    const ok = await wx.showModal({ title: 'Leave the rank?', content: 'You disappear from every rank at once. You can join again later.', confirmText: 'Leave' })
    if (!ok.confirm) return
    this.setData({ busy: true })
    const res = await call('rank', 'optOut', {})
    if (!res.ok) this.setData({ busy: false, state: 'ERROR', error: errorText(res.error) })
    else this.setData({ busy: false, optedIn: false, rows: [], me: null, meShown: false })
  },

  onPeriod(e) {
    const period = e.currentTarget.dataset.period === 'week' ? 'week' : 'today'
    if (period !== this.data.period) void this.board(period, this.data.scope)
  },

  onScope(e) {
    const scope = e.currentTarget.dataset.scope ?? ''
    if (scope !== this.data.scope) void this.board(this.data.period, scope)
  },

  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/rank/index', 'Who walked the most today?', { from: e?.from })
  },
})
