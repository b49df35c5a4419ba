/**
 * `npm run recordings:pull -- --local`: the recordings the functions kept with RECORD_WECHAT=1
 * (server/recording.ts, already scrubbed) become test files under tests/recorded/<kind>/, which
 * npm test replays (tests/recorded/replay.test.ts). `--local` reads npm start's database
 * (.localcloud/db.json and its journal) without writing it, so npm start may keep running.
 * `--env <id>` (or `--mode prod`) reads a real environment's: customerService answers the
 * administrator's invocation `$recordings` (CloudBase's InvokeFunction through the Manager API,
 * with the CAM key in TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY) a page at a time; each page
 * is checked against its shape before a file is written.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as v from 'valibot'
import { envIdProblem } from '../miniprogram/config/env'
import { DbEngine } from '../localcloud/db-engine'
import { RECORDINGS, RECORDINGS_ACTION } from '../server/recording'
import { ModeError, configRoot, modeOf, readSettings } from './settings'

const ROOT = join(__dirname, '..')

export interface Recording {
  _id: string
  kind: string
  payload: unknown
  at: Date | string
}

/** Invokes customerService with `params` and resolves with InvokeFunction's answer ({ RetMsg: JSON }). */
export type Invoke = (params: Record<string, unknown>) => Promise<unknown>

export class PullError extends Error {}

const Page = v.object({
  ok: v.literal(true),
  data: v.object({
    recordings: v.array(v.object({ _id: v.string(), kind: v.string(), payload: v.unknown(), at: v.string() })),
    next: v.nullable(v.string()),
  }),
})
/** Pages read at most (50 recordings each): a pull stops rather than loop on an answer that never ends. */
const MAX_PAGES = 200

/** Every recording of an environment, a page at a time through `invoke`. */
export async function fetchRecordings(invoke: Invoke): Promise<Recording[]> {
  const all: Recording[] = []
  let after: string | null = null
  for (let i = 0; i < MAX_PAGES; i++) {
    const answer = (await invoke({ action: RECORDINGS_ACTION, ...(after ? { after } : {}) })) as { RetMsg?: unknown }
    let ret: unknown
    try {
      ret = typeof answer?.RetMsg === 'string' ? JSON.parse(answer.RetMsg) : undefined
    } catch {
      ret = undefined
    }
    const page = v.safeParse(Page, ret)
    if (!page.success)
      throw new PullError(
        `customerService did not answer ${RECORDINGS_ACTION} with a page of recordings: deploy this build of it (npm run deploy) and run the pull again.`,
      )
    all.push(...page.output.data.recordings)
    if (!page.output.data.next || page.output.data.next === after) return all
    after = page.output.data.next
  }
  return all
}

/** The kinds tests/recorded/replay.test.ts replays (a folder each). */
export const REPLAYED_KINDS = ['push', 'pay-notification', 'refund-notification', 'card-event', 'api']

/** The test file of one recording, in the replay format of its kind. */
export function testFile(r: Recording, from: string): { path: string; body: Record<string, unknown> } | null {
  if (!REPLAYED_KINDS.includes(r.kind)) return null
  const id = r._id.replace(/[^A-Za-z0-9-]/g, '').slice(0, 60)
  const source = `recorded: ${from}, ${new Date(r.at).toISOString().slice(0, 10)}`
  // An API answer is a request and its answer (as the SDK gave them), beside the sourced ones.
  if (r.kind === 'api')
    return {
      path: join('api', `recorded-${id}.json`),
      body: {
        source,
        note: 'Recorded with RECORD_WECHAT=1 and scrubbed (server/recording.ts); form sdk: camelCase, as wx-server-sdk answers.',
        ...(r.payload as Record<string, unknown>),
      },
    }
  return {
    path: join(r.kind, `recorded-${id}.json`),
    body: { source, note: 'Recorded with RECORD_WECHAT=1 and scrubbed (server/recording.ts).', event: r.payload },
  }
}

/** Writes the test files; returns their paths (relative to tests/recorded). */
export function pull(recordings: Recording[], from: string, out = join(ROOT, 'tests', 'recorded')): string[] {
  const written: string[] = []
  for (const r of recordings) {
    const file = testFile(r, from)
    if (!file) continue
    mkdirSync(join(out, file.path, '..'), { recursive: true })
    writeFileSync(join(out, file.path), JSON.stringify(file.body, null, 2) + '\n')
    written.push(file.path)
  }
  return written
}

export const RECORDINGS_USAGE = [
  "npm run recordings:pull -- --local                  npm start's recordings (RECORD_WECHAT=1) into tests/recorded/",
  'npm run recordings:pull -- --local --data <dir>     from a copy of the local data in <dir> (.localcloud by default)',
  "npm run recordings:pull -- --env <env id>          a real environment's (a CAM key in TENCENTCLOUD_SECRETID/KEY; --mode prod reads .env.prod)",
].join('\n')

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(RECORDINGS_USAGE)
    return 0
  }
  if (argv.includes('--local')) {
    const i = argv.indexOf('--data')
    const file = join(i >= 0 ? argv[i + 1]! : join(ROOT, '.localcloud'), 'db.json')
    if (!existsSync(file)) {
      console.error(`No local database at ${file}: run npm start (with RECORD_WECHAT=1) first.`)
      return 1
    }
    const engine = new DbEngine({ file, readOnly: true })
    const recordings = engine.collectionNames().includes(RECORDINGS)
      ? (engine.dump(RECORDINGS) as unknown as Recording[])
      : []
    return report(pull(recordings, 'npm start'))
  }
  let envId: string
  let vars: Record<string, string | undefined>
  try {
    const { mode, rest } = modeOf(argv)
    const settings = readSettings(configRoot(), process.env, mode)
    const i = rest.indexOf('--env')
    envId = i >= 0 ? (rest[i + 1] ?? '') : mode ? (settings.envId?.value ?? '') : ''
    vars = settings.vars
  } catch (e) {
    if (e instanceof ModeError) {
      console.error(e.message)
      return 2
    }
    throw e
  }
  if (!envId) {
    console.error(RECORDINGS_USAGE)
    return 2
  }
  const problem = envIdProblem(envId)
  if (problem) {
    console.error(problem)
    return 2
  }
  if (!vars.TENCENTCLOUD_SECRETID || !vars.TENCENTCLOUD_SECRETKEY) {
    console.error(
      `recordings:pull -- --env ${envId} invokes customerService through CloudBase's Manager API, which needs a CAM API key: set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (访问管理 → API 密钥) and run it again.`,
    )
    return 2
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const CloudBaseManager = require('@cloudbase/manager-node') as new (c: Record<string, string | undefined>) => {
    functions: { invokeFunction(n: string, p: Record<string, unknown>): Promise<unknown> }
  }
  const m = new CloudBaseManager({
    secretId: vars.TENCENTCLOUD_SECRETID,
    secretKey: vars.TENCENTCLOUD_SECRETKEY,
    token: vars.TENCENTCLOUD_SESSIONTOKEN,
    envId,
  })
  try {
    return report(pull(await fetchRecordings((p) => m.functions.invokeFunction('customerService', p)), envId))
  } catch (e) {
    if (e instanceof PullError) {
      console.error(e.message)
      return 1
    }
    throw e
  }
}

function report(written: string[]): number {
  console.log(
    written.length
      ? `wrote ${written.length} recordings under tests/recorded/: ${written.join(', ')}`
      : 'No recordings: set RECORD_WECHAT=1 on customerService (npm start, or .env and npm run deploy) and let WeChat push a message.',
  )
  return 0
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e)
      process.exit(1)
    },
  )
}
