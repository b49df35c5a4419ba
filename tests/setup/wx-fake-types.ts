/**
 * What a test can see and set on the fake `wx` (tests/setup/wx-fake.ts): the calls made, the
 * user's answers to each sheet and prompt, and the phone's state.
 */
import type { Caller, LocalCloud } from '../../localcloud'
import type { DeliveryOptions } from '../../localcloud/pay-delivery'

export interface WxFake {
  cloud: LocalCloud
  user: Caller
  /** Every wx.cloud.callFunction the page made. */
  calls: Array<{ name: string; data: Record<string, unknown> }>
  /** Make the next n callFunction calls fail before reaching the function. */
  failNextCalls(n: number, error: { errCode?: number; errMsg: string }): void
  /** Make the next uploadFile fail. */
  failNextUpload(errMsg: string): void
  /** Fires the registered onNeedPrivacyAuthorization listener; resolves with what the page answered. */
  needPrivacy(): Promise<{ buttonId?: string; event: string }[]>
  /** The user's privacy state: agreed to the guidelines yet, and the APIs the guidelines declare. */
  privacy: { agreed: boolean; declared: Set<string> }
  /** Runs a privacy-guarded API as WeChat does (errno 112 undeclared; asks the user; 104 declined). */
  guardPrivacy(api: string): Promise<void>
  navigations: string[]
  /** The `events` each wx.navigateTo passed (the opener side of the page's event channel), by url. */
  navigationEvents: Record<string, Record<string, (...args: unknown[]) => void>>
  /** SOTER on this phone: supportMode, enrolment per method, and what the next check answers. */
  soter: { supportMode: string[]; enrolled: Record<string, boolean>; answer: 'ok' | number; cpuId: string }
  /** What the user does in the payment sheet. */
  payment: 'pay' | 'cancel'
  /** How WeChat delivers the payment callback after the user pays (late, duplicated...). */
  paymentDelivery: DeliveryOptions
  /** The user's answer to every template of a requestSubscribeMessage. */
  subscribeAnswer: 'accept' | 'reject' | 'ban' | 'filter'
  subscribeRequests: string[][]
  /**
   * Whether WeChat's servers learn the answers (true on a phone). DevTools in local mode answers
   * from its own dialog and tells no sandbox: false, so only the local client's forwarding counts.
   */
  subscribeReachesWeChat: boolean
  /** The user's answer to wx.showModal. */
  modalConfirm: boolean
  /** authSetting: true allowed, false denied, absent never asked (wx.getSetting). */
  scopes: Record<string, boolean>
  /** What the user answers when WeChat asks for a scope (wx.authorize, or an API that needs it). */
  authorizeAnswer: 'allow' | 'deny'
  /** What the user switches in the settings page that wx.openSetting opens. */
  settingsChange: Record<string, boolean>
  /** WeRun's last days as wx.getWeRunData encrypts them; undefined: WeRun not enabled. */
  weRunSteps: Array<{ timestamp: number; step: number }> | undefined
  /** wx.getWindowInfo().pixelRatio. */
  pixelRatio: number
  /** wx.getEnterOptionsSync(): how this page was entered (scene 1154: from Moments, single-page mode). */
  enterOptions: { scene: number; path: string; query: Record<string, string>; shareTicket?: string }
  /** The group a group card was opened in (wx.getGroupEnterInfo); undefined: not a group chat. */
  groupOpengid: string | undefined
  /** Every wx.showShareMenu call. */
  shareMenus: Array<Record<string, unknown>>
  /** Files saved by wx.saveImageToPhotosAlbum. */
  album: string[]
  /** Local storage (wx.getStorageSync / setStorage): values are stored as JSON copies. */
  storage: Record<string, unknown>
  /** Which version of the mini-program runs (wx.getAccountInfoSync). */
  envVersion: 'develop' | 'trial' | 'release'
  /**
   * WeChat's language (wx.getAppBaseInfo().language: zh_CN, zh_HK, zh_TW, en, …). The page tests
   * run in English ('en'), so their expectations read as the English guides; the i18n tests switch it.
   */
  language: string
  /** The last wx.setNavigationBarTitle. */
  navigationTitle: string
  /** Every wx.request: method and url. */
  requests: string[]
  /** What the user does in wx.addCard's sheet ('add': WeChat checks the cardExt in the official-account sandbox). */
  addCardAnswer: 'add' | 'cancel'
  /** Every wx.openCard's cardList. */
  openedCards: Array<Array<{ cardId: string; code: string }>>
  /** What wx.scanCode reads; null: the user closes the scanner ('scanCode:fail cancel'). */
  scanResult: string | null
  /** Every wx.navigateToMiniProgram / navigateBackMiniProgram call's options. */
  miniProgramNavigations: Array<{
    api: 'navigateToMiniProgram' | 'navigateBackMiniProgram'
    options: Record<string, unknown>
  }>
  wx: Record<string, unknown>
}
