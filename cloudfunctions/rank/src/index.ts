/**
 * Cloud function `rank`: opt-in / opt-out and step boards (typings/rank.ts), and the timer that
 * keeps the precomputed boards (server/rank/board.ts) tidy.
 * A board is one indexed read of `rank_boards` (scope, period, the period's key, steps desc)
 * plus, for a caller not among the shown rows, one indexed count: two database round trips at
 * most, at any number of users. Every member's rows are written by their own actions (sync,
 * optIn, group entry, rename), so no timer pass is needed for a board to be right, even at
 * midnight: a new day or week is a new key.
 */
import type { RankContract, RankRow } from '../../../typings/rank'
import { schemas } from './schemas'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc } from '../../../server/db'
import { errText } from '../../../server/errors'
import { scalar } from '../../../server/input'
import { wxContext } from '../../../server/wx'
import {
  ALL,
  BOARDS,
  MEMBERS,
  boardId,
  isIn,
  periodDates,
  rankRows,
  type BoardDoc,
  type MemberDoc,
} from '../../../server/rank/board'
import {
  countAhead,
  groupsOf,
  join,
  joined,
  leave,
  maintainBoards,
  readBoard,
  refreshOwnRows,
  removeRows,
} from '../../../server/rank/store'

export const DEFAULT_NICKNAME = '微信用户'
/** Rows of a board by default. */
const DEFAULT_ROWS = 50
export { rankRows }

const router = createRouter<RankContract>('rank', {
  optIn: {
    input: schemas.optIn,
    async handle(_input, ctx) {
      const startedAt = Date.now()
      const [user] = await findDocs<{ nickname?: string; avatarFileId?: string }>(
        db().collection('users').where({ openids: ctx.openid }).limit(1),
      )
      // Without a nickname: WeChat's own default name, 微信用户, as other mini-programs show it.
      const joinedNow = await join(
        ctx.openid,
        { nickname: user?.nickname || DEFAULT_NICKNAME, avatarFileId: user?.avatarFileId ?? '' },
        startedAt,
      )
      // Rows checked after they are written: a leave that lands meanwhile takes them back.
      const shown = joinedNow && (await refreshOwnRows(ctx.openid, Date.now())) > 0
      if (joinedNow) await joined(ctx.openid)
      return { optedIn: shown }
    },
  },

  optOut: {
    input: schemas.optOut,
    async handle(_input, ctx) {
      await leave(ctx.openid, Date.now())
      return { optedIn: false as const }
    },
  },

  status: {
    input: schemas.status,
    async handle(_input, ctx) {
      const [member, groups] = await Promise.all([getDoc<MemberDoc>(MEMBERS, ctx.openid), groupsOf(ctx.openid)])
      return { optedIn: isIn(member), groups }
    },
  },

  board: {
    input: schemas.board,
    async handle({ period, opengid, limit }, ctx) {
      const now = Date.now()
      const dates = periodDates(period, now)
      const key = dates[0]!
      const scope = opengid ?? ALL
      // Round trip 1: four independent reads at once.
      const [top, member, groups, mine] = await Promise.all([
        readBoard(scope, period, key, limit ?? DEFAULT_ROWS),
        getDoc<MemberDoc>(MEMBERS, ctx.openid),
        groupsOf(ctx.openid),
        getDoc<BoardDoc>(BOARDS, boardId(scope, period, key, ctx.openid)),
      ])
      if (opengid && !groups.includes(opengid))
        return ctx.fail('NOT_A_MEMBER', 'You can see the rank of groups you opened the app from.')
      if (!isIn(member) && mine) {
        // A leave cut off before its rows were removed: finished here, and the caller not shown.
        await removeRows(ctx.openid)
        top.splice(0, top.length, ...top.filter((r) => r.openid !== ctx.openid))
      }
      const toRow = (r: BoardDoc & { rank: number }): RankRow => ({
        rank: r.rank,
        nickname: r.nickname,
        avatarFileId: r.avatarFileId,
        steps: r.steps,
        me: r.openid === ctx.openid,
      })
      const rows = rankRows(top).map(toRow)
      let me = rows.find((r) => r.me) ?? null
      if (!me && isIn(member)) {
        // Round trip 2, only for a member not among the shown rows: how many have more steps. A
        // member with no row yet under this key (a new day or week, before they sync) has 0 steps.
        const steps = mine?.steps ?? 0
        me = {
          rank: (await countAhead(scope, period, key, steps)) + 1,
          nickname: mine?.nickname ?? member!.nickname,
          avatarFileId: mine?.avatarFileId ?? member!.avatarFileId,
          steps,
          me: true,
        }
      }
      return { rows, me, period, dates, optedIn: isIn(member), groups }
    },
  },
})

const log = (o: Record<string, unknown>) => console.log(JSON.stringify({ fn: 'rank', ...o }))

export async function main(event: unknown, context?: { request_id?: string }): Promise<unknown> {
  const ev = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>
  // The timer (cloudbaserc.json, every minute): never from a client, which can send any event.
  if (typeof ev.action !== 'string' && ev.Type === 'Timer' && wxContext().SOURCE !== 'wx_client') {
    try {
      const r = await maintainBoards(Date.now())
      log({ timer: scalar(ev.TriggerName, 32), ...r })
      return r
    } catch (e) {
      log({ timer: scalar(ev.TriggerName, 32), error: errText(e) })
      throw e
    }
  }
  return router(event, context)
}
