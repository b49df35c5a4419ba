/**
 * The database side of the precomputed boards (server/rank/board.ts): a member's own rows at
 * once (sync, opt-in, group entry, rename), their removal (opt-out), and the timer's upkeep.
 * Every list is read in pages within CloudBase's caps (get: 1000 with a limit; aggregate: a
 * limit stage), and writes go at most WRITE_CONCURRENCY at a time.
 */
import type { DB } from 'wx-server-sdk'
import { db, findDocs, getDoc, toMillis } from '../db'
import { beijingDate, lastDates } from '../werun/days'
import { DAYS } from '../werun/store'
import {
  BOARDS,
  GROUPS,
  MAX_GROUPS,
  MEMBERS,
  WRITE_CONCURRENCY,
  inBatches,
  isIn,
  memberRows,
  periodDates,
  periodKey,
  periodKeys,
  periodTotals,
  sameRow,
  type BoardDoc,
  type MemberDoc,
} from './board'

export const JOBS = 'rank_jobs'
/** The most a function's get() answers when asked (Collection.limit: 1000 from a function). */
export const GET_MAX = 1000

/** The timer's own record: the Beijing day whose old keys it last removed. */
interface JobDoc {
  _id: string
  cleanedKey?: string
}

/** Every document a query matches, a page of GET_MAX at a time (ordered by _id so pages do not overlap). */
export async function findAll<T>(collection: string, where: Record<string, unknown>): Promise<T[]> {
  const out: T[] = []
  for (let skip = 0; ; skip += GET_MAX) {
    const page = await findDocs<T>(
      db().collection(collection).where(where).orderBy('_id', 'asc').skip(skip).limit(GET_MAX),
    )
    out.push(...page)
    if (page.length < GET_MAX) return out
  }
}

async function writeRows(rows: BoardDoc[]): Promise<void> {
  await inBatches(rows, WRITE_CONCURRENCY, async ({ _id, ...data }) => db().collection(BOARDS).doc(_id).set({ data }))
}

/** What a user's rows are made from, as stored now. */
interface RowInputs {
  member: MemberDoc | null
  groups: string[]
  days: Array<{ date: string; steps: number }>
}

async function rowInputs(openid: string, now: number): Promise<RowInputs> {
  const [member, groups, days] = await Promise.all([
    getDoc<MemberDoc>(MEMBERS, openid),
    groupsOf(openid),
    weekDays(openid, now),
  ])
  return { member: member && isIn(member) ? member : null, groups, days }
}

/** The rows those inputs give (none for someone who is not a member). */
const rowsOf = (openid: string, inp: RowInputs, now: number): BoardDoc[] =>
  inp.member ? memberRows(openid, inp.member, inp.groups, periodTotals(inp.days, now), periodKeys(now)) : []

const sameRows = (a: readonly BoardDoc[], b: readonly BoardDoc[]): boolean =>
  a.length === b.length && a.every((r, i) => r._id === b[i]!._id && sameRow(b[i], r))

/** Most rounds of one refresh while concurrent writes of the same user keep changing its inputs. */
export const REFRESH_ROUNDS = 5

/**
 * A user's rows made equal to what is stored, whoever else writes at the same time: read the
 * inputs, write the rows they give (or remove the rows, when the user is no longer a member),
 * then read the inputs again; if they changed meanwhile, again. A write made from inputs that
 * another request changed is therefore followed by this call's own correction, or by the
 * other request's, whose rows are made from a later read; and a user who left while this call
 * wrote finds their rows taken back (rank.optOut marks the member LEFT before it removes rows).
 * `mayBeShown`: the caller already wrote rows of this user (the timer) that may need taking back.
 * Answers how many rows the user has now (0: not on any board).
 */
export async function refreshOwnRows(openid: string, now: number, mayBeShown = false): Promise<number> {
  let rows = rowsOf(openid, await rowInputs(openid, now), now)
  let shown = mayBeShown
  for (let round = 0; round < REFRESH_ROUNDS; round++) {
    if (rows.length) {
      await writeRows(rows)
      shown = true
    } else if (shown) {
      await removeRows(openid)
      shown = false
    } else return 0
    const again = rowsOf(openid, await rowInputs(openid, now), now)
    if (sameRows(again, rows)) return rows.length
    rows = again
  }
  // Still changing after REFRESH_ROUNDS: every other writer checks its own write the same way,
  // so what is left is theirs to correct. Someone who left is never left shown by this call.
  if (!rows.length && shown) await removeRows(openid)
  return rows.length
}

/** How long a LEFT record stays (longer than any function runs), so in-flight writes see it. */
export const TOMBSTONE_MS = 60 * 60_000

/**
 * Joins the ranks (rank.optIn): the member record IN, unless a leave sent after this join
 * started (`startedAt`) is already recorded: the later tap wins. Compare-and-set on the record
 * read, so a concurrent leave is never overwritten. Answers whether the user is a member.
 */
export async function join(
  openid: string,
  profile: Pick<MemberDoc, 'nickname' | 'avatarFileId'>,
  startedAt: number,
): Promise<boolean> {
  const _ = db().command
  const members = db().collection(MEMBERS)
  for (let round = 0; round < REFRESH_ROUNDS; round++) {
    const cur = await getDoc<MemberDoc>(MEMBERS, openid)
    if (isIn(cur)) return true
    if (cur && toMillis(cur.leftAt) >= startedAt) return false
    const data = {
      state: 'IN',
      nickname: profile.nickname,
      avatarFileId: profile.avatarFileId,
      joinedAt: new Date(startedAt),
      pending: true,
    }
    if (!cur) {
      try {
        await members.add({ data: { _id: openid, ...data } })
        return true
      } catch (e) {
        // A duplicate _id is not reliably coded: look again (someone else wrote the record).
        if (!(await getDoc(MEMBERS, openid))) throw e
        continue
      }
    }
    const res = (await members
      .where({ _id: openid, state: 'LEFT', leftAt: cur.leftAt })
      .update({ data: { ...data, leftAt: _.remove() } })) as { stats: { updated: number } }
    if (res.stats.updated === 1) return true
  }
  return isIn(await getDoc<MemberDoc>(MEMBERS, openid))
}

/** Leaves every board (rank.optOut): the record LEFT first (no name kept, work pending), then the rows, then done. */
export async function leave(openid: string, now: number): Promise<void> {
  const left: Omit<MemberDoc, '_id'> = {
    state: 'LEFT',
    nickname: '',
    avatarFileId: '',
    joinedAt: new Date(now),
    leftAt: new Date(now),
    pending: true,
  }
  await db().collection(MEMBERS).doc(openid).set({ data: left })
  await removeRows(openid)
  await settled(MEMBERS, openid, { state: 'LEFT' })
}

/**
 * Clears `pending` once the rows follow the record: only while the record is still in the state
 * this work was for, so a later join or leave (which set `pending` again) keeps its own.
 */
async function settled(collection: string, id: string, still: Record<string, unknown> = {}): Promise<void> {
  const _ = db().command
  await db()
    .collection(collection)
    .where({ _id: id, pending: true, ...still })
    .update({ data: { pending: _.remove() } })
}

/** A join (after its rows are written and checked): nothing of it left to do. */
export const joined = (openid: string): Promise<void> => settled(MEMBERS, openid, { state: 'IN' })

/** A group membership whose rows are written (share.groupEnter). */
export const enteredGroup = (membershipId: string): Promise<void> => settled(GROUPS, membershipId)

/** How many half-done joins, leaves and group entries one timer tick finishes at most. */
export const PENDING_PAGE = 50

/**
 * Finishes what a function cut off half-way left (every tick, before anything else): a leave's
 * rows removed, a join's or a group entry's rows written, each checked as refreshOwnRows checks.
 */
export async function finishPending(now: number): Promise<number> {
  const [members, entries] = await Promise.all([
    findDocs<MemberDoc>(db().collection(MEMBERS).where({ pending: true }).limit(PENDING_PAGE)),
    findDocs<{ _id: string; openid: string }>(db().collection(GROUPS).where({ pending: true }).limit(PENDING_PAGE)),
  ])
  await inBatches(members, WRITE_CONCURRENCY, async (m) => {
    await refreshOwnRows(m._id, now, true)
    await settled(MEMBERS, m._id, { state: m.state ?? 'IN' })
  })
  await inBatches(entries, WRITE_CONCURRENCY, async (g) => {
    await refreshOwnRows(g.openid, now)
    await settled(GROUPS, g._id)
  })
  return members.length + entries.length
}

/** A member's new name or avatar (user.updateProfile), on the record and their rows. */
export async function renameMember(
  openid: string,
  profile: Partial<Pick<MemberDoc, 'nickname' | 'avatarFileId'>>,
  now: number,
): Promise<void> {
  const _ = db().command
  const res = (await db()
    .collection(MEMBERS)
    .where({ _id: openid, state: _.neq('LEFT') })
    .update({ data: profile })) as { stats: { updated: number } }
  if (res.stats.updated) await refreshOwnRows(openid, now)
}

/** A user's stored days of this calendar week (what their rows are computed from outside a sync). */
export async function weekDays(openid: string, now: number): Promise<Array<{ date: string; steps: number }>> {
  const _ = db().command
  const dates = periodDates('week', now)
  return findDocs(
    db()
      .collection(DAYS)
      .where({ _openid: openid, date: _.in(dates) })
      .limit(dates.length),
  )
}

/** The opengids of a user's groups (at most MAX_GROUPS). */
export async function groupsOf(openid: string): Promise<string[]> {
  return (await findDocs<{ opengid: string }>(db().collection(GROUPS).where({ openid }).limit(MAX_GROUPS))).map(
    (g) => g.opengid,
  )
}

/** Removes every board row of a user (opt-out): one request per GET_MAX rows. */
export async function removeRows(openid: string): Promise<void> {
  // remove() on a query removes every match; repeated while a page's worth remained, as a multi-document write may stop at a limit.
  for (;;) {
    const res = (await db().collection(BOARDS).where({ openid }).remove()) as { stats?: { removed?: number } }
    if ((res.stats?.removed ?? 0) < GET_MAX) return
  }
}

/** How many tombstones one timer tick forgets at most. */
export const TOMBSTONE_PAGE = 100

/**
 * The timer (every minute), doing only what changed since its last tick, never a pass over the
 * members: joins, leaves and group entries cut off half-way are finished (finishPending); members
 * who left more than TOMBSTONE_MS ago have any rows removed and their record forgotten; and once
 * per Beijing day the rows of past keys go (days before yesterday, weeks before this one), a
 * remove per period. Midnight needs nothing: a new day or week is a new key (server/rank/board.ts).
 */
export async function maintainBoards(now: number): Promise<{ finished: number; forgotten: number; cleaned: boolean }> {
  const _ = db().command
  const today = beijingDate(now)
  const [finished, job, gone] = await Promise.all([
    finishPending(now),
    getDoc<JobDoc>(JOBS, 'boards'),
    findDocs<MemberDoc>(
      db()
        .collection(MEMBERS)
        .where({ state: 'LEFT', leftAt: _.lt(new Date(now - TOMBSTONE_MS)) })
        .limit(TOMBSTONE_PAGE),
    ),
  ])
  await inBatches(gone, WRITE_CONCURRENCY, async (m) => {
    await removeRows(m._id)
    // Only the tombstone that was read: a join since then keeps its record.
    await db().collection(MEMBERS).where({ _id: m._id, state: 'LEFT', leftAt: m.leftAt }).remove()
  })
  const cleaned = job?.cleanedKey !== today
  if (cleaned) {
    await Promise.all([
      db()
        .collection(BOARDS)
        .where({ period: 'today', key: _.lt(lastDates(2, now)[0]!) })
        .remove(),
      db()
        .collection(BOARDS)
        .where({ period: 'week', key: _.lt(periodKey('week', now)) })
        .remove(),
    ])
    await db()
      .collection(JOBS)
      .doc('boards')
      .set({ data: { cleanedKey: today } })
  }
  return { finished, forgotten: gone.length, cleaned }
}

/** One board's rows and, when needed, the caller's place: the read side of rank.board. */
export async function readBoard(
  scope: string,
  period: BoardDoc['period'],
  key: string,
  limit: number,
): Promise<BoardDoc[]> {
  const res = (await db()
    .collection(BOARDS)
    .where({ scope, period, key })
    .orderBy('steps', 'desc')
    .orderBy('openid', 'asc')
    .limit(limit)
    .get()) as DB.IQueryResult
  return res.data as unknown as BoardDoc[]
}

/** How many rows of a board have more steps than `steps` (the caller's place is this + 1). */
export async function countAhead(
  scope: string,
  period: BoardDoc['period'],
  key: string,
  steps: number,
): Promise<number> {
  const _ = db().command
  const res = (await db()
    .collection(BOARDS)
    .where({ scope, period, key, steps: _.gt(steps) })
    .count()) as { total: number }
  return res.total
}
