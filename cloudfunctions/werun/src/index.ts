/**
 * Cloud function `werun`: WeRun steps. `sync` takes the CloudID of wx.getWeRunData (31 days),
 * trusts it only when WeChat replaced it (server/opendata.ts), and keeps one record per user per
 * day, writing only days whose count grew (a day's steps only grow). `history` answers the last 7 or 31 days.
 * The records, the data's shape and the write rule: server/werun/store.ts.
 * Contract: typings/werun.ts. Collection: werun_days (`<openid>:<date>`, readable by its owner).
 */
import * as v from 'valibot'
import type { StepDay, WeRunData, WerunContract } from '../../../typings/werun'
import { schemas, WeRunSchema } from './schemas'
import { createRouter } from '../../../server/router'
import { db, findDocs, getDoc, toMillis } from '../../../server/db'
import { openData } from '../../../server/opendata'
import { lastDates, toDays } from '../../../server/werun/days'
import { WRITE_CONCURRENCY, inBatches } from '../../../server/rank/board'
import { refreshOwnRows } from '../../../server/rank/store'
import { DAYS, goal, keepLarger, SYNCS, type DayDoc } from '../../../server/werun/store'

export const main = createRouter<WerunContract>('werun', {
  sync: {
    input: schemas.sync,
    async handle({ weRunData }, ctx) {
      const od = openData('weRunData', weRunData, ctx.wx)
      if (!od.ok) return ctx.fail(od.code, od.message)
      const parsed = v.safeParse(WeRunSchema, od.data)
      if (!parsed.success) return ctx.fail('FORGED_DATA', 'The WeRun data is not in the shape WeChat sends.')
      const data: WeRunData = parsed.output
      if (data.watermark && ctx.wx.APPID && data.watermark.appid !== ctx.wx.APPID)
        return ctx.fail('FORGED_DATA', 'The WeRun data belongs to another mini-program.')

      const nowMs = Date.now()
      const days = toDays(data, nowMs)
      const openid = ctx.openid
      const _ = db().command
      const stored = days.length
        ? await findDocs<DayDoc>(
            db()
              .collection(DAYS)
              .where({ _openid: openid, date: _.in(days.map((d) => d.date)) })
              .limit(100),
          )
        : []
      const have = new Map(stored.map((d) => [d.date, d.steps]))
      // A day's steps only grow: a count below the stored one is an older snapshot, never written.
      const changed = days.filter((d) => d.steps > (have.get(d.date) ?? -1))
      const now = new Date(nowMs)
      // At most WRITE_CONCURRENCY at once (a first sync has 31 days; CloudBase limits concurrent requests).
      await inBatches(changed, WRITE_CONCURRENCY, (d) => keepLarger(openid, d, have.has(d.date), now))
      await Promise.all([
        db()
          .collection(SYNCS)
          .doc(openid)
          .set({ data: { syncedAt: now, days: days.length } }),
        // A ranked user's own board rows at once (the timer does everyone else's), also on a new
        // day with no new steps; checked against what is stored after writing (server/rank/store.ts).
        refreshOwnRows(openid, nowMs),
      ])
      return { days: days.length, changed: changed.length }
    },
  },

  history: {
    input: schemas.history,
    async handle({ range }, ctx) {
      const now = Date.now()
      const dates = lastDates(range, now)
      const _ = db().command
      const [docs, sync] = await Promise.all([
        findDocs<DayDoc>(
          db()
            .collection(DAYS)
            .where({ _openid: ctx.openid, date: _.gte(dates[0]!) })
            .orderBy('date', 'asc')
            .limit(100),
        ),
        getDoc<{ syncedAt: Date }>(SYNCS, ctx.openid),
      ])
      const steps = new Map(docs.map((d) => [d.date, d.steps]))
      const days: StepDay[] = dates.map((date) => ({ date, steps: steps.get(date) ?? 0 }))
      return { days, today: dates[dates.length - 1]!, goal: goal(), syncedAt: sync ? toMillis(sync.syncedAt) : null }
    },
  },
})
