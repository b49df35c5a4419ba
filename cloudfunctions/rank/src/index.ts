/**
 * Cloud function `rank`: opt-in / opt-out and step boards (typings/rank.ts), and the timer that
 * keeps the precomputed boards (server/rank/board.ts) up to date.
 * A board is one indexed read of `rank_boards` (scope, period, today's key, steps desc) plus,
 * for a caller below the shown rows, one indexed count: two database round trips at most, at
 * any number of users. The caller's own rows are written at once by werun.sync and optIn, so a
 * user sees their change without waiting for the timer.
 */
import * as v from 'valibot'
import type { RankContract, RankRow } from '../../../typings/rank'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc } from '../../../server/db'
import { errText } from '../../../server/errors'
import { scalar } from '../../../server/input'
import { wxContext } from '../../../server/wx'
import { beijingDate, lastDates } from '../../../server/werun/days'
import { ALL, BOARDS, MEMBERS, PERIOD_DAYS, boardId, isIn, rankRows, type BoardDoc, type MemberDoc } from '../../../server/rank/board'
import { countAhead, groupsOf, join, joined, leave, readBoard, recomputeBoards, refreshOwnRows, removeRows } from '../../../server/rank/store'

const empty = v.strictObject({})

export const DEFAULT_NICKNAME = '微信用户'
/** Rows of a board by default. */
const DEFAULT_ROWS = 50
/** The timer's share of the function's 10 s: the rest is margin for the last page's writes. */
export const TIMER_BUDGET_MS = 6000

export { rankRows }

const router = createRouter<RankContract>('rank', {
  optIn: {
    input: empty,
    async handle(_input, ctx) {
      const startedAt = Date.now()
      const [user] = await findDocs<{ nickname?: string; avatarFileId?: string }>(db().collection('users').where({ openids: ctx.openid }).limit(1))
      // Without a nickname: WeChat's own default name, 微信用户, as other mini-programs show it.
      const joinedNow = await join(ctx.openid, { nickname: user?.nickname || DEFAULT_NICKNAME, avatarFileId: user?.avatarFileId ?? '' }, startedAt)
      // Rows checked after they are written: a leave that lands meanwhile takes them back.
      const shown = joinedNow && (await refreshOwnRows(ctx.openid, Date.now())) > 0
      if (joinedNow) await joined(ctx.openid)
      return { optedIn: shown }
    },
  },

  optOut: {
    input: empty,
    async handle(_input, ctx) {
      await leave(ctx.openid, Date.now())
      return { optedIn: false as const }
    },
  },

  status: {
    input: empty,
    async handle(_input, ctx) {
      const [member, groups] = await Promise.all([getDoc<MemberDoc>(MEMBERS, ctx.openid), groupsOf(ctx.openid)])
      return { optedIn: isIn(member), groups }
    },
  },

  board: {
    input: v.strictObject({
      period: v.picklist(['today', 'week'] as const),
      opengid: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,64}$/))),
      limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100))),
    }),
    async handle({ period, opengid, limit }, ctx) {
      const now = Date.now()
      const key = beijingDate(now)
      const scope = opengid ?? ALL
      // Round trip 1: four independent reads at once.
      const [top, member, groups, mine] = await Promise.all([
        readBoard(scope, period, key, limit ?? DEFAULT_ROWS),
        getDoc<MemberDoc>(MEMBERS, ctx.openid),
        groupsOf(ctx.openid),
        getDoc<BoardDoc>(BOARDS, boardId(scope, period, key, ctx.openid)),
      ])
      if (opengid && !groups.includes(opengid)) return ctx.fail('NOT_A_MEMBER', 'You can see the rank of groups you opened the app from.')
      if (!isIn(member) && mine) {
        // A leave cut off before its rows were removed: finished here, and the caller not shown.
        await removeRows(ctx.openid)
        top.splice(0, top.length, ...top.filter((r) => r.openid !== ctx.openid))
      }
      const toRow = (r: BoardDoc & { rank: number }): RankRow => ({ rank: r.rank, nickname: r.nickname, avatarFileId: r.avatarFileId, steps: r.steps, me: r.openid === ctx.openid })
      const rows = rankRows(top).map(toRow)
      let me = rows.find((r) => r.me) ?? null
      if (!me && isIn(member) && mine) {
        // Round trip 2, only below the shown rows: how many have more steps.
        me = { rank: (await countAhead(scope, period, key, mine.steps)) + 1, nickname: mine.nickname, avatarFileId: mine.avatarFileId, steps: mine.steps, me: true }
      }
      return { rows, me, period, dates: lastDates(PERIOD_DAYS[period], now), optedIn: isIn(member), groups }
    },
  },
})

const log = (o: Record<string, unknown>) => console.log(JSON.stringify({ fn: 'rank', ...o }))

export async function main(event: unknown, context?: { request_id?: string }): Promise<unknown> {
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>
  // The timer (cloudbaserc.json, every minute): never from a client, which can send any event.
  if (typeof ev.action !== 'string' && ev.Type === 'Timer' && wxContext().SOURCE !== 'wx_client') {
    try {
      const r = await recomputeBoards(Date.now(), TIMER_BUDGET_MS)
      log({ timer: scalar(ev.TriggerName, 32), ...r })
      return r
    } catch (e) {
      log({ timer: scalar(ev.TriggerName, 32), error: errText(e) })
      throw e
    }
  }
  return router(event, context)
}
