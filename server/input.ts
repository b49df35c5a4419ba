/**
 * Bounded handling of what arrives at an entry point (router, callbacks, push, URL mode):
 * the event's size is checked before anything parses or validates it, values are turned into
 * text only when they are primitives (an object whose toString is not callable would throw), and
 * what is echoed back or logged is cut short.
 */

/** The largest event an action of the mini-program sends (a profile, an order, a CloudID or five). */
export const MAX_EVENT_BYTES = 64 * 1024
/** A payment or refund notification is a few hundred bytes. */
export const MAX_NOTIFICATION_BYTES = 16 * 1024
/** A pushed customer-service message: text up to 4096 characters plus a few fields. */
export const MAX_PUSH_BYTES = 32 * 1024

/**
 * The event's size as JSON, or Infinity when it cannot be serialised (cycles, BigInt, hostile
 * getters): such an event is refused like an oversized one. Events from WeChat are plain JSON.
 */
export function eventBytes(event: unknown): number {
  try {
    const json = JSON.stringify(event)
    return json === undefined ? 0 : Buffer.byteLength(json, 'utf8')
  } catch {
    return Infinity
  }
}

/** A primitive as text (cut to `max`); anything else as '' (never calls an object's toString). */
export function scalar(v: unknown, max = 128): string {
  if (typeof v === 'string') return v.slice(0, max)
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v).slice(0, max)
  return ''
}

/** A value cut for an error message or a log line. */
export function clip(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}…` : s
}

/** A comma-separated environment variable (openid lists): trimmed entries, empties dropped. */
export function listVar(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}
