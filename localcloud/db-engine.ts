/**
 * The database behind the local cloud. It answers the requests that @cloudbase/database
 * (inside the real wx-server-sdk) sends over HTTP — `database.getDocument`,
 * `database.insertDocument`, ... with EJSON-encoded queries and updates — and evaluates
 * them with mingo (MongoDB query and update operators). So `db.command`, `serverDate`,
 * `throwOnNotFound`, transactions and the result shapes are the SDK's own code; only the
 * server side is here.
 *
 * Semantics copied from CloudBase (each covered in tests/localcloud/database.test.ts):
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
 *
 * This file owns the wire protocol (dispatch, answers, the request log) and the document
 * reads (count, find, aggregate). Its parts: db-values.ts (types and
 * pure helpers), db-store.ts (documents and indexes), db-planner.ts (finding documents),
 * db-writes.ts (insert, modify, remove), db-tx.ts (transactions), db-file.ts (the file), db-faults.ts (latency and injected failures).
 */
import { EJSON } from 'bson'
import { Aggregator, Query } from 'mingo'
import { DbFile } from './db-file'
import { Faults, Wire, type LatencyRange } from './db-faults'
import { Planner } from './db-planner'
import { Store } from './db-store'
import { Transactions } from './db-tx'
import { Writes } from './db-writes'
import { DbError, clone, decode, newId, type CollectionSpec, type Doc, type Params } from './db-values'

export { parseLatency, seededRandom, type LatencyRange } from './db-faults'
export { PERSIST_DEBOUNCE_MS } from './db-file'
export { SCAN_LIMIT } from './db-planner'
export { newId, type CollectionSpec, type Doc, type IndexSpec } from './db-values'

export interface DbResponse {
  requestId: string
  code?: string
  message?: string
  data?: Record<string, unknown>
  transactionId?: string
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
export class DbEngine {
  private readonly file: DbFile
  private readonly store: Store
  private readonly planner: Planner
  private readonly txs: Transactions
  private readonly wire = new Wire()
  private readonly faults = new Faults()
  private readonly writes: Writes
  private seq = 0
  /** Every request served, for the console and for tests that count writes. */
  readonly log: Array<{ action: string; collection?: string; at: number; ok: boolean }> = []

  /** `readOnly`: load the file and never write it (npm run recordings:pull reads npm start's database while it runs). */
  constructor(private readonly opts: { file?: string; now?: () => number; readOnly?: boolean } = {}) {
    this.store = new Store((name, id) => this.file.noteChange(name, id))
    this.file = new DbFile(this.store, opts)
    this.planner = new Planner(this.store)
    this.txs = new Transactions(this.store)
    this.writes = new Writes(this.store, this.planner, this.txs, this.file, () => this.now())
    this.file.open()
  }

  now(): number {
    return this.opts.now ? this.opts.now() : Date.now()
  }

  // ---- what tests and the console read and set ----

  /** Network time per request (ms), 0 by default: see Wire. `setLatency` gives CloudBase's jitter. */
  get latencyMs(): number {
    return this.wire.fixedMs
  }
  set latencyMs(ms: number) {
    this.wire.fixedMs = ms
  }
  /** The waits callers made (requests in flight together share one). */
  get roundTrips(): number {
    return this.wire.roundTrips
  }
  set roundTrips(n: number) {
    this.wire.roundTrips = n
  }
  setLatency(range: LatencyRange | null): void {
    this.wire.setLatency(range)
  }
  get latency(): LatencyRange | null {
    return this.wire.latency
  }
  /** Documents examined by queries so far (a read stays small as a collection grows). */
  get examined(): number {
    return this.planner.examined
  }
  set examined(n: number) {
    this.planner.examined = n
  }
  /** Above this many documents a query no index serves is refused ('refuse') or warned about ('warn'). */
  get scanLimit(): number {
    return this.planner.scanLimit
  }
  set scanLimit(n: number) {
    this.planner.scanLimit = n
  }
  get scanPolicy(): 'refuse' | 'warn' {
    return this.planner.scanPolicy
  }
  set scanPolicy(policy: 'refuse' | 'warn') {
    this.planner.scanPolicy = policy
  }
  /** How many times the file was written (tests check that writes are batched). */
  get fileWrites(): number {
    return this.file.fileWrites
  }
  /** The journal's file beside the snapshot (tests look at both). */
  get journalFile(): string | undefined {
    return this.file.journalFile
  }
  /** Writes what changed since the last write (see DbFile.flush). */
  flush(): void {
    this.file.flush()
  }

  /**
   * The next request matching `action` (e.g. 'database.modifyDocument') and/or `collection`
   * fails with DATABASE_REQUEST_FAILED, as a database hiccup would (the SDK throws it);
   * `skip` lets that many matching requests through first.
   */
  failNext(match: { action?: string; collection?: string; skip?: number }, times = 1): void {
    this.faults.failNext(match, times)
  }

  // ---- administration (what the CloudBase console does) ----

  createCollection(spec: CollectionSpec): void {
    if (!this.store.collections.has(spec.name)) this.store.collections.set(spec.name, new Map())
    this.store.specs.set(spec.name, spec)
    this.file.specsChanged = true
    this.store.reindex(spec.name)
    this.file.persist()
  }

  /** A collection's declared indexes and rules, as the console would show them (npm run doctor). */
  specOf(name: string): CollectionSpec | undefined {
    const spec = this.store.specs.get(name)
    return spec ? (JSON.parse(JSON.stringify(spec)) as CollectionSpec) : undefined
  }

  collectionNames(): string[] {
    return [...this.store.collections.keys()].sort()
  }

  /** A copy of every document of a collection (for tests and the console). */
  dump(name: string): Doc[] {
    const coll = this.store.collections.get(name)
    return coll ? [...coll.values()].map(clone) : []
  }

  /** Empties every collection (collections, indexes and rules stay), as a fresh environment has them. */
  clear(): void {
    for (const [name, coll] of this.store.collections) {
      for (const id of coll.keys()) this.store.bump(name, id)
      coll.clear()
      this.store.reindex(name)
    }
    this.store.clearOrder()
    this.txs.clear()
    this.faults.clear()
    this.file.clearedAll = true
    this.file.persist()
  }

  /** Writes a document directly (seeding), bypassing the SDK. */
  seed(name: string, docs: Array<Record<string, unknown>>): void {
    const coll = this.store.requireCollection(name)
    for (const d of docs) {
      const doc = { ...d, _id: typeof d._id === 'string' ? d._id : newId() } as Doc
      this.store.checkUnique(name, doc, coll)
      this.store.put(name, doc._id, doc, true)
      this.store.bump(name, doc._id)
    }
    // Sorted indexes are rebuilt once for a bulk load (one sort, not an insertion per document).
    this.store.reindex(name)
    this.file.persist()
  }

  // ---- the wire protocol ----

  async handle(action: string, params: Params = {}): Promise<DbResponse> {
    return this.wire.around(() => this.answer(action, params))
  }

  private answer(action: string, params: Params): DbResponse {
    const requestId = `local-db-${++this.seq}`
    const collection = typeof params.collectionName === 'string' ? params.collectionName : undefined
    const injected = this.faults.take(action, collection)
    if (injected) {
      this.log.push({ action, ...(collection ? { collection } : {}), at: this.now(), ok: false })
      return { requestId, code: injected.code, message: injected.message }
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
      case 'database.startTransaction':
        return { transactionId: this.txs.start() }
      case 'database.commitTransaction':
        this.txs.commit(this.txs.require(p.transactionId))
        this.file.persist()
        return {}
      case 'database.abortTransaction':
        this.txs.abort(p.transactionId)
        return {}
      case 'database.getDocument':
        return { list: this.find(p).map((d) => EJSON.stringify(d, { relaxed: false })) }
      case 'database.calculateDocument':
        return { total: this.count(p) }
      case 'database.insertDocument':
        return { insertedIds: this.writes.insert(p) }
      case 'database.modifyDocument':
        return this.writes.modify(p)
      case 'database.modifyAndReturnDoc': {
        const r = this.writes.modify({ ...p, multi: false, merge: true, upsert: false, returnDoc: true })
        return r
      }
      case 'database.removeDocument':
        return { deleted: this.writes.remove(p) }
      case 'database.aggregateDocuments':
        return { list: this.aggregate(p).map((d) => EJSON.stringify(d, { relaxed: false })) }
      default:
        throw new DbError('DATABASE_REQUEST_FAILED', `localcloud: database action ${action} is not supported`)
    }
  }

  // ---- reads ----

  private matching(p: Params): Doc[] {
    const name = String(p.collectionName)
    const tx = this.txs.txFor(p)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const q = new Query(query)
    const docs = this.planner.candidates(name, query, tx).filter((d) => q.test(d))
    if (tx) for (const d of docs) this.txs.markSeen(tx, name, d._id)
    return docs
  }

  /** count(): a sorted index answers "how many above x" by position when the query is only that. */
  private count(p: Params): number {
    if (!this.txs.txFor(p)) {
      const query = (decode(p.query) ?? {}) as Record<string, unknown>
      const name = String(p.collectionName)
      if (Object.keys(query).length === 0) return this.store.requireCollection(name).size // from the collection's metadata
      const slice = this.planner.sortedSlice(name, query)
      if (slice?.exact) return slice.entries.length
    }
    return this.matching(p).length
  }

  private find(p: Params): Doc[] {
    const tx = this.txs.forDocOperation(p)
    const name = String(p.collectionName)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const order = decode(p.order) as Record<string, 1 | -1> | undefined
    const projection = decode(p.projection) as Record<string, 0 | 1> | undefined
    const wantsProjection = projection && Object.keys(projection).length
    if (!tx && order && Object.keys(order).length && !wantsProjection) {
      const ordered = this.planner.findOrdered(
        name,
        query,
        order,
        Number(p.offset ?? 0),
        Math.min(Number(p.limit ?? MAX_LIMIT), MAX_LIMIT),
      )
      if (ordered) return ordered.map(clone)
    }
    const source = this.planner.candidates(name, query, tx, !(order && Object.keys(order).length))
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
      if (typeof id === 'string') this.txs.markSeen(tx, name, id)
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
      first && typeof first === 'object'
        ? this.planner.candidates(name, first)
        : this.planner.scanned(name, {}, this.planner.view(name))
    const rows = new Aggregator(pipeline).run(source)
    const cap = pipeline.some((s) => '$limit' in s) ? AGGREGATE_MAX_ROWS : AGGREGATE_DEFAULT_ROWS
    return rows.slice(0, cap).map((d) => clone(d as Doc))
  }
}
