/**
 * The share capability's records: the collections (shares, share_entries, share_counts,
 * share_totals, share_posters; group_members is rank/board.ts's GROUPS), a share id, and an
 * entry recorded once per person and share in one transaction with the sharer's sharded counters
 * (counts.ts), retried on a conflict; whether the one entering is new (their login count).
 */
import { randomBytes } from 'node:crypto'
import type { ShareView } from '../../typings/share'
import { db, findDocs, getDoc, isTxConflict } from '../db'
import { addEntry, COUNT_SHARDS, countsId, emptyCounts, entryIncrements } from './counts'

export const SHARES = 'shares'
export const ENTRIES = 'share_entries'
export const POSTERS = 'share_posters'
export const TOTALS = 'share_totals'
export const COUNTS = 'share_counts'

/** The code opens this version of the mini-program (MINIPROGRAM_STATE, as for subscribe messages). */
export function envVersion(): 'release' | 'trial' | 'develop' {
  const s = process.env.MINIPROGRAM_STATE
  return s === 'developer' ? 'develop' : s === 'trial' ? 'trial' : 'release'
}

export const newShareId = () => Array.from(randomBytes(12), (b) => (b % 36).toString(36)).join('')

export interface ShareDoc {
  _id: string
  _openid: string
  page: string
  via: ShareView['via']
  createdAt: Date
  /** Counters kept here before counts were sharded (share_counts); still added in. */
  entries?: number
  newUsers?: number
}

/** Tries of the entry's transaction (it backs off between them, server/db.ts transact). */
export const ENTRY_TX_ATTEMPTS = 20

/** A transaction opened with db.startTransaction (add is one of its documented operations). */
export interface EntryTx {
  collection(name: string): {
    add(o: { data: Record<string, unknown> }): Promise<unknown>
    doc(id: string): {
      update(o: { data: Record<string, unknown> }): Promise<unknown>
      set(o: { data: Record<string, unknown> }): Promise<unknown>
    }
  }
  commit(): Promise<unknown>
  rollback(): Promise<unknown>
}

/** An answer of a document operation that carries an error code instead of throwing it (the SDK does both). */
export const failedWith = (r: PromiseSettledResult<unknown>): unknown =>
  r.status === 'rejected'
    ? r.reason
    : r.value && typeof r.value === 'object' && (r.value as { code?: unknown }).code
      ? r.value
      : null

export const NOT_ATTRIBUTED = { attributed: false, newUser: false } as const

/**
 * One entry in three round trips: (1) the share, whether the caller is new, and a transaction,
 * at once; (2) in the transaction, the entry added under its id `<shareId>:<openid>` (a second
 * entry of the same person is refused by the id) and one of the sharer's count documents
 * incremented in place (picked at random: a crowd spreads over COUNT_SHARDS documents); (3) the
 * commit. The entry and its count land together or not at all, so a retry after a crash at any
 * point counts once. 'CONFLICT': a concurrent transaction won; the caller runs it again.
 */
export async function enterOnce(
  input: { shareId: string; scene: number; page: string },
  openid: string,
): Promise<{ attributed: boolean; newUser: boolean } | 'CONFLICT'> {
  const [share, newUser, t] = await Promise.all([
    getDoc<ShareDoc>(SHARES, input.shareId),
    isNewUser(openid),
    db().startTransaction() as unknown as Promise<EntryTx>,
  ])
  if (!share || share._openid === openid) {
    await t.rollback()
    return NOT_ATTRIBUTED
  }
  const entryId = `${input.shareId}:${openid}`
  const counts = t.collection(COUNTS).doc(countsId(share._openid, Math.floor(Math.random() * COUNT_SHARDS)))
  const _ = db().command
  const inc = Object.fromEntries(
    Object.entries(entryIncrements(input.shareId, newUser)).map(([path, n]) => [path, _.inc(n)]),
  )
  const [added, counted] = await Promise.allSettled([
    t.collection(ENTRIES).add({
      data: {
        _id: entryId,
        shareId: input.shareId,
        sharer: share._openid,
        openid,
        scene: input.scene,
        page: input.page,
        newUser,
        at: new Date(),
      },
    }),
    counts.update({ data: inc }),
  ])
  const failure = failedWith(added) ?? failedWith(counted)
  if (failure) {
    // CloudBase may have ended the transaction with the failed operation; it expires unused either way.
    await t.rollback().catch(() => undefined)
    if (await getDoc(ENTRIES, entryId)) return NOT_ATTRIBUTED // came in this way before
    if (isTxConflict(failure)) return 'CONFLICT'
    throw failure
  }
  // The sharer's first entry on this count document (a share made before they were created ahead).
  if ((counted as PromiseFulfilledResult<{ stats?: { updated?: number } }>).value?.stats?.updated === 0)
    await counts.set({ data: addEntry(null, share._openid, input.shareId, newUser) })
  try {
    await t.commit()
  } catch (e) {
    if (isTxConflict(e)) return 'CONFLICT'
    throw e
  }
  return { attributed: true, newUser }
}

/**
 * The sharer's COUNT_SHARDS count documents, made when they share (not on the first entry, which
 * would then cost a round trip more). Concurrent makers: a duplicate is fine once it exists.
 */
export async function ensureCounts(sharer: string): Promise<void> {
  const have = await findDocs<{ _id: string }>(
    db().collection(COUNTS).where({ sharer }).field({ _id: true }).limit(COUNT_SHARDS),
  )
  if (have.length >= COUNT_SHARDS) return
  const ids = new Set(have.map((d) => d._id))
  const missing = Array.from({ length: COUNT_SHARDS }, (_v, k) => countsId(sharer, k)).filter((id) => !ids.has(id))
  await Promise.all(
    missing.map(async (id) => {
      try {
        await db()
          .collection(COUNTS)
          .add({ data: { ...emptyCounts(sharer), _id: id } })
      } catch (e) {
        if (!(await getDoc(COUNTS, id))) throw e
      }
    }),
  )
}

export async function isNewUser(openid: string): Promise<boolean> {
  // The app records an entry after login: a user on their first login is new to the app.
  const [user] = await findDocs<{ loginCount?: number }>(db().collection('users').where({ openids: openid }).limit(1))
  return !user || (user.loginCount ?? 0) <= 1
}
