/**
 * `npm run bench`: how the kit behaves at 1k, 10k and 100k users (a benchmark, not a test: its
 * figures depend on the machine). Seeds a fresh local cloud per size, runs the functions
 * unchanged through the real wx-server-sdk, and writes `.reports/bench.json`, then prints it.
 *
 *   rankBoardRoundTrips   most database round trips of one rank.board over callers (top, below the
 *                         shown rows, a group, not opted in), each request given 1 ms of "network"
 *                         so that parallel reads share a trip (localcloud/db-engine.ts)
 *   rankBoardMs           median ms of rank.board, by size (users = members = board rows / 2)
 *   mySharesMs            median ms of share.myShares for a sharer, by size (entries)
 *   werunSyncMs           median ms of werun.sync (31 days) for a ranked user, by size (werun_days)
 *   loginRoundTrips       most round trips of user.login (first, again, with a unionid)
 *   lightSetDataPerSecond the light page's busiest second (tests/bench/light-setdata.ts)
 *   functionBundleBytes   each bundle.js
 *   coldStartOverSdkMs    median ms a fresh Node takes to load each function's index.js (as CloudBase
 *                         loads it: index.js requires the SDK itself) beyond its require of
 *                         wx-server-sdk, timed in the same process (coldStart below)
 *   rankTimer             the rank timer's ticks on a new day until one finds nothing to do, by
 *                         size: database round trips, write requests, and the duration at
 *                         MODELLED_REQUEST_MS a request
 *   startWriteMs          npm start's database file: median ms of the write after one werun.sync, by
 *                         size (the process waits for it)
 *   mainPackageBytes      the main package as miniprogram-ci compiles it
 *   homeFirstRenderBytes  what the home page needs before its first render (app files, the page,
 *                         its components, every module they require; firstRenderBytes)
 *   shareEntryRoundTrips  database round trips of one share.recordEntry
 *   actionScale           per routed action (scripts/bench-actions.ts), its median ms at 100k users
 *                         over its median ms at 1k (a time under 1 ms counts as 1 ms); actionMs
 *                         and actionExamined give the times and the documents its reads examined
 * It builds the functions first (a fresh clone has no bundles) and runs the 1k size once untimed,
 * so the JIT is warm when the 1k figures are taken.
 * Seeding writes the database directly (as an import would); everything measured goes through
 * the functions. The local engine keeps CloudBase's indexes in memory (no file) here.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { CloudIdRef, LocalCloud } from '../localcloud'
import { BENCH_VARS, benchOpenid, buildTemplate, call, seedCopies, timeActions, type Template } from './bench-actions'
import { openLocalCloud } from './start'
import { buildFunction, functionNames } from './build-functions'
import { compileMiniprogram, firstRenderBytes } from './compile-miniprogram'
import { seed } from './bench-seed'

const ROOT = resolve(__dirname, '..')
const ALL_SIZES = { '1k': 1_000, '10k': 10_000, '100k': 100_000 } as const
type Size = keyof typeof ALL_SIZES
/** `npm run bench -- --sizes 1k,10k` measures only those (a quicker look; the report then says so). */
const SIZES: Partial<Record<Size, number>> = (() => {
  const i = process.argv.indexOf('--sizes')
  if (i < 0) return ALL_SIZES
  const wanted = (process.argv[i + 1] ?? '').split(',').filter((s): s is Size => s in ALL_SIZES)
  if (!wanted.includes('1k')) throw new Error('--sizes takes a comma-separated list of 1k, 10k, 100k that includes 1k')
  return Object.fromEntries(wanted.map((s) => [s, ALL_SIZES[s]]))
})()
const LARGEST = (Object.keys(SIZES) as Size[]).at(-1)!
/** Calls timed per figure (the median is reported). */
const RUNS = 15
/** Simulated network time per database request while counting round trips (ms). */
const TRIP_LATENCY_MS = 1
/** What one CloudBase database request costs a function (ms), for the rank timer's modelled duration. */
const MODELLED_REQUEST_MS = 10
/** The database requests that write. */
const WRITE_ACTIONS = new Set([
  'database.insertDocument',
  'database.modifyDocument',
  'database.modifyAndReturnDoc',
  'database.removeDocument',
])
/** Ticks of the rank timer the bench runs at most. */
const MAX_TIMER_TICKS = 20

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.floor(s.length / 2)]! * 100) / 100
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await f()
  return performance.now() - t
}

async function trips(cloud: LocalCloud, f: () => Promise<unknown>): Promise<number> {
  cloud.db.latencyMs = TRIP_LATENCY_MS
  const before = cloud.db.roundTrips
  await f()
  cloud.db.latencyMs = 0
  return cloud.db.roundTrips - before
}

async function atSize(
  n: number,
  template: Template,
  label: string,
): Promise<{
  boardMs: number
  boardTrips: number
  sharesMs: number
  syncMs: number
  actions: Awaited<ReturnType<typeof timeActions>>
  entryTrips: number
}> {
  const cloud = openLocalCloud(BENCH_VARS)
  seed(cloud, n)
  seedCopies(cloud, template, n)
  const top = {
    openid: benchOpenid(
      Array.from({ length: n }, (_v, i) => i).sort((a, b) => ((b * 7919) % 20_000) - ((a * 7919) % 20_000))[0]!,
    ),
  }
  const low = { openid: benchOpenid(n - 1) }
  const outsider = { openid: 'o-bench-outsider' }
  const boardTrips = Math.max(
    await trips(cloud, () => call(cloud, 'rank', 'board', { period: 'week' }, top)),
    await trips(cloud, () => call(cloud, 'rank', 'board', { period: 'week' }, low)),
    await trips(cloud, () =>
      call(cloud, 'rank', 'board', { period: 'week', opengid: 'G-bench-group-1' }, { openid: benchOpenid(0) }),
    ),
    await trips(cloud, () => call(cloud, 'rank', 'board', { period: 'today' }, outsider)),
  )
  const board: number[] = []
  for (let r = 0; r < RUNS; r++)
    board.push(await timed(() => call(cloud, 'rank', 'board', { period: r % 2 ? 'week' : 'today' }, r % 3 ? low : top)))
  const shares: number[] = []
  for (let r = 0; r < RUNS; r++)
    shares.push(await timed(() => call(cloud, 'share', 'myShares', {}, { openid: benchOpenid(0) })))
  const sync: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const who = { openid: benchOpenid((r * 37) % n) }
    const list = Array.from({ length: 31 }, (_v, d) => ({
      timestamp: Math.floor((Date.now() - d * 86_400_000) / 1000),
      step: 1000 + r * 10 + d,
    }))
    const cloudID = new CloudIdRef(cloud.issueCloudId({ stepInfoList: list }))
    sync.push(await timed(() => call(cloud, 'werun', 'sync', { weRunData: cloudID }, who)))
  }
  // share.recordEntry by someone who has not come in through that share (user 3 through share 4's card).
  const entryTrips = await trips(cloud, () =>
    call(
      cloud,
      'share',
      'recordEntry',
      { shareId: `share${String(4 % Math.max(50, n / 10)).padStart(7, '0')}`, scene: 1007, page: 'pages/index/index' },
      { openid: benchOpenid(3) },
    ),
  )
  const actions = await timeActions({ cloud, n, template }, RUNS, label)
  return { boardMs: median(board), boardTrips, sharesMs: median(shares), syncMs: median(sync), actions, entryTrips }
}

async function loginTrips(): Promise<number> {
  const cloud = new LocalCloud()
  const a = { openid: 'o-bench-login' }
  const u = { openid: 'o-bench-union', unionid: 'U-bench-union' }
  return Math.max(
    await trips(cloud, () => call(cloud, 'user', 'login', {}, a)),
    await trips(cloud, () => call(cloud, 'user', 'login', {}, a)),
    await trips(cloud, () => call(cloud, 'user', 'login', {}, u)),
    await trips(cloud, () => call(cloud, 'user', 'login', {}, u)),
  )
}

function lightRates(): { slider: number; scan: number } {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--testMatch', '**/tests/bench/*.bench.ts', '--silent'],
    { cwd: ROOT, encoding: 'utf8' },
  )
  if (run.status !== 0) throw new Error(`the light bench failed:\n${run.stderr.slice(-2000)}`)
  return JSON.parse(readFileSync(join(ROOT, '.reports', 'bench-light.json'), 'utf8')) as {
    slider: number
    scan: number
  }
}

/** Fresh processes per function for its cold start (the median is reported). */
const COLD_RUNS = 9

/**
 * A fresh Node loads a function's index.js as CloudBase does (index.js requires wx-server-sdk,
 * turns source maps on, requires the bundle) and reports the time beyond that first
 * require('wx-server-sdk'), timed in the same process: two processes' load times vary by ±50 ms
 * on a shared machine, one process's parts do not. The order itself (the SDK before source maps)
 * is kept by tests/tooling/bundles.test.ts.
 */
const COLD_CHILD = `
const Module = require('node:module')
const original = Module.prototype.require
let sdkMs = -1
Module.prototype.require = function (id) {
  if (id !== 'wx-server-sdk' || sdkMs >= 0) return original.apply(this, arguments)
  const t = performance.now()
  try { return original.apply(this, arguments) } finally { sdkMs = performance.now() - t }
}
const t = performance.now()
require(process.argv[1])
if (sdkMs < 0) throw new Error('index.js did not require wx-server-sdk')
process.stdout.write(String(performance.now() - t - sdkMs))
`

function coldStart(name: string): number {
  const runs: number[] = []
  for (let i = 0; i < COLD_RUNS; i++) {
    const r = spawnSync(process.execPath, ['-e', COLD_CHILD, join(ROOT, 'cloudfunctions', name, 'index.js')], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    if (r.status !== 0) throw new Error(`${name}/index.js did not load: ${r.stderr}`)
    runs.push(Number(r.stdout))
  }
  return median(runs)
}

/**
 * The rank timer on a new day at n members: yesterday's boards are there, today has no row (as
 * right after Beijing midnight). It ticks until a tick finds nothing to do; what those ticks cost
 * is reported (round trips, write requests, and the duration at MODELLED_REQUEST_MS a request).
 */
async function rankTimer(
  n: number,
): Promise<{ roundTrips: number; writes: number; modelledMs: number; ticks: number }> {
  const cloud = new LocalCloud()
  seed(cloud, n, Date.now() - 86_400_000)
  const logged = cloud.db.log.length
  cloud.db.latencyMs = TRIP_LATENCY_MS
  const before = cloud.db.roundTrips
  const log = console.log
  console.log = () => {} // the timer's one-line JSON log per tick
  let ticks = 0
  try {
    for (; ticks < MAX_TIMER_TICKS;) {
      const out = (await cloud.runTimer('rank', 'boards')) as {
        finished?: number
        forgotten?: number
        cleaned?: boolean
      }
      ticks += 1
      if (!out.finished && !out.forgotten && !out.cleaned) break
    }
  } finally {
    console.log = log
    cloud.db.latencyMs = 0
  }
  const roundTrips = cloud.db.roundTrips - before
  const writes = cloud.db.log.slice(logged).filter((l) => WRITE_ACTIONS.has(l.action)).length
  return { roundTrips, writes, modelledMs: roundTrips * MODELLED_REQUEST_MS, ticks }
}

/**
 * npm start's file at n users: the snapshot written once (the seed), then one werun.sync, then the
 * write of what it changed, timed: how long a write blocks the process (it runs on the event loop).
 */
async function persistMs(n: number, template: Template): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-db-'))
  try {
    const cloud = openLocalCloud(BENCH_VARS, dir)
    seed(cloud, n)
    seedCopies(cloud, template, n)
    cloud.db.flush()
    const runs: number[] = []
    for (let r = 0; r < 5; r++) {
      const list = Array.from({ length: 31 }, (_v, d) => ({
        timestamp: Math.floor((Date.now() - d * 86_400_000) / 1000),
        step: 2000 + r * 10 + d,
      }))
      const cloudID = new CloudIdRef(cloud.issueCloudId({ stepInfoList: list }))
      await call(cloud, 'werun', 'sync', { weRunData: cloudID }, { openid: benchOpenid((r * 37) % n) })
      runs.push(await timed(async () => cloud.db.flush()))
    }
    return median(runs)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  // A fresh clone has no bundles: build them first (the same build as npm start and npm test).
  const functionBundleBytes: Record<string, number> = {}
  for (const name of functionNames()) functionBundleBytes[name] = (await buildFunction(name)).bytes
  // Cold starts first, while this process is small: a parent holding the 100k world (gigabytes)
  // slows its children's loads by a few ms, which CloudBase's instances do not pay.
  const coldStartOverSdkMs: Record<string, number> = {}
  for (const name of functionNames()) coldStartOverSdkMs[name] = coldStart(name)
  const template = await buildTemplate()
  process.stderr.write('bench: warming up …\n')
  await atSize(ALL_SIZES['1k'], template, 'warm')
  const per: Partial<Record<Size, Awaited<ReturnType<typeof atSize>>>> = {}
  const timer: Partial<Record<Size, Awaited<ReturnType<typeof rankTimer>>>> = {}
  const persist: Partial<Record<Size, number>> = {}
  for (const [label, n] of Object.entries(SIZES) as Array<[Size, number]>) {
    process.stderr.write(`bench: ${label} …\n`)
    per[label] = await atSize(n, template, label)
    timer[label] = await rankTimer(n)
    persist[label] = await persistMs(n, template)
  }
  const compiled = await compileMiniprogram()
  const mainPackageBytes = compiled.packages.find((p) => p.name === 'main')?.bytes ?? null
  const homeFirstRenderBytes = firstRenderBytes(compiled)
  const actionNames = Object.keys(per['1k']!.actions)
  const bySizeOf = (f: (a: { ms: number; examined: number }) => number) =>
    Object.fromEntries(
      actionNames.map((a) => [
        a,
        Object.fromEntries(Object.keys(SIZES).map((s) => [s, f(per[s as Size]!.actions[a]!)])),
      ]),
    )
  // 100k over 1k; a time under 1 ms at 1k counts as 1 ms (below that, the ratio is the timer's noise).
  const actionScale = Object.fromEntries(
    actionNames.map((a) => [
      a,
      Math.round((per[LARGEST]!.actions[a]!.ms / Math.max(1, per['1k']!.actions[a]!.ms)) * 100) / 100,
    ]),
  )
  const by = <K extends 'boardMs' | 'sharesMs' | 'syncMs'>(k: K) =>
    Object.fromEntries(Object.keys(SIZES).map((s) => [s, per[s as Size]![k]])) as Record<Size, number>
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    rankBoardRoundTrips: Math.max(...Object.values(per).map((p) => p.boardTrips)),
    rankBoardMs: by('boardMs'),
    mySharesMs: by('sharesMs'),
    werunSyncMs: by('syncMs'),
    loginRoundTrips: await loginTrips(),
    lightSetDataPerSecond: lightRates(),
    functionBundleBytes,
    coldStartOverSdkMs,
    rankTimer: timer,
    startWriteMs: persist,
    mainPackageBytes,
    homeFirstRenderBytes,
    shareEntryRoundTrips: Math.max(...Object.values(per).map((p) => p.entryTrips)),
    actionScale,
    actionMs: bySizeOf((a) => a.ms),
    actionExamined: bySizeOf((a) => a.examined),
  }
  mkdirSync(join(ROOT, '.reports'), { recursive: true })
  writeFileSync(join(ROOT, '.reports', 'bench.json'), JSON.stringify(report, null, 2) + '\n')
  const row = (k: string, v: unknown) =>
    `  ${k.padEnd(24)} ${
      typeof v === 'object'
        ? Object.entries(v as Record<string, unknown>)
            .map(([a, b]) => `${a} ${typeof b === 'object' ? JSON.stringify(b) : b}`)
            .join(' · ')
        : String(v)
    }`
  console.log(`bench (${report.machine}, ${report.date.slice(0, 10)}) → .reports/bench.json`)
  const printed = ['date', 'machine', 'actionScale', 'actionMs', 'actionExamined']
  for (const [k, v] of Object.entries(report)) if (!printed.includes(k)) console.log(row(k, v))
  const worst = Object.entries(actionScale).sort((a, b) => b[1] - a[1])
  console.log(
    row(
      'actionScale',
      `${worst.length} actions, ${LARGEST}/1k at most ${worst[0]?.[1]} (${worst
        .slice(0, 3)
        .map(([a, r]) => `${a} ${r}`)
        .join(', ')})`,
    ),
  )
}

if (require.main === module) {
  main()
    .then(() => process.exit(0))
    .catch((e) => {
      console.error(e instanceof Error ? e.stack : e)
      process.exit(1)
    })
}
