/**
 * Open data passed with wx.cloud.CloudID: WeChat replaces a top-level CloudID field with
 * `{ cloudID, data }` (or `{ cloudID, errCode: -601006 }` once the id expired) and lists the
 * replaced fields in getWXContext().OPEN_DATA_INFO. Anyone can send `{ cloudID, data }` by
 * hand, so the data is trusted only for a field WeChat says it replaced.
 * Document: https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/functions/openapi.html (开放数据调用)
 */
import * as v from 'valibot'
import type { OpenData } from '../typings/contract'
import type { WxContext } from './wx'

export type OpenDataResult<T> =
  { ok: true; data: T } | { ok: false; code: 'CLOUDID_EXPIRED' | 'CLOUDID_INVALID' | 'FORGED_DATA'; message: string }

/** What WeChat puts in place of a CloudID that has expired (it lives 5 minutes). */
export const CLOUDID_EXPIRED_ERRCODE = -601006

/**
 * The input schema of a CloudID field as the function receives it. `data` is only typed here:
 * check its shape after `openData()` says WeChat filled it in.
 */
export function openDataInput<T>() {
  return v.object({
    cloudID: v.string(),
    data: v.optional(v.custom<T>((x) => typeof x === 'object' && x !== null)),
    errCode: v.optional(v.number()),
    errMsg: v.optional(v.string()),
  })
}

/** The fields WeChat replaced in this call. */
export function replacedFields(wx: WxContext): string[] {
  try {
    const info = JSON.parse(wx.OPEN_DATA_INFO ?? '') as { keys?: unknown }
    return Array.isArray(info.keys) ? info.keys.filter((k): k is string => typeof k === 'string') : []
  } catch {
    return []
  }
}

export function openData<T>(field: string, value: OpenData<T> | undefined, wx: WxContext): OpenDataResult<T> {
  if (!replacedFields(wx).includes(field))
    return {
      ok: false,
      code: 'FORGED_DATA',
      message: `${field} was not filled in by WeChat (pass wx.cloud.CloudID(cloudID) as a top-level field).`,
    }
  if (value?.errCode === CLOUDID_EXPIRED_ERRCODE)
    return {
      ok: false,
      code: 'CLOUDID_EXPIRED',
      message: 'The WeChat data expired (it lives 5 minutes). Fetch it again.',
    }
  // Filled in by WeChat, but with another error or no data: an id WeChat never issued (made up, or
  // from another mini-program). Fetching again gives a real one; retrying the same id does not.
  if (value?.data === undefined)
    return {
      ok: false,
      code: 'CLOUDID_INVALID',
      message: `WeChat does not know this CloudID (${value?.errCode ?? 'no data'}${value?.errMsg ? `: ${value.errMsg.slice(0, 80)}` : ''}). Get it from the WeChat API again.`,
    }
  return { ok: true, data: value.data }
}
