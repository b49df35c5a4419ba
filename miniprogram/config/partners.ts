/**
 * Partner mini-programs the home page links to (<navigator target="miniProgram">), and whose
 * visitors we recognise when they open us (App.onShow reads referrerInfo.appId). Fill in your
 * own; the list ships empty because an AppID must be a real, published mini-program:
 *
 *   { key: 'coffee', appId: 'wx1234567890abcdef', path: 'pages/index/index?from=kit',
 *     extraData: { sid: '' }, envVersion: 'release', name: { zh_CN: '咖啡小程序', en: 'Coffee' } }
 *
 * envVersion: 'develop' and 'trial' only open when the other mini-program's developer version or
 * trial is available to this user (wx.navigateToMiniProgram).
 */
import type { Locale } from '../../typings/contract'

export interface Partner {
  key: string
  appId: string
  /** The page to open there, with its query ('' = its home page). */
  path: string
  /** What the partner reads from referrerInfo.extraData when we open it. */
  extraData: Record<string, string>
  envVersion: 'develop' | 'trial' | 'release'
  name: Record<Locale, string>
}

export const PARTNERS: Partner[] = []

/**
 * The sample partner of local mode: known only to the develop version against npm start, never
 * linked from the home page (its AppID is no real mini-program). DevTools' compile mode
 * 「合作小程序进入（示例）」 (project.config.json, scene 1037) opens the app as if it had sent the
 * user, with extraData { sid: SAMPLE_PARTNER_SHARE_ID, page }; the local cloud records that share
 * id as the partner's, so the entry is attributed, and the console plays the same entry.
 */
export const SAMPLE_PARTNER: Partner = {
  key: 'sample',
  appId: 'wx0000000000001037',
  path: '',
  extraData: {},
  envVersion: 'develop',
  name: { zh_CN: '示例合作小程序', en: 'Sample partner' },
}
export const SAMPLE_PARTNER_SHARE_ID = 'kitpartner01'
/** The sample partner's user in the local cloud, who owns its share id. */
export const SAMPLE_PARTNER_OPENID = 'o-sample-partner'
