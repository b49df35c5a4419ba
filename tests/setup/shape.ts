/**
 * The first place two answers differ in shape: field names, types and nesting (not values), as a
 * path like `$.phone_info.countryCode`. Arrays are compared by their first element (WeChat's lists
 * hold one shape). null when the shapes agree. Used by tests/recorded to hold the sandboxes to
 * what WeChat really sends.
 */
export function shapeDiff(recorded: unknown, sandbox: unknown, path = '$'): string | null {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)
  const [a, b] = [kind(recorded), kind(sandbox)]
  if (a !== b) return `${path}: ${a} in the recording, ${b} in the sandbox`
  if (a === 'array') {
    const [x, y] = [(recorded as unknown[])[0], (sandbox as unknown[])[0]]
    return x === undefined || y === undefined ? null : shapeDiff(x, y, `${path}[0]`)
  }
  if (a !== 'object') return null
  const r = recorded as Record<string, unknown>
  const s = sandbox as Record<string, unknown>
  for (const key of Object.keys(r)) {
    if (!(key in s)) return `${path}.${key}: in the recording, not in the sandbox`
    const inner = shapeDiff(r[key], s[key], `${path}.${key}`)
    if (inner) return inner
  }
  for (const key of Object.keys(s)) if (!(key in r)) return `${path}.${key}: in the sandbox, not in the recording`
  return null
}
