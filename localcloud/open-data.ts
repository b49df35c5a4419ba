/**
 * Open data for DevTools local mode. The CloudIDs and codes DevTools hands a page are made for
 * WeChat's servers and cannot be opened here, so the local client asks the local cloud for its
 * own (server.ts `/api/open-data/*`), with the documented shapes:
 * - WeRun (open-api/werun/wx.getWeRunData.html): `{ stepInfoList: [{ timestamp, step }] }`, the
 *   last 31 days oldest first, timestamp = the day's 00:00 Beijing time in seconds;
 * - group (group/wx.getGroupEnterInfo.html): `{ opengid }`, the same for the same shareTicket;
 * - phone (getPhoneNumber button): a one-time code for phonenumber.getPhoneNumber.
 * Values are derived from the user (and day), so a user sees the same steps on every sync.
 */
import { createHash } from 'node:crypto'
import { beijingDate } from '../server/werun/days'

const DAY = 86_400_000

function hash(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest()
}

export function weRunDays(openid: string, now: number, n = 31): Array<{ timestamp: number; step: number }> {
  const out = []
  for (let i = n - 1; i >= 0; i--) {
    const date = beijingDate(now - i * DAY)
    const step = hash(openid, date).readUInt32BE(0) % 14_000 // 0 to 13,999 steps
    out.push({ timestamp: Date.parse(`${date}T00:00:00+08:00`) / 1000, step })
  }
  return out
}

export function localOpengid(shareTicket: string): string {
  return `tG${hash('group', shareTicket || 'local-group')
    .toString('base64url')
    .slice(0, 26)}`
}

/** A mainland mobile number (13x-19x) for the user. */
export function localPhone(openid: string): string {
  const h = hash('phone', openid)
  const digits = String(h.readUInt32BE(0) % 100_000_000).padStart(8, '0')
  return `1${3 + (h[4]! % 7)}${h[5]! % 10}${digits}`
}
