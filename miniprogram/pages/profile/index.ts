import { errorText } from '../../lib/i18n'
import type { UserProfile } from '../../../typings/user'
import { call } from '../../lib/call'
import { contactTarget } from '../../lib/contact'
import { shareCard } from '../../lib/share'
import { followSession, session } from '../../lib/session'
import type { SessionSnapshot } from '../../lib/session'
import { avatarCloudPath, nicknameProblem, phoneButtonProblem } from './logic'
import { cloud } from '../../lib/cloud'

type PageState = 'LOADING' | 'READY' | 'ERROR' | 'NOT_CONFIGURED'
type Busy = '' | 'avatar' | 'nickname' | 'phone'

interface Data {
  state: PageState
  error: string
  profile: UserProfile | null
  busy: Busy
  notice: string
  noticeType: '' | 'info' | 'error'
}

interface Methods {
  unfollow?: () => void
  render(s: SessionSnapshot): void
  onRetry(): void
  onChooseAvatar(e: { detail: { avatarUrl?: string } }): Promise<void>
  onNicknameSubmit(e: { detail: { value: { nickname?: string } } }): Promise<void>
  onGetPhoneNumber(e: { detail: { code?: string; errMsg?: string; errno?: number } }): Promise<void>
  done(profile: UserProfile | null, notice: string, noticeType: 'info' | 'error'): void
  onContact(e: { detail: { path?: string; query?: Record<string, unknown> } }): void
}

const STATE_OF: Record<SessionSnapshot['state'], PageState> = {
  IDLE: 'LOADING',
  LOGGING_IN: 'LOADING',
  READY: 'READY',
  FAILED: 'ERROR',
  NOT_CONFIGURED: 'NOT_CONFIGURED',
}


Page<Data, Methods>({
  data: { state: 'LOADING', error: '', profile: null, busy: '', notice: '', noticeType: '' },

  onLoad() {
    this.unfollow = followSession((s) => this.render(s))
  },

  onUnload() {
    this.unfollow?.()
  },

  render(s) {
    const state = STATE_OF[s.state]
    // Only what changed: the profile object is replaced only when the session holds a new one.
    const patch: Partial<Data> = { state, error: s.error?.message ?? '' }
    if (s.profile !== this.data.profile) patch.profile = s.profile
    this.setData(patch)
  },

  onRetry() {
    void session.retry()
  },

  /** Back from the chat by tapping a mini-program card: open the page it names. */
  onContact(e) {
    const url = contactTarget(e.detail, '/pages/profile/index')
    if (url) void wx.navigateTo({ url })
  },

  /** One setData at the end of each action, carrying only the changed fields. */
  done(profile, notice, noticeType) {
    if (profile) session.setProfile(profile)
    this.setData({ busy: '', notice, noticeType, ...(profile ? { profile } : {}) })
  },

  async onChooseAvatar(e) {
    const tempPath = e.detail.avatarUrl
    const profile = this.data.profile
    if (!tempPath || !profile || this.data.busy) return
    this.setData({ busy: 'avatar', notice: '' })
    let fileID: string
    try {
      const up = await cloud().uploadFile({
        cloudPath: avatarCloudPath(profile.userId, tempPath, Date.now(), Math.random().toString(36).slice(2, 8)),
        filePath: tempPath,
      })
      fileID = up.fileID
    } catch {
      this.done(null, 'Uploading the photo failed. Check your network and try again.', 'error')
      return
    }
    const res = await call('user', 'updateProfile', { avatarFileId: fileID })
    if (res.ok) this.done(res.data.profile, 'Photo updated.', 'info')
    else this.done(null, errorText(res.error), 'error')
  },

  async onNicknameSubmit(e) {
    const raw = e.detail.value.nickname ?? ''
    const problem = nicknameProblem(raw)
    if (problem) {
      this.setData({ notice: problem, noticeType: 'error' })
      return
    }
    if (this.data.busy) return
    this.setData({ busy: 'nickname', notice: '' })
    const res = await call('user', 'updateProfile', { nickname: raw.trim() })
    if (res.ok) this.done(res.data.profile, 'Nickname saved.', 'info')
    else this.done(null, errorText(res.error), 'error')
  },

  async onGetPhoneNumber(e) {
    const { code } = e.detail
    if (!code) {
      this.setData({ notice: phoneButtonProblem(e.detail), noticeType: 'error' })
      return
    }
    if (this.data.busy) return
    this.setData({ busy: 'phone', notice: '' })
    let phoneCode: string
    try {
      phoneCode = await cloud().phoneCode(code)
    } catch {
      this.done(null, 'Could not reach the server. Check your network and try again.', 'error')
      return
    }
    const res = await call('user', 'bindPhone', { code: phoneCode })
    if (res.ok) this.done(res.data.profile, 'Phone number bound.', 'info')
    else this.done(null, errorText(res.error), 'error')
  },

  /** A profile is personal: the card invites to the home page. */
  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/index/index', 'CloudBase Kit: sign in, pay, WeRun and more', { from: e?.from })
  },
})
