/**
 * Cloud function `share`: share intents (the page's share id bound to the caller), entries from
 * shared cards (once per person and share, the sharer's own opens not counted, new users told
 * apart by their login count), group membership from group cards (CloudID checked through
 * OPEN_DATA_INFO), and the caller's shares with their counts. Counts are sharded counters kept
 * when an entry is recorded (in one transaction with the entry, so a repeated entry never counts
 * twice; server/share/counts.ts); reading them is one round trip at any number of entries.
 * The records and the entry transaction: server/share/entries.ts.
 * Contract: typings/share.ts. Collections: shares, share_entries, share_counts (share_totals and
 * the shares' own counters: what was counted before sharding, still added in), group_members.
 */
import type { ShareContract, ShareView } from '../../../typings/share'
import { schemas } from './schemas'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc, toMillis } from '../../../server/db'
import { GROUPS } from '../../../server/rank/board'
import { enteredGroup, refreshOwnRows } from '../../../server/rank/store'
import { openData } from '../../../server/opendata'
import { isSdkError } from '../../../server/errors'
import { initCloud, openapi } from '../../../server/wx'
import { COUNT_SHARDS, sumCounts, type CountsDoc, type TotalsDoc } from '../../../server/share/counts'
import {
  COUNTS,
  ensureCounts,
  enterOnce,
  ENTRY_TX_ATTEMPTS,
  envVersion,
  newShareId,
  POSTERS,
  SHARES,
  TOTALS,
  type ShareDoc,
} from '../../../server/share/entries'

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
