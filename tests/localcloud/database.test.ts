/**
 * The local database through the REAL wx-server-sdk client (only its HTTP requester is
 * replaced): what a function's code sees is the SDK's own behaviour. Indexes and the file:
 * database-indexes.test.ts.
 */
import { freshDatabase, sdk } from './sdk-database'
import { LocalCloud, parseLatency } from '../../localcloud'
import { seededRandom } from '../../localcloud/db-engine'

let cloud: LocalCloud
let db: any
let _: any

beforeEach(() => {
  ;({ cloud, db, _ } = freshDatabase())
})

async function seed() {
  for (const [i, name] of ['apple', 'banana', 'cherry', 'date', 'elder'].entries()) {
    await db.collection('items').add({
      data: { _id: `i${i}`, name, price: (i + 1) * 100, tags: i % 2 ? ['odd'] : ['even'], meta: { rank: 5 - i } },
    })
  }
}

test('add returns _id; a generated _id is 32 hex chars', async () => {
  const r = await db.collection('items').add({ data: { name: 'x' } })
  expect(r._id).toMatch(/^[0-9a-f]{32}$/)
  expect(r.errMsg).toBe('collection.add:ok')
})

test('where with command operators, orderBy, skip, limit, field', async () => {
  await seed()
  const r = await db
    .collection('items')
    .where({ price: _.gte(200).and(_.lte(500)), tags: 'odd' })
    .orderBy('price', 'desc')
    .field({ name: true })
    .get()
  expect(r.data).toEqual([
    { _id: 'i3', name: 'date' },
    { _id: 'i1', name: 'banana' },
  ])
  const page = await db.collection('items').orderBy('price', 'asc').skip(1).limit(2).get()
  expect(page.data.map((d: any) => d.name)).toEqual(['banana', 'cherry'])
  const nested = await db
    .collection('items')
    .where({ meta: { rank: _.lt(3) } })
    .count()
  expect(nested.total).toBe(2)
  const or = await db
    .collection('items')
    .where(_.or([{ name: 'apple' }, { price: _.in([500]) }]))
    .count()
  expect(or.total).toBe(2)
  const re = await db
    .collection('items')
    .where({ name: db.RegExp({ regexp: '^B', options: 'i' }) })
    .get()
  expect(re.data.map((d: any) => d.name)).toEqual(['banana'])
})

test('update operators and serverDate', async () => {
  await seed()
  const before = Date.now()
  await db
    .collection('items')
    .doc('i0')
    .update({
      data: { price: _.inc(5), tags: _.push(['red']), 'meta.rank': 9, seen: db.serverDate(), gone: _.remove() },
    })
  const { data } = await db.collection('items').doc('i0').get()
  expect(data).toMatchObject({ price: 105, tags: ['even', 'red'], meta: { rank: 9 } })
  expect(data.seen).toBeInstanceOf(Date)
  expect(data.seen.getTime()).toBeGreaterThanOrEqual(before)
  const multi = await db
    .collection('items')
    .where({ tags: 'odd' })
    .update({ data: { sale: true } })
  expect(multi.stats.updated).toBe(2)
})

test('set replaces the document (and creates it); remove deletes', async () => {
  await seed()
  await db
    .collection('items')
    .doc('i1')
    .set({ data: { name: 'B' } })
  expect((await db.collection('items').doc('i1').get()).data).toEqual({ _id: 'i1', name: 'B' })
  const created = await db
    .collection('items')
    .doc('new')
    .set({ data: { name: 'N' } })
  expect(created.stats).toEqual({ updated: 0, created: 1 })
  const removed = await db
    .collection('items')
    .where({ price: _.gt(300) })
    .remove()
  expect(removed.stats.removed).toBe(2)
  expect((await db.collection('items').count()).total).toBe(4)
})

test('doc.get on a missing id throws errCode -1 by default; throwOnNotFound:false resolves null', async () => {
  await expect(db.collection('items').doc('missing').get()).rejects.toMatchObject({ errCode: -1 })
  const lenient = sdk.database({ throwOnNotFound: false })
  expect((await lenient.collection('items').doc('missing').get()).data).toBeNull()
})

test('a missing collection and duplicate keys fail like CloudBase', async () => {
  await expect(db.collection('nope').get()).rejects.toMatchObject({ errCode: -502005 })
  await db.collection('items').add({ data: { _id: 'dup', sku: 'A' } })
  await expect(db.collection('items').add({ data: { _id: 'dup' } })).rejects.toMatchObject({ errCode: -502001 })
  await expect(db.collection('items').add({ data: { sku: 'A' } })).rejects.toMatchObject({
    errMsg: expect.stringContaining('E11000'),
  })
  expect((await db.collection('items').count()).total).toBe(1)
})

test('get returns at most 1000 documents; the SDK asks 100 by default', async () => {
  cloud.db.seed(
    'items',
    Array.from({ length: 1200 }, (_x, i) => ({ n: i })),
  )
  expect((await db.collection('items').get()).data).toHaveLength(100)
  expect((await db.collection('items').limit(5000).get()).data).toHaveLength(1000)
})

test('transactions: isolated until commit, rolled back on throw', async () => {
  await seed()
  await expect(
    db.runTransaction(async (t: any) => {
      await t
        .collection('items')
        .doc('i0')
        .update({ data: { price: 1 } })
      const inside = await t.collection('items').doc('i0').get()
      expect(inside.data.price).toBe(1)
      expect((await db.collection('items').doc('i0').get()).data.price).toBe(100)
      throw new Error('abort')
    }),
  ).rejects.toThrow('abort')
  expect((await db.collection('items').doc('i0').get()).data.price).toBe(100)
  const res = await db.runTransaction(async (t: any) => {
    const { data } = await t.collection('items').doc('i0').get()
    await t
      .collection('items')
      .doc('i0')
      .update({ data: { price: data.price + 1 } })
    await t
      .collection('items')
      .doc('tx-new')
      .set({ data: { name: 'made in tx' } })
    return 'done'
  })
  expect(res).toBe('done')
  expect((await db.collection('items').doc('i0').get()).data.price).toBe(101)
  expect((await db.collection('items').doc('tx-new').get()).data.name).toBe('made in tx')
})

test('two concurrent transactions on one document: one conflicts, is retried, both increments land', async () => {
  await seed()
  const bump = () =>
    db.runTransaction(async (t: any) => {
      const { data } = await t.collection('items').doc('i0').get()
      await new Promise((r) => setTimeout(r, 5))
      await t
        .collection('items')
        .doc('i0')
        .update({ data: { price: data.price + 1 } })
    })
  await Promise.all([bump(), bump()])
  expect((await db.collection('items').doc('i0').get()).data.price).toBe(102)
  expect(cloud.db.log.filter((l) => l.action === 'database.commitTransaction' && !l.ok).length).toBeGreaterThanOrEqual(
    1,
  )
})

test('a conditional update lets only one of two writers win', async () => {
  await seed()
  const claim = () =>
    db
      .collection('items')
      .where({ _id: 'i0', state: _.exists(false) })
      .update({ data: { state: 'CLAIMED' } })
  const [a, b] = await Promise.all([claim(), claim()])
  expect(a.stats.updated + b.stats.updated).toBe(1)
})

test('persists to a file and loads it back', async () => {
  const { mkdtempSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'lc-'))
  const first = new LocalCloud({ dataDir: dir })
  await sdk
    .database()
    .collection('users')
    .add({ data: { _id: 'p1', when: new Date(5) } })
  expect(first.db.dump('users')).toHaveLength(1)
  first.db.flush() // written within PERSIST_DEBOUNCE_MS anyway, and when the process exits
  const second = new LocalCloud({ dataDir: dir })
  expect(second.db.dump('users')).toEqual([{ _id: 'p1', when: new Date(5) }])
})

describe("CloudBase's caps from a function (db-engine.ts names the documents)", () => {
  beforeEach(() => {
    cloud.db.createCollection({ name: 'steps', indexes: [{ name: 'owner_date', keys: { owner: 1, date: -1 } }] })
    cloud.db.seed(
      'steps',
      Array.from({ length: 150 }, (_v, i) => ({
        _id: `s${i}`,
        owner: `u${i % 30}`,
        date: `2026-11-${String((i % 5) + 1).padStart(2, '0')}`,
        steps: 1000 + i,
      })),
    )
  })

  test('get() without limit answers 100 documents; a limit above 1000 is answered with 1000 at most', async () => {
    expect((await db.collection('steps').get()).data).toHaveLength(100)
    cloud.db.seed(
      'steps',
      Array.from({ length: 1000 }, (_v, i) => ({ _id: `t${i}`, owner: 'many', date: '2026-11-01', steps: i })),
    )
    expect((await db.collection('steps').limit(5000).get()).data).toHaveLength(1000)
  })

  test('an aggregation without limit answers 20 rows: a count that relied on "everything" is wrong, one that pages is right', async () => {
    const $ = _.aggregate
    const naive = await db
      .collection('steps')
      .aggregate()
      .group({ _id: '$owner', total: $.sum('$steps') })
      .end()
    expect(naive.list).toHaveLength(20) // 30 owners: 10 silently missing, as on CloudBase
    const paged: unknown[] = []
    for (let skip = 0; ; skip += 20) {
      const page = await db
        .collection('steps')
        .aggregate()
        .group({ _id: '$owner', total: $.sum('$steps') })
        .sort({ _id: 1 })
        .skip(skip)
        .limit(20)
        .end()
      paged.push(...page.list)
      if (page.list.length < 20) break
    }
    expect(paged).toHaveLength(30)
    const limited = await db.collection('steps').aggregate().match({ owner: 'u1' }).limit(100).end()
    expect(limited.list).toHaveLength(5)
  })

  test('with a limit stage an aggregation answers at most 10000 rows', async () => {
    cloud.db.seed(
      'steps',
      Array.from({ length: 10_050 }, (_v, i) => ({ _id: `b${i}`, owner: 'bulk', date: '2026-11-02', steps: i })),
    )
    const r = await db.collection('steps').aggregate().match({ owner: 'bulk' }).limit(20_000).end()
    expect(r.list).toHaveLength(10_000)
  })
})

describe('CloudBase latency (LOCALCLOUD_DB_LATENCY)', () => {
  test('the option reads N, MIN-MAX and @SEED, and refuses anything else with the shape it wants', () => {
    expect(parseLatency(undefined)).toBeNull()
    expect(parseLatency('0')).toBeNull()
    expect(parseLatency('5')).toEqual({ min: 5, max: 5 })
    expect(parseLatency(' 1-8 ')).toEqual({ min: 1, max: 8 })
    expect(parseLatency('1-8@42')).toEqual({ min: 1, max: 8, seed: 42 })
    expect(() => parseLatency('8-1')).toThrow(/1 is below 8/)
    expect(() => parseLatency('fast')).toThrow(/N or MIN-MAX milliseconds/)
    expect(() => parseLatency('1..8')).toThrow(/N or MIN-MAX/)
  })

  /** The order in which 12 single writes, sent one after another, were applied. */
  async function appliedOrder(seed: number): Promise<number[]> {
    const order: number[] = []
    cloud.db.setLatency({ min: 1, max: 8, seed })
    await Promise.all(
      Array.from({ length: 12 }, (_v, i) =>
        db
          .collection('items')
          .add({ data: { _id: `lat${seed}-${i}`, sku: `s${seed}-${i}` } })
          .then(() => undefined),
      ),
    )
    cloud.db.setLatency(null)
    const applied = cloud.db.log.filter((l) => l.action === 'database.insertDocument').map((l) => l.at)
    expect(applied).toHaveLength(12)
    // The engine applies each request at its own moment: read the order back from the documents' insertion.
    for (const d of cloud.db.dump('items'))
      if (String(d._id).startsWith(`lat${seed}-`)) order.push(Number(String(d._id).split('-')[1]))
    return order
  }

  test('requests sent in one order are applied in another, as on the real service; a seed repeats the delays', async () => {
    const a = await appliedOrder(7)
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_v, i) => i))
    expect(a).not.toEqual([...a].sort((x, y) => x - y))
    // The same seed draws the same delays (timers of near-equal delays may still fire in either order).
    const draws = (seed: number) => Array.from({ length: 5 }, seededRandom(seed))
    expect(draws(7)).toEqual(draws(7))
    expect(draws(7)).not.toEqual(draws(8))
    expect(draws(7).every((x) => x >= 0 && x < 1)).toBe(true)
  })

  test('read-then-write windows open under latency: an unconditional read-modify-write loses an update that a conditional one keeps', async () => {
    await seed()
    cloud.db.setLatency({ min: 1, max: 8, seed: 3 })
    const naive = async () => {
      const { data } = await db.collection('items').doc('i1').get()
      await db
        .collection('items')
        .doc('i1')
        .update({ data: { price: data.price + 1 } })
    }
    await Promise.all([naive(), naive(), naive(), naive()])
    const inc = () =>
      db
        .collection('items')
        .doc('i2')
        .update({ data: { price: _.inc(1) } })
    await Promise.all([inc(), inc(), inc(), inc()])
    cloud.db.setLatency(null)
    expect((await db.collection('items').doc('i1').get()).data.price).toBeLessThan(204)
    expect((await db.collection('items').doc('i2').get()).data.price).toBe(304)
  })
})
