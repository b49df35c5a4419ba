/**
 * BLE UUIDs as WeChat hands them out: Android gives 128-bit upper case
 * ("0000FFF0-0000-1000-8000-00805F9B34FB"), iOS may give the 16-bit short form ("FFF0") and
 * either may use lower case. Compare through `fullUuid`, never with ===.
 */
const BASE_SUFFIX = '-0000-1000-8000-00805F9B34FB'

/** The 128-bit upper-case form of a 16-bit ("FFF0"), 32-bit or 128-bit UUID; '' if it is none. */
export function fullUuid(uuid: string): string {
  const u = String(uuid).trim().toUpperCase().replace(/^0X/, '')
  if (/^[0-9A-F]{4}$/.test(u)) return `0000${u}${BASE_SUFFIX}`
  if (/^[0-9A-F]{8}$/.test(u)) return `${u}${BASE_SUFFIX}`
  if (/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/.test(u)) return u
  return ''
}

export function sameUuid(a: string, b: string): boolean {
  const fa = fullUuid(a)
  return fa !== '' && fa === fullUuid(b)
}

/** The entry of `list` whose uuid matches `wanted` (as returned, so later calls pass WeChat's own spelling). */
export function findUuid<T extends { uuid: string }>(list: readonly T[], wanted: string): T | undefined {
  return list.find((x) => sameUuid(x.uuid, wanted))
}
