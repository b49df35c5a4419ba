/**
 * The local database's writes: insert (a generated 32-hex `_id`, duplicates refused), modify
 * (mingo's update operators, merge or replace, upsert, modifyAndReturnDoc) and remove, each
 * straight into the store or staged in the request's transaction; server dates become the
 * engine's clock. The targets of a modify or remove are found by the planner, as reads are.
 */
import { EJSON } from 'bson'
import { Query, update as applyUpdate } from 'mingo'
import { assertNoIdChange, clone, decode, deepEqual, duplicate, newId, walk, type Doc, type Params } from './db-values'
import { type Transactions } from './db-tx'
import { type Store } from './db-store'
import { type Planner } from './db-planner'
import { type DbFile } from './db-file'

export class Writes {
  constructor(
    private readonly store: Store,
    private readonly planner: Planner,
    private readonly txs: Transactions,
    private readonly file: DbFile,
    private readonly now: () => number,
  ) {}

  insert(p: Params): string[] {
    const name = String(p.collectionName)
    const tx = this.txs.txFor(p)
    const coll = this.store.requireCollection(name)
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
        this.txs.stage(tx, name, doc._id, doc)
      } else {
        if (coll.has(doc._id)) throw duplicate(name, '_id_')
        this.store.checkUnique(name, doc, coll)
        this.store.put(name, doc._id, doc)
        this.store.bump(name, doc._id)
      }
      ids.push(doc._id)
    }
    if (!tx) this.file.persist()
    return ids
  }

  modify(p: Params): Record<string, unknown> {
    const name = String(p.collectionName)
    const tx = this.txs.forDocOperation(p)
    const coll = this.store.requireCollection(name)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const data = this.materialise(decode(p.data) as Record<string, unknown>)
    const hasOperators = Object.keys(data).some((k) => k.startsWith('$'))
    const replace = p.merge === false && !hasOperators
    const modifier = hasOperators ? data : { $set: data }
    if (!replace) assertNoIdChange(modifier)

    const q = new Query(query)
    let targets = this.planner.candidates(name, query, tx).filter((d) => q.test(d))
    if (p.multi === false) targets = targets.slice(0, 1)

    let updated = 0
    let upsertId: string | undefined
    let lastDoc: Doc | undefined
    const changes: Array<[string, Doc]> = []
    for (const current of targets) {
      if (tx) this.txs.markSeen(tx, name, current._id)
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
      if (tx) this.txs.stage(tx, name, id, doc)
      else {
        this.store.checkUnique(name, doc, coll, id)
        this.store.put(name, id, doc)
        this.store.bump(name, id)
      }
    }
    if (!tx && changes.length) this.file.persist()
    const out: Record<string, unknown> = { updated, ...(upsertId ? { upsert_id: upsertId } : {}) }
    if (p.returnDoc) out.doc = lastDoc ? EJSON.stringify(lastDoc, { relaxed: false }) : undefined
    return out
  }

  remove(p: Params): number {
    const name = String(p.collectionName)
    const tx = this.txs.forDocOperation(p)
    this.store.requireCollection(name)
    const query = (decode(p.query) ?? {}) as Record<string, unknown>
    const q = new Query(query)
    let targets = this.planner.candidates(name, query, tx).filter((d) => q.test(d))
    if (p.multi === false) targets = targets.slice(0, 1)
    for (const d of targets) {
      if (tx) {
        this.txs.markSeen(tx, name, d._id)
        this.txs.stage(tx, name, d._id, null)
      } else {
        this.store.del(name, d._id)
        this.store.bump(name, d._id)
      }
    }
    if (!tx && targets.length) this.file.persist()
    return targets.length
  }

  /** Replaces server dates and BSON regexps with their values. */
  private materialise(value: Record<string, unknown>): Record<string, unknown> {
    return walk(value, this.now()) as Record<string, unknown>
  }
}
