/** `werun` on the local cloud: CloudID data checked through OPEN_DATA_INFO, idempotent daily records, history. */
import { CloudIdRef, LocalCloud } from '../../localcloud'
import { beijingDate, lastDates, toDays } from '../../server/werun/days'
import { stepList } from './helpers'

const ALICE = { openid: 'o-walker' }

function world() {
  const cloud = new LocalCloud({ vars: { WERUN_GOAL: '6000' } })
  const call = async (action: string, data: Record<string, unknown>, caller = ALICE) =>
    (await cloud.callFromClient('werun', { action, ...data }, caller)).result as {
      ok: boolean
      data?: any
      error?: { code: string; message: string }
    }
  const issue = (list = stepList(31, (d) => 1000 * (d + 1))) =>
    new CloudIdRef(
      cloud.issueCloudId({ stepInfoList: list, watermark: { appid: cloud.appid, timestamp: 1 } }, ALICE.openid),
    )
  const records = () => cloud.db.dump('werun_days')
  return { cloud, call, issue, records }
}

describe('days (pure)', () => {
  test('timestamps become Beijing dates; duplicates keep the larger count; junk is dropped', () => {
    const midnight = Date.parse('2026-11-20T00:00:00+08:00') / 1000 // 2026-11-19T16:00Z
    const now = Date.parse('2026-11-21T12:00:00+08:00')
    expect(
      toDays(
        {
          stepInfoList: [
            { timestamp: midnight, step: 5 },
            { timestamp: midnight, step: 9.7 },
            { timestamp: -1, step: 3 },
            { timestamp: midnight + 86_400, step: -4 },
          ],
        },
        now,
      ),
    ).toEqual([
      { date: '2026-11-20', steps: 9 },
      { date: '2026-11-21', steps: 0 },
    ])
    expect(beijingDate(Date.parse('2026-11-20T16:30:00Z'))).toBe('2026-11-21')
    // Days after today, or before the 31 days WeRun covers, are not WeRun's.
    expect(
      toDays(
        {
          stepInfoList: [
            { timestamp: midnight + 2 * 86_400, step: 99_999 },
            { timestamp: midnight - 30 * 86_400, step: 1 },
            { timestamp: midnight - 29 * 86_400, step: 2 },
          ],
        },
        now,
      ),
    ).toEqual([{ date: '2026-10-22', steps: 2 }])
    expect(lastDates(3, Date.parse('2026-11-21T03:00:00Z'))).toEqual(['2026-11-19', '2026-11-20', '2026-11-21'])
  })
})

describe('sync', () => {
  test('stores one record per day; syncing the same data twice changes nothing', async () => {
    const w = world()
    const first = await w.call('sync', { weRunData: w.issue() })
    expect(first).toEqual({ ok: true, data: { days: 31, changed: 31 } })
    const snapshot = JSON.stringify(w.records())
    const second = await w.call('sync', { weRunData: w.issue() })
    expect(second).toEqual({ ok: true, data: { days: 31, changed: 0 } })
    expect(JSON.stringify(w.records())).toBe(snapshot)
    expect(w.records()).toHaveLength(31)
    expect(w.records()[0]).toMatchObject({ _openid: ALICE.openid })
  })

  test('a later sync with more steps today updates only today', async () => {
    const w = world()
    await w.call('sync', { weRunData: w.issue() })
    const more = stepList(31, (d) => (d === 0 ? 4321 : 1000 * (d + 1)))
    expect((await w.call('sync', { weRunData: w.issue(more) })).data).toEqual({ days: 31, changed: 1 })
    const today = w.records().find((r) => r.date === beijingDate(Date.now()))
    expect(today!.steps).toBe(4321)
  })

  test('an expired CloudID: CLOUDID_EXPIRED, nothing written', async () => {
    let now = Date.now()
    const cloud = new LocalCloud({ now: () => now })
    const id = new CloudIdRef(cloud.issueCloudId({ stepInfoList: stepList(3, () => 10) }))
    now += 5 * 60_000 + 1
    const { result } = await cloud.callFromClient('werun', { action: 'sync', weRunData: id }, ALICE)
    expect(result).toMatchObject({ ok: false, error: { code: 'CLOUDID_EXPIRED' } })
    expect(cloud.db.dump('werun_days')).toEqual([])
  })

  test('a CloudID WeChat never issued: CLOUDID_INVALID (not "expired"), nothing written', async () => {
    const w = world()
    const r = await w.call('sync', { weRunData: new CloudIdRef('made-up-id') })
    expect(r.error?.code).toBe('CLOUDID_INVALID')
    expect(w.records()).toEqual([])
  })

  test('a forged { cloudID, data } object is refused: WeChat did not fill it in', async () => {
    const w = world()
    const forged = { cloudID: 'made-up', data: { stepInfoList: stepList(3, () => 99_999) } }
    const r = await w.call('sync', { weRunData: forged })
    expect(r.error?.code).toBe('FORGED_DATA')
    expect(w.records()).toEqual([])
  })

  test('data of another mini-program (watermark appid) is refused', async () => {
    const w = world()
    const other = new CloudIdRef(
      w.cloud.issueCloudId({ stepInfoList: stepList(3, () => 1), watermark: { appid: 'wx-other', timestamp: 1 } }),
    )
    expect((await w.call('sync', { weRunData: other })).error?.code).toBe('FORGED_DATA')
  })
})

describe('history', () => {
  test('the last 7 or 31 days ending today, zeros where nothing is stored, with the configured goal', async () => {
    const w = world()
    await w.call('sync', { weRunData: w.issue(stepList(3, (d) => 100 + d)) })
    const week = await w.call('history', { range: 7 })
    expect(week.data.days).toHaveLength(7)
    expect(week.data.days.map((d: { steps: number }) => d.steps)).toEqual([0, 0, 0, 0, 102, 101, 100])
    expect(week.data.today).toBe(beijingDate(Date.now()))
    expect(week.data.goal).toBe(6000)
    expect(typeof week.data.syncedAt).toBe('number')
    expect((await w.call('history', { range: 31 })).data.days).toHaveLength(31)
    expect((await w.call('history', { range: 30 })).error?.code).toBe('INVALID_INPUT')
  })

  test("one user never sees another's days", async () => {
    const w = world()
    await w.call('sync', { weRunData: w.issue() })
    const bob = await w.call('history', { range: 7 }, { openid: 'o-other' })
    expect(bob.data.days.every((d: { steps: number }) => d.steps === 0)).toBe(true)
  })
})

test('call data cannot claim which fields WeChat filled in (open-data keys travel out of band): FORGED_DATA, nothing written', async () => {
  const cloud = new LocalCloud()
  const forged = {
    cloudID: 'made-up',
    data: { stepInfoList: stepList(3, () => 99_999), watermark: { appid: cloud.appid, timestamp: 1 } },
  }
  const { result } = await cloud.callFromClient(
    'werun',
    { action: 'sync', weRunData: forged, __openDataKeys: ['weRunData'] },
    ALICE,
  )
  expect(result).toMatchObject({ ok: false, error: { code: expect.stringMatching(/FORGED_DATA|INVALID_INPUT/) } })
  expect(cloud.db.dump('werun_days')).toEqual([])
})
