/**
 * Cloud function `share`: share intents (the page's share id bound to the caller), entries from
 * shared cards (once per person and share, the sharer's own opens not counted, new users told
 * apart by their login count), group membership from group cards (CloudID checked through
 * OPEN_DATA_INFO), and the caller's shares with their counts. Counts are sharded counters kept
 * when an entry is recorded (in one transaction with the entry, so a repeated entry never counts
 * twice; server/share/counts.ts); reading them is one round trip at any number of entries.
 * Contract: typings/share.ts. Collections: shares, share_entries, share_counts (share_totals and
 * the shares' own counters: what was counted before sharding, still added in), group_members.
 */
import type { ShareContract, ShareView } from '../../../typings/share'
import { schemas } from './schemas'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc, isTxConflict, toMillis } from '../../../server/db'
import { enteredGroup, refreshOwnRows } from '../../../server/rank/store'
import { openData } from '../../../server/opendata'
import { isSdkError } from '../../../server/errors'
import { initCloud, openapi } from '../../../server/wx'
import { randomBytes } from 'node:crypto'
import {
  COUNT_SHARDS,
  addEntry,
  countsId,
  emptyCounts,
  entryIncrements,
  sumCounts,
  type CountsDoc,
  type TotalsDoc,
} from '../../../server/share/counts'

const SHARES = 'shares'
const ENTRIES = 'share_entries'
const GROUPS = 'group_members'
const POSTERS = 'share_posters'
const TOTALS = 'share_totals'
const COUNTS = 'share_counts'

/** The code opens this version of the mini-program (MINIPROGRAM_STATE, as for subscribe messages). */
function envVersion(): 'release' | 'trial' | 'develop' {
  const s = process.env.MINIPROGRAM_STATE
  return s === 'developer' ? 'develop' : s === 'trial' ? 'trial' : 'release'
}

const newShareId = () => Array.from(randomBytes(12), (b) => (b % 36).toString(36)).join('')

interface ShareDoc {
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
const ENTRY_TX_ATTEMPTS = 20

/** A transaction opened with db.startTransaction (add is one of its documented operations). */
interface EntryTx {
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
const failedWith = (r: PromiseSettledResult<unknown>): unknown =>
  r.status === 'rejected'
    ? r.reason
    : r.value && typeof r.value === 'object' && (r.value as { code?: unknown }).code
      ? r.value
      : null

const NOT_ATTRIBUTED = { attributed: false, newUser: false } as const

/**
 * One entry in three round trips: (1) the share, whether the caller is new, and a transaction,
 * at once; (2) in the transaction, the entry added under its id `<shareId>:<openid>` (a second
 * entry of the same person is refused by the id) and one of the sharer's count documents
 * incremented in place (picked at random: a crowd spreads over COUNT_SHARDS documents); (3) the
 * commit. The entry and its count land together or not at all, so a retry after a crash at any
 * point counts once. 'CONFLICT': a concurrent transaction won; the caller runs it again.
 */
async function enterOnce(
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
async function ensureCounts(sharer: string): Promise<void> {
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

async function isNewUser(openid: string): Promise<boolean> {
  // The app records an entry after login: a user on their first login is new to the app.
  const [user] = await findDocs<{ loginCount?: number }>(db().collection('users').where({ openids: openid }).limit(1))
  return !user || (user.loginCount ?? 0) <= 1
}

export const main = createRouter<ShareContract>('share', {
  recordIntent: {
    input: schemas.recordIntent,
    async handle(input, ctx) {
      const doc: ShareDoc = {
        _id: input.shareId,
        _openid: ctx.openid,
        page: input.page,
        via: input.via,
        createdAt: new Date(),
      }
      try {
        await Promise.all([db().collection(SHARES).add({ data: doc }), ensureCounts(ctx.openid)])
        return { recorded: true }
      } catch (e) {
        const prior = await getDoc<ShareDoc>(SHARES, input.shareId)
        if (!prior) throw e
        if (prior._openid !== ctx.openid)
          return ctx.fail('SHARE_ID_TAKEN', 'This share id belongs to someone else; make a new one.')
        return { recorded: false } // a retry of our own intent
      }
    },
  },

  recordEntry: {
    input: schemas.recordEntry,
    async handle(input, ctx) {
      for (let attempt = 1; ; attempt++) {
        const outcome = await enterOnce(input, ctx.openid)
        if (outcome !== 'CONFLICT') return outcome
        // Another entry wrote the same count document (or this person's entry) first: again, a little later.
        if (attempt >= ENTRY_TX_ATTEMPTS)
          throw Object.assign(new Error('share entry: transaction conflict'), { code: 'DATABASE_TRANSACTION_CONFLICT' })
        await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 20 * attempt)))
      }
    },
  },

  groupEnter: {
    input: schemas.groupEnter,
    async handle({ groupInfo }, ctx) {
      const od = openData('groupInfo', groupInfo, ctx.wx)
      if (!od.ok) return ctx.fail(od.code, od.message)
      const opengid = od.data.opengid
      if (typeof opengid !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(opengid))
        return ctx.fail('FORGED_DATA', 'The group data is not in the shape WeChat sends.')
      if (od.data.watermark && ctx.wx.APPID && od.data.watermark.appid !== ctx.wx.APPID)
        return ctx.fail('FORGED_DATA', 'The group data belongs to another mini-program.')
      const membershipId = `${opengid}:${ctx.openid}`
      // A ranked user appears on the group's board at once (server/rank/store.ts); the membership
      // says whether that was done (`pending`), so a reopened card or the rank timer finishes it.
      const showOnBoard = async () => {
        await refreshOwnRows(ctx.openid, Date.now())
        await enteredGroup(membershipId)
      }
      try {
        await db()
          .collection(GROUPS)
          .add({ data: { _id: membershipId, opengid, openid: ctx.openid, joinedAt: new Date(), pending: true } })
      } catch (e) {
        const prior = await getDoc<{ pending?: boolean }>(GROUPS, membershipId)
        if (!prior) throw e
        if (prior.pending) await showOnBoard()
        return { opengid, firstTime: false }
      }
      await showOnBoard()
      return { opengid, firstTime: true }
    },
  },

  poster: {
    input: schemas.poster,
    async handle(input, ctx) {
      const key = `${ctx.openid}:${input.page}`
      const prior = await getDoc<{ shareId: string; fileID: string }>(POSTERS, key)
      if (prior) {
        const url = (await initCloud().getTempFileURL({ fileList: [prior.fileID] })) as {
          fileList: Array<{ status?: number; code?: string; tempFileURL?: string }>
        }
        if (url.fileList[0]?.tempFileURL) return { fileID: prior.fileID, shareId: prior.shareId, reused: true }
      }
      const shareId = newShareId()
      const version = envVersion()
      let code: { contentType: string; buffer: Buffer }
      try {
        // A develop/trial code may point at pages not yet published: check_path only for release.
        code = await openapi().wxacode.getUnlimited({
          scene: `s=${shareId}`,
          page: input.page,
          checkPath: version === 'release',
          envVersion: version,
          width: 430,
        })
      } catch (e) {
        if (isSdkError(e) && e.errCode === 41030)
          return ctx.fail(
            'CODE_FAILED',
            'This page is not in the published version yet, so WeChat cannot make its code. Publish first, or set MINIPROGRAM_STATE to trial or developer.',
          )
        if (isSdkError(e) && e.errCode === 40129)
          return ctx.fail('CODE_FAILED', "WeChat refused the code's scene value.")
        throw e // busy and permission errors are mapped by the router
      }
      const up = (await initCloud().uploadFile({
        cloudPath: `share/posters/${shareId}.png`,
        fileContent: code.buffer,
      })) as { fileID: string }
      await Promise.all([
        db()
          .collection(SHARES)
          .add({ data: { _id: shareId, _openid: ctx.openid, page: input.page, via: 'poster', createdAt: new Date() } }),
        ensureCounts(ctx.openid),
      ])
      await db()
        .collection(POSTERS)
        .doc(key)
        .set({ data: { shareId, fileID: up.fileID, createdAt: new Date() } })
      return { fileID: up.fileID, shareId, reused: false }
    },
  },

  myShares: {
    input: schemas.myShares,
    async handle({ limit }, ctx) {
      // One round trip: the newest shares, the sharer's count documents (at most COUNT_SHARDS,
      // whatever the number of entries), the totals kept before they were sharded, the number of shares.
      const [shares, counts, legacy, count] = await Promise.all([
        findDocs<ShareDoc>(
          db()
            .collection(SHARES)
            .where({ _openid: ctx.openid })
            .orderBy('createdAt', 'desc')
            .limit(limit ?? 20),
        ),
        findDocs<CountsDoc>(db().collection(COUNTS).where({ sharer: ctx.openid }).limit(COUNT_SHARDS)),
        getDoc<TotalsDoc>(TOTALS, ctx.openid),
        db().collection(SHARES).where({ _openid: ctx.openid }).count() as Promise<{ total: number }>,
      ])
      const totals = sumCounts(counts, legacy)
      const views: ShareView[] = shares.map((s) => {
        const c = totals.byShare.get(s._id)
        return {
          shareId: s._id,
          page: s.page,
          via: s.via,
          createdAt: toMillis(s.createdAt),
          entries: (s.entries ?? 0) + (c?.entries ?? 0),
          newUsers: (s.newUsers ?? 0) + (c?.newUsers ?? 0),
        }
      })
      return { shares: views, totals: { shares: count.total, entries: totals.entries, newUsers: totals.newUsers } }
    },
  },
})
