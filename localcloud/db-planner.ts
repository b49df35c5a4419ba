/**
 * How the local database finds documents, the way CloudBase's indexes would: by `_id`, by an
 * equality index, by a sorted index's group and range (also walked in order for a sorted page,
 * and counted by position); else a full scan, refused on a large collection in tests and warned
 * about in npm start. It counts the documents it examines (the bench and the scale tests read it).
 */
import { Query } from 'mingo'
import { DbError, isScalar, scalarKey, type Doc, type Scalar } from './db-values'
import { lowerBound, type Entry, type SortedIndex, type Store } from './db-store'
import type { Tx } from './db-tx'

/** A run of a sorted index's group, by bounds (entries are not copied). */
interface Slice {
  list: Entry[]
  lo: number
  hi: number
  length: number
  at: (k: number) => Entry
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte'])

/** A query on a collection larger than this that no index serves is refused in tests (see Planner.scanned). */
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

export class Planner {
  constructor(private readonly store: Store) {}

  /**
   * The documents a query can match, found the way CloudBase's indexes would find them: by `_id`
   * directly; by an index's first field given a value (or `$in` values); by a compound or
   * single-field index whose equality fields are given, narrowed by a range on its ordered
   * field; the smallest of these wins. Conditions inside a top-level `$and` count as the
   * query's own. With no index that fits, every document is examined, and a collection of more
   * than `scanLimit` documents is refused (or warned about): see `scanned`.
   * Inside a transaction a document read by `_id` is looked up, not copied out of the collection.
   */
  candidates(name: string, query: Record<string, unknown>, tx?: Tx, bounded = false): Doc[] {
    const base = this.store.requireCollection(name)
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
    for (const [field, index] of this.store.eqIndexes.get(name) ?? []) {
      const values = idValues(where.get(field))
      if (!values) continue
      const found = new Set<string>()
      for (const v of values) for (const i of index.get(scalarKey(v)) ?? []) found.add(i)
      if (!best || found.size < best.size) {
        best = {
          size: found.size,
          get: () =>
            [...found]
              .sort((a, b) => this.store.orderOf(name, a) - this.store.orderOf(name, b))
              .map((i) => base.get(i)!)
              .filter(Boolean),
        }
      }
    }
    for (const ix of this.store.sortedIndexes.get(name) ?? []) {
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
              .sort((a, b) => this.store.orderOf(name, a) - this.store.orderOf(name, b))
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
  narrowedByEquality(name: string, query: Record<string, unknown>): boolean {
    const where = conjuncts(query)
    if (idValues(where.get('_id'))) return true
    return [...(this.store.eqIndexes.get(name)?.keys() ?? [])].some((f) => idValues(where.get(f)) !== null)
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
  scanned(name: string, query: Record<string, unknown>, docs: Doc[], bounded = false): Doc[] {
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
  sortedSlice(
    name: string,
    query: Record<string, unknown>,
    sortField?: string,
    only?: SortedIndex,
  ): { ix: SortedIndex; entries: Slice; exact: boolean } | null {
    const where = conjuncts(query)
    for (const ix of only ? [only] : (this.store.sortedIndexes.get(name) ?? [])) {
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
  findOrdered(
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
    const coll = this.store.requireCollection(name)
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
    const ord = (d: Doc) => this.store.orderOf(name, d._id)
    picked.sort((a, b) => ord(a) - ord(b))
    return new Query({}).find<Doc>(picked).sort(order).skip(offset).limit(limit).all()
  }

  view(name: string, tx?: Tx): Doc[] {
    const base = this.store.requireCollection(name)
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
}
