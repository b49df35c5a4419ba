import { loadEnvConfig, MISSING_ENV_MESSAGE } from './config/env'
import { markCloudReady } from './lib/call'
import { session } from './lib/session'

export interface AppGlobal {
  globalData: { envId: string; configError: string }
}

App<AppGlobal>({
  globalData: { envId: '', configError: '' },

  onLaunch() {
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
})
