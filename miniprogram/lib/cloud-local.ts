/**
 * The cloud client of DevTools local mode: the `npm start` server over `wx.request` (DevTools
 * allows it with "Does not verify valid domain names" on). What WeChat's servers would sign or
 * learn comes from the local cloud's sandbox (open data, the payment completed in the console,
 * subscriptions, SOTER signed by the phone key it holds); see cloud.ts for the whole picture.
 */
import type { ICloudIDLike } from '../../typings/contract'
import type { AddedCard } from '../../typings/card'
import type { CloudClient, SoterAuthResult, TempFile } from './cloud'

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
