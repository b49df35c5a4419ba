/**
 * The local database's indexes and file through the REAL wx-server-sdk client (only its HTTP
 * requester is replaced): batched file writes, reads that stay small as a collection grows,
 * compound indexes answering as a full scan does, and the snapshot and journal on disk.
 */
import { freshDatabase, sdk } from './sdk-database'
import { LocalCloud } from '../../localcloud'

let cloud: LocalCloud
let db: any
let _: any

beforeEach(() => {
  ;({ cloud, db, _ } = freshDatabase())
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
