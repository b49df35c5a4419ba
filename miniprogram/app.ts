import { locale, messages } from './lib/i18n'
import { cloudTarget, loadEnvConfig } from './config/env'
import { markCloudReady } from './lib/call'
import { useCloud } from './lib/cloud'
import { localCloud } from './lib/cloud-local'
import { wxCloud } from './lib/cloud-wx'
import { installPrivacy } from './lib/privacy'
import { session } from './lib/session'
import { recordEntry, SINGLE_PAGE_SCENE } from './lib/share'
import { partnerEntry, partnerReturn, setOpener, setRoute } from './lib/partner'
import { PARTNERS, SAMPLE_PARTNER } from './config/partners'
import type { LaunchOptions } from './lib/share'

export interface AppGlobal {
  globalData: { envId: string; configError: string; singlePage: boolean }
}

/** The partners whose visitors we recognise: the configured ones, and in local mode the sample one. */
function knownPartners(envId: string) {
  return envId.startsWith('local:') ? [...PARTNERS, SAMPLE_PARTNER] : PARTNERS
}

App<AppGlobal>({
  globalData: { envId: '', configError: '', singlePage: false },

  onLaunch(options: LaunchOptions) {
    // One privacy listener for the app, answered by the popup of the page on screen (lib/privacy.ts).
    installPrivacy()
    // Opened from Moments: the page runs alone, without login or cloud calls.
    if (options?.scene === SINGLE_PAGE_SCENE) {
      this.globalData.singlePage = true
      return
    }
    const target = cloudTarget(loadEnvConfig(), wx.getAccountInfoSync().miniProgram.envVersion)
    if (target.kind === 'none') {
      this.globalData.configError = target.message
      console.error(target.message)
      session.notConfigured(target.message)
      return
    }
    if (target.kind === 'local') {
      // DevTools local mode: the npm start server instead of CloudBase (docs/start.md, "开发者工具本地模式").
      console.warn(`Local mode: cloud calls go to ${target.url}`)
      useCloud(localCloud(target.url))
      this.globalData.envId = `local:${target.url}`
    } else {
      if (!wx.cloud) {
        // The user can act on this one (update WeChat): in the user's language.
        this.globalData.configError = messages().pages.index.wechatTooOld
        session.notConfigured(this.globalData.configError)
        return
      }
      if (target.warning) console.warn(target.warning)
      wx.cloud.init({ env: target.envId, traceUser: true })
      useCloud(wxCloud)
      this.globalData.envId = target.envId
    }
    markCloudReady(true)
    void session.ensure()
  },

  /**
   * Every (re)entry: a shared card or code is attributed, a group card records the group; opened
   * by another mini-program, its extraData.sid is attributed the same way, and the home page
   * opens extraData.page (when it is one of ours) and offers the way back (lib/partner.ts).
   */
  onShow(options: LaunchOptions) {
    if (this.globalData.singlePage || !this.globalData.envId || !options) return
    const partner = partnerEntry(options, knownPartners(this.globalData.envId), locale())
    // A new opener replaces the last; any other scene (back from the background) keeps it.
    if (partner) setOpener(partner)
    // A partner we opened sends the user back (1038) to a page of ours.
    const back = partnerReturn(options)
    if (back?.page) setRoute(back.page)
    const attributed = partner?.shareId
      ? { ...options, query: { ...(options.query ?? {}), sid: partner.shareId } }
      : options
    void recordEntry(attributed, () => session.ensure())
  },
})
