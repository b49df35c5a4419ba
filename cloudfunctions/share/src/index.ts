/**
 * Cloud function `share`: share intents (the page's share id bound to the caller), entries from
 * shared cards (once per person and share, the sharer's own opens not counted, new users told
 * apart by their login count), group membership from group cards (CloudID checked through
 * OPEN_DATA_INFO), and the caller's shares with their counts (an aggregation over entries).
 * Contract: typings/share.ts. Collections: shares, share_entries, group_members.
 */
import * as v from 'valibot'
import type { GroupInfo, ShareContract, ShareView } from '../../../typings/share'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc, toMillis } from '../../../server/db'
import { openData, openDataInput } from '../../../server/opendata'
import { isSdkError } from '../../../server/errors'
import { initCloud, openapi } from '../../../server/wx'
import { randomBytes } from 'node:crypto'

const SHARES = 'shares'
const ENTRIES = 'share_entries'
const GROUPS = 'group_members'
const POSTERS = 'share_posters'

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
      const share = await getDoc<ShareDoc>(SHARES, input.shareId)
      if (!share || share._openid === ctx.openid) return { attributed: false, newUser: false }
      const newUser = await isNewUser(ctx.openid)
      try {
        await db()
          .collection(ENTRIES)
          .add({ data: { _id: `${input.shareId}:${ctx.openid}`, shareId: input.shareId, sharer: share._openid, openid: ctx.openid, scene: input.scene, page: input.page, newUser, at: new Date() } })
        return { attributed: true, newUser }
      } catch (e) {
        if (await getDoc(ENTRIES, `${input.shareId}:${ctx.openid}`)) return { attributed: false, newUser: false } // came in this way before
        throw e
      }
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
      const shares = await findDocs<ShareDoc>(db().collection(SHARES).where({ _openid: ctx.openid }).orderBy('createdAt', 'desc').limit(limit ?? 20))
      // Counted in the database (index sharer + shareId), not by loading every entry.
      const $ = db().command.aggregate
      const agg = (await db()
        .collection(ENTRIES)
        .aggregate()
        .match({ sharer: ctx.openid })
        .group({ _id: '$shareId', entries: $.sum(1), newUsers: $.sum($.cond([$.eq(['$newUser', true]), 1, 0])) })
        .end()) as unknown as { list: Array<{ _id: string; entries: number; newUsers: number }> }
      const counts = new Map(agg.list.map((r) => [r._id, r]))
      const views: ShareView[] = shares.map((s) => ({ shareId: s._id, page: s.page, via: s.via, createdAt: toMillis(s.createdAt), entries: counts.get(s._id)?.entries ?? 0, newUsers: counts.get(s._id)?.newUsers ?? 0 }))
      const totals = agg.list.reduce((t, r) => ({ shares: t.shares, entries: t.entries + r.entries, newUsers: t.newUsers + r.newUsers }), { shares: shares.length, entries: 0, newUsers: 0 })
      return { shares: views, totals }
    },
  },
})

