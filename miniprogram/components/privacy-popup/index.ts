/**
 * Shows WeChat's privacy authorisation when a privacy-guarded API needs it
 * (chooseAvatar, getPhoneNumber, nickname input ...): wx.onNeedPrivacyAuthorization hands us
 * a `resolve`; the agree button (open-type="agreePrivacyAuthorization") and the decline button
 * answer it. Put one <privacy-popup /> on each page that uses such APIs.
 */
type Resolve = (r: { buttonId?: string; event: 'agree' | 'disagree' | 'exposureAuthorization' }) => void

let pendingResolve: Resolve | null = null

Component({
  properties: {
    /** What the user is about to do, shown in the text ("changing your avatar"). */
    feature: { type: String, value: '' },
  },
  data: { visible: false },
  lifetimes: {
    attached() {
      // One listener per page instance; WeChat calls the latest one registered.
      if (wx.onNeedPrivacyAuthorization) {
        wx.onNeedPrivacyAuthorization((resolve) => {
          // The typings declare the argument as GeneralCallbackResult; it is the documented resolve function.
          pendingResolve = resolve as unknown as Resolve
          this.setData({ visible: true })
          pendingResolve({ event: 'exposureAuthorization' })
        })
      }
    },
  },
  methods: {
    onAgree() {
      pendingResolve?.({ buttonId: 'privacy-agree', event: 'agree' })
      pendingResolve = null
      this.setData({ visible: false })
      this.triggerEvent('agree')
    },
    onDisagree() {
      pendingResolve?.({ event: 'disagree' })
      pendingResolve = null
      this.setData({ visible: false })
      this.triggerEvent('disagree')
    },
    openContract() {
      if (wx.openPrivacyContract) wx.openPrivacyContract({})
    },
  },
})
