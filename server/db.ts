import type { DB } from 'wx-server-sdk'
import { initCloud } from './wx'

/**
 * The database with `throwOnNotFound: false`: `doc(id).get()` on a missing id resolves
 * `{ data: null }` instead of throwing errCode -1 (wx-server-sdk's documented default).
 */
export function db(): DB.Database {
  return initCloud().database({ throwOnNotFound: false } as DB.IDatabaseConfig)
}

/** Dates come back from the database as Date; the wire carries milliseconds. */
export function toMillis(d: unknown): number {
  if (d instanceof Date) return d.getTime()
  if (typeof d === 'number') return d
  if (typeof d === 'string') return Date.parse(d)
  return 0
}

/** `query.get()` typed: the shipped d.ts answers a union with string | void. */
export async function findDocs<T>(query: { get(): unknown }): Promise<T[]> {
  const res = (await query.get()) as DB.IQueryResult
  return res.data as unknown as T[]
}

/** `doc(id).get()` typed, null when missing (db() uses throwOnNotFound: false). */
export async function getDoc<T>(collection: string, id: string): Promise<T | null> {
  const res = (await db().collection(collection).doc(id).get()) as DB.IQuerySingleResult
  return (res.data as unknown as T | null) ?? null
}

/** The transaction object runTransaction passes (untyped in the shipped d.ts): document operations only. */
export interface Tx {
  collection(name: string): {
    doc(id: string): {
      get(): Promise<unknown>
      update(o: { data: Record<string, unknown> }): Promise<unknown>
      set(o: { data: Record<string, unknown> }): Promise<unknown>
      remove(): Promise<unknown>
    }
  }
}

/** A transaction that lost to concurrent ones too often (CloudBase's DATABASE_TRANSACTION_CONFLICT). */
export function isTxConflict(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'DATABASE_TRANSACTION_CONFLICT'
}

/**
 * runTransaction for a contended document (many requests of one user at once): the SDK retries a
 * conflict at once and only 3 times; this backs off a little between runs (jittered) so the
 * contenders go one after the other. Still conflicting after `attempts`: the conflict is thrown
 * (the router answers WECHAT_BUSY).
 */
export async function transact<T>(fn: (t: Tx) => Promise<T>, attempts = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return (await db().runTransaction(fn as never, 0)) as T
    } catch (e) {
      if (!isTxConflict(e) || i >= attempts) throw e
      await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 20 * i)))
    }
  }
}

/** Which write of updateElseAdd took effect. */
export type UpsertResult = 'UPDATED' | 'ADDED' | 'NONE'

/**
 * A write to a document that may not exist yet, with no read-then-write window: the update (on
 * the _id and `where`); when it changed nothing, the whole document added; when the add fails
 * because a concurrent writer added it meanwhile (a duplicate _id is not reliably coded: look),
 * the update once more. `tryUpdateFirst: false` starts with the add (a document known to be new).
 * 'NONE': the document exists and `where` does not hold (or the update changed nothing).
 */
export async function updateElseAdd(
  collection: string,
  id: string,
  where: Record<string, unknown>,
  update: Record<string, unknown>,
  whole: object,
  tryUpdateFirst = true,
): Promise<UpsertResult> {
  const coll = db().collection(collection)
  const updated = async () =>
    ((await coll.where({ _id: id, ...where }).update({ data: update })) as DB.IUpdateResult).stats.updated > 0
  if (tryUpdateFirst && (await updated())) return 'UPDATED'
  try {
    await coll.add({ data: { ...whole, _id: id } })
    return 'ADDED'
  } catch (e) {
    if (!(await getDoc(collection, id))) throw e
    return (await updated()) ? 'UPDATED' : 'NONE'
  }
}
