/**
 * The database behind the local cloud. It answers the requests that @cloudbase/database
 * (inside the real wx-server-sdk) sends over HTTP — `database.getDocument`,
 * `database.insertDocument`, ... with EJSON-encoded queries and updates — and evaluates
 * them with mingo (MongoDB query and update operators). So `db.command`, `serverDate`,
 * `throwOnNotFound`, transactions and the result shapes are the SDK's own code; only the
 * server side is here.
 *
 * Semantics copied from CloudBase (each covered in tests/localcloud/db-engine.test.ts):
 * - collections must exist (created from database/collections.json), else
 *   DATABASE_COLLECTION_NOT_EXIST;
 * - `add` generates a 32-hex `_id`; a duplicate `_id` or unique-index key fails with
 *   DATABASE_REQUEST_FAILED (message "E11000 duplicate key", not a reliable code);
 * - `{ $tcb_server_date: { offset } }` anywhere in written data becomes the server's Date;
 * - `get` returns at most 1000 documents (the SDK asks 100 by default and clamps a larger
 *   `limit` to 1000 itself: Collection.get / Collection.limit, "云函数端默认 100 条、上限 1000 条");
 * - an aggregation without a `limit` stage returns at most 20 rows, and at most 10000 with one
 *   (CloudBase answers aggregate().end() with 20 rows by default; see AGGREGATE_* below), so
 *   code that relied on "everything" shows its bug here as it would on CloudBase;
 * - performance at 100k documents: `_id` lookups are direct, the first field of each declared
 *   index and every unique index are hash maps, declared indexes order pages and answer ranges
 *   (an entry per document, equal values in insertion order), a query no index serves on a large
 *   collection is refused (tests) or warned about (npm start); the file is written at most every
 *   PERSIST_DEBOUNCE_MS (and on flush(), close and process exit), as an append of what changed;
 * - transactions: document operations only; reads and writes are isolated in the
 *   transaction and checked at commit; a document changed by someone else since the
 *   transaction read or wrote it makes the commit fail with DATABASE_TRANSACTION_CONFLICT,
 *   which the SDK's runTransaction retries.
 */
import { EJSON, BSONRegExp } from 'bson'
import { randomBytes } from 'node:crypto'
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  renameSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { Aggregator, Query, update as applyUpdate } from 'mingo'

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

export interface DbResponse {
  requestId: string
  code?: string
  message?: string
  data?: Record<string, unknown>
  transactionId?: string
}

type Params = Record<string, unknown>

/** Per-request database latency in ms (`LOCALCLOUD_DB_LATENCY=1-8`), with the seed of its jitter. */
export interface LatencyRange {
  min: number
  max: number
  seed?: number
}

/**
 * `LOCALCLOUD_DB_LATENCY`'s value: `N` or `MIN-MAX` milliseconds, optionally `@SEED`
 * (e.g. `1-8@42`). Anything else is an error naming the shape, so a typo is never "no latency".
 */
export function parseLatency(text: string | undefined): LatencyRange | null {
  const t = (text ?? '').trim()
  if (!t || t === '0') return null
  const m = /^(\d{1,4})(?:-(\d{1,4}))?(?:@(\d{1,9}))?$/.exec(t)
  if (!m)
    throw new Error(
      `LOCALCLOUD_DB_LATENCY must be N or MIN-MAX milliseconds, optionally @SEED (e.g. 1-8 or 1-8@42); got "${t.slice(0, 40)}"`,
    )
  const min = Number(m[1])
  const max = m[2] === undefined ? min : Number(m[2])
  if (max < min) throw new Error(`LOCALCLOUD_DB_LATENCY: ${max} is below ${min}`)
  return { min, max, ...(m[3] ? { seed: Number(m[3]) } : {}) }
}

/** mulberry32: a small seeded generator, so a run with latency can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

class DbError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

interface Tx {
  id: string
  /** collection -> id -> doc (null = deleted in this transaction) */
  writes: Map<string, Map<string, Doc | null>>
  /** "coll\u0000id" -> version seen when first touched */
  seen: Map<string, number>
}

const MAX_LIMIT = 1000
/**
 * CloudBase's aggregation caps from a function: without a `limit` stage, 20 rows; with one, at
 * most 10000. The documents (Aggregate.limit, Aggregate.end) do not state the default; WeChat's
 * developer community measured it (developers.weixin.qq.com/community/develop/article/doc/000624c67c8b48611dba2b12058c13
 * and /doc/0006ee7caecd8020df7b559b451800): at least as strict as the service, as a sandbox must be.
 */
export const AGGREGATE_DEFAULT_ROWS = 20
export const AGGREGATE_MAX_ROWS = 10000
/** Writes within this many ms share one file write. */
export const PERSIST_DEBOUNCE_MS = 200

/** Engines with a file, flushed when the process exits. */
const fileEngines = new Set<DbEngine>()
let exitHook = false

type Scalar = string | number | boolean

/**
 * A compound index (equality fields, then one ordered field), as CloudBase keeps it: per value of
 * the equality fields, the documents in the order of the last field. Answers "the first n by
 * steps" and "how many above x" without looking at the rest.
 */
interface SortedIndex {
  name: string
  eqFields: string[]
  sortField: string
  /** group key -> entries ascending by (value, _id). */
  groups: Map<string, Entry[]>
  /** Documents this index cannot place (array or missing fields, odd values): always candidates. */
  loose: Set<string>
}

/**
 * An index entry: the ordered field's value, then the document's insertion order (`o`), as
 * MongoDB's indexes end every key with the record id: equal values come in the order the
 * documents were inserted, which is also the order a full scan meets them.
 */
interface Entry {
  v: number | string
  o: number
  id: string
}

function cmp(a: Entry, b: Entry): number {
  if (a.v !== b.v) {
    if (typeof a.v !== typeof b.v) return typeof a.v === 'number' ? -1 : 1
    return a.v < b.v ? -1 : 1
  }
  return a.o - b.o
}

/** First position whose entry is not before `e` (binary search). */
function lowerBound(list: Entry[], e: Entry, from = 0, to = list.length): number {
  let lo = from
  let hi = to
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cmp(list[mid]!, e) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** A run of a sorted index's group, by bounds (entries are not copied). */
interface Slice {
  list: Entry[]
  lo: number
  hi: number
  length: number
  at: (k: number) => Entry
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte'])

const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
const scalarKey = (v: Scalar) => `${typeof v}:${String(v)}`
/** A query on a collection larger than this that no index serves is refused in tests (see DbEngine.scanned). */
export const SCAN_LIMIT = 1000

/**
 * A query's conditions by field, with those inside a top-level `$and` (at any depth) taken as
 * the query's own: `{ a: 1, $and: [{ b: 2 }] }` gives a and b. A field named twice keeps its
 * first condition (enough to narrow: the whole query still tests every candidate).
 */
function conjuncts(query: Record<string, unknown>, into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(query)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const clause of v)
        if (clause && typeof clause === 'object') conjuncts(clause as Record<string, unknown>, into)
    } else if (!k.startsWith('$') && !into.has(k)) into.set(k, v)
  }
  return into
}

/** The value a condition asks for exactly (`x` or `{ $eq: x }`), else undefined. */
function eqValue(cond: unknown): unknown {
  if (isScalar(cond)) return cond
  if (cond && typeof cond === 'object' && !Array.isArray(cond) && !(cond instanceof Date)) {
    const c = cond as Record<string, unknown>
    if (Object.keys(c).length === 1 && isScalar(c.$eq)) return c.$eq
  }
  return undefined
}

/** The values a condition allows, when it names them (`x`, `{ $eq: x }`, `{ $in: [...] }`), else null. */
function idValues(cond: unknown): Scalar[] | null {
  const one = eqValue(cond)
  if (isScalar(one)) return [one]
  if (cond && typeof cond === 'object' && !Array.isArray(cond)) {
    const c = cond as Record<string, unknown>
    if (Object.keys(c).length === 1 && Array.isArray(c.$in) && c.$in.every(isScalar)) return c.$in as Scalar[]
  }
  return null
}

export class DbEngine {
  private collections = new Map<string, Map<string, Doc>>()
  private versions = new Map<string, number>()
  private specs = new Map<string, CollectionSpec>()
  private txs = new Map<string, Tx>()
  private seq = 0
  /** Every request served, for the console and for tests that count writes. */
  readonly log: Array<{ action: string; collection?: string; at: number; ok: boolean }> = []
  /** How many times the file was written (tests check that writes are batched). */
  fileWrites = 0
  /** collection -> field (first of a declared index) -> value key -> ids. */
  private eqIndexes = new Map<string, Map<string, Map<string, Set<string>>>>()
  /** collection -> compound indexes with an ordered last field. */
  private sortedIndexes = new Map<string, SortedIndex[]>()
  /** collection -> unique index name -> key -> id. */
  private uniqueIndexes = new Map<string, Map<string, Map<string, string>>>()
  /** Insertion order of each document, so indexed reads keep the collection's natural order. */
  private order = new Map<string, number>()
  private ordSeq = 0
  private persistTimer: ReturnType<typeof setTimeout> | undefined
  private dirty = false

  /** `readOnly`: load the file and never write it (npm run recordings:pull reads npm start's database while it runs). */
  constructor(private readonly opts: { file?: string; now?: () => number; readOnly?: boolean } = {}) {
    if (opts.file && existsSync(opts.file)) this.load(opts.file)
    if (opts.file && !opts.readOnly) {
      fileEngines.add(this)
      if (!exitHook) {
        exitHook = true
        process.on('exit', () => {
          for (const e of fileEngines) e.flush()
        })
      }
    }
  }

  now(): number {
    return this.opts.now ? this.opts.now() : Date.now()
  }

  // ---- administration (what the CloudBase console does) ----

  createCollection(spec: CollectionSpec): void {
    if (!this.collections.has(spec.name)) this.collections.set(spec.name, new Map())
    this.specs.set(spec.name, spec)
    this.specsChanged = true
    this.reindex(spec.name)
    this.persist()
  }

  /** A collection's declared indexes and rules, as the console would show them (npm run doctor). */
  specOf(name: string): CollectionSpec | undefined {
    const spec = this.specs.get(name)
    return spec ? (JSON.parse(JSON.stringify(spec)) as CollectionSpec) : undefined
  }

  collectionNames(): string[] {
    return [...this.collections.keys()].sort()
  }

  /** A copy of every document of a collection (for tests and the console). */
  dump(name: string): Doc[] {
    const coll = this.collections.get(name)
    return coll ? [...coll.values()].map(clone) : []
  }

  /** Empties every collection (collections, indexes and rules stay), as a fresh environment has them. */
  clear(): void {
    for (const [name, coll] of this.collections) {
      for (const id of coll.keys()) this.bump(name, id)
      coll.clear()
      this.reindex(name)
    }
    this.order.clear()
    this.txs.clear()
    this.failures = []
    this.clearedAll = true
    this.persist()
  }

  /** Writes a document directly (seeding), bypassing the SDK. */
  seed(name: string, docs: Array<Record<string, unknown>>): void {
    const coll = this.requireCollection(name)
    for (const d of docs) {
      const doc = { ...d, _id: typeof d._id === 'string' ? d._id : newId() } as Doc
      this.checkUnique(name, doc, coll)
      this.put(name, doc._id, doc, true)
      this.bump(name, doc._id)
    }
    // Sorted indexes are rebuilt once for a bulk load (one sort, not an insertion per document).
    this.reindex(name)
    this.persist()
  }

  private failures: Array<{ action?: string; collection?: string; skip: number }> = []

  /**
   * The next request matching `action` (e.g. 'database.modifyDocument') and/or `collection`
   * fails with DATABASE_REQUEST_FAILED, as a database hiccup would (the SDK throws it);
   * `skip` lets that many matching requests through first.
   */
  failNext(match: { action?: string; collection?: string; skip?: number }, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ ...match, skip: match.skip ?? 0 })
  }

  // ---- the wire protocol ----

  /**
   * Network time per request (ms), 0 by default. With it set, `roundTrips` counts the waits a
   * caller makes: a request that starts while another is in flight rides the same trip (as
   * Promise.all does), one that starts after the others answered is a new trip.
   * A fixed value applies each request after that wait; `setLatency` gives CloudBase's jitter.
   */
  latencyMs = 0
  roundTrips = 0
  private inFlight = 0
  private jitter: { min: number; max: number; random: () => number } | null = null

  /**
   * CloudBase's latency: each request takes a seeded random `min`-`max` ms, and is applied at a
   * random point of that time (the way there and the way back differ), so two requests sent
   * in one order may be applied, and answered, in the other, as on the real service. Read-then-
   * write windows open as wide as they are in production. `null` turns it off.
   */
  setLatency(range: LatencyRange | null): void {
    this.jitter = range ? { min: range.min, max: range.max, random: seededRandom(range.seed ?? 1) } : null
  }

  get latency(): LatencyRange | null {
    return this.jitter ? { min: this.jitter.min, max: this.jitter.max } : null
  }

  async handle(action: string, params: Params = {}): Promise<DbResponse> {
    if (this.inFlight === 0) this.roundTrips += 1
    this.inFlight += 1
    try {
      if (this.jitter) {
        const { min, max, random } = this.jitter
        const total = min + random() * (max - min)
        const there = total * random()
        await sleep(there)
        const answer = this.answer(action, params)
        await sleep(total - there)
        return answer
      }
      if (this.latencyMs) await sleep(this.latencyMs)
      return this.answer(action, params)
    } finally {
      this.inFlight -= 1
    }
  }

  private answer(action: string, params: Params): DbResponse {
    const requestId = `local-db-${++this.seq}`
    const collection = typeof params.collectionName === 'string' ? params.collectionName : undefined
    const injected = this.failures.findIndex(
      (f) => (!f.action || f.action === action) && (!f.collection || f.collection === collection),
    )
    if (injected >= 0 && this.failures[injected]!.skip > 0) this.failures[injected]!.skip -= 1
    else if (injected >= 0) {
      this.failures.splice(injected, 1)
      this.log.push({ action, ...(collection ? { collection } : {}), at: this.now(), ok: false })
      return { requestId, code: 'DATABASE_REQUEST_FAILED', message: 'injected by test' }
    }
    try {
      const data = this.dispatch(action, params)
      this.log.push({ action, ...(collection ? { collection } : {}), at: this.now(), ok: true })
      if (action === 'database.startTransaction')
        return { requestId, transactionId: (data as { transactionId: string }).transactionId }
      return { requestId, data }
    } catch (e) {
      this.log.push({ action, ...(collection ? { collection } : {}), at: this.now(), ok: false })
      if (e instanceof DbError) return { requestId, code: e.code, message: e.message }
      return { requestId, code: 'DATABASE_REQUEST_FAILED', message: e instanceof Error ? e.message : String(e) }
    }
  }

  private dispatch(action: string, p: Params): Record<string, unknown> {
    switch (action) {
      case 'database.addCollection':
        this.createCollection({ name: String(p.collectionName) })
        return {}
      case 'database.startTransaction': {
        const id = `tx-${newId()}`
        this.txs.set(id, { id, writes: new Map(), seen: new Map() })
        return { transactionId: id }
      }
      case 'database.commitTransaction':
        this.commit(this.requireTx(p.transactionId))
        return {}
      case 'database.abortTransaction':
        this.requireTx(p.transactionId)
        this.txs.delete(String(p.transactionId))
        return {}
      case 'database.getDocument':
        return { list: this.find(p).map((d) => EJSON.stringify(d, { relaxed: false })) }
      case 'database.calculateDocument':
        return { total: this.count(p) }
      case 'database.insertDocument':
        return { insertedIds: this.insert(p) }
      case 'database.modifyDocument':
        return this.modify(p)
      case 'database.modifyAndReturnDoc': {
        const r = this.modify({ ...p, multi: false, merge: true, upsert: false, returnDoc: true })
        return r
      }
      case 'database.removeDocument':
        return { deleted: this.remove(p) }
      case 'database.aggregateDocuments':
        return { list: this.aggregate(p).map((d) => EJSON.stringify(d, { relaxed: false })) }
      default:
        throw new DbError('DATABASE_REQUEST_FAILED', `localcloud: database action ${action} is not supported`)
    }
  }

  // ---- reads ----

  /**
   * The documents a query can match, found the way CloudBase's indexes would find them: by `_id`
   * directly; by an index's first field given a value (or `$in` values); by a compound or
   * single-field index whose equality fields are given, narrowed by a range on its ordered
   * field; the smallest of these wins. Conditions inside a top-level `$and` count as the
   * query's own. With no index that fits, every document is examined, and a collection of more
   * than `scanLimit` documents is refused (or warned about): see `scanned`.
   * Inside a transaction a document read by `_id` is looked up, not copied out of the collection.
   */
  private candidates(name: string, query: Record<string, unknown>, tx?: Tx, bounded = false): Doc[] {
    const base = this.requireCollection(name)
    const where = conjuncts(query)
    const id = where.get('_id')
    const ids = idValues(id)
    if (ids) {
      const out: Doc[] = []
      const writes = tx?.writes.get(name)
      for (const i of new Set(ids.map(String))) {
        const doc = writes?.has(i) ? writes.get(i) : base.get(i)
        if (doc) out.push(doc)
      }
      this.examined += out.length
      return out
    }
    if (tx) return this.scanned(name, query, this.view(name, tx))
    let best: { size: number; get: () => Doc[] } | null = null
    for (const [field, index] of this.eqIndexes.get(name) ?? []) {
      const values = idValues(where.get(field))
      if (!values) continue
      const found = new Set<string>()
      for (const v of values) for (const i of index.get(scalarKey(v)) ?? []) found.add(i)
      if (!best || found.size < best.size) {
        best = {
          size: found.size,
          get: () =>
            [...found]
              .sort((a, b) => (this.order.get(`${name}\u0000${a}`) ?? 0) - (this.order.get(`${name}\u0000${b}`) ?? 0))
              .map((i) => base.get(i)!)
              .filter(Boolean),
        }
      }
    }
    for (const ix of this.sortedIndexes.get(name) ?? []) {
      if (ix.eqFields.length === 0 && !where.has(ix.sortField)) continue
      const slice = this.sortedSlice(name, query, ix.sortField, ix)
      if (!slice) continue
      const size = slice.entries.length + slice.ix.loose.size
      if (!best || size < best.size) {
        best = {
          size,
          get: () => {
            const picked = [
              ...slice.entries.list.slice(slice.entries.lo, slice.entries.hi).map((e) => e.id),
              ...slice.ix.loose,
            ]
            return picked
              .sort((a, b) => (this.order.get(`${name}\u0000${a}`) ?? 0) - (this.order.get(`${name}\u0000${b}`) ?? 0))
              .map((i) => base.get(i)!)
              .filter(Boolean)
          },
        }
      }
    }
    if (best) {
      const docs = best.get()
      this.examined += docs.length
      return docs
    }
    return this.scanned(name, query, [...base.values()], bounded)
  }

  /** Whether the query gives `_id` or an indexed field's value(s). */
  private narrowedByEquality(name: string, query: Record<string, unknown>): boolean {
    const where = conjuncts(query)
    if (idValues(where.get('_id'))) return true
    return [...(this.eqIndexes.get(name)?.keys() ?? [])].some((f) => idValues(where.get(f)) !== null)
  }

  /**
   * Documents examined by queries so far (tests read it to show a read stays small as a
   * collection grows).
   */
  examined = 0
  /**
   * A query no index serves, on a collection above this many documents, is refused with
   * DATABASE_REQUEST_FAILED naming the index to declare (`scanPolicy` 'refuse', the default, for
   * tests and the bench) or logged once per query shape ('warn', for `npm start`). CloudBase
   * answers such a query, slowly and against the request time limit, once the collection grows:
   * the refusal shows it while the collection is small.
   */
  scanLimit = SCAN_LIMIT
  scanPolicy: 'refuse' | 'warn' = 'refuse'
  private warnedScans = new Set<string>()

  /** `bounded`: a read with no condition and no order, which stops after its page (or counts from metadata). */
  private scanned(name: string, query: Record<string, unknown>, docs: Doc[], bounded = false): Doc[] {
    this.examined += docs.length
    if (docs.length > this.scanLimit && !(bounded && Object.keys(query).length === 0)) {
      const fields = [...conjuncts(query).keys()].filter((k) => !k.startsWith('$'))
      const hint = fields.length
        ? `declare an index on ${fields.map((f) => `"${f}"`).join(', ')} in database/collections.json`
        : 'the query gives no field to find it by'
      const message = `localcloud: a query on ${name} (${fields.join(', ') || 'no condition'}) examines all ${docs.length} documents with no index: ${hint}`
      if (this.scanPolicy === 'refuse') throw new DbError('DATABASE_REQUEST_FAILED', message)
      const shape = `${name}:${fields.join(',')}`
      if (!this.warnedScans.has(shape)) {
        this.warnedScans.add(shape)
        process.stderr.write(`${message}\n`)
      }
    }
    return docs
  }

  /**
   * A sorted index whose equality fields the query gives as scalars: the matching group's
   * entries (ascending), narrowed by a range on the ordered field, plus the loose documents.
   */
  private sortedSlice(
    name: string,
    query: Record<string, unknown>,
    sortField?: string,
    only?: SortedIndex,
  ): { ix: SortedIndex; entries: Slice; exact: boolean } | null {
    const where = conjuncts(query)
    for (const ix of only ? [only] : (this.sortedIndexes.get(name) ?? [])) {
      if (sortField !== undefined && ix.sortField !== sortField) continue
      const eq = ix.eqFields.map((f) => eqValue(where.get(f)))
      if (!eq.every(isScalar)) continue
      const list = ix.groups.get(JSON.stringify(eq.map((x) => scalarKey(x as Scalar)))) ?? []
      // Bounds into the group's list (no copy: a group can hold every document).
      let lo = 0
      let hi = list.length
      const first = (v: number | string) => lowerBound(list, { v, o: -Infinity, id: '' }, lo, hi)
      const past = (v: number | string) => {
        let end = first(v)
        while (end < hi && list[end]!.v === v) end++
        return end
      }
      const cond = where.get(ix.sortField)
      let exact = Object.keys(query).every((k) => ix.eqFields.includes(k) || k === ix.sortField)
      const is = eqValue(cond)
      if (typeof is === 'number' || typeof is === 'string') {
        ;[lo, hi] = [first(is), past(is)]
      } else if (cond !== undefined) {
        const ops =
          cond && typeof cond === 'object' && !Array.isArray(cond) && !(cond instanceof Date)
            ? Object.entries(cond as Record<string, unknown>).map(
                ([op, v]) => [op, v instanceof Date ? v.getTime() : v] as [string, unknown],
              )
            : null
        if (!ops || !ops.every(([op, v]) => RANGE_OPS.has(op) && (typeof v === 'number' || typeof v === 'string'))) {
          exact = false
        } else {
          for (const [op, v] of ops as Array<[string, number | string]>) {
            if (op === '$gt') lo = past(v)
            else if (op === '$gte') lo = first(v)
            else if (op === '$lt') hi = first(v)
            else hi = past(v)
            if (hi < lo) hi = lo
          }
        }
      }
      return {
        ix,
        entries: { list, lo, hi, length: hi - lo, at: (k: number) => list[lo + k]! },
        exact: exact && ix.loose.size === 0,
      }
    }
    return null
  }

  /**
   * find() through a sorted index when the query fixes its equality fields and sorts by its
   * ordered field first: documents are taken in index order until the page is full and the
   * last value's ties are all in, then sorted and cut as usual.
   */
  private findOrdered(
    name: string,
    query: Record<string, unknown>,
    order: Record<string, 1 | -1>,
    offset: number,
    limit: number,
  ): Doc[] | null {
    const [first, dir] = Object.entries(order)[0] ?? []
    if (!first) return null
    const slice = this.sortedSlice(name, query, first)
    if (!slice) return null
    // A single-field index walked in order loses to an equality the query gives on another index.
    if (slice.ix.eqFields.length === 0 && this.narrowedByEquality(name, query)) return null
    const coll = this.requireCollection(name)
    const q = new Query(query)
    const picked: Doc[] = [...slice.ix.loose].map((id) => coll.get(id)!).filter((d) => d && q.test(d))
    const want = offset + limit
    // With one sort key the index order is the answer's order (ties in insertion order), so the
    // walk stops at the page's end; with more keys every tie of the last value is needed.
    const oneKey = Object.keys(order).length === 1
    const entries = slice.entries
    let count = 0
    let lastV: number | string | undefined
    const visit = (e: Entry): boolean => {
      if (count >= want && (oneKey || e.v !== lastV)) return false
      const doc = coll.get(e.id)
      this.examined += 1
      if (doc && q.test(doc)) {
        picked.push(doc)
        count++
        lastV = e.v
      }
      return true
    }
    if (dir === -1) {
      // Descending values, but each run of equal values in insertion order, as a full scan's stable sort gives them.
      let k = entries.length - 1
      walk: while (k >= 0) {
        const v = entries.at(k).v
        const start = lowerBound(entries.list, { v, o: -Infinity, id: '' }, entries.lo, entries.lo + k) - entries.lo
        for (let i = start; i <= k; i++) if (!visit(entries.at(i))) break walk
        k = start - 1
      }
    } else {
      for (let k = 0; k < entries.length; k++) if (!visit(entries.at(k))) break
    }
    // In the collection's natural order first, so ties the order leaves open come out as a full scan gives them.
    const ord = (d: Doc) => this.order.get(`${name}\u0000${d._id}`) ?? 0
    picked.sort((a, b) => ord(a) - ord(b))
    return new Query({}).find<Doc>(picked).sort(order).skip(offset).limit(limit).all()
  }

  private view(name: string, tx?: Tx): Doc[] {
    const base = this.requireCollection(name)
    if (!tx) return [...base.values()]
    const writes = tx.writes.get(name)
    const out: Doc[] = []
    for (const [id, doc] of base) {
      if (writes?.has(id)) continue
      out.push(doc)
    }
    if (writes) for (const doc of writes.values()) if (doc) out.push(doc)
    return out
  }

  private matching(p: Params): Doc[] {
    const name = String(p.collectionName)
    const tx = this.txFor(p)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const q = new Query(query)
    const docs = this.candidates(name, query, tx).filter((d) => q.test(d))
    if (tx) for (const d of docs) this.markSeen(tx, name, d._id)
    return docs
  }

  /** count(): a sorted index answers "how many above x" by position when the query is only that. */
  private count(p: Params): number {
    if (!this.txFor(p)) {
      const query = (decode(p.query) ?? {}) as Record<string, unknown>
      const name = String(p.collectionName)
      if (Object.keys(query).length === 0) return this.requireCollection(name).size // from the collection's metadata
      const slice = this.sortedSlice(name, query)
      if (slice?.exact) return slice.entries.length
    }
    return this.matching(p).length
  }

  private find(p: Params): Doc[] {
    const tx = this.txFor(p)
    if (tx && p.queryType !== 'DOC')
      throw new DbError('DATABASE_REQUEST_FAILED', 'transactions support document operations only (doc(id))')
    const name = String(p.collectionName)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const order = decode(p.order) as Record<string, 1 | -1> | undefined
    const projection = decode(p.projection) as Record<string, 0 | 1> | undefined
    const wantsProjection = projection && Object.keys(projection).length
    if (!tx && order && Object.keys(order).length && !wantsProjection) {
      const ordered = this.findOrdered(
        name,
        query,
        order,
        Number(p.offset ?? 0),
        Math.min(Number(p.limit ?? MAX_LIMIT), MAX_LIMIT),
      )
      if (ordered) return ordered.map(clone)
    }
    const source = this.candidates(name, query, tx, !(order && Object.keys(order).length))
    let cursor = new Query(query).find<Doc>(
      source,
      projection && Object.keys(projection).length ? projection : undefined,
    )
    if (order && Object.keys(order).length) cursor = cursor.sort(order)
    const offset = Number(p.offset ?? 0)
    if (offset) cursor = cursor.skip(offset)
    cursor = cursor.limit(Math.min(Number(p.limit ?? MAX_LIMIT), MAX_LIMIT))
    const docs = cursor.all().map(clone)
    if (tx && p.queryType === 'DOC') {
      const id = (query as { _id?: unknown })._id
      if (typeof id === 'string') this.markSeen(tx, name, id)
    }
    return docs
  }

  private aggregate(p: Params): Doc[] {
    const name = String(p.collectionName)
    const stages = (Array.isArray(p.stages) ? p.stages : []) as Array<{ stageKey: string; stageValue: string }>
    const pipeline = stages.map((s) => ({ [s.stageKey]: decode(s.stageValue) })) as Record<string, unknown>[]
    // A leading $match narrows the documents through the indexes, as the database would.
    const first = pipeline[0]?.$match as Record<string, unknown> | undefined
    const source =
      first && typeof first === 'object' ? this.candidates(name, first) : this.scanned(name, {}, this.view(name))
    const rows = new Aggregator(pipeline).run(source)
    const cap = pipeline.some((s) => '$limit' in s) ? AGGREGATE_MAX_ROWS : AGGREGATE_DEFAULT_ROWS
    return rows.slice(0, cap).map((d) => clone(d as Doc))
  }

  // ---- writes ----

  private insert(p: Params): string[] {
    const name = String(p.collectionName)
    const tx = this.txFor(p)
    const coll = this.requireCollection(name)
    const raw = Array.isArray(p.data) ? p.data : [p.data]
    const docs = raw.map((s) => {
      const d = this.materialise(decode(s) as Record<string, unknown>)
      if (d._id === undefined) d._id = newId()
      return d as Doc
    })
    const ids: string[] = []
    for (const doc of docs) {
      if (tx) {
        const staged = tx.writes.get(name)
        const exists = staged?.has(doc._id) ? staged.get(doc._id) !== null : coll.has(doc._id)
        if (exists) throw duplicate(name, '_id_')
        this.stage(tx, name, doc._id, doc)
      } else {
        if (coll.has(doc._id)) throw duplicate(name, '_id_')
        this.checkUnique(name, doc, coll)
        this.put(name, doc._id, doc)
        this.bump(name, doc._id)
      }
      ids.push(doc._id)
    }
    if (!tx) this.persist()
    return ids
  }

  private modify(p: Params): Record<string, unknown> {
    const name = String(p.collectionName)
    const tx = this.txFor(p)
    if (tx && p.queryType !== 'DOC')
      throw new DbError('DATABASE_REQUEST_FAILED', 'transactions support document operations only (doc(id))')
    const coll = this.requireCollection(name)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const data = this.materialise(decode(p.data) as Record<string, unknown>)
    const hasOperators = Object.keys(data).some((k) => k.startsWith('$'))
    const replace = p.merge === false && !hasOperators
    const modifier = hasOperators ? data : { $set: data }
    if (!replace) assertNoIdChange(modifier)

    const q = new Query(query)
    let targets = this.candidates(name, query, tx).filter((d) => q.test(d))
    if (p.multi === false) targets = targets.slice(0, 1)

    let updated = 0
    let upsertId: string | undefined
    let lastDoc: Doc | undefined
    const changes: Array<[string, Doc]> = []
    for (const current of targets) {
      if (tx) this.markSeen(tx, name, current._id)
      let next: Doc
      if (replace) {
        next = { ...data, _id: current._id } as Doc
      } else {
        next = clone(current)
        applyUpdate(next, modifier as never, undefined, undefined, { cloneMode: 'deep' })
      }
      if (!deepEqual(next, current)) updated++
      changes.push([current._id, next])
      lastDoc = next
    }
    if (targets.length === 0 && p.upsert === true) {
      const id = typeof query._id === 'string' ? query._id : newId()
      const base = replace ? { ...data } : {}
      const doc = { ...base, _id: id } as Doc
      if (!replace) applyUpdate(doc, modifier as never, undefined, undefined, { cloneMode: 'deep' })
      changes.push([id, doc])
      upsertId = id
      lastDoc = doc
    }
    for (const [id, doc] of changes) {
      if (tx) this.stage(tx, name, id, doc)
      else {
        this.checkUnique(name, doc, coll, id)
        this.put(name, id, doc)
        this.bump(name, id)
      }
    }
    if (!tx && changes.length) this.persist()
    const out: Record<string, unknown> = { updated, ...(upsertId ? { upsert_id: upsertId } : {}) }
    if (p.returnDoc) out.doc = lastDoc ? EJSON.stringify(lastDoc, { relaxed: false }) : undefined
    return out
  }

  private remove(p: Params): number {
    const name = String(p.collectionName)
    const tx = this.txFor(p)
    if (tx && p.queryType !== 'DOC')
      throw new DbError('DATABASE_REQUEST_FAILED', 'transactions support document operations only (doc(id))')
    this.requireCollection(name)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const q = new Query(query)
    let targets = this.candidates(name, query, tx).filter((d) => q.test(d))
    if (p.multi === false) targets = targets.slice(0, 1)
    for (const d of targets) {
      if (tx) {
        this.markSeen(tx, name, d._id)
        this.stage(tx, name, d._id, null)
      } else {
        this.del(name, d._id)
        this.bump(name, d._id)
      }
    }
    if (!tx && targets.length) this.persist()
    return targets.length
  }

  // ---- transactions ----

  private txFor(p: Params): Tx | undefined {
    if (p.transactionId === undefined || p.transactionId === null || p.transactionId === '') return undefined
    return this.requireTx(p.transactionId)
  }

  private requireTx(id: unknown): Tx {
    const tx = this.txs.get(String(id))
    if (!tx) throw new DbError('DATABASE_REQUEST_FAILED', `transaction ${String(id)} does not exist or has ended`)
    return tx
  }

  private markSeen(tx: Tx, coll: string, id: string): void {
    const key = `${coll}\u0000${id}`
    if (!tx.seen.has(key)) tx.seen.set(key, this.versions.get(key) ?? 0)
  }

  private stage(tx: Tx, coll: string, id: string, doc: Doc | null): void {
    this.markSeen(tx, coll, id)
    let m = tx.writes.get(coll)
    if (!m) tx.writes.set(coll, (m = new Map()))
    m.set(id, doc)
  }

  private commit(tx: Tx): void {
    this.txs.delete(tx.id)
    for (const [key, version] of tx.seen) {
      if ((this.versions.get(key) ?? 0) !== version) {
        throw new DbError('DATABASE_TRANSACTION_CONFLICT', 'database transaction conflict')
      }
    }
    for (const [name, writes] of tx.writes) {
      const coll = this.requireCollection(name)
      for (const [id, doc] of writes) if (doc) this.checkUnique(name, doc, coll, id)
    }
    for (const [name, writes] of tx.writes) {
      this.requireCollection(name)
      for (const [id, doc] of writes) {
        if (doc) this.put(name, id, doc)
        else this.del(name, id)
        this.bump(name, id)
      }
    }
    this.persist()
  }

  // ---- helpers ----

  private requireCollection(name: string): Map<string, Doc> {
    const coll = this.collections.get(name)
    if (!coll)
      throw new DbError(
        'DATABASE_COLLECTION_NOT_EXIST',
        `collection ${name} does not exist: create it (database/collections.json)`,
      )
    return coll
  }

  private bump(coll: string, id: string): void {
    const key = `${coll}\u0000${id}`
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1)
  }

  private checkUnique(name: string, doc: Doc, _coll: Map<string, Doc>, selfId: string = doc._id): void {
    for (const index of this.specs.get(name)?.indexes ?? []) {
      if (!index.unique) continue
      const key = uniqueKey(index, doc)
      if (key === undefined) continue
      const holder = this.uniqueIndexes.get(name)?.get(index.name)?.get(key)
      if (holder !== undefined && holder !== selfId) throw duplicate(name, index.name)
    }
  }

  /** Stores a document and keeps the indexes in step. */
  private put(name: string, id: string, doc: Doc, bulk = false): void {
    const coll = this.requireCollection(name)
    const before = coll.get(id)
    if (before) this.unindex(name, before, bulk)
    else this.order.set(`${name}\u0000${id}`, ++this.ordSeq)
    coll.set(id, doc)
    this.noteChange(name, id)
    this.index(name, doc, bulk ? 'skip' : 'insert')
  }

  private del(name: string, id: string): void {
    const coll = this.requireCollection(name)
    const before = coll.get(id)
    if (!before) return
    this.unindex(name, before)
    coll.delete(id)
    this.noteChange(name, id)
    this.order.delete(`${name}\u0000${id}`)
  }

  /** Rebuilds a collection's indexes from its spec and documents. */
  private reindex(name: string): void {
    const spec = this.specs.get(name)
    const fields = new Map<string, Map<string, Set<string>>>()
    const uniques = new Map<string, Map<string, string>>()
    for (const index of spec?.indexes ?? []) {
      const first = Object.keys(index.keys)[0]
      if (first && first !== '_id' && !fields.has(first)) fields.set(first, new Map())
      if (index.unique) uniques.set(index.name, new Map())
    }
    this.eqIndexes.set(name, fields)
    this.uniqueIndexes.set(name, uniques)
    this.sortedIndexes.set(
      name,
      (spec?.indexes ?? [])
        .filter((i) => !i.unique && !('_id' in i.keys))
        .map((i) => {
          const keys = Object.keys(i.keys)
          return {
            name: i.name,
            eqFields: keys.slice(0, -1),
            sortField: keys.at(-1)!,
            groups: new Map(),
            loose: new Set<string>(),
          }
        })
        // A compound index serves a query its equality fields fix better than a single-field one.
        .sort((a, b) => b.eqFields.length - a.eqFields.length),
    )
    for (const doc of this.collections.get(name)?.values() ?? []) {
      if (!this.order.has(`${name}\u0000${doc._id}`)) this.order.set(`${name}\u0000${doc._id}`, ++this.ordSeq)
      this.index(name, doc, 'push')
    }
    for (const ix of this.sortedIndexes.get(name) ?? []) for (const list of ix.groups.values()) list.sort(cmp)
  }

  /** Where a document sits in a sorted index: its group and entry, or null when it is loose. */
  private placeIn(name: string, ix: SortedIndex, doc: Doc): { group: string; entry: Entry } | null {
    const eq = ix.eqFields.map((f) => getPath(doc, f))
    const raw = getPath(doc, ix.sortField)
    const v = raw instanceof Date ? raw.getTime() : raw // dates order as their instants
    if (!eq.every(isScalar) || (typeof v !== 'number' && typeof v !== 'string')) return null
    return {
      group: JSON.stringify(eq.map((x) => scalarKey(x as Scalar))),
      entry: { v, o: this.order.get(`${name}\u0000${doc._id}`) ?? 0, id: doc._id },
    }
  }

  /**
   * Adds a document to the indexes. Sorted indexes: 'insert' in place, 'push' at the end (reindex
   * sorts once after a bulk load), 'skip' (a bulk load that reindexes afterwards).
   */
  private index(name: string, doc: Doc, sorted: 'insert' | 'push' | 'skip' = 'insert'): void {
    for (const ix of sorted === 'skip' ? [] : (this.sortedIndexes.get(name) ?? [])) {
      const at = this.placeIn(name, ix, doc)
      if (!at) {
        ix.loose.add(doc._id)
        continue
      }
      let list = ix.groups.get(at.group)
      if (!list) ix.groups.set(at.group, (list = []))
      if (sorted === 'push') list.push(at.entry)
      else list.splice(lowerBound(list, at.entry), 0, at.entry)
    }
    for (const [field, index] of this.eqIndexes.get(name) ?? []) {
      for (const v of fieldValues(doc, field)) {
        const k = scalarKey(v)
        let ids = index.get(k)
        if (!ids) index.set(k, (ids = new Set()))
        ids.add(doc._id)
      }
    }
    for (const spec of this.specs.get(name)?.indexes ?? []) {
      if (!spec.unique) continue
      const key = uniqueKey(spec, doc)
      if (key !== undefined) this.uniqueIndexes.get(name)?.get(spec.name)?.set(key, doc._id)
    }
  }

  private unindex(name: string, doc: Doc, bulk = false): void {
    for (const ix of this.sortedIndexes.get(name) ?? []) {
      if (bulk) continue
      ix.loose.delete(doc._id)
      const at = this.placeIn(name, ix, doc)
      const list = at && ix.groups.get(at.group)
      if (!at || !list) continue
      const i = lowerBound(list, at.entry)
      if (list[i] && cmp(list[i]!, at.entry) === 0) list.splice(i, 1)
      if (!list.length) ix.groups.delete(at.group)
    }
    for (const [field, index] of this.eqIndexes.get(name) ?? []) {
      for (const v of fieldValues(doc, field)) {
        const ids = index.get(scalarKey(v))
        ids?.delete(doc._id)
        if (ids && !ids.size) index.delete(scalarKey(v))
      }
    }
    for (const spec of this.specs.get(name)?.indexes ?? []) {
      if (!spec.unique) continue
      const key = uniqueKey(spec, doc)
      const map = this.uniqueIndexes.get(name)?.get(spec.name)
      if (key !== undefined && map?.get(key) === doc._id) map.delete(key)
    }
  }

  /** Replaces server dates and BSON regexps with their values. */
  private materialise(value: Record<string, unknown>): Record<string, unknown> {
    return walk(value, this.now()) as Record<string, unknown>
  }

  /** Marks the file stale and writes it within PERSIST_DEBOUNCE_MS (one write for a burst). */
  private persist(): void {
    if (!this.opts.file || this.opts.readOnly) return
    this.dirty = true
    if (this.persistTimer) return
    this.persistTimer = setTimeout(() => this.flush(), PERSIST_DEBOUNCE_MS)
    this.persistTimer.unref?.()
  }

  /**
   * Writes what changed since the last write. Usually an append to the journal (`<file>.journal`,
   * one EJSON line per changed document, so a write at 100k documents costs what changed, not
   * the 90 MB of the whole database); the whole snapshot when there is none yet, after a reset
   * (clear), or when more than a fifth of the documents changed (a seed). Loading replays the
   * journal over the snapshot and folds it in.
   */
  flush(): void {
    if (this.persistTimer) clearTimeout(this.persistTimer)
    this.persistTimer = undefined
    const file = this.opts.file
    if (!file || !this.dirty) return
    this.dirty = false
    this.fileWrites += 1
    mkdirSync(dirname(file), { recursive: true })
    let changedDocs = 0
    for (const ids of this.changed.values()) changedDocs += ids.size
    let total = 0
    for (const coll of this.collections.values()) total += coll.size
    if (!existsSync(file) || this.clearedAll || changedDocs > total / 5) {
      this.writeSnapshot(file)
      return
    }
    const lines: string[] = []
    if (this.specsChanged) lines.push(EJSON.stringify({ specs: [...this.specs.values()] }, { relaxed: false }))
    for (const [name, ids] of this.changed) {
      const coll = this.collections.get(name)
      for (const id of ids) {
        const doc = coll?.get(id)
        lines.push(EJSON.stringify(doc ? { c: name, put: doc } : { c: name, del: id }, { relaxed: false }))
      }
    }
    this.forgetChanges()
    if (lines.length) appendFileSync(file + JOURNAL, lines.join('\n') + '\n')
  }

  /** The journal's file beside the snapshot (tests look at both). */
  get journalFile(): string | undefined {
    return this.opts.file ? this.opts.file + JOURNAL : undefined
  }

  private changed = new Map<string, Set<string>>()
  private specsChanged = false
  private clearedAll = false

  private noteChange(name: string, id: string): void {
    if (!this.opts.file) return
    let ids = this.changed.get(name)
    if (!ids) this.changed.set(name, (ids = new Set()))
    ids.add(id)
  }

  private forgetChanges(): void {
    this.changed.clear()
    this.specsChanged = false
    this.clearedAll = false
  }

  /**
   * The snapshot, in the journal's format (a line of specs, then a line per document), written a
   * batch of lines at a time: one string of a large database would not fit in memory.
   */
  private writeSnapshot(file: string): void {
    const fd = openSync(file + '.tmp', 'w')
    try {
      writeSync(fd, EJSON.stringify({ specs: [...this.specs.values()] }, { relaxed: false }) + '\n')
      let batch: string[] = []
      for (const [name, coll] of this.collections) {
        if (!coll.size) batch.push(EJSON.stringify({ c: name }, { relaxed: false }))
        for (const doc of coll.values()) {
          batch.push(EJSON.stringify({ c: name, put: doc }, { relaxed: false }))
          if (batch.length >= SNAPSHOT_BATCH) {
            writeSync(fd, batch.join('\n') + '\n')
            batch = []
          }
        }
      }
      if (batch.length) writeSync(fd, batch.join('\n') + '\n')
    } finally {
      closeSync(fd)
    }
    renameSync(file + '.tmp', file)
    rmSync(file + JOURNAL, { force: true })
    this.forgetChanges()
  }

  private load(file: string): void {
    let firstLine = true
    let legacy = false
    eachLine(file, (line) => {
      // A snapshot written before the line format: one JSON object { collections, specs }.
      if (firstLine && line.startsWith('{"collections"')) legacy = true
      firstLine = false
      if (!legacy) this.replay(line, false)
    })
    if (legacy) {
      const parsed = EJSON.parse(readFileSync(file, 'utf8'), { relaxed: true }) as {
        collections: Record<string, Doc[]>
        specs: CollectionSpec[]
      }
      for (const spec of parsed.specs ?? []) this.specs.set(spec.name, spec)
      for (const [name, docs] of Object.entries(parsed.collections ?? {}))
        this.collections.set(name, new Map(docs.map((d) => [d._id, walk(d, 0) as Doc])))
    }
    const journal = file + JOURNAL
    const replayed = existsSync(journal)
    if (replayed) {
      const lines: string[] = []
      eachLine(journal, (line) => void lines.push(line))
      for (const [i, line] of lines.entries()) {
        // The last line may be cut short: the process stopped in the middle of writing it.
        if (!this.replay(line, i === lines.length - 1)) break
      }
    }
    for (const name of this.collections.keys()) this.reindex(name)
    // The journal (or an older format) folded into the snapshot, at start, before anything is served.
    if ((replayed || legacy) && !this.opts.readOnly) this.writeSnapshot(file)
  }

  /** Applies one line of the snapshot or the journal; false for a torn line that may be skipped. */
  private replay(line: string, mayBeTorn: boolean): boolean {
    let entry: { specs?: CollectionSpec[]; c?: string; put?: Doc; del?: string }
    try {
      entry = EJSON.parse(line, { relaxed: true }) as typeof entry
    } catch (e) {
      if (mayBeTorn) return false
      throw e
    }
    for (const spec of entry.specs ?? []) {
      this.specs.set(spec.name, spec)
      if (!this.collections.has(spec.name)) this.collections.set(spec.name, new Map())
    }
    if (!entry.c) return true
    let coll = this.collections.get(entry.c)
    if (!coll) this.collections.set(entry.c, (coll = new Map()))
    if (entry.put) coll.set(entry.put._id, walk(entry.put, 0) as Doc)
    else if (entry.del !== undefined) coll.delete(entry.del)
    return true
  }
}

/** Lines per write of the snapshot. */
const SNAPSHOT_BATCH = 2000

/** Calls `f` with each non-empty line of a file, read a megabyte at a time (a large file is no one string). */
function eachLine(file: string, f: (line: string) => void): void {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(1 << 20)
    const utf8 = new StringDecoder('utf8') // a character cut by the megabyte's edge is completed by the next
    let rest = ''
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      const text = rest + utf8.write(buf.subarray(0, n))
      const lines = text.split('\n')
      rest = lines.pop()!
      for (const line of lines) if (line) f(line)
    }
    if (rest) f(rest)
  } finally {
    closeSync(fd)
  }
}

/** The journal's suffix: `.localcloud/db.json.journal`. */
const JOURNAL = '.journal'

function decode(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined
  const parsed = typeof value === 'string' ? EJSON.parse(value, { relaxed: true }) : value
  return walk(parsed, undefined)
}

/** BSONRegExp -> RegExp; `$tcb_server_date` -> Date (when `now` is given). */
function walk(value: unknown, now: number | undefined): unknown {
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

function assertNoIdChange(modifier: Record<string, unknown>): void {
  for (const [op, fields] of Object.entries(modifier)) {
    if (fields && typeof fields === 'object' && '_id' in (fields as object)) {
      throw new DbError('DATABASE_REQUEST_FAILED', `cannot change _id (${op})`)
    }
  }
}

function duplicate(coll: string, index: string): DbError {
  return new DbError('DATABASE_REQUEST_FAILED', `E11000 duplicate key error collection: ${coll} index: ${index}`)
}

/** A unique index's key for a document (undefined when a field is missing: not indexed, as in MongoDB's sparse behaviour the engine had). */
function uniqueKey(index: IndexSpec, doc: Doc): string | undefined {
  const values = Object.keys(index.keys).map((f) => getPath(doc, f))
  if (values.some((v) => v === undefined)) return undefined
  return EJSON.stringify(values, { relaxed: false })
}

/** The scalar values a field holds (an array's elements count, as MongoDB matches them). */
function fieldValues(doc: Doc, field: string): Scalar[] {
  const v = getPath(doc, field)
  if (isScalar(v)) return [v]
  if (Array.isArray(v)) return v.filter(isScalar)
  return []
}

function getPath(doc: Record<string, unknown>, path: string): unknown {
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
function clone<T>(v: T): T {
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

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a as object)
  const kb = Object.keys(b as object)
  if (ka.length !== kb.length) return false
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}
