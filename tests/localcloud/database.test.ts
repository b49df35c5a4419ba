/**
 * The local database through the REAL wx-server-sdk client (only its HTTP requester is
 * replaced): what a function's code sees is the SDK's own behaviour.
 */
import { LocalCloud, parseLatency } from '../../localcloud'
import { seededRandom } from '../../localcloud/db-engine'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require('wx-server-sdk') as any
let cloud: LocalCloud
let db: any
let _: any

beforeAll(() => {
  sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV })
})

beforeEach(() => {
  cloud = new LocalCloud()
  cloud.db.createCollection({ name: 'items', indexes: [{ name: 'sku_1', keys: { sku: 1 }, unique: true }] })
  db = sdk.database()
  _ = db.command
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

describe('indexes and batched file writes', () => {
  test('an indexed field finds documents after they change, by value, by $in and inside arrays', async () => {
    cloud.db.createCollection({
      name: 'people',
      indexes: [
        { name: 'tag_1', keys: { tags: 1 } },
        { name: 'city_1', keys: { city: 1 } },
      ],
    })
    await db.collection('people').add({ data: { _id: 'p1', city: 'Shenzhen', tags: ['a', 'b'] } })
    await db.collection('people').add({ data: { _id: 'p2', city: 'Beijing', tags: ['b'] } })
    expect((await db.collection('people').where({ tags: 'b' }).get()).data.map((d: { _id: string }) => d._id)).toEqual([
      'p1',
      'p2',
    ])
    await db
      .collection('people')
      .doc('p1')
      .update({ data: { city: 'Guangzhou' } })
    expect((await db.collection('people').where({ city: 'Shenzhen' }).get()).data).toEqual([])
    expect(
      (
        await db
          .collection('people')
          .where({ city: _.in(['Guangzhou', 'Beijing']) })
          .get()
      ).data.map((d: { _id: string }) => d._id),
    ).toEqual(['p1', 'p2'])
    await db.collection('people').doc('p2').remove()
    expect((await db.collection('people').where({ tags: 'b' }).get()).data.map((d: { _id: string }) => d._id)).toEqual([
      'p1',
    ])
  })

  test('a unique index still refuses a duplicate after updates and removals free and take keys', async () => {
    await db.collection('items').add({ data: { _id: 'a', sku: 'S1' } })
    await db
      .collection('items')
      .doc('a')
      .update({ data: { sku: 'S2' } })
    await db.collection('items').add({ data: { _id: 'b', sku: 'S1' } }) // S1 is free again
    await expect(db.collection('items').add({ data: { _id: 'c', sku: 'S2' } })).rejects.toThrow(/duplicate key/)
    await db.collection('items').doc('a').remove()
    await db.collection('items').add({ data: { _id: 'c', sku: 'S2' } })
    expect(
      cloud.db
        .dump('items')
        .map((d) => d._id)
        .sort(),
    ).toEqual(['b', 'c'])
  })

  test('a burst of writes is one file write', async () => {
    const { mkdtempSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const local = new LocalCloud({ dataDir: mkdtempSync(join(tmpdir(), 'lc-burst-')) })
    const before = local.db.fileWrites
    for (let i = 0; i < 50; i++)
      await sdk
        .database()
        .collection('users')
        .add({ data: { n: i } })
    local.db.flush()
    expect(local.db.fileWrites - before).toBe(1)
    local.db.flush() // nothing new: no write
    expect(local.db.fileWrites - before).toBe(1)
  })
})

test('a compound index (equality fields, then an ordered one) answers ordered pages and range counts exactly as a full scan does', async () => {
  cloud.db.createCollection({ name: 'scores', indexes: [{ name: 'g_k_s', keys: { g: 1, k: 1, s: -1 } }] })
  cloud.db.createCollection({ name: 'scores_plain' })
  let seed = 7
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
  const docs = Array.from({ length: 600 }, (_v, i) => {
    const d: Record<string, unknown> = {
      _id: `d${String(i).padStart(4, '0')}`,
      g: ['a', 'b'][rnd(2)],
      k: rnd(3),
      who: `u${rnd(50)}`,
    }
    const r = rnd(20)
    if (r === 0) d.g = ['a', 'b'] // an array: matches g: 'a' too
    if (r !== 1) d.s = rnd(40) * 10 // ties; some without s
    return d
  })
  cloud.db.seed('scores', docs)
  cloud.db.seed('scores_plain', docs)
  // Updates move documents inside the index.
  for (const id of ['d0001', 'd0002', 'd0003']) {
    await db
      .collection('scores')
      .doc(id)
      .update({ data: { s: 999 } })
    await db
      .collection('scores_plain')
      .doc(id)
      .update({ data: { s: 999 } })
  }
  const both = async (f: (c: any) => Promise<unknown>) => [
    await f(db.collection('scores')),
    await f(db.collection('scores_plain')),
  ]
  for (const g of ['a', 'b']) {
    for (const k of [0, 1, 2]) {
      const [a, b] = await both((c) =>
        c
          .where({ g, k })
          .orderBy('s', 'desc')
          .orderBy('who', 'asc')
          .skip(3)
          .limit(25)
          .get()
          .then((r: any) => r.data),
      )
      expect(a).toEqual(b)
      const [c1, c2] = await both((c) =>
        c
          .where({ g, k, s: _.gt(200) })
          .count()
          .then((r: any) => r.total),
      )
      expect(c1).toEqual(c2)
      const [d1, d2] = await both((c) =>
        c
          .where({ g, k, s: _.lte(150), who: 'u7' })
          .count()
          .then((r: any) => r.total),
      )
      expect(d1).toEqual(d2)
      const [e1, e2] = await both((c) =>
        c
          .where({ g, k })
          .orderBy('s', 'asc')
          .limit(10)
          .get()
          .then((r: any) => r.data),
      )
      expect(e1).toEqual(e2)
    }
  }
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

describe('indexes as CloudBase uses them: what a read examines stays small as the collection grows', () => {
  const N = 5000
  beforeEach(() => {
    cloud.db.createCollection({
      name: 'events',
      indexes: [
        { name: 'at_-1', keys: { at: -1 } },
        { name: 'owner_at', keys: { owner: 1, at: 1 } },
        { name: 'kind_1', keys: { kind: 1 } },
      ],
    })
    cloud.db.seed(
      'events',
      Array.from({ length: N }, (_v, i) => ({
        _id: `e${String(i).padStart(5, '0')}`,
        owner: `u${i % 500}`,
        kind: `k${i % 1000}`,
        at: 1_000_000 + i,
        note: i % 7 === 0 ? 'seven' : 'other',
      })),
    )
  })
  const examined = async (f: () => Promise<unknown>) => {
    const before = cloud.db.examined
    const answer = await f()
    return { answer, examined: cloud.db.examined - before }
  }

  test('a single-field index orders a page: the newest 5 of 5,000 examine 5, as a full sort would answer', async () => {
    const r = await examined(() => db.collection('events').orderBy('at', 'desc').limit(5).get())
    expect((r.answer as any).data.map((d: any) => d._id)).toEqual(['e04999', 'e04998', 'e04997', 'e04996', 'e04995'])
    expect(r.examined).toBeLessThanOrEqual(5)
  })

  test('ties: a page ordered by one indexed field reads only the page, in the order a full scan gives (equal values as inserted)', async () => {
    cloud.db.createCollection({ name: 'ties', indexes: [{ name: 'score_1', keys: { score: 1 } }] })
    cloud.db.createCollection({ name: 'ties_plain' })
    // 900 documents (under SCAN_LIMIT, so the plain copy may be read whole) on 3 values, inserted out of _id order.
    const docs = Array.from({ length: 900 }, (_v, i) => ({
      _id: `t${String((i * 337) % 900).padStart(3, '0')}`,
      score: i % 3,
    }))
    cloud.db.seed('ties', docs)
    cloud.db.seed('ties_plain', docs)
    for (const [dir, skip] of [
      ['desc', 0],
      ['asc', 0],
      ['desc', 298],
      ['asc', 7],
    ] as const) {
      const r = await examined(() => db.collection('ties').orderBy('score', dir).skip(skip).limit(5).get())
      const plain = await db.collection('ties_plain').orderBy('score', dir).skip(skip).limit(5).get()
      expect((r.answer as any).data).toEqual(plain.data)
      expect(r.examined).toBe(skip + 5)
    }
  })

  test('a range on a single-field index reads only the range', async () => {
    const r = await examined(() =>
      db
        .collection('events')
        .where({ at: _.gte(1_004_990) })
        .get(),
    )
    expect((r.answer as any).data).toHaveLength(10)
    expect(r.examined).toBe(10)
    const c = await examined(() =>
      db
        .collection('events')
        .where({ at: _.lt(1_000_020), note: 'seven' })
        .count(),
    )
    expect((c.answer as any).total).toBe(3) // 0, 7, 14
    expect(c.examined).toBe(20)
  })

  test("conditions inside a top-level $and narrow like the query's own; the smallest index wins", async () => {
    // note has no index; kind k7 has 5 events: those 5 are examined.
    const r = await examined(() =>
      db
        .collection('events')
        .where(_.and([{ note: 'seven' }, { kind: 'k7' }]))
        .get(),
    )
    expect((r.answer as any).data.map((d: any) => d._id)).toEqual(['e00007'])
    expect(r.examined).toBe(5)
    // owner u7 has 10 events, kind k7 has 5 (all of them u7's): the kind index is read.
    const both = await examined(() => db.collection('events').where({ owner: 'u7', kind: 'k7' }).get())
    expect((both.answer as any).data.map((d: any) => d._id)).toEqual(['e00007', 'e01007', 'e02007', 'e03007', 'e04007'])
    expect(both.examined).toBe(5)
  })

  test('a transaction reads one document by id without copying the collection', async () => {
    const r = await examined(() =>
      db.runTransaction(async (t: any) => (await t.collection('events').doc('e00042').get()).data),
    )
    expect(r.answer).toMatchObject({ _id: 'e00042', owner: 'u42' })
    expect(r.examined).toBe(1)
  })

  test('a query no index serves on more than SCAN_LIMIT documents is refused, naming the field to index; a page with no condition is not', async () => {
    await expect(db.collection('events').where({ note: 'seven' }).get()).rejects.toThrow(
      /events \(note\) examines all 5000 documents with no index: declare an index on "note"/,
    )
    await expect(db.collection('events').where({ note: 'seven' }).remove()).rejects.toThrow(
      /declare an index on "note"/,
    )
    expect(cloud.db.dump('events')).toHaveLength(N) // nothing written
    expect((await db.collection('events').limit(3).get()).data).toHaveLength(3)
    expect((await db.collection('events').count()).total).toBe(N)
  })

  test('npm start warns once per query shape instead, and answers', async () => {
    cloud.db.scanPolicy = 'warn'
    const warned = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      expect((await db.collection('events').where({ note: 'seven' }).count()).total).toBe(715)
      expect((await db.collection('events').where({ note: 'other' }).count()).total).toBe(N - 715)
      expect(warned.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(
          /^localcloud: a query on events \(note\) examines all 5000 documents with no index: declare an index on "note"/,
        ),
      ])
    } finally {
      warned.mockRestore()
    }
  })
})

test('the file: a write appends what changed to the journal (the snapshot stays as it is); deletes and a reset survive a reload', async () => {
  const { mkdtempSync, statSync, readFileSync, existsSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'lc-'))
  const first = new LocalCloud({ dataDir: dir })
  // Over a megabyte of Chinese text: the file is read a megabyte at a time, and characters cut at its edge must survive.
  const bio = (i: number) => `第${i}位用户的简介：喜欢跑步、咖啡和分享。`.repeat(12)
  first.db.seed(
    'users',
    Array.from({ length: 2000 }, (_v, i) => ({ _id: `u${i}`, n: i, bio: bio(i) })),
  )
  first.db.flush() // a seed: the whole snapshot
  const snapshot = join(dir, 'db.json')
  const size = statSync(snapshot).size
  await sdk
    .database()
    .collection('users')
    .doc('u7')
    .update({ data: { n: -7 } })
  await sdk.database().collection('users').doc('u8').remove()
  first.db.flush()
  expect(statSync(snapshot).size).toBe(size) // not rewritten
  const journal = readFileSync(first.db.journalFile!, 'utf8').trim().split('\n')
  expect(journal).toHaveLength(2) // the two documents that changed
  const second = new LocalCloud({ dataDir: dir })
  const users = second.db.dump('users')
  expect(users).toHaveLength(1999)
  expect(users.find((u) => u._id === 'u7')).toEqual({ _id: 'u7', n: -7, bio: bio(7) })
  expect(users.every((u) => u.bio === bio(u.n === -7 ? 7 : (u.n as number)))).toBe(true)
  expect(existsSync(second.db.journalFile!)).toBe(false) // folded into the snapshot when loaded
  // A reset empties the collections; the next start sees them empty.
  second.db.clear()
  second.db.flush()
  expect(new LocalCloud({ dataDir: dir }).db.dump('users')).toEqual([])
})

test('a database file from before the line format loads, and is rewritten in it', async () => {
  const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'lc-'))
  writeFileSync(
    join(dir, 'db.json'),
    JSON.stringify({
      collections: { users: [{ _id: 'old1', when: { $date: { $numberLong: '5' } } }] },
      specs: [{ name: 'users' }],
    }),
  )
  const cloud = new LocalCloud({ dataDir: dir })
  expect(cloud.db.dump('users')).toEqual([{ _id: 'old1', when: new Date(5) }])
  expect(readFileSync(join(dir, 'db.json'), 'utf8').startsWith('{"specs"')).toBe(true)
  expect(new LocalCloud({ dataDir: dir }).db.dump('users')).toEqual([{ _id: 'old1', when: new Date(5) }])
})
