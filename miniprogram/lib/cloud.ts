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
 * This file holds the shape and the registry; the clients are cloud-wx.ts and cloud-local.ts.
 */
import type { ICloudIDLike } from '../../typings/contract'
import type { PaymentParams } from '../../typings/pay'
import type { SoterAuthMode } from '../../typings/soter'
import type { AddedCard } from '../../typings/card'
import { wxCloud } from './cloud-wx'

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

let current: CloudClient = wxCloud

/** The client every page uses (set once by app.ts at launch). */
export function cloud(): CloudClient {
  return current
}

export function useCloud(client: CloudClient): void {
  current = client
}
