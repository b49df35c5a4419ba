/**
 * The cloud client of every build: the CloudBase environment through `wx.cloud`, and WeChat's own
 * open data, payment sheet, subscriptions, SOTER and cards (the shape: cloud.ts).
 */
import type { AddedCard } from '../../typings/card'
import type { CloudClient, TempFile } from './cloud'

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
