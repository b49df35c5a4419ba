/**
 * The `wx` a page sees in tests. `wx.cloud` goes into the in-process local cloud, so a page
 * test covers page -> contract -> function (deployed bundle, real wx-server-sdk) -> database.
 * Behaviour follows the client documentation:
 * - wx.cloud.callFunction: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/functions/Cloud.callFunction.html
 *   resolves { result, requestId, errMsg: 'cloud.callFunction:ok' }; rejects { errCode, errMsg }
 *   (-501000 function not found, -504002 function threw, -504003 timeout; network failures
 *   carry 'request:fail' in errMsg).
 * - wx.cloud.uploadFile: resolves { fileID, statusCode, errMsg: 'cloud.uploadFile:ok' }.
 * - wx.cloud.CloudID(id): a special object; only top-level ones are replaced server-side.
 * - Privacy (framework/user-privacy/PrivacyAuthorize.html): an API of the privacy guidelines
 *   (用户隐私保护指引) that the mini-program did not declare fails with errno 112; while the user
 *   has not agreed, calling one fires the latest wx.onNeedPrivacyAuthorization listener with
 *   `resolve` and the call waits: 'agree' lets it run, 'disagree' fails it with errno 104, and
 *   with no listener it waits for ever. wx.getPrivacySetting answers { needAuthorization };
 *   wx.requirePrivacyAuthorize asks the same way. Guarded here: getWeRunData,
 *   saveImageToPhotosAlbum, openBluetoothAdapter (ble-fake.ts) and chooseAvatar (button).
 * - wx.requestPayment: https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestPayment.html
 *   the WeChat Pay sandbox checks the payment object (signature, payer, expiry) and takes the
 *   money; `payment = 'cancel'` rejects with `requestPayment:fail cancel` (the user closed the sheet).
 * - wx.requestSubscribeMessage: https://developers.weixin.qq.com/miniprogram/dev/api/open-api/subscribe-message/wx.requestSubscribeMessage.html
 *   resolves `{ errMsg, [tmplId]: 'accept' | 'reject' | 'ban' | 'filter' }`; an accept allows
 *   one send (granted in the openapi sandbox); more than 3 ids here fail with errCode 20003.
 * - wx.request and wx.getFileSystemManager: wx-fake-io.ts. What a test sees and sets: wx-fake-types.ts.
 * - wx.getAccountInfoSync: { miniProgram: { appId, envVersion: 'develop' | 'trial' | 'release', version } }.
 */
import { existsSync, readFileSync } from 'node:fs'
import { CallFunctionError, CloudIdRef, type LocalCloud, type Caller } from '../../localcloud'
import { fileSystemManager, wxRequest, type RequestOptions } from './wx-fake-io'
import type { WxFake } from './wx-fake-types'

export function createWxFake(cloud: LocalCloud, user: Caller): WxFake {
  const failures: Array<{ errCode?: number; errMsg: string }> = []
  let uploadFailure: string | null = null
  let privacyListener: ((resolve: (r: { buttonId?: string; event: string }) => void) => void) | null = null
  const fake: WxFake = {
    cloud,
    user,
    calls: [],
    navigations: [],
    navigationEvents: {},
    soter: {
      supportMode: ['fingerPrint', 'facial'],
      enrolled: { fingerPrint: true, facial: false },
      answer: 'ok',
      cpuId: 'cpu-fake-phone',
    },
    payment: 'pay',
    paymentDelivery: {},
    subscribeAnswer: 'accept',
    subscribeRequests: [],
    subscribeReachesWeChat: true,
    modalConfirm: true,
    addCardAnswer: 'add',
    openedCards: [],
    scanResult: null,
    miniProgramNavigations: [],
    scopes: {},
    authorizeAnswer: 'allow',
    settingsChange: {},
    weRunSteps: [],
    pixelRatio: 2,
    enterOptions: { scene: 1001, path: 'pages/index/index', query: {} },
    groupOpengid: undefined,
    shareMenus: [],
    album: [],
    storage: {},
    envVersion: 'develop',
    language: 'en',
    navigationTitle: '',
    requests: [],
    // A user who agreed already, to guidelines that declare every API the project uses; privacy
    // tests start from `agreed: false`.
    privacy: {
      agreed: true,
      declared: new Set([
        'getWeRunData',
        'saveImageToPhotosAlbum',
        'openBluetoothAdapter',
        'chooseAvatar',
        'getPhoneNumber',
      ]),
    },
    async guardPrivacy(api) {
      if (!fake.privacy.declared.has(api))
        throw { errno: 112, errMsg: `${api}:fail api scope is not declared in the privacy agreement` }
      if (fake.privacy.agreed) return
      await askPrivacy(api)
    },
    failNextCalls(n, error) {
      for (let i = 0; i < n; i++) failures.push(error)
    },
    failNextUpload(errMsg) {
      uploadFailure = errMsg
    },
    async needPrivacy() {
      const answers: { buttonId?: string; event: string }[] = []
      if (!privacyListener) throw new Error('no onNeedPrivacyAuthorization listener registered')
      privacyListener((r) => answers.push(r))
      return answers
    },
    wx: {},
  }
  /** The privacy popup's answer decides: agree lets the call run, disagree fails it (104); no listener: it waits. */
  const askPrivacy = (api: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (!privacyListener) return // WeChat waits for a listener that never comes
      privacyListener((r) => {
        if (r.event === 'agree') {
          fake.privacy.agreed = true
          resolve()
        } else if (r.event === 'disagree')
          reject({ errno: 104, errMsg: `${api}:fail privacy permission is not authorized` })
        // 'exposureAuthorization' only reports that the popup is shown
      })
    })
  /** Asks for a scope the way WeChat does: once; a denial sticks. */
  const ask = async (scope: string): Promise<boolean> => {
    if (fake.scopes[scope] === undefined) fake.scopes[scope] = fake.authorizeAnswer === 'allow'
    return fake.scopes[scope]!
  }
  fake.wx = {
    cloud: {
      init() {},
      CloudID: (id: string) => new CloudIdRef(id),
      async callFunction({ name, data }: { name: string; data?: Record<string, unknown> }) {
        fake.calls.push({ name, data: data ?? {} })
        const injected = failures.shift()
        if (injected) throw { errCode: injected.errCode, errMsg: `cloud.callFunction:fail ${injected.errMsg}` }
        try {
          return await cloud.callFromClient(name, data ?? {}, fake.user)
        } catch (e) {
          if (e instanceof CallFunctionError)
            throw { errCode: e.errCode, errMsg: `cloud.callFunction:fail ${e.errCode} ${e.errMsg}` }
          throw e
        }
      },
      // getTempFileURL: a URL per existing file; a missing one has no tempFileURL (status -1).
      async getTempFileURL({ fileList }: { fileList: string[] }) {
        return {
          errMsg: 'cloud.getTempFileURL:ok',
          fileList: fileList.map((fileID) =>
            cloud.storage.exists(fileID)
              ? { fileID, tempFileURL: cloud.storage.tempUrl(fileID), status: 0, errMsg: 'ok' }
              : { fileID, tempFileURL: '', status: -1, errMsg: 'file not exist' },
          ),
        }
      },
      async uploadFile({ cloudPath, filePath }: { cloudPath: string; filePath: string }) {
        if (uploadFailure) {
          const msg = uploadFailure
          uploadFailure = null
          throw { errMsg: `cloud.uploadFile:fail ${msg}` }
        }
        if (!existsSync(filePath)) throw { errMsg: `cloud.uploadFile:fail file not found: ${filePath}` }
        const fileID = cloud.storage.put(cloudPath, readFileSync(filePath))
        return { fileID, statusCode: 200, errMsg: 'cloud.uploadFile:ok' }
      },
    },
    onNeedPrivacyAuthorization(listener: typeof privacyListener) {
      privacyListener = listener
    },
    // Callback style, as the base library has them (no Promise form in the typings).
    getPrivacySetting({ success }: { success?: (r: unknown) => void }) {
      setTimeout(() =>
        success?.({
          needAuthorization: !fake.privacy.agreed,
          privacyContractName: '《CloudBase Kit 小程序隐私保护指引》',
          errMsg: 'getPrivacySetting:ok',
        }),
      )
    },
    requirePrivacyAuthorize({ success, fail }: { success?: (r: unknown) => void; fail?: (e: unknown) => void }) {
      if (fake.privacy.agreed) return void setTimeout(() => success?.({ errMsg: 'requirePrivacyAuthorize:ok' }))
      askPrivacy('requirePrivacyAuthorize').then(() => success?.({ errMsg: 'requirePrivacyAuthorize:ok' }), fail)
    },
    openPrivacyContract() {},
    navigateTo({ url, events }: { url: string; events?: Record<string, (...args: unknown[]) => void> }) {
      fake.navigations.push(url)
      if (events) fake.navigationEvents[url] = events
      return Promise.resolve({ errMsg: 'navigateTo:ok' })
    },
    showToast() {},
    async showModal() {
      return { confirm: fake.modalConfirm, cancel: !fake.modalConfirm, errMsg: 'showModal:ok' }
    },
    stopPullDownRefresh() {},
    // Authorization (open-api/authorize/wx.authorize.html, wx.getSetting, wx.openSetting): asking
    // again after a denial fails at once without showing anything; only the settings page can undo it.
    async getSetting() {
      return { authSetting: { ...fake.scopes }, errMsg: 'getSetting:ok' }
    },
    async authorize({ scope }: { scope: string }) {
      if (!(await ask(scope))) throw { errMsg: 'authorize:fail auth deny' }
      return { errMsg: 'authorize:ok' }
    },
    async openSetting() {
      Object.assign(fake.scopes, fake.settingsChange)
      return { authSetting: { ...fake.scopes }, errMsg: 'openSetting:ok' }
    },
    // wx.getWeRunData (open-api/werun/wx.getWeRunData.html): needs scope.werun (asked on first
    // use); the CloudID decrypts to the last days' { stepInfoList, watermark } for 5 minutes.
    async getWeRunData() {
      await fake.guardPrivacy('getWeRunData')
      if (!(await ask('scope.werun'))) throw { errMsg: 'getWeRunData:fail auth deny' }
      if (!fake.weRunSteps) throw { errMsg: 'getWeRunData:fail werun not opened' }
      const data = {
        stepInfoList: fake.weRunSteps,
        watermark: { appid: cloud.appid, timestamp: Math.floor(cloud.now() / 1000) },
      }
      return {
        errMsg: 'getWeRunData:ok',
        encryptedData: 'opaque',
        iv: 'opaque',
        cloudID: cloud.issueCloudId(data, fake.user.openid),
      }
    },
    // Share (share/wx.showShareMenu.html, group/wx.getGroupEnterInfo.html, getEnterOptionsSync).
    getEnterOptionsSync() {
      return { ...fake.enterOptions }
    },
    async showShareMenu(o: Record<string, unknown>) {
      fake.shareMenus.push(o)
      return { errMsg: 'showShareMenu:ok' }
    },
    getGroupEnterInfo({ success, fail }: { success?: (r: unknown) => void; fail?: (e: unknown) => void }) {
      const gid = fake.groupOpengid
      setTimeout(() => {
        if (!gid) fail?.({ errMsg: 'getGroupEnterInfo:fail not in a group chat' })
        else
          success?.({
            errMsg: 'getGroupEnterInfo:ok',
            encryptedData: 'opaque',
            iv: 'opaque',
            cloudID: cloud.issueCloudId(
              { opengid: gid, watermark: { appid: cloud.appid, timestamp: Math.floor(cloud.now() / 1000) } },
              fake.user.openid,
            ),
          })
      }, 0)
    },
    // canvasToTempFilePath (canvas/wx.canvasToTempFilePath.html) with a 2d `canvas`; and
    // saveImageToPhotosAlbum (media/image/wx.saveImageToPhotosAlbum.html): needs scope.writePhotosAlbum.
    async canvasToTempFilePath({ canvas }: { canvas?: { width: number; height: number } }) {
      if (!canvas || !canvas.width) throw { errMsg: 'canvasToTempFilePath:fail canvas is empty' }
      return {
        errMsg: 'canvasToTempFilePath:ok',
        tempFilePath: `wxfile://tmp/canvas-${canvas.width}x${canvas.height}.png`,
      }
    },
    async saveImageToPhotosAlbum({ filePath }: { filePath: string }) {
      await fake.guardPrivacy('saveImageToPhotosAlbum')
      if (!(await ask('scope.writePhotosAlbum'))) throw { errMsg: 'saveImageToPhotosAlbum:fail auth deny' }
      fake.album.push(filePath)
      return { errMsg: 'saveImageToPhotosAlbum:ok' }
    },
    async setNavigationBarTitle({ title }: { title: string }) {
      fake.navigationTitle = title
      return { errMsg: 'setNavigationBarTitle:ok' }
    },
    getAppBaseInfo() {
      return {
        SDKVersion: '3.7.0',
        language: fake.language,
        version: '8.0.50',
        theme: 'light',
        enableDebug: false,
        host: { appId: '' },
      }
    },
    // Storage (storage/wx.setStorageSync.html): a missing key reads as ''; values are copied.
    getStorageSync(key: string) {
      return key in fake.storage ? JSON.parse(JSON.stringify(fake.storage[key])) : ''
    },
    setStorageSync(key: string, data: unknown) {
      fake.storage[key] = JSON.parse(JSON.stringify(data))
    },
    async setStorage({ key, data }: { key: string; data: unknown }) {
      fake.storage[key] = JSON.parse(JSON.stringify(data))
      return { errMsg: 'setStorage:ok' }
    },
    removeStorageSync(key: string) {
      delete fake.storage[key]
    },
    navigateBack() {
      fake.navigations.push('back')
      return Promise.resolve({ errMsg: 'navigateBack:ok' })
    },
    // SOTER (open-api/soter/*): support and enrolment checks; startSoterAuthentication checks its
    // arguments as documented (challenge 1-512 chars: 90004; authContent ≤ 42: 90005; a method
    // the phone lacks: 90003; nothing enrolled: 90011), then the phone's TEE signs (SOTER sandbox).
    async checkIsSupportSoterAuthentication() {
      return { supportMode: [...fake.soter.supportMode], errMsg: 'checkIsSupportSoterAuthentication:ok' }
    },
    async checkIsSoterEnrolledInDevice({ checkAuthMode }: { checkAuthMode: string }) {
      if (!fake.soter.supportMode.includes(checkAuthMode))
        throw { errCode: 90003, errMsg: 'checkIsSoterEnrolledInDevice:fail auth mode not supported' }
      return { isEnrolled: !!fake.soter.enrolled[checkAuthMode], errMsg: 'checkIsSoterEnrolledInDevice:ok' }
    },
    async startSoterAuthentication({
      requestAuthModes,
      challenge,
      authContent = '',
    }: {
      requestAuthModes: string[]
      challenge: string
      authContent?: string
    }) {
      const failWith = (errCode: number, msg: string) => ({ errCode, errMsg: `startSoterAuthentication:fail ${msg}` })
      if (!fake.soter.supportMode.length) throw failWith(90001, 'not support soter')
      if (!challenge || challenge.length > 512) throw failWith(90004, 'challenge is empty or too long')
      if (authContent.length > 42) throw failWith(90005, 'auth content too long')
      const mode = requestAuthModes.find((m) => fake.soter.supportMode.includes(m))
      if (!mode) throw failWith(90003, 'auth mode not supported')
      if (!fake.soter.enrolled[mode]) throw failWith(90011, 'not enrolled')
      if (fake.soter.answer !== 'ok') throw failWith(fake.soter.answer, 'by the test')
      const r = cloud.openapi.soter.authenticate(
        fake.user.openid ?? '',
        fake.soter.cpuId,
        challenge,
        mode as 'fingerPrint' | 'facial',
      )
      return { ...r, errCode: 0, errMsg: 'startSoterAuthentication:ok' }
    },
    getWindowInfo() {
      return {
        pixelRatio: fake.pixelRatio,
        windowWidth: 375,
        windowHeight: 667,
        screenWidth: 375,
        screenHeight: 667,
        statusBarHeight: 20,
        safeArea: { top: 20, bottom: 667, left: 0, right: 375, width: 375, height: 647 },
        screenTop: 0,
      }
    },
    async requestPayment(params: Record<string, unknown>) {
      if (fake.payment === 'cancel') throw { errMsg: 'requestPayment:fail cancel' }
      const res = await cloud.cloudPay.userPays(params, fake.user.openid ?? '', fake.paymentDelivery)
      if (!res.ok) throw { errMsg: res.errMsg }
      return { errMsg: 'requestPayment:ok' }
    },
    getAccountInfoSync() {
      return { miniProgram: { appId: cloud.appid, envVersion: fake.envVersion, version: '' } }
    },
    request: (options: RequestOptions) => wxRequest(fake.requests, options),
    getFileSystemManager: fileSystemManager,
    /**
     * wx.addCard (api/open-api/card/wx.addCard.html): the sheet; on Add, WeChat checks each cardExt
     * (localcloud/oa-sandbox.ts) and answers the cards with encrypted codes; a refused card fails
     * the call with 'addCard:fail (detail message)'; closing the sheet fails with 'addCard:fail cancel'.
     */
    async addCard({ cardList }: { cardList: Array<{ cardId: string; cardExt: string }> }) {
      if (fake.addCardAnswer === 'cancel') throw { errMsg: 'addCard:fail cancel' }
      const r = cloud.oa.addCards(fake.user.openid ?? '', cardList)
      // The documented failure shape is `addCard:fail (detail message)`: no errCode, the detail in errMsg.
      if ('errcode' in r) throw { errMsg: `addCard:fail (${r.errmsg})` }
      return { errMsg: 'addCard:ok', cardList: r.cardList }
    },
    async openCard({ cardList }: { cardList: Array<{ cardId: string; code: string }> }) {
      fake.openedCards.push(cardList)
      return { errMsg: 'openCard:ok' }
    },
    async scanCode() {
      if (fake.scanResult === null) throw { errMsg: 'scanCode:fail cancel' }
      return { errMsg: 'scanCode:ok', result: fake.scanResult, scanType: 'QR_CODE', charSet: 'utf-8' }
    },
    /** navigateToMiniProgram: the user confirms WeChat's "open another mini-program" dialog. */
    async navigateToMiniProgram(options: Record<string, unknown>) {
      fake.miniProgramNavigations.push({ api: 'navigateToMiniProgram', options })
      return { errMsg: 'navigateToMiniProgram:ok' }
    },
    async navigateBackMiniProgram(options: Record<string, unknown>) {
      fake.miniProgramNavigations.push({ api: 'navigateBackMiniProgram', options })
      return { errMsg: 'navigateBackMiniProgram:ok' }
    },
    async requestSubscribeMessage({ tmplIds }: { tmplIds: string[] }) {
      fake.subscribeRequests.push(tmplIds)
      if (!tmplIds.length || tmplIds.length > 3)
        throw { errCode: 20003, errMsg: 'requestSubscribeMessage:fail 订阅消息数量超过上限' }
      const res: Record<string, string> = { errMsg: 'requestSubscribeMessage:ok' }
      for (const id of tmplIds) {
        res[id] = fake.subscribeAnswer
        if (fake.subscribeAnswer === 'accept' && fake.subscribeReachesWeChat)
          cloud.openapi.grantSubscription(fake.user.openid ?? '', id)
      }
      return res
    },
  }
  return fake
}
