/**
 * WeChat's privacy authorisation (framework/user-privacy/PrivacyAuthorize.html), once for the
 * whole app. `wx.onNeedPrivacyAuthorization` is global and keeps only the latest listener, so
 * app.ts installs one listener at launch and it hands each request to the <kit-privacy> of
 * the page on screen (the popup registers itself on show and leaves on hide). A request while no
 * popup is on screen is declined at once: the API fails with errno 104 instead of waiting on a
 * popup that is not there.
 * Pages call `ensurePrivacy()` before a privacy-guarded API they call from code (getWeRunData,
 * the Bluetooth adapter, saveImageToPhotosAlbum); button open-types (chooseAvatar,
 * getPhoneNumber) ask through the listener by themselves.
 * Every such API must also be declared in the mini-program's 用户隐私保护指引 (mp admin → 设置 →
 * 服务内容声明), or it fails with errno 112 whatever the user answers (docs/start.md lists them).
 */
import { fmt, messages } from './i18n'

export type PrivacyAnswer = { buttonId?: string; event: 'agree' | 'disagree' | 'exposureAuthorization' }
export type PrivacyResolve = (answer: PrivacyAnswer) => void

export interface PrivacyPopup {
  /** Show the popup for this request; it answers through `resolve`. */
  ask(resolve: PrivacyResolve): void
}

let current: PrivacyPopup | null = null
/** The popup registered last per page would win otherwise: the page on screen is the one shown last. */
let installed = false

/** Registers the one listener (app.ts, at launch). */
export function installPrivacy(): void {
  if (installed || !wx.onNeedPrivacyAuthorization) return
  installed = true
  wx.onNeedPrivacyAuthorization((resolve: unknown) => {
    // The typings declare the argument as GeneralCallbackResult; it is the documented resolve function.
    const answer = resolve as unknown as PrivacyResolve
    if (current) current.ask(answer)
    else answer({ event: 'disagree' })
  })
}

/** The popup of the page now on screen (null when it leaves). */
export function showingPopup(popup: PrivacyPopup | null, leaving?: PrivacyPopup): void {
  if (leaving) {
    if (current === leaving) current = null
    return
  }
  current = popup
}

/**
 * Before a privacy-guarded API called from code: true when it may be called (already agreed,
 * or the user agrees now in the page's popup), false when the user declined.
 */
export async function ensurePrivacy(): Promise<boolean> {
  if (!wx.getPrivacySetting || !wx.requirePrivacyAuthorize) return true // base library < 2.32.3: no privacy API
  try {
    // Callback style: the typings give these two no Promise form.
    const setting = await new Promise<{ needAuthorization: boolean }>((resolve, reject) =>
      wx.getPrivacySetting({ success: resolve, fail: reject }),
    )
    if (!setting.needAuthorization) return true
    await new Promise<void>((resolve, reject) => wx.requirePrivacyAuthorize({ success: () => resolve(), fail: reject }))
    return true
  } catch {
    return false
  }
}

/** errno 112 (not declared in the guidelines) or 104 (not agreed), from a wx failure. */
export function privacyErrno(e: unknown): 104 | 112 | undefined {
  const errno = (e as { errno?: unknown } | null)?.errno
  return errno === 104 || errno === 112 ? errno : undefined
}

/** What the user was about to do, as the privacy popup's texts name it. */
export type PrivacyPurpose = 'profile' | 'werun' | 'bluetooth' | 'album'

/** What the page says, in the user's language, when privacy stands in the way of `purpose`. */
export function privacyMessage(errnoOrDeclined: 104 | 112 | 'declined', purpose: PrivacyPurpose): string {
  const t = messages().pages.privacyPopup
  return fmt(errnoOrDeclined === 112 ? t.undeclared : t.declined, { feature: t[purpose] })
}
