import type { Action, OpenData } from './contract'

/** How a share started: the "…" menu, a share button on the page, Moments, or a poster (its code). */
export type ShareVia = 'menu' | 'button' | 'timeline' | 'poster'

/** The ways a page records itself (a poster's share is recorded by the `poster` action). */
export type IntentVia = Exclude<ShareVia, 'poster'>

export interface ShareView {
  shareId: string
  page: string
  via: ShareVia
  createdAt: number
  /** People (other than the sharer) who opened the app from this share, once each. */
  entries: number
  /** Of them, people who were new to the app. */
  newUsers: number
}

/** What wx.getGroupEnterInfo's CloudID decrypts to. */
export interface GroupInfo {
  opengid: string
  watermark?: { appid: string; timestamp: number }
}

export type ShareContract = {
  /**
   * A share was offered (WeChat has no share-success callback, so this is what can be known).
   * The page makes the share id (it must be in the card's path before the user picks a chat);
   * the server binds it to the caller, once.
   */
  recordIntent: Action<{ shareId: string; page: string; via: IntentVia }, { recorded: boolean }, 'SHARE_ID_TAKEN'>
  /** Someone opened the app from a shared card or code: attributed once per person and share. */
  recordEntry: Action<
    { shareId: string; scene: number; page: string },
    { attributed: boolean; newUser: boolean },
    never
  >
  /** Opened from a group card: the group (CloudID of wx.getGroupEnterInfo) joins the caller's groups. */
  groupEnter: Action<
    { groupInfo: OpenData<GroupInfo>; shareId?: string },
    { opengid: string; firstTime: boolean },
    'CLOUDID_EXPIRED' | 'CLOUDID_INVALID' | 'FORGED_DATA'
  >
  /**
   * The caller's poster code for a page: a mini-program code (wxacode.getUnlimited) whose scene
   * `s=<shareId>` attributes scans to the caller, stored in cloud storage and reused.
   */
  poster: Action<{ page: string }, { fileID: string; shareId: string; reused: boolean }, 'CODE_FAILED'>
  /** The caller's shares, newest first, with how many people came in through each. */
  myShares: Action<
    { limit?: number },
    { shares: ShareView[]; totals: { shares: number; entries: number; newUsers: number } },
    never
  >
}
