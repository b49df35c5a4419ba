/**
 * npm run bench's data set (scripts/bench.ts): n users with their WeRun days, rank members with
 * their board rows for the current periods, a group, shares and entries with their sharded
 * counters, written into the local database directly (as a console import would).
 */

import type { LocalCloud } from '../localcloud'
import { benchOpenid } from './bench-actions'
import { ALL, boardId, periodKeys } from '../server/rank/board'
import { COUNT_SHARDS, emptyCounts, countsId } from '../server/share/counts'
import { lastDates } from '../server/werun/days'

/** Users, WeRun days, rank members with their board rows, a group, shares and entries: n of each. */
export function seed(cloud: LocalCloud, n: number, at = Date.now()): void {
  const now = Date.now()
  // The keys the seeded board rows belong to: now's, or yesterday's for the timer's first tick of a new day.
  const keys = periodKeys(at)
  const today = keys.today
  const week = lastDates(7, now)
  const users = []
  const days = []
  const members = []
  const rows = []
  for (let i = 0; i < n; i++) {
    const id = benchOpenid(i)
    const steps = (i * 7919) % 20_000
    users.push({
      _id: `u${i}`,
      openids: [id],
      status: 'ACTIVE',
      nickname: `用户${i}`,
      avatarFileId: '',
      language: 'zh_CN',
      loginCount: 3,
      createdAt: new Date(now),
      lastLoginAt: new Date(now),
    })
    days.push({ _id: `${id}:${week[i % 7]}`, _openid: id, date: week[i % 7], steps, updatedAt: new Date(now) })
    members.push({ _id: id, nickname: `用户${i}`, avatarFileId: '', joinedAt: new Date(now) })
    for (const period of ['today', 'week'] as const) {
      rows.push({
        _id: boardId(ALL, period, keys[period], id),
        scope: ALL,
        period,
        key: keys[period],
        openid: id,
        steps: period === 'today' ? (week[i % 7] === today ? steps : 0) : steps,
        nickname: `用户${i}`,
        avatarFileId: '',
      })
    }
  }
  cloud.db.seed('users', users)
  cloud.db.seed('werun_days', days)
  cloud.db.seed('rank_members', members)
  cloud.db.seed('rank_boards', rows)
  // One group of 200 (the first users), whose board rows exist too.
  const group = 'G-bench-group-1'
  const inGroup = Array.from({ length: Math.min(200, n) }, (_v, i) => i)
  cloud.db.seed(
    'group_members',
    inGroup.map((i) => ({
      _id: `${group}:${benchOpenid(i)}`,
      opengid: group,
      openid: benchOpenid(i),
      joinedAt: new Date(now),
    })),
  )
  cloud.db.seed(
    'rank_boards',
    inGroup.map((i) => ({
      _id: boardId(group, 'week', keys.week, benchOpenid(i)),
      scope: group,
      period: 'week',
      key: keys.week,
      openid: benchOpenid(i),
      steps: (i * 7919) % 20_000,
      nickname: `用户${i}`,
      avatarFileId: '',
    })),
  )
  // Shares: one per 10 users; user 0 shared 50 times; n entries spread over the shares.
  const shares = Array.from({ length: Math.max(50, n / 10) }, (_v, i) => ({
    _id: `share${String(i).padStart(7, '0')}`,
    _openid: i < 50 ? benchOpenid(0) : benchOpenid(i),
    page: 'pages/index/index',
    via: 'menu',
    createdAt: new Date(now - i * 1000),
    entries: 0,
    newUsers: 0,
  }))
  const entries = Array.from({ length: n }, (_v, i) => ({
    _id: `${shares[i % shares.length]!._id}:${benchOpenid(i)}`,
    shareId: shares[i % shares.length]!._id,
    sharer: shares[i % shares.length]!._openid,
    openid: benchOpenid(i),
    scene: 1007,
    page: 'pages/index/index',
    newUser: i % 3 === 0,
    at: new Date(now),
  }))
  const byId = new Map(shares.map((s) => [s._id, s]))
  for (const e of entries) {
    const s = byId.get(e.shareId)!
    s.entries += 1
    s.newUsers += e.newUser ? 1 : 0
  }
  cloud.db.seed('shares', shares)
  cloud.db.seed('share_entries', entries)
  const mine = shares.filter((s) => s._openid === benchOpenid(0))
  cloud.db.seed('share_totals', [
    {
      _id: benchOpenid(0),
      entries: mine.reduce((t, s) => t + s.entries, 0),
      newUsers: mine.reduce((t, s) => t + s.newUsers, 0),
    },
  ])
  // Each sharer's count documents, as their first recordIntent makes them.
  const sharers = [...new Set(shares.map((s) => s._openid))]
  cloud.db.seed(
    'share_counts',
    sharers.flatMap((sharer) =>
      Array.from({ length: COUNT_SHARDS }, (_v, k) => ({ ...emptyCounts(sharer), _id: countsId(sharer, k) })),
    ),
  )
}
