/**
 * Cloud function `share`: share intents (the page's share id bound to the caller), entries from
 * shared cards (once per person and share, the sharer's own opens not counted, new users told
 * apart by their login count), group membership from group cards (CloudID checked through
 * OPEN_DATA_INFO), and the caller's shares with their counts. Counts are counters kept when an
 * entry is recorded (in one transaction with the entry, so a repeated entry never counts twice):
 * `entries` / `newUsers` on each share and the sharer's totals in share_totals; reading them is
 * one round trip at any number of entries.
 * Contract: typings/share.ts. Collections: shares, share_entries, share_totals, group_members.
 */
import * as v from 'valibot'
import type { GroupInfo, ShareContract, ShareView } from '../../../typings/share'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc, toMillis, transact, type Tx } from '../../../server/db'
import { refreshOwnRows } from '../../../server/rank/store'
import { openData, openDataInput } from '../../../server/opendata'
import { isSdkError } from '../../../server/errors'
import { initCloud, openapi } from '../../../server/wx'
import { randomBytes } from 'node:crypto'

const SHARES = 'shares'
const ENTRIES = 'share_entries'
const GROUPS = 'group_members'
const POSTERS = 'share_posters'
const TOTALS = 'share_totals'

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
  /** Counters kept by recordEntry (absent until the first entry). */
  entries?: number
  newUsers?: number
}

interface TotalsDoc {
  entries: number
  newUsers: number
}

const shareId = v.pipe(v.string(), v.regex(/^[a-z0-9]{8,16}$/, 'shareId must be 8-16 lowercase letters or digits'))
const page = v.pipe(v.string(), v.regex(/^pages\/[A-Za-z0-9_/-]{1,100}$/, 'page must be a page path like pages/index/index'))

async function isNewUser(openid: string): Promise<boolean> {
  // The app records an entry after login: a user on their first login is new to the app.
  const [user] = await findDocs<{ loginCount?: number }>(db().collection('users').where({ openids: openid }).limit(1))
  return !user || (user.loginCount ?? 0) <= 1
}

export const main = createRouter<ShareContract>('share', {
  recordIntent: {
    input: v.strictObject({ shareId, page, via: v.picklist(['menu', 'button', 'timeline']) }),
    async handle(input, ctx) {
      const doc: ShareDoc = { _id: input.shareId, _openid: ctx.openid, page: input.page, via: input.via, createdAt: new Date() }
      try {
        await db().collection(SHARES).add({ data: doc })
        return { recorded: true }
      } catch (e) {
        const prior = await getDoc<ShareDoc>(SHARES, input.shareId)
        if (!prior) throw e
        if (prior._openid !== ctx.openid) return ctx.fail('SHARE_ID_TAKEN', 'This share id belongs to someone else; make a new one.')
        return { recorded: false } // a retry of our own intent
      }
    },
  },

  recordEntry: {
    input: v.strictObject({ shareId, scene: v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(9999)), page }),
    async handle(input, ctx) {
      const [share, newUser] = await Promise.all([getDoc<ShareDoc>(SHARES, input.shareId), isNewUser(ctx.openid)])
      if (!share || share._openid === ctx.openid) return { attributed: false, newUser: false }
      const entryId = `${input.shareId}:${ctx.openid}`
      // The entry and both counters in one transaction: a repeated or concurrent entry of the
      // same person finds the entry there and counts nothing.
      const attributed = await transact(async (t: Tx): Promise<boolean> => {
        const entry = t.collection(ENTRIES).doc(entryId)
        if (((await entry.get()) as { data: unknown }).data) return false // came in this way before
        const shareRef = t.collection(SHARES).doc(input.shareId)
        const totalsRef = t.collection(TOTALS).doc(share._openid)
        const cur = ((await shareRef.get()) as { data: ShareDoc | null }).data
        const totals = ((await totalsRef.get()) as { data: TotalsDoc | null }).data
        const add = newUser ? 1 : 0
        await entry.set({ data: { shareId: input.shareId, sharer: share._openid, openid: ctx.openid, scene: input.scene, page: input.page, newUser, at: new Date() } })
        await shareRef.update({ data: { entries: (cur?.entries ?? 0) + 1, newUsers: (cur?.newUsers ?? 0) + add } })
        await totalsRef.set({ data: { entries: (totals?.entries ?? 0) + 1, newUsers: (totals?.newUsers ?? 0) + add } })
        return true
      })
      return attributed ? { attributed: true, newUser } : { attributed: false, newUser: false }
    },
  },

  groupEnter: {
    input: v.strictObject({
      // data is checked once OPEN_DATA_INFO says WeChat filled it in.
      groupInfo: openDataInput<GroupInfo>(),
      shareId: v.optional(shareId),
    }),
    async handle({ groupInfo }, ctx) {
      const od = openData('groupInfo', groupInfo, ctx.wx)
      if (!od.ok) return ctx.fail(od.code, od.message)
      const opengid = od.data.opengid
      if (typeof opengid !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(opengid)) return ctx.fail('FORGED_DATA', 'The group data is not in the shape WeChat sends.')
      if (od.data.watermark && ctx.wx.APPID && od.data.watermark.appid !== ctx.wx.APPID) return ctx.fail('FORGED_DATA', 'The group data belongs to another mini-program.')
      try {
        await db().collection(GROUPS).add({ data: { _id: `${opengid}:${ctx.openid}`, opengid, openid: ctx.openid, joinedAt: new Date() } })
        // A ranked user appears on the group's board at once (server/rank/store.ts).
        await refreshOwnRows(ctx.openid, Date.now())
        return { opengid, firstTime: true }
      } catch (e) {
        if (await getDoc(GROUPS, `${opengid}:${ctx.openid}`)) return { opengid, firstTime: false }
        throw e
      }
    },
  },

  poster: {
    input: v.strictObject({ page }),
    async handle(input, ctx) {
      const key = `${ctx.openid}:${input.page}`
      const prior = await getDoc<{ shareId: string; fileID: string }>(POSTERS, key)
      if (prior) {
        const url = (await initCloud().getTempFileURL({ fileList: [prior.fileID] })) as { fileList: Array<{ status?: number; code?: string; tempFileURL?: string }> }
        if (url.fileList[0]?.tempFileURL) return { fileID: prior.fileID, shareId: prior.shareId, reused: true }
      }
      const shareId = newShareId()
      const version = envVersion()
      let code: { contentType: string; buffer: Buffer }
      try {
        // A develop/trial code may point at pages not yet published: check_path only for release.
        code = await openapi().wxacode.getUnlimited({ scene: `s=${shareId}`, page: input.page, checkPath: version === 'release', envVersion: version, width: 430 })
      } catch (e) {
        if (isSdkError(e) && e.errCode === 41030) return ctx.fail('CODE_FAILED', 'This page is not in the published version yet, so WeChat cannot make its code. Publish first, or set MINIPROGRAM_STATE to trial or developer.')
        if (isSdkError(e) && e.errCode === 40129) return ctx.fail('CODE_FAILED', 'WeChat refused the code\'s scene value.')
        throw e // busy and permission errors are mapped by the router
      }
      const up = (await initCloud().uploadFile({ cloudPath: `share/posters/${shareId}.png`, fileContent: code.buffer })) as { fileID: string }
      await db().collection(SHARES).add({ data: { _id: shareId, _openid: ctx.openid, page: input.page, via: 'poster', createdAt: new Date() } })
      await db().collection(POSTERS).doc(key).set({ data: { shareId, fileID: up.fileID, createdAt: new Date() } })
      return { fileID: up.fileID, shareId, reused: false }
    },
  },

  myShares: {
    input: v.strictObject({ limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(50))) }),
    async handle({ limit }, ctx) {
      // One round trip: the newest shares with their counters, the sharer's totals, the number of shares.
      const [shares, totals, count] = await Promise.all([
        findDocs<ShareDoc>(db().collection(SHARES).where({ _openid: ctx.openid }).orderBy('createdAt', 'desc').limit(limit ?? 20)),
        getDoc<TotalsDoc>(TOTALS, ctx.openid),
        db().collection(SHARES).where({ _openid: ctx.openid }).count() as Promise<{ total: number }>,
      ])
      const views: ShareView[] = shares.map((s) => ({ shareId: s._id, page: s.page, via: s.via, createdAt: toMillis(s.createdAt), entries: s.entries ?? 0, newUsers: s.newUsers ?? 0 }))
      return { shares: views, totals: { shares: count.total, entries: totals?.entries ?? 0, newUsers: totals?.newUsers ?? 0 } }
    },
  },
})

