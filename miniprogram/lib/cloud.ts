/**
 * The cloud the pages talk to. Two clients with one shape:
 * - `wxCloud`: the CloudBase environment through `wx.cloud` (every build; the only one outside
 *   the develop version);
 * - `localCloud(url)`: DevTools local mode, the `npm start` server over `wx.request` (DevTools
 *   allows it with "Does not verify valid domain names" on). Open data and payment, which
 *   WeChat's servers sign for the real cloud only, come from the local cloud's sandbox:
 *   WeRun and group CloudIDs and the phone-number code are issued by `/api/open-data/*`, and
 *   the payment is completed in the console ("User pays") while the page waits in a dialog,
 *   then checked as the payment sheet would (signature, payer, paid). The answers of
 *   wx.requestSubscribeMessage are forwarded to the sandbox (WeChat's servers learn them by
 *   themselves), and SOTER is signed by the phone key the local cloud holds for the user
 *   (DevTools has no SOTER).
 * `app.ts` picks one at launch (config/env.ts `cloudTarget`); pages never call `wx.cloud` directly.
 */
import type { ICloudIDLike } from '../../typings/contract'
import type { PaymentParams } from '../../typings/pay'
import type { SoterAuthMode } from '../../typings/soter'
import type { AddedCard } from '../../typings/card'

export interface TempFile {
  fileID: string
  tempFileURL: string
}

export interface CloudClient {
  /** Resolves `{ result }`; rejects `{ errCode?, errMsg }` as wx.cloud.callFunction does. */
  callFunction(name: string, data: Record<string, unknown>): Promise<{ result: unknown }>
  /** What a CloudID field of a call's data must be. */
  CloudID(cloudID: string): ICloudIDLike
  uploadFile(o: { cloudPath: string; filePath: string }): Promise<{ fileID: string }>
  getTempFileURL(fileIDs: string[]): Promise<TempFile[]>
  /** Resolves when the user paid; rejects `{ errMsg: 'requestPayment:fail ...' }`. */
  requestPayment(payment: PaymentParams): Promise<void>
  /** WeRun's CloudID (rejects `{ errMsg: 'getWeRunData:fail ...' }`). */
  getWeRunData(): Promise<{ cloudID: string }>
  /** The group card's CloudID for the current launch. */
  getGroupEnterInfo(): Promise<{ cloudID: string }>
  /** The code to send for the phone number, from the getPhoneNumber button's code. */
  phoneCode(buttonCode: string): Promise<string>
  /** wx.requestSubscribeMessage's result (rejects as it does). */
  requestSubscribeMessage(tmplIds: string[]): Promise<Record<string, unknown>>
  /** The SOTER modes this phone offers (wx.checkIsSupportSoterAuthentication). */
  soterSupportModes(): Promise<string[]>
  /** Whether a mode has a fingerprint or face enrolled (wx.checkIsSoterEnrolledInDevice). */
  soterEnrolled(mode: SoterAuthMode): Promise<boolean>
  /** wx.startSoterAuthentication (rejects `{ errCode, errMsg }` with 90001-90011 as it does). */
  startSoterAuthentication(o: {
    requestAuthModes: SoterAuthMode[]
    challenge: string
    authContent: string
  }): Promise<SoterAuthResult>
  /** wx.addCard: the added cards, codes encrypted (rejects `{ errCode?, errMsg }`, 'addCard:fail cancel' when the user closes it). */
  addCard(cardList: Array<{ cardId: string; cardExt: string }>): Promise<AddedCard[]>
  /** wx.openCard: shows the cards in WeChat's card package (codes decrypted). */
  openCard(cardList: Array<{ cardId: string; code: string }>): Promise<void>
}

export interface SoterAuthResult {
  resultJSON: string
  resultJSONSignature: string
}

export const wxCloud: CloudClient = {
  callFunction: (name, data) => wx.cloud.callFunction({ name, data }) as Promise<{ result: unknown }>,
  CloudID: (cloudID) => wx.cloud.CloudID(cloudID),
  uploadFile: async (o) => ({ fileID: (await wx.cloud.uploadFile(o)).fileID }),
  getTempFileURL: async (fileList) =>
    (await wx.cloud.getTempFileURL({ fileList })).fileList.map((f: TempFile) => ({
      fileID: f.fileID,
      tempFileURL: f.tempFileURL,
    })),
  requestPayment: async (payment) => {
    await wx.requestPayment({ ...payment })
  },
  getWeRunData: async () => ({ cloudID: (await wx.getWeRunData({})).cloudID as string }),
  // The typings take no shareTicket: it reads the current launch.
  getGroupEnterInfo: () =>
    new Promise((resolve, reject) =>
      wx.getGroupEnterInfo({ success: (r: { cloudID: string }) => resolve({ cloudID: r.cloudID }), fail: reject }),
    ),
  phoneCode: async (code) => code,
  requestSubscribeMessage: async (tmplIds) =>
    (await wx.requestSubscribeMessage({ tmplIds })) as unknown as Record<string, unknown>,
  soterSupportModes: async () => (await wx.checkIsSupportSoterAuthentication({})).supportMode,
  soterEnrolled: async (mode) => (await wx.checkIsSoterEnrolledInDevice({ checkAuthMode: mode })).isEnrolled,
  startSoterAuthentication: async (o) => {
    const r = await wx.startSoterAuthentication(o)
    return { resultJSON: r.resultJSON, resultJSONSignature: r.resultJSONSignature }
  },
  addCard: async (cardList) => ((await wx.addCard({ cardList })) as unknown as { cardList: AddedCard[] }).cardList,
  openCard: async (cardList) => {
    await wx.openCard({ cardList })
  },
}

/** How a CloudID travels to the local cloud in a JSON body (the server turns it back into a CloudID). */
export interface LocalCloudIdMarker {
  $cloudID: string
}

interface HttpAnswer {
  statusCode: number
  data: unknown
}

/** Requests in local mode give up after this long (the local cloud's own function timeouts are shorter). */
const LOCAL_TIMEOUT_MS = 30_000

export function localCloud(url: string): CloudClient {
  const base = url.replace(/\/+$/, '')
  const unreachable = (errMsg: string) => ({
    errCode: -1,
    errMsg: `request:fail local cloud at ${base} not reachable (is npm start running?): ${errMsg}`,
  })
  const request = (path: string, data: unknown): Promise<HttpAnswer> =>
    new Promise((resolve, reject) =>
      wx.request({
        url: base + path,
        method: 'POST',
        data: data as Record<string, unknown>,
        header: { 'content-type': 'application/json' },
        timeout: LOCAL_TIMEOUT_MS,
        success: (r: HttpAnswer) => resolve({ statusCode: r.statusCode, data: r.data }),
        fail: (e: { errMsg?: string }) => reject(unreachable(String(e?.errMsg ?? ''))),
      }),
    )
  /** An answer, or a rejection shaped like the SDK's (`{ errCode, errMsg }`). */
  const ok = async <T>(path: string, data: unknown): Promise<T> => {
    const r = await request(path, data)
    const body = (r.data ?? {}) as { errCode?: number; errMsg?: string; error?: string }
    if (r.statusCode >= 200 && r.statusCode < 300) return r.data as T
    throw {
      errCode: body.errCode ?? -1,
      errMsg: body.errMsg ?? `local cloud ${path}: ${body.error ?? `HTTP ${r.statusCode}`}`,
    }
  }
  return {
    callFunction: (name, data) => ok(`/api/functions/${encodeURIComponent(name)}`, data),
    // Opaque to the page, as wx.cloud.CloudID's object is; only the server reads it.
    CloudID: (cloudID) => {
      const marker: LocalCloudIdMarker = { $cloudID: cloudID }
      return marker as unknown as ICloudIDLike
    },
    uploadFile: async ({ cloudPath, filePath }) => {
      let base64: string
      try {
        base64 = wx.getFileSystemManager().readFileSync(filePath, 'base64') as string
      } catch (e) {
        throw { errMsg: `cloud.uploadFile:fail ${String((e as { errMsg?: string })?.errMsg ?? e)}` }
      }
      return ok<{ fileID: string }>('/api/storage/upload', { cloudPath, base64 })
    },
    getTempFileURL: async (fileIDs) =>
      (await ok<{ fileList: TempFile[] }>('/api/storage/temp-urls', { fileList: fileIDs })).fileList,
    requestPayment: async (payment) => {
      // The local cloud's payments are the WeChat Pay sandbox's: the money moves in the console.
      const { confirm } = await wx.showModal({
        title: 'Local cloud payment',
        content: `Open the console (${base}) and press "User pays" on this order, then tap Paid.`,
        confirmText: 'Paid',
        cancelText: 'Cancel',
      })
      if (!confirm) throw { errMsg: 'requestPayment:fail cancel' }
      // What the sheet would have checked: this payment, signed for this user, and now paid.
      const r = await ok<{ paid: boolean; errMsg?: string }>('/api/payments/check', payment)
      if (!r.paid) throw { errMsg: r.errMsg ?? 'requestPayment:fail not paid in the console yet' }
    },
    getWeRunData: () => ok('/api/open-data/werun', {}),
    getGroupEnterInfo: () => ok('/api/open-data/group', { shareTicket: wx.getEnterOptionsSync?.().shareTicket ?? '' }),
    phoneCode: async () => (await ok<{ code: string }>('/api/open-data/phone', {})).code,
    requestSubscribeMessage: async (tmplIds) => {
      // DevTools answers from its own dialog; the sandbox learns the answers from here.
      const result = (await wx.requestSubscribeMessage({ tmplIds })) as unknown as Record<string, unknown>
      const answers = Object.fromEntries(
        tmplIds.filter((id) => typeof result[id] === 'string').map((id) => [id, result[id]]),
      )
      if (Object.keys(answers).length) await ok('/api/subscriptions', { answers })
      return result
    },
    // The local cloud is the phone: both modes offered and enrolled.
    soterSupportModes: async () => ['fingerPrint', 'facial'],
    soterEnrolled: async () => true,
    startSoterAuthentication: async (o) => {
      const { confirm } = await wx.showModal({
        title: 'SOTER (local cloud)',
        content: o.authContent,
        confirmText: 'Confirm',
        cancelText: 'Cancel',
      })
      if (!confirm) throw { errCode: 90008, errMsg: 'startSoterAuthentication:fail cancel' }
      return ok<SoterAuthResult>('/api/soter/authenticate', o)
    },
    // The sandbox's WeChat checks the cardExt and issues the codes (the console lists and redeems them).
    addCard: async (cardList) => (await ok<{ cardList: AddedCard[] }>('/api/cards/add', { cardList })).cardList,
    openCard: async (cardList) => {
      // DevTools has no card package: the card's code is what the package would show.
      await wx.showModal({
        title: 'Card (local cloud)',
        content: cardList.map((c) => `${c.cardId}: ${c.code}`).join('\n'),
        showCancel: false,
      })
    },
  }
}

let current: CloudClient = wxCloud

/** The client every page uses (set once by app.ts at launch). */
export function cloud(): CloudClient {
  return current
}

export function useCloud(client: CloudClient): void {
  current = client
}
