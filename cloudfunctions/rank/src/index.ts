/**
 * Cloud function `rank`: opt-in / opt-out and step boards (typings/rank.ts).
 * Boards are computed in the database: an aggregation over werun_days matching the period's
 * dates and `ranked: true` (index date + ranked), grouped by user, sorted and limited; only the
 * top rows' profiles are read. Opting out clears `ranked` on all the user's days and removes the
 * profile, so the user leaves every board at once (a row without a profile is never shown).
 */
import * as v from 'valibot'
import type { RankContract, RankRow } from '../../../typings/rank'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc } from '../../../server/db'
import { lastDates } from '../../../server/werun/days'

export const MEMBERS = 'rank_members'
const DAYS = 'werun_days'
const GROUPS = 'group_members'

interface MemberDoc {
  _id: string // openid
  nickname: string
  avatarFileId: string
  joinedAt: Date
}

interface Sum {
  _id: string
  steps: number
}

const empty = v.strictObject({})

/** Competition ranking: equal steps share a rank, the next one skips (1, 2, 2, 4). */
export function rankRows(sums: Sum[]): Array<Sum & { rank: number }> {
  let rank = 0
  return sums.map((s, i) => {
    if (i === 0 || sums[i - 1]!.steps !== s.steps) rank = i + 1
    return { ...s, rank }
  })
}

export const DEFAULT_NICKNAME = '微信用户'

export const main = createRouter<RankContract>('rank', {
  optIn: {
    input: empty,
    async handle(_input, ctx) {
      const [user] = await findDocs<{ nickname?: string; avatarFileId?: string }>(db().collection('users').where({ openids: ctx.openid }).limit(1))
      // Without a nickname: WeChat's own default name, 微信用户, as other mini-programs show it.
      const member: Omit<MemberDoc, '_id'> = { nickname: user?.nickname || DEFAULT_NICKNAME, avatarFileId: user?.avatarFileId ?? '', joinedAt: new Date() }
      await db().collection(MEMBERS).doc(ctx.openid).set({ data: member })
      await db().collection(DAYS).where({ _openid: ctx.openid }).update({ data: { ranked: true } })
      return { optedIn: true as const }
    },
  },

  optOut: {
    input: empty,
    async handle(_input, ctx) {
      await db().collection(MEMBERS).doc(ctx.openid).remove()
      await db().collection(DAYS).where({ _openid: ctx.openid }).update({ data: { ranked: false } })
      return { optedIn: false as const }
    },
  },

  status: {
    input: empty,
    async handle(_input, ctx) {
      const [member, groups] = await Promise.all([getDoc<MemberDoc>(MEMBERS, ctx.openid), findDocs<{ opengid: string }>(db().collection(GROUPS).where({ openid: ctx.openid }).limit(50))])
      return { optedIn: !!member, groups: groups.map((g) => g.opengid) }
    },
  },

  board: {
    input: v.strictObject({
      period: v.picklist(['today', 'week'] as const),
      opengid: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,64}$/))),
      limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100))),
    }),
    async handle({ period, opengid, limit }, ctx) {
      const _ = db().command
      const $ = _.aggregate
      const dates = lastDates(period === 'today' ? 1 : 7, Date.now())
      const match: Record<string, unknown> = { date: _.in(dates), ranked: true }
      if (opengid) {
        const members = await findDocs<{ openid: string }>(db().collection(GROUPS).where({ opengid }).limit(1000))
        if (!members.some((m) => m.openid === ctx.openid)) return ctx.fail('NOT_A_MEMBER', 'You can see the rank of groups you opened the app from.')
        match._openid = _.in(members.map((m) => m.openid))
      }
      const top = (await db()
        .collection(DAYS)
        .aggregate()
        .match(match)
        .group({ _id: '$_openid', steps: $.sum('$steps') })
        .sort({ steps: -1, _id: 1 })
        .limit(limit ?? 50)
        .end()) as unknown as { list: Sum[] }
      const profiles = top.list.length ? await findDocs<MemberDoc>(db().collection(MEMBERS).where({ _id: _.in(top.list.map((s) => s._id)) }).limit(100)) : []
      const byId = new Map(profiles.map((p) => [p._id, p]))
      const shown = top.list.filter((s) => byId.has(s._id)) // opted out meanwhile: never shown
      const toRow = (s: Sum & { rank: number }): RankRow => ({ rank: s.rank, nickname: byId.get(s._id)!.nickname, avatarFileId: byId.get(s._id)!.avatarFileId, steps: s.steps, me: s._id === ctx.openid })
      const rows = rankRows(shown).map(toRow)
      let me = rows.find((r) => r.me) ?? null
      const member = me ? null : await getDoc<MemberDoc>(MEMBERS, ctx.openid)
      if (member) {
        // Below the shown rows: my sum, and how many sums beat it (counted in the database too).
        const mine = (await db().collection(DAYS).aggregate().match({ ...match, _openid: ctx.openid }).group({ _id: '$_openid', steps: $.sum('$steps') }).end()) as unknown as { list: Sum[] }
        const steps = mine.list[0]?.steps ?? 0
        const ahead = (await db().collection(DAYS).aggregate().match(match).group({ _id: '$_openid', steps: $.sum('$steps') }).match({ steps: _.gt(steps) }).count('n').end()) as unknown as { list: Array<{ n: number }> }
        me = { rank: (ahead.list[0]?.n ?? 0) + 1, nickname: member.nickname, avatarFileId: member.avatarFileId, steps, me: true }
      }
      return { rows, me, period, dates }
    },
  },
})
