/**
 * Fingerprint / face confirmation with SOTER. Offers only the methods this phone supports and
 * has set up; the challenge and the prompt come from the `soter` function, the result goes back
 * to it, and the proof it returns is handed to the page that opened this one (event channel
 * `soterProof`), e.g. the order page's refund. Every errCode has a message and a next step.
 */
import { errorText, fmt, messages, subpageTexts, textsOf } from '../../lib/i18n'
import type { SoterAuthMode, SoterPurpose } from '../../../typings/soter'
import { call } from '../../lib/call'
import { cloud } from '../../lib/cloud'
import type { SoterAuthResult } from '../../lib/cloud'
import { shareCard } from '../../lib/share'
import { availableModes, purposeOf, soterFailure } from './logic'
import type { ModeView, SoterState } from './logic'
import { TEXTS } from './texts'
import type { Texts } from './texts'

/** A method as the page shows it: its button text, or the note that it is not set up. */
interface ModeRow extends ModeView {
  useText: string
  notSetText: string
}

interface Data {
  /** The page's texts in the user's language. */
  t: Texts
  state: SoterState
  message: string
  modes: ModeRow[]
  purpose: SoterPurpose
  verifiedMode: string
}

interface Custom {
  subject: string
  back: boolean
  check(): Promise<void>
  onStart(e: { currentTarget: { dataset: { mode?: SoterAuthMode } } }): Promise<void>
  onRetry(): void
  rows(modes: ModeView[]): ModeRow[]
}

Page<Data, Custom>({
  data: { t: textsOf(TEXTS), state: 'CHECKING', message: '', modes: [], purpose: 'CONFIRM_IDENTITY', verifiedMode: '' },
  subject: '',
  back: false,

  onLoad(query: Record<string, string | undefined>) {
    this.subject = /^[A-Za-z0-9_-]{1,64}$/.test(query.subject ?? '') ? query.subject! : ''
    this.back = query.back === '1'
    const t = subpageTexts(TEXTS, 'navTitle')
    this.setData({ t, purpose: purposeOf(query.purpose) })
    void this.check()
  },

  rows(modes) {
    const t = this.data.t
    return modes.map((m) => ({
      ...m,
      useText: fmt(t.use, { mode: m.label }),
      notSetText: fmt(t.notSetUp, { mode: m.label }),
    }))
  },

  async check() {
    const t = this.data.t
    let supportMode: string[] = []
    try {
      supportMode = await cloud().soterSupportModes()
    } catch (e) {
      this.setData({ state: 'UNSUPPORTED', message: soterFailure(e, t).message })
      return
    }
    const enrolled: Partial<Record<SoterAuthMode, boolean>> = {}
    for (const mode of ['fingerPrint', 'facial'] as const) {
      if (!supportMode.includes(mode)) continue
      try {
        enrolled[mode] = await cloud().soterEnrolled(mode)
      } catch {
        enrolled[mode] = false
      }
    }
    const modes = this.rows(availableModes(supportMode, enrolled, t))
    if (!modes.length) this.setData({ state: 'UNSUPPORTED', modes, message: t.noMethod })
    else if (!modes.some((m) => m.enrolled)) this.setData({ state: 'NOT_ENROLLED', modes, message: t.notEnrolled })
    else this.setData({ state: 'READY', modes, message: '' })
  },

  async onStart(e) {
    const mode = e.currentTarget.dataset.mode
    if (!mode || this.data.state === 'AUTHENTICATING' || this.data.state === 'VERIFYING') return
    this.setData({ state: 'AUTHENTICATING', message: '' })
    const c = await call('soter', 'challenge', {
      purpose: this.data.purpose,
      authMode: mode,
      ...(this.subject ? { subject: this.subject } : {}),
    })
    if (!c.ok) {
      this.setData({ state: 'ERROR', message: errorText(c.error) })
      return
    }
    let result: SoterAuthResult
    try {
      result = await cloud().startSoterAuthentication({
        requestAuthModes: [mode],
        challenge: c.data.challenge,
        authContent: c.data.authContent,
      })
    } catch (err) {
      const f = soterFailure(err, this.data.t)
      switch (f.fallback) {
        case 'STAY':
          this.setData({ state: 'READY', message: f.message })
          return
        case 'LOCKED':
          this.setData({ state: 'LOCKED', message: f.message })
          return
        case 'ENROLL':
          this.setData({
            state: this.data.modes.some((m) => m.mode !== mode && m.enrolled) ? 'READY' : 'NOT_ENROLLED',
            message: f.message,
            modes: this.data.modes.map((m) => (m.mode === mode ? { ...m, enrolled: false } : m)),
          })
          return
        case 'DROP_MODE': {
          const modes = this.data.modes.filter((m) => m.mode !== mode)
          this.setData({ state: modes.some((m) => m.enrolled) ? 'READY' : 'UNSUPPORTED', modes, message: f.message })
          return
        }
        case 'UNSUPPORTED':
          this.setData({ state: 'UNSUPPORTED', modes: [], message: f.message })
          return
        default:
          this.setData({ state: 'ERROR', message: f.message })
          return
      }
    }
    this.setData({ state: 'VERIFYING' })
    const v = await call('soter', 'verify', {
      authMode: mode,
      resultJSON: result.resultJSON,
      resultJSONSignature: result.resultJSONSignature,
    })
    if (!v.ok) {
      this.setData({ state: 'ERROR', message: errorText(v.error) })
      return
    }
    const t = this.data.t
    this.setData({ state: 'VERIFIED', verifiedMode: fmt(t.verified, { mode: t[mode] }), message: '' })
    const page = this as unknown as { getOpenerEventChannel?: () => WechatMiniprogram.EventChannel }
    const channel = typeof page.getOpenerEventChannel === 'function' ? page.getOpenerEventChannel() : undefined
    channel?.emit('soterProof', v.data)
    if (this.back) void wx.navigateBack({})
  },

  onRetry() {
    void this.check()
  },

  onShareAppMessage() {
    return shareCard('pages/index/index', messages().pages.index.shareTitle)
  },
})
