/**
 * The local database's values: the document and collection types, the error it answers with,
 * and the pure helpers every part of it shares (EJSON decoding, server dates, copies, equality,
 * field paths, index keys). Nothing here holds state.
 */
import { EJSON, BSONRegExp } from 'bson'
import { randomBytes } from 'node:crypto'

export type Doc = Record<string, unknown> & { _id: string }

export interface IndexSpec {
  name: string
  keys: Record<string, 1 | -1>
  unique?: boolean
}

export interface CollectionSpec {
  name: string
  indexes?: IndexSpec[]
  /** CloudBase security rule for client SDK access (not enforced on functions, as in CloudBase). */
  rules?: unknown
  /** JSON file (relative to database/) of documents to import into an empty collection. */
  seed?: string
}

/** The parameters of one wire request (`collectionName`, `query`, `data`, `transactionId`, ...). */
export type Params = Record<string, unknown>

/** An error the database answers with: `code` is CloudBase's (DATABASE_REQUEST_FAILED, ...). */
export class DbError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export type Scalar = string | number | boolean

export const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
export const scalarKey = (v: Scalar) => `${typeof v}:${String(v)}`

/** The key of a document in the per-document maps (versions, insertion order). */
export const docKey = (coll: string, id: string) => `${coll}\u0000${id}`

/** The error of a transaction-only-by-id rule, shared by find, modify and remove. */
export const DOC_OPERATIONS_ONLY = 'transactions support document operations only (doc(id))'

export function decode(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined
  const parsed = typeof value === 'string' ? EJSON.parse(value, { relaxed: true }) : value
  return walk(parsed, undefined)
}

/** BSONRegExp -> RegExp; `$tcb_server_date` -> Date (when `now` is given). */
export function walk(value: unknown, now: number | undefined): unknown {
  if (value instanceof BSONRegExp) return new RegExp(value.pattern, value.options.replace(/[^gimsuy]/g, ''))
  if (value instanceof Date || value instanceof RegExp || Buffer.isBuffer(value)) return value
  if (Array.isArray(value)) return value.map((v) => walk(v, now))
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    const sd = obj.$tcb_server_date as { offset?: number } | undefined
    if (sd && typeof sd === 'object' && Object.keys(obj).length === 1 && now !== undefined) {
      return new Date(now + Number(sd.offset ?? 0))
    }
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(obj)) out[k] = walk(v, now)
    return out
  }
  return value
}

export function assertNoIdChange(modifier: Record<string, unknown>): void {
  for (const [op, fields] of Object.entries(modifier)) {
    if (fields && typeof fields === 'object' && '_id' in (fields as object)) {
      throw new DbError('DATABASE_REQUEST_FAILED', `cannot change _id (${op})`)
    }
  }
}

export function duplicate(coll: string, index: string): DbError {
  return new DbError('DATABASE_REQUEST_FAILED', `E11000 duplicate key error collection: ${coll} index: ${index}`)
}

/** A unique index's key for a document (undefined when a field is missing: not indexed, as in MongoDB's sparse behaviour the engine had). */
export function uniqueKey(index: IndexSpec, doc: Doc): string | undefined {
  const values = Object.keys(index.keys).map((f) => getPath(doc, f))
  if (values.some((v) => v === undefined)) return undefined
  return EJSON.stringify(values, { relaxed: false })
}

/** The scalar values a field holds (an array's elements count, as MongoDB matches them). */
export function fieldValues(doc: Doc, field: string): Scalar[] {
  const v = getPath(doc, field)
  if (isScalar(v)) return [v]
  if (Array.isArray(v)) return v.filter(isScalar)
  return []
}

export function getPath(doc: Record<string, unknown>, path: string): unknown {
  let cur: unknown = doc
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

export function newId(): string {
  return randomBytes(16).toString('hex')
}

/** Deep copy of a stored document (plain data: objects, arrays, Dates, Buffers, RegExps). */
export function clone<T>(v: T): T {
  if (v instanceof Date) return new Date(v.getTime()) as T
  if (Buffer.isBuffer(v)) return Buffer.from(v) as T
  if (v instanceof RegExp) return new RegExp(v.source, v.flags) as T
  if (Array.isArray(v)) return v.map(clone) as T
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = clone(x)
    return out as T
  }
  return v
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a as object)
  const kb = Object.keys(b as object)
  if (ka.length !== kb.length) return false
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}
