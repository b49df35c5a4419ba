/**
 * The database side of the precomputed boards (server/rank/board.ts): a member's own rows at
 * once (sync, opt-in), their removal (opt-out), and the timer's recomputation for everyone.
 * Every list is read in pages within CloudBase's caps (get: 1000 with a limit; aggregate: a
 * limit stage), and writes go at most WRITE_CONCURRENCY at a time.
 */
import type { DB } from 'wx-server-sdk'
import { db, findDocs, getDoc, toMillis } from '../db'
import { beijingDate, lastDates } from '../werun/days'
import { BOARDS, DAYS, GROUPS, MAX_GROUPS, MEMBERS, PERIOD_DAYS, WRITE_CONCURRENCY, inBatches, memberRows, periodTotals, sameRow, type BoardDoc, type MemberDoc } from './board'

export const JOBS = 'rank_jobs'
/** Members per page of the timer's recomputation. */
export const MEMBER_PAGE = 200
/** The most a function's get() answers when asked (Collection.limit: 1000 from a function). */
export const GET_MAX = 1000
/** After a full pass, the next one starts this much later (the timer ticks every minute). */
export const RECOMPUTE_EVERY_MS = 10 * 60_000
/** Board rows of days before yesterday are removed after a full pass. */
const KEEP_DAYS = 2

interface JobDoc {
  _id: string
  key: string
  after: string
  doneAt?: Date
}

/** Every document a query matches, a page of GET_MAX at a time (ordered by _id so pages do not overlap). */
export async function findAll<T>(collection: string, where: Record<string, unknown>): Promise<T[]> {
  const out: T[] = []
  for (let skip = 0; ; skip += GET_MAX) {
    const page = await findDocs<T>(db().collection(collection).where(where).orderBy('_id', 'asc').skip(skip).limit(GET_MAX))
    out.push(...page)
    if (page.length < GET_MAX) return out
  }
}

async function writeRows(rows: BoardDoc[]): Promise<void> {
  await inBatches(rows, WRITE_CONCURRENCY, async ({ _id, ...data }) => db().collection(BOARDS).doc(_id).set({ data }))
}

/** The caller's rows from days they just synced (or read), when they are a member. */
export async function writeOwnRows(openid: string, member: MemberDoc | null, groups: readonly string[], days: ReadonlyArray<{ date: string; steps: number }>, now: number): Promise<number> {
  if (!member) return 0
  const rows = memberRows(openid, member, groups, periodTotals(days, now), beijingDate(now))
  await writeRows(rows)
  return rows.length
}

/** A user's stored days of the week ending `now` (what their rows are computed from outside a sync). */
export async function weekDays(openid: string, now: number): Promise<Array<{ date: string; steps: number }>> {
  const _ = db().command
  return findDocs(db().collection(DAYS).where({ _openid: openid, date: _.in(lastDates(PERIOD_DAYS.week, now)) }).limit(PERIOD_DAYS.week))
}

/** The opengids of a user's groups (at most MAX_GROUPS). */
export async function groupsOf(openid: string): Promise<string[]> {
  return (await findDocs<{ opengid: string }>(db().collection(GROUPS).where({ openid }).limit(MAX_GROUPS))).map((g) => g.opengid)
}

/** Removes every board row of a user (opt-out): one request per GET_MAX rows. */
export async function removeRows(openid: string): Promise<void> {
  // remove() on a query removes every match; repeated while a page's worth remained, as a multi-document write may stop at a limit.
  for (;;) {
    const res = (await db().collection(BOARDS).where({ openid }).remove()) as { stats?: { removed?: number } }
    if ((res.stats?.removed ?? 0) < GET_MAX) return
  }
}

/**
 * The timer: every member's rows for today's key, MEMBER_PAGE members at a time, until
 * `budgetMs` is spent; the cursor (rank_jobs/boards) lets the next tick continue. A finished
 * pass rests RECOMPUTE_EVERY_MS, then starts again; rows of old keys are removed.
 */
export async function recomputeBoards(now: number, budgetMs: number, clock: () => number = Date.now): Promise<{ members: number; written: number; done: boolean }> {
  const _ = db().command
  const $ = _.aggregate
  const key = beijingDate(now)
  const week = lastDates(7, now)
  const job = await getDoc<JobDoc>(JOBS, 'boards')
  if (job?.key === key && job.doneAt && now - toMillis(job.doneAt) < RECOMPUTE_EVERY_MS) return { members: 0, written: 0, done: true }
  let after = job?.key === key && !job.doneAt ? job.after : ''
  const started = clock()
  let members = 0
  let written = 0
  while (clock() - started < budgetMs) {
    const page = await findDocs<MemberDoc>(db().collection(MEMBERS).where(after ? { _id: _.gt(after) } : {}).orderBy('_id', 'asc').limit(MEMBER_PAGE))
    if (!page.length) {
      await db().collection(JOBS).doc('boards').set({ data: { key, after: '', doneAt: new Date(now) } })
      await db().collection(BOARDS).where({ key: _.lt(lastDates(KEEP_DAYS, now)[0]!) }).remove()
      return { members, written, done: true }
    }
    const ids = page.map((m) => m._id)
    const [sums, memberships, stored] = await Promise.all([
      db()
        .collection(DAYS)
        .aggregate()
        .match({ _openid: _.in(ids), date: _.in(week) })
        .group({ _id: '$_openid', week: $.sum('$steps'), today: $.sum($.cond({ if: $.eq(['$date', key]), then: '$steps', else: 0 })) })
        .limit(MEMBER_PAGE)
        .end() as unknown as Promise<{ list: Array<{ _id: string; week: number; today: number }> }>,
      findAll<{ openid: string; opengid: string }>(GROUPS, { openid: _.in(ids) }),
      findAll<BoardDoc>(BOARDS, { openid: _.in(ids), key }),
    ])
    const totals = new Map(sums.list.map((s) => [s._id, { today: s.today, week: s.week }]))
    const groups = new Map<string, string[]>()
    for (const g of memberships) groups.set(g.openid, [...(groups.get(g.openid) ?? []), g.opengid])
    const have = new Map(stored.map((r) => [r._id, r]))
    const rows = page.flatMap((m) => memberRows(m._id, m, groups.get(m._id) ?? [], totals.get(m._id) ?? { today: 0, week: 0 }, key))
    const changed = rows.filter((r) => !sameRow(have.get(r._id), r))
    await writeRows(changed)
    members += page.length
    written += changed.length
    after = page[page.length - 1]!._id
    await db().collection(JOBS).doc('boards').set({ data: { key, after } })
  }
  return { members, written, done: false }
}

/** One board's rows and, when needed, the caller's place: the read side of rank.board. */
export async function readBoard(scope: string, period: BoardDoc['period'], key: string, limit: number): Promise<BoardDoc[]> {
  const res = (await db().collection(BOARDS).where({ scope, period, key }).orderBy('steps', 'desc').orderBy('openid', 'asc').limit(limit).get()) as DB.IQueryResult
  return res.data as unknown as BoardDoc[]
}

/** How many rows of a board have more steps than `steps` (the caller's place is this + 1). */
export async function countAhead(scope: string, period: BoardDoc['period'], key: string, steps: number): Promise<number> {
  const _ = db().command
  const res = (await db().collection(BOARDS).where({ scope, period, key, steps: _.gt(steps) }).count()) as { total: number }
  return res.total
}
