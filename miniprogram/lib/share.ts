/**
 * Sharing, for every page. WeChat has no share-success callback, so a share is recorded when it
 * is offered (`share.recordIntent`), and people are counted when they open the card
 * (`share.recordEntry`, from the App). The card's path carries the share id `sid`, made here
 * because it must be in the path before the user picks a chat; the server binds it to the sharer.
 */
import type { IntentVia } from '../../typings/share'
import { RETRY_DELAYS_MS, call, callRetrying } from './call'
import { cloud } from './cloud'

/** A page opened from Moments runs alone: no login, most APIs unavailable (scene 1154). */
export const SINGLE_PAGE_SCENE = 1154
/** Scenes of an entry from a shared card or a mini-program code (scene.html). */
/** Entries that can carry a share: cards, codes, Moments, and another mini-program (1037, extraData.sid). */
export const SHARE_SCENES = new Set([1007, 1008, 1037, 1044, 1047, 1048, 1049, 1154])

export function newShareId(): string {
  let id = ''
  for (let i = 0; i < 12; i++) id += Math.floor(Math.random() * 36).toString(36)
  return id
}

const qs = (q: Record<string, string>) =>
  Object.entries(q)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&')

/** What onShareAppMessage returns: title, a path carrying the share id, and a 5:4 image if any. */
export function shareCard(
  page: string,
  title: string,
  opts: { query?: Record<string, string>; imageUrl?: string; from?: string } = {},
): { title: string; path: string; imageUrl?: string } {
  const shareId = newShareId()
  const via: IntentVia = opts.from === 'button' ? 'button' : 'menu'
  void call('share', 'recordIntent', { shareId, page, via }) // best effort: the card works without it
  return {
    title,
    path: `/${page}?${qs({ ...(opts.query ?? {}), sid: shareId })}`,
    ...(opts.imageUrl ? { imageUrl: opts.imageUrl } : {}),
  }
}

/** What onShareTimeline returns: title and query (Moments opens the same page in single-page mode). */
export function timelineCard(
  page: string,
  title: string,
  query: Record<string, string> = {},
): { title: string; query: string } {
  const shareId = newShareId()
  void call('share', 'recordIntent', { shareId, page, via: 'timeline' })
  return { title, query: qs({ ...query, sid: shareId }) }
}

export function inSinglePageMode(): boolean {
  try {
    return wx.getEnterOptionsSync().scene === SINGLE_PAGE_SCENE
  } catch {
    return false
  }
}

export interface LaunchOptions {
  path: string
  scene: number
  query?: Record<string, string | undefined>
  shareTicket?: string
  /** Set when another mini-program (or an official account) opened this one. */
  referrerInfo?: { appId?: string; extraData?: Record<string, unknown> }
}

/** The share behind an app launch or show: its id (card `sid`, or code `scene` = "s=<id>"), and the group ticket. */
export function entryOf(
  o: LaunchOptions,
): { shareId: string | null; scene: number; page: string; shareTicket: string | null } | null {
  if (!SHARE_SCENES.has(o.scene) && !o.shareTicket) return null
  const fromCode = /^s=([a-z0-9]{8,16})$/.exec(decodeURIComponent(o.query?.scene ?? ''))?.[1]
  const sid = o.query?.sid && /^[a-z0-9]{8,16}$/.test(o.query.sid) ? o.query.sid : (fromCode ?? null)
  if (!sid && !o.shareTicket) return null
  return { shareId: sid, scene: o.scene, page: o.path.replace(/^\//, ''), shareTicket: o.shareTicket ?? null }
}

/**
 * Records an entry (after login, so the server can tell new users) and a group card's group.
 * The entry is retried with back-off while WeChat is busy (a crowd opening one share at once):
 * the server counts a person once however often it arrives.
 */
export async function recordEntry(
  o: LaunchOptions,
  ready: () => Promise<unknown>,
  retryDelays: readonly number[] = RETRY_DELAYS_MS,
): Promise<void> {
  const e = entryOf(o)
  if (!e) return
  await ready()
  if (e.shareId)
    await callRetrying('share', 'recordEntry', { shareId: e.shareId, scene: e.scene, page: e.page }, retryDelays)
  if (e.shareTicket) {
    try {
      // It reads the current launch (the typings take no shareTicket); a shareTicket says it is a group card.
      const info = await cloud().getGroupEnterInfo()
      await call('share', 'groupEnter', {
        groupInfo: cloud().CloudID(info.cloudID),
        ...(e.shareId ? { shareId: e.shareId } : {}),
      })
    } catch {
      // No group info (not a group chat, or an old client): nothing to record.
    }
  }
}
