/**
 * Navigation between mini-programs. Opening a partner is the home page's <navigator
 * target="miniProgram"> (config/partners.ts). When another mini-program opens this one
 * (scene 1037, referrerInfo: { appId, extraData }), App.onShow attributes the entry through the
 * share attribution (extraData.sid is a share id, as a card's `sid`), and remembers the caller:
 * the home page opens extraData.page when it is one of ours (takeRoute), and offers
 * wx.navigateBackMiniProgram (which only works when we were opened that way).
 * Scenes: https://developers.weixin.qq.com/miniprogram/dev/reference/scene-list.html
 */
import type { Locale } from '../../typings/contract'
import type { Partner } from '../config/partners'
import { ROUTABLE_PAGES } from '../shared/routes'

/** 1037: opened from another mini-program; 1038: returned from one. */
export const FROM_MINIPROGRAM_SCENE = 1037
export const BACK_FROM_MINIPROGRAM_SCENE = 1038

export interface ReferrerInfo {
  appId?: string
  /** An object from a real partner; DevTools' compile mode hands it over as a JSON string. */
  extraData?: Record<string, unknown> | string
}

/** Longer extraData than this is not read (a partner sends a few ids, not a document). */
const EXTRA_DATA_MAX_CHARS = 1024

/**
 * extraData as an object. DevTools' compile mode (scene 1037) passes the JSON string typed into it
 * (reported on the WeChat developer community, "开发者工具 referrerInfo.extraData 值类型与文档不一致"),
 * where a phone passes the object; anything else is no data.
 */
export function extraDataOf(info: ReferrerInfo | undefined): Record<string, unknown> {
  const raw = info?.extraData
  if (typeof raw === 'string') {
    if (raw.length > EXTRA_DATA_MAX_CHARS) return {}
    try {
      const parsed = JSON.parse(raw) as unknown
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
    } catch {
      return {}
    }
  }
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}
}

export interface PartnerEntry {
  appId: string
  /** The partner's name in the user's language, or '' when it is not one of ours. */
  name: string
  shareId: string | null
  page: string | null
}

/** Who opened us, from App.onLaunch/onShow options; null unless another mini-program did. */
export function partnerEntry(
  o: { scene?: number; referrerInfo?: ReferrerInfo } | undefined,
  partners: readonly Partner[],
  locale: Locale,
): PartnerEntry | null {
  const appId = o?.referrerInfo?.appId
  if (o?.scene !== FROM_MINIPROGRAM_SCENE || typeof appId !== 'string' || !/^wx[0-9a-f]{16}$/.test(appId)) return null
  const extra = extraDataOf(o.referrerInfo)
  const sid = typeof extra.sid === 'string' && /^[a-z0-9]{8,16}$/.test(extra.sid) ? extra.sid : null
  const page =
    typeof extra.page === 'string' && ROUTABLE_PAGES.includes(extra.page.replace(/^\//, ''))
      ? extra.page.replace(/^\//, '')
      : null
  const known = partners.find((p) => p.appId === appId)
  return { appId, name: known ? known.name[locale] : '', shareId: sid, page }
}

/**
 * A partner we opened sending the user back (scene 1038: referrerInfo.extraData is what it passed
 * to wx.navigateBackMiniProgram): the page it asks for, when it is one of ours.
 */
export function partnerReturn(
  o: { scene?: number; referrerInfo?: ReferrerInfo } | undefined,
): { appId: string; page: string | null } | null {
  const appId = o?.referrerInfo?.appId
  if (o?.scene !== BACK_FROM_MINIPROGRAM_SCENE || typeof appId !== 'string' || !/^wx[0-9a-f]{16}$/.test(appId))
    return null
  const page = extraDataOf(o.referrerInfo).page
  return {
    appId,
    page: typeof page === 'string' && ROUTABLE_PAGES.includes(page.replace(/^\//, '')) ? page.replace(/^\//, '') : null,
  }
}

let opener: PartnerEntry | null = null
let route: string | null = null

/**
 * Who opened us. Kept until the user goes back to it (backToOpener) or another mini-program opens
 * us: an App.onShow of another scene (the app back from the background) does not end it.
 */
export function setOpener(e: PartnerEntry | null): void {
  opener = e
  route = e?.page ?? null
}

/** A page to open at the next chance (the home page takes it). */
export function setRoute(page: string | null): void {
  route = page
}

/**
 * The page the opener asked for, once. The home page (where a launch lands) opens it: App.onShow
 * runs before the first page exists, too early to navigate.
 */
export function takeRoute(): string | null {
  const r = route
  route = null
  return r
}

/** The mini-program that opened this one in this session, if any. */
export function openedBy(): PartnerEntry | null {
  return opener
}

/** Back to the mini-program that opened us, telling it where the user was. */
export async function backToOpener(extraData: Record<string, string>): Promise<boolean> {
  if (!opener) return false
  await wx.navigateBackMiniProgram({ extraData: { from: 'wechat-cloudbase-kit', ...extraData } })
  opener = null
  return true
}
