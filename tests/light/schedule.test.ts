/**
 * The write queue (one write at a time, ≤ 20 bytes, one retry on 10008), the latest-wins
 * throttle, the per-frame setData batcher and the reconnect backoff, driven by fake timers.
 */
import { isBleError } from '../../miniprogram/pages/light/ble/errors'
import { busiestSecond } from '../bench/rate'
import {
  FrameBatcher,
  LatestWins,
  MAX_WRITE,
  SCAN_INTERVAL_MS,
  SETDATA_INTERVAL_MS,
  Sampler,
  WriteQueue,
  backoffDelay,
  listPatch,
  type Timers,
} from '../../miniprogram/pages/light/ble/schedule'

/** A manual clock: timers run only when the test advances time. */
function clock(): Timers & { advance(ms: number): void; t: number } {
  const timers: Array<{ at: number; fn: () => void; id: number }> = []
  let id = 0
  const c = {
    t: 0,
    now: () => c.t,
    setTimeout(fn: () => void, ms: number) {
      timers.push({ at: c.t + ms, fn, id: ++id })
      return id
    },
    clearTimeout(h: unknown) {
      const i = timers.findIndex((x) => x.id === h)
      if (i >= 0) timers.splice(i, 1)
    },
    advance(ms: number) {
      const end = c.t + ms
      for (;;) {
        timers.sort((a, b) => a.at - b.at)
        const next = timers[0]
        if (!next || next.at > end) break
        timers.shift()
        c.t = next.at
        next.fn()
      }
      c.t = end
    },
  }
  return c
}

/** A write that takes one macrotask and records overlap. */
function device(failures: number[] = []) {
  const written: number[][] = []
  let inFlight = 0
  let overlapped = false
  const write = async (b: Uint8Array) => {
    inFlight++
    if (inFlight > 1) overlapped = true
    await new Promise((r) => setTimeout(r, 1))
    inFlight--
    const code = failures.shift()
    if (code) throw { errCode: code, errMsg: `writeBLECharacteristicValue:fail ${code}` }
    written.push([...b])
  }
  return { written, write, overlapped: () => overlapped }
}

describe('WriteQueue', () => {
  test('writes in order, never two at once, even when pushed together', async () => {
    const d = device()
    const q = new WriteQueue(d.write)
    await Promise.all([1, 2, 3, 4, 5].map((n) => q.push(Uint8Array.from([n]))))
    expect(d.written).toEqual([[1], [2], [3], [4], [5]])
    expect(d.overlapped()).toBe(false)
    expect(q.pending).toBe(0)
  })

  test('splits anything longer than 20 bytes into ≤ 20-byte writes', async () => {
    const d = device()
    const q = new WriteQueue(d.write)
    await q.push(Uint8Array.from({ length: 45 }, (_, i) => i))
    expect(d.written.map((w) => w.length)).toEqual([20, 20, 5])
    expect(d.written.flat()).toEqual(Array.from({ length: 45 }, (_, i) => i))
    expect(MAX_WRITE).toBe(20)
  })

  test('10008 is retried once; a second 10008 fails that write and the queue goes on', async () => {
    const d = device([10008, 0, 10008, 10008])
    const q = new WriteQueue(d.write)
    await q.push(Uint8Array.from([1]))
    expect(d.written).toEqual([[1]])
    expect(q.attempts).toBe(2)
    const failed = q.push(Uint8Array.from([2]))
    const next = q.push(Uint8Array.from([3]))
    await expect(failed).rejects.toMatchObject({ errCode: 10008 })
    await next
    expect(d.written).toEqual([[1], [3]])
  })

  test('other errors are not retried; clear() drops queued writes with 10006', async () => {
    const d = device([10006])
    const q = new WriteQueue(d.write)
    const first = q.push(Uint8Array.from([1]))
    const second = q.push(Uint8Array.from([2])).catch((e: unknown) => e)
    q.clear()
    await expect(first).rejects.toMatchObject({ errCode: 10006 })
    expect(isBleError(await second)).toBe(true)
    expect(q.attempts).toBe(1)
    expect(d.written).toEqual([])
  })
})

describe('LatestWins', () => {
  test('a drag of 60 values over 1 s sends about 10, the last value included', () => {
    const c = clock()
    const sent: Array<[string, number]> = []
    const t = new LatestWins<number>(100, (k, v) => sent.push([k, v]), c)
    for (let i = 0; i < 60; i++) {
      t.push('BRIGHTNESS', i)
      c.advance(1000 / 60)
    }
    c.advance(200)
    expect(sent.length).toBeGreaterThanOrEqual(10)
    expect(sent.length).toBeLessThanOrEqual(11)
    expect(sent.at(-1)).toEqual(['BRIGHTNESS', 59])
    expect(sent[0]).toEqual(['BRIGHTNESS', 0]) // the first goes at once
    // Never closer than 100 ms apart.
    const times: number[] = []
    const c2 = clock()
    const t2 = new LatestWins<number>(100, () => times.push(c2.t), c2)
    for (let i = 0; i < 60; i++) {
      t2.push('X', i)
      c2.advance(7)
    }
    c2.advance(200)
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(100)
  })

  test('keys are throttled apart; flush sends the waiting value now; cancel drops it', () => {
    const c = clock()
    const sent: Array<[string, number]> = []
    const t = new LatestWins<number>(100, (k, v) => sent.push([k, v]), c)
    t.push('A', 1)
    t.push('B', 1)
    t.push('A', 2)
    t.push('A', 3)
    expect(sent).toEqual([
      ['A', 1],
      ['B', 1],
    ])
    t.flush('A')
    expect(sent.at(-1)).toEqual(['A', 3])
    c.advance(50)
    t.push('B', 2)
    t.cancel()
    c.advance(500)
    expect(sent).toEqual([
      ['A', 1],
      ['B', 1],
      ['A', 3],
    ])
  })
})

describe('FrameBatcher', () => {
  test('many patches in one frame become one merged setData', () => {
    const c = clock()
    const applied: Array<Record<string, unknown>> = []
    const b = new FrameBatcher<Record<string, unknown>>((p) => applied.push(p), c)
    for (let i = 0; i <= 30; i++) b.set({ 'light.brightness': i, [`k${i % 2}`]: i })
    expect(applied).toEqual([])
    c.advance(16)
    expect(applied).toEqual([{ 'light.brightness': 30, k0: 30, k1: 29 }])
    b.set({ x: 1 })
    b.flush()
    expect(applied).toHaveLength(2)
    c.advance(100)
    expect(applied).toHaveLength(2)
    b.set({ y: 1 })
    b.cancel()
    c.advance(100)
    expect(applied).toHaveLength(2)
  })
})

describe("within WeChat's 20 setData a second", () => {
  test('a patch every millisecond for 2 s: at most 20 setData a second, the last value always lands', () => {
    const c = clock()
    const applied: Array<Record<string, unknown>> = []
    const at: number[] = []
    const b = new FrameBatcher<Record<string, unknown>>((p) => (applied.push(p), at.push(c.t)), c)
    for (let ms = 0; ms < 2000; ms++) {
      b.set({ 'light.brightness': ms })
      c.advance(1)
    }
    c.advance(100)
    const busiest = busiestSecond(at)
    expect(busiest).toBeLessThanOrEqual(Math.ceil(1000 / SETDATA_INTERVAL_MS))
    expect(busiest).toBeLessThanOrEqual(20)
    expect(busiest).toBeGreaterThanOrEqual(Math.floor(1000 / SETDATA_INTERVAL_MS)) // and not slower than it needs to be
    expect(applied.at(-1)).toEqual({ 'light.brightness': 1999 })
  })

  test('a newer whole list wins over row paths that were waiting, and a newer row over an older list', () => {
    const c = clock()
    const applied: Array<Record<string, unknown>> = []
    const b = new FrameBatcher<Record<string, unknown>>((p) => applied.push(p), c)
    b.set({ 'devices[1]': 'old row' })
    b.set({ devices: ['a'] })
    b.set({ 'devices[0]': 'new a' })
    c.advance(20)
    expect(applied).toEqual([{ devices: ['a'], 'devices[0]': 'new a' }])
    expect(Object.keys(applied[0]!)).toEqual(['devices', 'devices[0]'])
  })

  test('scan results: sampled 4 times a second; only changed rows are sent, a shorter list whole', () => {
    const c = clock()
    const seen: number[][] = []
    const s = new Sampler<number[]>((v) => seen.push(v), SCAN_INTERVAL_MS, c)
    for (let ms = 0; ms < 1000; ms += 5) {
      s.push([ms])
      c.advance(5)
    }
    c.advance(SCAN_INTERVAL_MS)
    expect(seen.length).toBeLessThanOrEqual(5) // at 0, 250, 500, 750, then the last at 1000
    expect(seen.at(-1)).toEqual([995])
    const same = (a: { id: string; rssi: number }, b: { id: string; rssi: number }) =>
      a.id === b.id && a.rssi === b.rssi
    const before = [
      { id: 'A', rssi: -50 },
      { id: 'B', rssi: -60 },
    ]
    expect(
      listPatch(
        'devices',
        before,
        [
          { id: 'A', rssi: -50 },
          { id: 'B', rssi: -58 },
          { id: 'C', rssi: -70 },
        ],
        same,
      ),
    ).toEqual({ 'devices[1]': { id: 'B', rssi: -58 }, 'devices[2]': { id: 'C', rssi: -70 } })
    expect(listPatch('devices', before, before, same)).toEqual({})
    expect(listPatch('devices', before, [{ id: 'B', rssi: -58 }], same)).toEqual({ devices: [{ id: 'B', rssi: -58 }] })
  })
})

test('backoff doubles to the cap, with ±20 % jitter', () => {
  expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 15_000, () => 0.5))).toEqual([
    1000, 2000, 4000, 8000, 15000, 15000,
  ])
  expect(backoffDelay(1, 1000, 15_000, () => 0)).toBe(800)
  expect(backoffDelay(1, 1000, 15_000, () => 1)).toBe(1200)
})
