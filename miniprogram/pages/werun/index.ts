/**
 * WeRun: asks for scope.werun (with a way back through wx.openSetting after a denial), reads
 * wx.getWeRunData, sends its CloudID to `werun.sync` (fetching again once if it expired), and
 * shows the chart and stats for 7 or 31 days. One setData per user action.
 */
import { errorText, fmt, subpageTexts, textsOf } from '../../lib/i18n'
import type { StepDay } from '../../../typings/werun'
import { ensurePrivacy, privacyErrno, privacyMessage } from '../../lib/privacy'
import { call } from '../../lib/call'
import { shareCard } from '../../lib/share'
import { formatSteps, stats, weRunFailure } from './logic'
import type { WerunState } from './logic'
import { cloud } from '../../lib/cloud'
import { TEXTS } from './texts'
import type { Texts } from './texts'

interface Data {
  /** The page's texts in the user's language. */
  t: Texts
  state: WerunState
  error: string
  range: 7 | 31
  mode: 'bar' | 'line'
  days: StepDay[]
  today: string
  goal: number
  goalText: string
  /** The legend under the chart, and the chart's content in words for screen readers. */
  legend: string
  summary: string
  stats: { total: string; average: string; best: string; streak: number }
}

interface Methods {
  start(): Promise<void>
  sync(retryExpired?: boolean): Promise<void>
  load(range: 7 | 31, patch?: Partial<Data>): Promise<void>
  fail(errMsg: string): void
  onAuthorize(): Promise<void>
  onOpenSetting(): Promise<void>
  onRetry(): void
  onRange(e: { currentTarget: { dataset: { range?: number } } }): void
  onMode(e: { currentTarget: { dataset: { mode?: string } } }): void
}

const SCOPE = 'scope.werun'

Page<Data, Methods>({
  data: {
    t: textsOf(TEXTS),
    legend: '',
    summary: '',
    state: 'CHECKING',
    error: '',
    range: 7,
    mode: 'bar',
    days: [],
    today: '',
    goal: 0,
    goalText: '',
    stats: { total: '0', average: '0', best: '-', streak: 0 },
  },

  onLoad() {
    const t = subpageTexts(TEXTS, 'navTitle')
    this.setData({ t })
    void this.start()
  },

  async start() {
    const setting = await wx.getSetting({})
    const allowed = setting.authSetting[SCOPE]
    if (allowed === false) this.setData({ state: 'DENIED' })
    else if (allowed === undefined) this.setData({ state: 'NEED_AUTH' })
    else await this.sync()
  },

  async onAuthorize() {
    try {
      await wx.authorize({ scope: SCOPE })
    } catch (e) {
      this.fail(String((e as { errMsg?: string }).errMsg ?? 'authorize:fail auth deny'))
      return
    }
    await this.sync()
  },

  /** After a denial wx.authorize fails at once; only the settings page can turn it back on. */
  async onOpenSetting() {
    const res = await wx.openSetting({})
    if (res.authSetting[SCOPE]) await this.sync()
  },

  onRetry() {
    void this.sync()
  },

  fail(errMsg) {
    const f = weRunFailure(errMsg)
    this.setData({ state: f.state, error: this.data.t[f.problem] })
  },

  async sync(retryExpired = true) {
    this.setData({ state: 'LOADING', error: '' })
    if (!(await ensurePrivacy())) {
      this.setData({ state: 'ERROR', error: privacyMessage('declined', 'werun') })
      return
    }
    let cloudID: string
    try {
      cloudID = (await cloud().getWeRunData()).cloudID
    } catch (e) {
      const errno = privacyErrno(e)
      if (errno) this.setData({ state: 'ERROR', error: privacyMessage(errno, 'werun') })
      else this.fail(String((e as { errMsg?: string }).errMsg ?? ''))
      return
    }
    const res = await call('werun', 'sync', { weRunData: cloud().CloudID(cloudID) })
    if (!res.ok && (res.error.code === 'CLOUDID_EXPIRED' || res.error.code === 'CLOUDID_INVALID') && retryExpired)
      return this.sync(false)
    if (!res.ok) {
      this.setData({ state: 'ERROR', error: errorText(res.error) })
      return
    }
    await this.load(this.data.range)
  },

  async load(range, patch = {}) {
    const res = await call('werun', 'history', { range })
    if (!res.ok) {
      this.setData({ state: 'ERROR', error: errorText(res.error) })
      return
    }
    const { days, today, goal } = res.data
    const s = stats(days, goal, today)
    const t = this.data.t
    const shown = {
      total: formatSteps(s.total),
      average: formatSteps(s.average),
      best: s.best ? `${formatSteps(s.best.steps)} (${s.best.date.slice(5)})` : t.none,
      streak: s.streak,
    }
    const goalText = formatSteps(goal)
    this.setData({
      ...patch,
      state: 'READY',
      range,
      days,
      today,
      goal,
      goalText,
      legend: fmt(t.legend, { goal: goalText }),
      summary:
        s.total > 0
          ? fmt(t.chartSummary, {
              days: days.length,
              total: shown.total,
              average: shown.average,
              best: shown.best,
              goal: goalText,
            })
          : t.chartEmpty,
      stats: shown,
    })
  },

  onRange(e) {
    const range = e.currentTarget.dataset.range === 31 ? 31 : 7
    if (range !== this.data.range) void this.load(range)
  },

  onMode(e) {
    const mode = e.currentTarget.dataset.mode === 'line' ? 'line' : 'bar'
    if (mode !== this.data.mode) this.setData({ mode })
  },

  onShareAppMessage(e: { from?: string }) {
    const today = this.data.days[this.data.days.length - 1]
    const t = this.data.t
    const title = today && today.steps > 0 ? fmt(t.shareToday, { steps: formatSteps(today.steps) }) : t.shareTitle
    return shareCard('pages/werun/index', title, { from: e?.from })
  },
})
