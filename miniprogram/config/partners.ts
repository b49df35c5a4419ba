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
