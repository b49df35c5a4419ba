import { loadEnvConfig, MISSING_ENV_MESSAGE } from './config/env'
import { markCloudReady } from './lib/call'
import { session } from './lib/session'
import { recordEntry, SINGLE_PAGE_SCENE, type LaunchOptions } from './lib/share'

export interface AppGlobal {
  globalData: { envId: string; configError: string; singlePage: boolean }
}

App<AppGlobal>({
  globalData: { envId: '', configError: '', singlePage: false },

  onLaunch(options: LaunchOptions) {
    // Opened from Moments: the page runs alone, without login or cloud calls.
    if (options?.scene === SINGLE_PAGE_SCENE) {
      this.globalData.singlePage = true
      return
    }
    const { envId } = loadEnvConfig()
    if (!wx.cloud) {
      this.globalData.configError = 'This WeChat version is too old for cloud development (base library 2.2.3+ needed). Please update WeChat.'
      session.notConfigured(this.globalData.configError)
      return
    }
    if (!envId) {
      this.globalData.configError = MISSING_ENV_MESSAGE
      console.error(MISSING_ENV_MESSAGE)
      session.notConfigured(MISSING_ENV_MESSAGE)
      return
    }
    wx.cloud.init({ env: envId, traceUser: true })
    this.globalData.envId = envId
    markCloudReady(true)
    void session.ensure()
  },

  /** Every (re)entry: a shared card or code is attributed, a group card records the group. */
  onShow(options: LaunchOptions) {
    if (this.globalData.singlePage || !this.globalData.envId || !options) return
    void recordEntry(options, () => session.ensure())
  },
})
