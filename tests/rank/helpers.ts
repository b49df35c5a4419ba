/** Shared by the rank race and crash tests: a world of users, and the boards as a ranking from scratch would have them. */
import type { Caller } from '../../localcloud'
import { CloudIdRef } from '../../localcloud'
import { ALL, PERIODS, boardId, periodKeys, periodTotals } from '../../server/rank/board'
import { stepList } from '../werun/helpers'
import { takeConsole } from '../setup/console'
import { raceCloud } from '../setup/races'

export const USERS = 8
export const users = (tag: string): Caller[] =>
  Array.from({ length: USERS }, (_, i) => ({ openid: `o-${tag}-${i}00000` }))
export const gid = (i: number) => `G-race-${String(i).padStart(5, '0')}`

export function world() {
  const w = raceCloud()
  const weRun = (today: number) =>
    new CloudIdRef(w.cloud.issueCloudId({ stepInfoList: stepList(3, (d) => (d === 0 ? today : 1000 + d)) }))
  const groupCard = (opengid: string) => new CloudIdRef(w.cloud.issueCloudId({ opengid }))
  const setUp = async (u: Caller, i: number, o: { sync?: boolean; optIn?: boolean; group?: boolean } = {}) => {
    await w.call('user', 'login', {}, u)
    await w.call('user', 'updateProfile', { nickname: `n${i}` }, u)
    if (o.sync) await w.call('werun', 'sync', { weRunData: weRun(5000 + i) }, u)
    if (o.group) await w.call('share', 'groupEnter', { groupInfo: groupCard(gid(i % 2)) }, u)
    if (o.optIn) await w.call('rank', 'optIn', {}, u)
  }
  return { ...w, weRun, groupCard, setUp }
}
export type World = ReturnType<typeof world>

export const member = (w: World, openid: string) =>
  w.cloud.db.dump('rank_members').find((m) => m._id === openid && m.state !== 'LEFT')
export const shown = (w: World, openid: string) => w.cloud.db.dump('rank_boards').filter((r) => r.openid === openid)

/** Today's boards as a ranking from scratch would have them, against what is stored: the rows that differ. */
export function wrongRows(w: World): string[] {
  const now = Date.now()
  const keys = periodKeys(now)
  const days = w.cloud.db.dump('werun_days') as unknown as Array<{ _openid: string; date: string; steps: number }>
  const groups = w.cloud.db.dump('group_members') as unknown as Array<{ openid: string; opengid: string }>
  const want = new Map<string, string>()
  for (const m of w.cloud.db.dump('rank_members')) {
    if (m.state === 'LEFT') continue
    const totals = periodTotals(
      days.filter((d) => d._openid === m._id),
      now,
    )
    for (const scope of [ALL, ...groups.filter((g) => g.openid === m._id).map((g) => g.opengid)]) {
      for (const period of PERIODS)
        want.set(boardId(scope, period, keys[period], m._id), `${totals[period]}:${String(m.nickname)}`)
    }
  }
  const have = new Map(
    w.cloud.db
      .dump('rank_boards')
      .filter((r) => r.key === keys[r.period as 'today' | 'week'])
      .map((r) => [r._id, `${String(r.steps)}:${String(r.nickname)}`]),
  )
  const wrong: string[] = []
  for (const [id, v] of want)
    if (have.get(id) !== v) wrong.push(`${id} is ${have.get(id) ?? 'missing'}, should be ${v}`)
  for (const [id, v] of have) if (!want.has(id)) wrong.push(`${id} is ${v}, should not be shown`)
  return wrong
}

export async function timerPass(w: World): Promise<void> {
  await w.cloud.runTimer('rank', 'boards')
  takeConsole('log')
}
