/**
 * The local database's documents and indexes: collections by name, each document's version (for
 * transactions' conflict check) and insertion order, and the three kinds of index CloudBase keeps
 * (equality on an index's first field, sorted compound indexes, unique keys), kept in step with
 * every put and delete. Reads plan against it (db-planner.ts); it does not know the wire protocol.
 */
import {
  DbError,
  duplicate,
  docKey,
  fieldValues,
  getPath,
  isScalar,
  scalarKey,
  uniqueKey,
  type CollectionSpec,
  type Doc,
  type Scalar,
} from './db-values'

/**
 * A compound index (equality fields, then one ordered field), as CloudBase keeps it: per value of
 * the equality fields, the documents in the order of the last field. Answers "the first n by
 * steps" and "how many above x" without looking at the rest.
 */
export interface SortedIndex {
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
export interface Entry {
  v: number | string
  o: number
  id: string
}

export function cmp(a: Entry, b: Entry): number {
  if (a.v !== b.v) {
    if (typeof a.v !== typeof b.v) return typeof a.v === 'number' ? -1 : 1
    return a.v < b.v ? -1 : 1
  }
  return a.o - b.o
}

/** First position whose entry is not before `e` (binary search). */
export function lowerBound(list: Entry[], e: Entry, from = 0, to = list.length): number {
  let lo = from
  let hi = to
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cmp(list[mid]!, e) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

export class Store {
  readonly collections = new Map<string, Map<string, Doc>>()
  readonly specs = new Map<string, CollectionSpec>()
  /** "coll\u0000id" -> how many times the document was written (transactions compare them). */
  readonly versions = new Map<string, number>()
  /** collection -> field (first of a declared index) -> value key -> ids. */
  readonly eqIndexes = new Map<string, Map<string, Map<string, Set<string>>>>()
  /** collection -> compound indexes with an ordered last field. */
  readonly sortedIndexes = new Map<string, SortedIndex[]>()
  /** collection -> unique index name -> key -> id. */
  private uniqueIndexes = new Map<string, Map<string, Map<string, string>>>()
  /** Insertion order of each document, so indexed reads keep the collection's natural order. */
  private order = new Map<string, number>()
  private ordSeq = 0

  /** `onChange`: told of every document stored or deleted (the file's journal). */
  constructor(private readonly onChange: (name: string, id: string) => void = () => {}) {}

  /** A document's insertion order (0 when unknown). */
  orderOf(name: string, id: string): number {
    return this.order.get(docKey(name, id)) ?? 0
  }

  /** Forgets every insertion order (the collections were emptied). */
  clearOrder(): void {
    this.order.clear()
  }

  requireCollection(name: string): Map<string, Doc> {
    const coll = this.collections.get(name)
    if (!coll)
      throw new DbError(
        'DATABASE_COLLECTION_NOT_EXIST',
        `collection ${name} does not exist: create it (database/collections.json)`,
      )
    return coll
  }

  bump(coll: string, id: string): void {
    const key = docKey(coll, id)
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1)
  }

  checkUnique(name: string, doc: Doc, _coll: Map<string, Doc>, selfId: string = doc._id): void {
    for (const index of this.specs.get(name)?.indexes ?? []) {
      if (!index.unique) continue
      const key = uniqueKey(index, doc)
      if (key === undefined) continue
      const holder = this.uniqueIndexes.get(name)?.get(index.name)?.get(key)
      if (holder !== undefined && holder !== selfId) throw duplicate(name, index.name)
    }
  }

  /** Stores a document and keeps the indexes in step. */
  put(name: string, id: string, doc: Doc, bulk = false): void {
    const coll = this.requireCollection(name)
    const before = coll.get(id)
    if (before) this.unindex(name, before, bulk)
    else this.order.set(docKey(name, id), ++this.ordSeq)
    coll.set(id, doc)
    this.onChange(name, id)
    this.index(name, doc, bulk ? 'skip' : 'insert')
  }

  del(name: string, id: string): void {
    const coll = this.requireCollection(name)
    const before = coll.get(id)
    if (!before) return
    this.unindex(name, before)
    coll.delete(id)
    this.onChange(name, id)
    this.order.delete(docKey(name, id))
  }

  /** Rebuilds a collection's indexes from its spec and documents. */
  reindex(name: string): void {
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
      if (!this.order.has(docKey(name, doc._id))) this.order.set(docKey(name, doc._id), ++this.ordSeq)
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
      entry: { v, o: this.order.get(docKey(name, doc._id)) ?? 0, id: doc._id },
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
}
