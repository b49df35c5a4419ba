/**
 * The share page's texts in Chinese and English. They ship in the share subpackage, not in the
 * main package (#26: the main package carries only the main pages' texts and the shared error
 * sentences, locales/). English defines the keys; Chinese must have them all (tsc).
 */
import type { Locale } from '../../../typings/contract'

const en = {
  navTitle: 'My shares',
  about:
    'WeChat does not tell anyone when a share is sent, so this counts what it can: each time you offered a share, and each person who opened the app from it.',
  shareKit: 'Share the kit',
  makePoster: 'Make a poster',
  posterLabel: 'The share poster: the title and a mini-program code to scan',
  saved: 'Saved to your album',
  save: 'Save to album',
  allowAlbum: 'Allow saving to the album',
  loading: 'Loading your shares…',
  retry: 'Try again',
  empty: 'No shares yet. Share a page from its "…" menu or the button above.',
  shares: 'Shares',
  entries: 'People who came in',
  newUsers: 'Of them new to the app',
  counts: '{entries} in · {newUsers} new',
  home: 'Home',
  shop: 'Shop',
  werun: 'WeRun',
  mine: 'My shares',
  menu: 'from the menu',
  button: 'from a button',
  timeline: 'to Moments',
  poster: 'as a poster',
  posterTitle: 'CloudBase Kit for WeChat',
  posterHint: 'Scan to open the mini-program',
  drawFailed: 'Could not draw the poster. Please try again.',
  albumDenied: 'Saving needs access to your album. Allow it in Settings.',
  saveFailed: 'Could not save the poster. Please try again.',
}

export type Texts = { [K in keyof typeof en]: string }

const zh_CN: Texts = {
  navTitle: '我的分享',
  about: '微信不会告知分享是否已发出，因此这里统计能统计到的：你每次发起分享，以及每位通过分享打开小程序的人。',
  shareKit: '分享小程序',
  makePoster: '生成海报',
  posterLabel: '分享海报：标题和可扫码打开的小程序码',
  saved: '已保存到相册',
  save: '保存到相册',
  allowAlbum: '允许保存到相册',
  loading: '正在加载你的分享…',
  retry: '重试',
  empty: '还没有分享。可通过页面右上角“…”菜单或上方按钮分享。',
  shares: '分享次数',
  entries: '打开人数',
  newUsers: '其中新用户',
  counts: '{entries} 人打开 · {newUsers} 位新用户',
  home: '首页',
  shop: '商店',
  werun: '微信运动',
  mine: '我的分享',
  menu: '通过菜单',
  button: '通过按钮',
  timeline: '到朋友圈',
  poster: '通过海报',
  posterTitle: '云开发示例：登录、支付、运动',
  posterHint: '扫码打开小程序',
  drawFailed: '海报生成失败，请重试。',
  albumDenied: '保存需要相册权限，请在设置中允许。',
  saveFailed: '海报保存失败，请重试。',
}

export const TEXTS: Record<Locale, Texts> = { zh_CN, en }
