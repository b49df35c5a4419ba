import { followSession, session } from '../../lib/session'
import type { SessionSnapshot, SessionState } from '../../lib/session'
import { inSinglePageMode, shareCard, timelineCard } from '../../lib/share'

interface Data {
  state: SessionState
  nickname: string
  error: string
  attempts: number
  /** Opened from Moments (scene 1154): no login; ask to open the full mini-program. */
  singlePage: boolean
}


Page<Data, { unfollow?: () => void; render(s: SessionSnapshot): void; onRetry(): void; go(e: { currentTarget: { dataset: { url?: string } } }): void }>({
  data: { state: 'IDLE', nickname: '', error: '', attempts: 0, singlePage: false },

  onLoad() {
    if (inSinglePageMode()) {
      this.setData({ singlePage: true })
      return
    }
    void wx.showShareMenu({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] })
    this.unfollow = followSession((s) => this.render(s))
  },

  onUnload() {
    this.unfollow?.()
  },

  render(s: SessionSnapshot) {
    this.setData({ state: s.state, nickname: s.profile?.nickname ?? '', error: s.error?.message ?? '', attempts: s.attempts })
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
    return shareCard('pages/index/index', 'CloudBase Kit: sign in, pay, WeRun and more', { from: e?.from })
  },

  onShareTimeline() {
    return timelineCard('pages/index/index', 'CloudBase Kit: a mini-program starter on CloudBase')
  },
})
