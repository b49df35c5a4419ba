/**
 * Step rank: opt in or out, today or the last 7 days, everyone or one of the user's WeChat
 * groups (typings/rank.ts). One setData per tap.
 */
import { errorText, fmt, subpageTexts, textsOf } from '../../lib/i18n'
import type { RankPeriod, RankRow } from '../../../typings/rank'
import { call } from '../../lib/call'
import { cloud } from '../../lib/cloud'
import { shareCard } from '../../lib/share'
import { TEXTS } from './texts'
import type { Texts } from './texts'

/** A board row as shown: a unique key (tied users share a rank) and the avatar's URL. */
export interface RowView extends RankRow {
  key: string
  avatar: string
  /** The name as shown ("… (you)" on my own row below the board). */
  name: string
  /** What a screen reader says for the row. */
  label: string
}

/** A group the user can rank within: its opengid and its label ("Group 1"). */
interface GroupView {
  id: string
  label: string
}

interface Data {
  /** The page's texts in the user's language. */
  t: Texts
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  optedIn: boolean
  busy: boolean
  period: RankPeriod
  /** '' = everyone; else an opengid. */
  scope: string
  groups: GroupView[]
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
  onWerun(): void
  groupViews(ids: string[]): GroupView[]
}

/** fileID → temporary URL for the avatars that exist (at most 50 per call, as getTempFileURL allows). */
async function avatarUrls(fileIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(fileIds.filter((id) => id.startsWith('cloud://')))].slice(0, 50)
  if (!ids.length) return new Map()
  try {
    return new Map(
      (await cloud().getTempFileURL(ids)).filter((f) => f.tempFileURL).map((f) => [f.fileID, f.tempFileURL]),
    )
  } catch {
    return new Map()
  }
}

Page<Data, Methods>({
  data: {
    t: textsOf(TEXTS),
    state: 'LOADING',
    error: '',
    optedIn: false,
    busy: false,
    period: 'today',
    scope: '',
    groups: [],
    rows: [],
    me: null,
    meShown: false,
  },

  onLoad() {
    const t = subpageTexts(TEXTS, 'navTitle')
    this.setData({ t })
    void this.start()
  },

  groupViews(ids) {
    return ids.map((id, i) => ({ id, label: fmt(this.data.t.group, { n: i + 1 }) }))
  },

  /** One call: the board answers whether the user opted in and their groups too. */
  async start() {
    await this.board(this.data.period, this.data.scope)
  },

  async board(period, scope, patch = {}) {
    const res = await call('rank', 'board', { period, ...(scope ? { opengid: scope } : {}) })
    if (!res.ok) {
      this.setData({ ...patch, state: 'ERROR', busy: false, error: errorText(res.error) })
      return
    }
    const { rows, me, optedIn, groups } = res.data
    if (!optedIn) {
      this.setData({
        ...patch,
        state: 'READY',
        busy: false,
        optedIn: false,
        groups: this.groupViews(groups),
        rows: [],
        me: null,
        meShown: false,
      })
      return
    }
    // Avatars are cloud files: one getTempFileURL for the board (a missing one shows the initial instead).
    const urls = await avatarUrls([...rows, ...(me ? [me] : [])].map((r) => r.avatarFileId))
    const t = this.data.t
    const view = (r: RankRow, i: number): RowView => {
      const name = i < 0 ? fmt(t.you, { name: r.nickname }) : r.nickname
      return {
        ...r,
        key: `${r.rank}-${i}`,
        avatar: urls.get(r.avatarFileId) ?? '',
        name,
        label: fmt(t.rowLabel, { rank: r.rank, name, steps: r.steps }),
      }
    }
    this.setData({
      ...patch,
      state: 'READY',
      busy: false,
      optedIn: true,
      groups: this.groupViews(groups),
      period,
      scope,
      rows: rows.map(view),
      me: me ? view(me, -1) : null,
      meShown: rows.some((r) => r.me),
    })
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
    else await this.board(this.data.period, this.data.scope)
  },

  async onOptOut() {
    if (this.data.busy) return
    const t = this.data.t
    const ok = await wx.showModal({ title: t.leaveAsk, content: t.leaveAskContent, confirmText: t.leaveConfirm })
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

  /** The empty board's next step: steps come from WeRun. */
  onWerun() {
    void wx.navigateTo({ url: '/pages/werun/index' })
  },

  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/rank/index', this.data.t.shareTitle, { from: e?.from })
  },
})
