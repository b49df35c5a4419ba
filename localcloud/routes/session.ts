/**
 * What the local cloud's HTTP routes share: the console's session (its signed-in user, the users
 * switched to, who a request calls as) and the JSON-safe copies the console shows. The routes are
 * grouped by who acts: console.ts (the developer looking and resetting), world.ts (what WeChat or
 * the user would do), local-mode.ts (what DevTools' local mode asks in place of WeChat's client).
 */
import { CloudIdRef } from '../scope'

/** The console's signed-in user, and who a request calls as. */
export interface Session {
  /** The console's current user. */
  user(): string
  /** The console switches to this user (remembered in `users`). */
  switchTo(openid: string): void
  /** Every user switched to since the start or the last reset. */
  readonly users: Set<string>
  /** Who is calling: the `x-openid` header, else the console's current user. */
  callerOf(req: { headers: Record<string, unknown> }): string
}

/** Rows the console is shown at most. */
export const MAX_ROWS = 200
/** The cpu_id of the phone every local user confirms SOTER on. */
export const LOCAL_PHONE = 'local-phone'

/** A top-level `{ $cloudID }` of the local client's body is a CloudID field (wx.cloud.CloudID). */
export function decodeCloudIds(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(data)) {
    const id =
      v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1
        ? (v as { $cloudID?: unknown }).$cloudID
        : undefined
    out[k] = typeof id === 'string' ? new CloudIdRef(id) : v
  }
  return out
}

/** JSON-safe copies for the console: Buffers become their size, Dates ISO strings. */
export function safe(value: unknown, depth = 0): unknown {
  if (depth > 12) return '…'
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map((v) => safe(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = safe(v, depth + 1)
    return out
  }
  return value
}
