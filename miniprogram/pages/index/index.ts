import { errorText, fmt, locale, messages, pageTexts } from '../../lib/i18n'
import type { Locale, PageTexts } from '../../lib/i18n'
import { followSession, session } from '../../lib/session'
import type { SessionSnapshot, SessionState } from '../../lib/session'
import { inSinglePageMode, shareCard, timelineCard } from '../../lib/share'
import { backToOpener, openedBy, takeRoute } from '../../lib/partner'
import { PARTNERS } from '../../config/partners'
import type { Partner } from '../../config/partners'

/** A partner as the home page links to it (<navigator target="miniProgram">). */
type PartnerView = Omit<Partner, 'name'> & { name: string }

interface Data {
  /** The page's texts in the user's language. */
  t: PageTexts['index']
  /** The locale `t` is in. */
  lang: Locale | ''
  state: SessionState
  /** "Hello, …" or the welcome, in the user's language. */
  greeting: string
  /** "(attempt n)" from the second attempt on. */
  attemptText: string
  error: string
  /** Opened from Moments (scene 1154): no login; ask to open the full mini-program. */
  singlePage: boolean
  partners: PartnerView[]
  /** "Back to …" when another mini-program opened this one ('' otherwise). */
  backText: string
}

/** The partners in the user's language, and the way back to the mini-program that opened us. */
function partnerTexts(t: PageTexts['index'], lang: Locale): Pick<Data, 'partners' | 'backText'> {
  const opener = openedBy()
  return {
    partners: PARTNERS.map((p) => ({ ...p, name: p.name[lang] })),
    backText: opener ? (opener.name ? fmt(t.backToPartner, { name: opener.name }) : t.backToCaller) : '',
  }
}

/** What the page shows of the session, in the language of `t`. */
function sessionTexts(
  s: SessionSnapshot,
  t: PageTexts['index'],
): Pick<Data, 'state' | 'greeting' | 'attemptText' | 'error'> {
  const nickname = s.profile?.nickname ?? ''
  return {
    state: s.state,
    greeting: nickname ? fmt(t.hello, { name: nickname }) : t.welcome,
    attemptText: s.attempts > 1 ? fmt(t.attempt, { n: s.attempts }) : '',
    // Not configured: the setup sentence for the developer; otherwise the code in the user's words.
    error: s.error ? (s.state === 'NOT_CONFIGURED' ? s.error.message : errorText(s.error)) : '',
  }
}

Page<
  Data,
  {
    unfollow?: () => void
    onShow(): void
    render(s: SessionSnapshot): void
    onRetry(): void
    go(e: { currentTarget: { dataset: { url?: string } } }): void
    onBackToOpener(): void
  }
>({
  data: {
    t: messages().pages.index,
    lang: '',
    state: 'IDLE',
    greeting: '',
    attemptText: '',
    error: '',
    singlePage: false,
    partners: [],
    backText: '',
  },

  onLoad() {
    const t = pageTexts('index', 'navTitle')
    const lang = locale()
    if (inSinglePageMode()) {
      this.setData({ t, lang, singlePage: true })
      return
    }
    this.setData({ t, lang, ...partnerTexts(t, lang) })
    void wx.showShareMenu({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] })
    this.unfollow = followSession((s) => this.render(s))
  },

  /** Back from the profile page after a language switch: the new table, in one setData. */
  onShow() {
    // Opened by another mini-program that asked for one of our pages: open it now the page exists.
    const route = takeRoute()
    if (route && route !== 'pages/index/index') void wx.navigateTo({ url: `/${route}` })
    // By the locale's name: setData copies, so the table in data is never the table itself.
    const lang = locale()
    if (lang === this.data.lang) {
      // Opened again by another mini-program (App.onShow runs first): offer the way back.
      const back = lang ? partnerTexts(this.data.t, lang).backText : ''
      if (back !== this.data.backText) this.setData({ backText: back })
      return
    }
    const t = pageTexts('index', 'navTitle')
    this.setData(
      this.data.singlePage ? { t, lang } : { t, lang, ...sessionTexts(session.snapshot, t), ...partnerTexts(t, lang) },
    )
  },

  onUnload() {
    this.unfollow?.()
  },

  render(s: SessionSnapshot) {
    this.setData(sessionTexts(s, this.data.t))
  },

  onRetry() {
    void session.retry()
  },

  /** Every row of the menu names its page in `data-url`. */
  go(e) {
    const url = e.currentTarget.dataset.url
    if (url) void wx.navigateTo({ url })
  },

  /** Back to the mini-program that opened this one, telling it the user came back from the home page. */
  onBackToOpener() {
    void backToOpener({ page: 'pages/index/index' })
  },

  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/index/index', this.data.t.shareTitle, { from: e?.from })
  },

  onShareTimeline() {
    return timelineCard('pages/index/index', this.data.t.timelineTitle)
  },
})
