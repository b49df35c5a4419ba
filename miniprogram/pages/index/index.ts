import { followSession, session, type SessionSnapshot, type SessionState } from '../../lib/session'

interface Data {
  state: SessionState
  nickname: string
  error: string
  attempts: number
}


Page<Data, { unfollow?: () => void; render(s: SessionSnapshot): void; onRetry(): void; goProfile(): void; goShop(): void; goWerun(): void }>({
  data: { state: 'IDLE', nickname: '', error: '', attempts: 0 },

  onLoad() {
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

  goProfile() {
    void wx.navigateTo({ url: '/pages/profile/index' })
  },

  goShop() {
    void wx.navigateTo({ url: '/pages/pay/index' })
  },

  goWerun() {
    void wx.navigateTo({ url: '/pages/werun/index' })
  },

  onShareAppMessage() {
    return { title: 'CloudBase Kit', path: '/pages/index/index' }
  },
})
