/**
 * `npm run recordings:pull -- --local`: the recordings the functions kept with RECORD_WECHAT=1
 * (server/recording.ts, already scrubbed) become test files under tests/recorded/<kind>/, which
 * npm test replays (tests/recorded/replay.test.ts). `--local` reads npm start's database
 * (.localcloud/db.json and its journal) without writing it, so npm start may keep running.
 * A real environment (`--env <id>`) needs a read of the collection through the CloudBase
 * Manager API and is not built yet (#27).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DbEngine } from '../localcloud/db-engine'
import { RECORDINGS } from '../server/recording'

const ROOT = join(__dirname, '..')

export interface Recording {
  _id: string
  kind: string
  payload: unknown
  at: Date
}

/** The test file of one recording, in the replay format of its kind (only push so far). */
export function testFile(r: Recording, from: string): { path: string; body: Record<string, unknown> } | null {
  if (r.kind !== 'push') return null
  const id = r._id.replace(/[^A-Za-z0-9-]/g, '').slice(0, 60)
  return { path: join('push', `recorded-${id}.json`), body: { source: `recorded: ${from}, ${r.at.toISOString().slice(0, 10)}`, note: 'Recorded with RECORD_WECHAT=1 and scrubbed (server/recording.ts).', event: r.payload } }
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
  'npm run recordings:pull -- --local                  npm start\'s recordings (RECORD_WECHAT=1) into tests/recorded/',
  'npm run recordings:pull -- --local --data <dir>     from a copy of the local data in <dir> (.localcloud by default)',
  'npm run recordings:pull -- --env <env id>          a real environment: not built yet (#27)',
].join('\n')

function main(): number {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(RECORDINGS_USAGE)
    return 0
  }
  if (!argv.includes('--local')) {
    console.error(argv.includes('--env') ? 'recordings:pull -- --env is not built yet (#27): only --local is.' : RECORDINGS_USAGE)
    return 2
  }
  const i = argv.indexOf('--data')
  const file = join(i >= 0 ? argv[i + 1]! : join(ROOT, '.localcloud'), 'db.json')
  if (!existsSync(file)) {
    console.error(`No local database at ${file}: run npm start (with RECORD_WECHAT=1) first.`)
    return 1
  }
  const engine = new DbEngine({ file, readOnly: true })
  const recordings = engine.collectionNames().includes(RECORDINGS) ? (engine.dump(RECORDINGS) as unknown as Recording[]) : []
  const written = pull(recordings, 'npm start')
  console.log(written.length ? `wrote ${written.length} recordings under tests/recorded/: ${written.join(', ')}` : 'No recordings: start npm start with RECORD_WECHAT=1 and push a message from the console.')
  return 0
}

if (require.main === module) process.exit(main())
