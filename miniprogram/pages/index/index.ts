import { errorText, fmt, messages } from '../../lib/i18n'
import type { PageTexts } from '../../lib/i18n'
import { followSession, session } from '../../lib/session'
import type { SessionSnapshot, SessionState } from '../../lib/session'
import { inSinglePageMode, shareCard, timelineCard } from '../../lib/share'

interface Data {
  /** The page's texts in the user's language. */
  t: PageTexts['index']
  state: SessionState
  /** "Hello, …" or the welcome, in the user's language. */
  greeting: string
  /** "(attempt n)" from the second attempt on. */
  attemptText: string
  error: string
  /** Opened from Moments (scene 1154): no login; ask to open the full mini-program. */
  singlePage: boolean
}

Page<Data, { unfollow?: () => void; render(s: SessionSnapshot): void; onRetry(): void; go(e: { currentTarget: { dataset: { url?: string } } }): void }>({
  data: { t: messages().pages.index, state: 'IDLE', greeting: '', attemptText: '', error: '', singlePage: false },

  onLoad() {
    const t = messages().pages.index
    void wx.setNavigationBarTitle({ title: t.navTitle })
    if (inSinglePageMode()) {
      this.setData({ t, singlePage: true })
      return
    }
    this.setData({ t })
    void wx.showShareMenu({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] })
    this.unfollow = followSession((s) => this.render(s))
  },

  onUnload() {
    this.unfollow?.()
  },

  render(s: SessionSnapshot) {
    const t = this.data.t
    const nickname = s.profile?.nickname ?? ''
    this.setData({
      state: s.state,
      greeting: nickname ? fmt(t.hello, { name: nickname }) : t.welcome,
      attemptText: s.attempts > 1 ? fmt(t.attempt, { n: s.attempts }) : '',
      // Not configured: the setup sentence for the developer; otherwise the code in the user's words.
      error: s.error ? (s.state === 'NOT_CONFIGURED' ? s.error.message : errorText(s.error)) : '',
    })
  },

  onRetry() {
    void session.retry()
  },

  /** Every row of the menu names its page in `data-url`. */
  go(e) {
    const url = e.currentTarget.dataset.url
    if (url) void wx.navigateTo({ url })
  },

  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/index/index', this.data.t.shareTitle, { from: e?.from })
  },

  onShareTimeline() {
    return timelineCard('pages/index/index', this.data.t.timelineTitle)
  },
})
