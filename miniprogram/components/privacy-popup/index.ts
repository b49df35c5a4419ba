/**
 * WeChat's privacy authorisation for the page it is on (lib/privacy.ts routes each request to
 * the popup of the page on screen): the agree button (open-type="agreePrivacyAuthorization") and
 * the decline button answer the request. Put one <privacy-popup /> on every page that uses a
 * privacy-guarded API.
 */
import { installPrivacy, showingPopup } from '../../lib/privacy'
import type { PrivacyPopup, PrivacyResolve } from '../../lib/privacy'

/** Per popup instance (by its token): its registration and the request it is showing. */
const popups = new Map<number, { popup: PrivacyPopup; pending: PrivacyResolve | null }>()
let seq = 0

type Self = { data: { token: number }; setData(d: Record<string, unknown>): void }

function entry(self: Self): { popup: PrivacyPopup; pending: PrivacyResolve | null } {
  let e = popups.get(self.data.token)
  if (!e) {
    const created: { popup: PrivacyPopup; pending: PrivacyResolve | null } = {
      pending: null,
      popup: {
        ask: (resolve) => {
          created.pending = resolve
          self.setData({ visible: true })
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
    /** What the user is about to do, shown in the text ("changing your avatar"). */
    feature: { type: String, value: '' },
  },
  data: { visible: false, token: 0 },
  lifetimes: {
    attached() {
      installPrivacy() // app.ts installs it at launch; a page opened on its own still gets it
      this.setData({ token: ++seq })
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
