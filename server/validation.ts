/**
 * Validation failures in words a developer reading a log (or a page falling back to the server's
 * message) understands: "unknown field nick; allowed: nickname, avatarFileId" instead of valibot's
 * "Invalid key: Expected never but received "nick"". Messages the schemas wrote themselves
 * ("nickname must not be empty") are kept as they are.
 */
import * as v from 'valibot'
import { clip } from './input'

type AnySchema = v.GenericSchema<unknown, unknown> & {
  entries?: Record<string, AnySchema>
  wrapped?: AnySchema
  pipe?: AnySchema[]
  type?: string
  expects?: string
}
type Issue = v.BaseIssue<unknown>

/** The object schema under optional / nullable / pipe wrappers, if any. */
function objectOf(schema: AnySchema | undefined): AnySchema | undefined {
  let s = schema
  for (let depth = 0; s && depth < 8; depth++) {
    if (s.entries) return s
    s = s.wrapped ?? s.pipe?.[0]
  }
  return undefined
}

/** The object schema that holds the issue's last key, found by walking the path from the root. */
function parentObject(root: AnySchema, issue: Issue): AnySchema | undefined {
  let s = objectOf(root)
  const path = issue.path ?? []
  for (const item of path.slice(0, -1)) {
    if (item.type !== 'object' || !s?.entries) return undefined
    s = objectOf(s.entries[String(item.key)])
  }
  return s
}

/** Valibot's own wording starts like this; a schema's hand-written message does not. */
const GENERIC = /^Invalid (type|key|length|value|format|\w+):/

const LIMITS: Record<string, (expected: string) => string> = {
  max_length: (e) => `at most ${e.replace('<=', '')} characters`,
  min_length: (e) => `at least ${e.replace('>=', '')} characters`,
  max_graphemes: (e) => `at most ${e.replace('<=', '')} characters`,
  min_graphemes: (e) => `at least ${e.replace('>=', '')} characters`,
  max_value: (e) => `at most ${e.replace('<=', '')}`,
  min_value: (e) => `at least ${e.replace('>=', '')}`,
  max_size: (e) => `at most ${e.replace('<=', '')} entries`,
  integer: () => 'a whole number',
  regex: () => 'in the expected format',
}

/** One issue as "<field>: <what is wrong and what is expected>". */
export function describeIssue(issue: Issue, root: AnySchema): string {
  const path = v.getDotPath(issue)?.slice(0, 60) ?? null
  const last = issue.path?.[issue.path.length - 1] as { origin?: string; key?: unknown } | undefined
  if (last?.origin === 'key' && issue.expected === 'never') {
    const allowed = Object.keys(parentObject(root, issue)?.entries ?? {})
    return `unknown field ${clip(String(path), 40)}${allowed.length ? `; allowed: ${allowed.join(', ')}` : '; this call takes no fields'}`
  }
  const field = path ?? '(payload)'
  if (!GENERIC.test(issue.message)) return `${field}: ${issue.message}`
  if (last?.origin === 'key' && issue.received === 'undefined') {
    const expects = parentObject(root, issue)?.entries?.[String(last.key)]?.expects
    return `missing field ${field}${expects ? ` (expected ${readable(expects)})` : ''}`
  }
  if (issue.kind === 'schema' && issue.received === 'undefined')
    return `missing field ${field} (expected ${readable(issue.expected)})`
  if (issue.kind === 'schema') return `${field}: expected ${readable(issue.expected)}, got ${clip(issue.received, 40)}`
  const limit = LIMITS[issue.type]
  return `${field}: must be ${limit ? limit(issue.expected ?? '') : readable(issue.expected)}, got ${clip(issue.received, 40)}`
}

/** `("a" | "b")` → `one of "a", "b"`; `string` → `a string`. */
function readable(expected: string | null): string {
  if (!expected) return 'a valid value'
  const choices = /^\((.*)\)$/.exec(expected)?.[1]
  if (choices && choices.includes(' | ')) return `one of ${choices.split(' | ').join(', ')}`
  if (expected.includes(' | ')) return `one of ${expected.split(' | ').join(', ')}`
  return /^(string|number|boolean|object|array)$/.test(expected)
    ? `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`
    : expected
}
