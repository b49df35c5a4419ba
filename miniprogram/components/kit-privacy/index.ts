/**
 * WeChat's privacy authorisation for the page it is on (lib/privacy.ts routes each request to
 * the popup of the page on screen): the agree button (open-type="agreePrivacyAuthorization") and
 * the decline button answer the request. Put one <kit-privacy /> on every page that uses a
 * privacy-guarded API.
 */
import { fmt, messages } from '../../lib/i18n'
import type { PageTexts } from '../../lib/i18n'
import { installPrivacy, showingPopup } from '../../lib/privacy'
import type { PrivacyPopup, PrivacyPurpose, PrivacyResolve } from '../../lib/privacy'

/** Per popup instance (by its token): its registration and the request it is showing. */
const popups = new Map<number, { popup: PrivacyPopup; pending: PrivacyResolve | null }>()
let seq = 0

type PopupTexts = PageTexts['privacyPopup']
const PURPOSES: readonly PrivacyPurpose[] = ['profile', 'werun', 'bluetooth', 'album']

/** The popup's texts in the user's language, the body naming what the user is about to do. */
function texts(purpose: string): { t: PopupTexts; body: string } {
  const t = messages().pages.privacyPopup
  const feature = (PURPOSES as readonly string[]).includes(purpose) ? t[purpose as PrivacyPurpose] : t.anyFeature
  return { t, body: fmt(t.body, { feature }) }
}

type Self = { data: { token: number; purpose: string }; setData(d: Record<string, unknown>): void }

function entry(self: Self): { popup: PrivacyPopup; pending: PrivacyResolve | null } {
  let e = popups.get(self.data.token)
  if (!e) {
    const created: { popup: PrivacyPopup; pending: PrivacyResolve | null } = {
      pending: null,
      popup: {
        ask: (resolve) => {
          created.pending = resolve
          // Texts read when shown: the user may have switched language since the page opened.
          self.setData({ visible: true, ...texts(self.data.purpose) })
          resolve({ event: 'exposureAuthorization' })
        },
      },
    }
    popups.set(self.data.token, (e = created))
  }
  return e
}

Component({
  properties: {
    /** What the user is about to do: a key of the popup's texts ('profile', 'werun', 'bluetooth', 'album'). */
    purpose: { type: String, value: '' },
  },
  data: { visible: false, token: 0, t: messages().pages.privacyPopup, body: '' },
  observers: {
    purpose(purpose: string) {
      this.setData(texts(purpose))
    },
  },
  lifetimes: {
    attached() {
      installPrivacy() // app.ts installs it at launch; a page opened on its own still gets it
      this.setData({ token: ++seq, ...texts(this.data.purpose) })
      showingPopup(entry(this).popup)
    },
    detached() {
      const e = popups.get(this.data.token)
      if (e) showingPopup(null, e.popup)
      popups.delete(this.data.token)
    },
  },
  pageLifetimes: {
    show() {
      showingPopup(entry(this).popup)
    },
    hide() {
      const e = popups.get(this.data.token)
      if (e) showingPopup(null, e.popup)
    },
  },
  methods: {
    answer(a: { buttonId?: string; event: 'agree' | 'disagree' }) {
      const e = popups.get(this.data.token)
      e?.pending?.(a)
      if (e) e.pending = null
      this.setData({ visible: false })
    },
    onAgree() {
      this.answer({ buttonId: 'privacy-agree', event: 'agree' })
      this.triggerEvent('agree')
    },
    onDisagree() {
      this.answer({ event: 'disagree' })
      this.triggerEvent('disagree')
    },
    openContract() {
      if (wx.openPrivacyContract) wx.openPrivacyContract({})
    },
  },
})
