/**
 * The local database's transactions, as CloudBase runs them: document operations only, reads
 * and writes isolated in the transaction, and a commit that fails with
 * DATABASE_TRANSACTION_CONFLICT when a document it read or wrote was changed by someone else
 * since (the SDK's runTransaction retries it). Each document's version lives in the store.
 */
import { DbError, DOC_OPERATIONS_ONLY, docKey, newId, type Doc, type Params } from './db-values'
import type { Store } from './db-store'

export interface Tx {
  id: string
  /** collection -> id -> doc (null = deleted in this transaction) */
  writes: Map<string, Map<string, Doc | null>>
  /** "coll\u0000id" -> version seen when first touched */
  seen: Map<string, number>
}

export class Transactions {
  private txs = new Map<string, Tx>()

  constructor(private readonly store: Store) {}

  start(): string {
    const id = `tx-${newId()}`
    this.txs.set(id, { id, writes: new Map(), seen: new Map() })
    return id
  }

  abort(id: unknown): void {
    this.require(id)
    this.txs.delete(String(id))
  }

  /** Ends every open transaction (the database was emptied). */
  clear(): void {
    this.txs.clear()
  }

  /** The request's transaction (none without a `transactionId`; an unknown one is an error). */
  txFor(p: Params): Tx | undefined {
    if (p.transactionId === undefined || p.transactionId === null || p.transactionId === '') return undefined
    return this.require(p.transactionId)
  }

  /**
   * The transaction of a find, update or remove (none without a `transactionId`). CloudBase's
   * transactions take document operations only (doc(id)); a query inside one is refused.
   */
  forDocOperation(p: Params): Tx | undefined {
    const tx = this.txFor(p)
    if (tx && p.queryType !== 'DOC') throw new DbError('DATABASE_REQUEST_FAILED', DOC_OPERATIONS_ONLY)
    return tx
  }

  require(id: unknown): Tx {
    const tx = this.txs.get(String(id))
    if (!tx) throw new DbError('DATABASE_REQUEST_FAILED', `transaction ${String(id)} does not exist or has ended`)
    return tx
  }

  markSeen(tx: Tx, coll: string, id: string): void {
    const key = docKey(coll, id)
    if (!tx.seen.has(key)) tx.seen.set(key, this.store.versions.get(key) ?? 0)
  }

  stage(tx: Tx, coll: string, id: string, doc: Doc | null): void {
    this.markSeen(tx, coll, id)
    let m = tx.writes.get(coll)
    if (!m) tx.writes.set(coll, (m = new Map()))
    m.set(id, doc)
  }

  commit(tx: Tx): void {
    this.txs.delete(tx.id)
    for (const [key, version] of tx.seen) {
      if ((this.store.versions.get(key) ?? 0) !== version) {
        throw new DbError('DATABASE_TRANSACTION_CONFLICT', 'database transaction conflict')
      }
    }
    for (const [name, writes] of tx.writes) {
      const coll = this.store.requireCollection(name)
      for (const [id, doc] of writes) if (doc) this.store.checkUnique(name, doc, coll, id)
    }
    for (const [name, writes] of tx.writes) {
      this.store.requireCollection(name)
      for (const [id, doc] of writes) {
        if (doc) this.store.put(name, id, doc)
        else this.store.del(name, id)
        this.store.bump(name, id)
      }
    }
  }
}
