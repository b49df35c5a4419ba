/**
 * The first step of `npm test`: is package-lock.json one that every current npm installs?
 *
 * npm 10 (Node 20 LTS) and npm 11.16+ stop `npm ci` with "Invalid Version:" when an installed-
 * package entry (`packages["node_modules/…"]`) has no `version`. npm 11.13 wrote such entries
 * for optional platform packages it could not fetch (e.g. `@unrs/resolver-binding-*`), so a
 * lockfile written by that npm installs nowhere else. This check names the entries and says how
 * to fix them.   tsx scripts/check-lockfile.ts
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

interface LockEntry {
  version?: unknown
  link?: unknown
}

export interface Lockfile {
  lockfileVersion?: unknown
  packages?: Record<string, LockEntry>
}

/** Entries a current npm refuses, each with the reason. The root entry ("") needs no version. */
export function lockfileProblems(lock: Lockfile): string[] {
  const problems: string[] = []
  if (lock.lockfileVersion !== 3 && lock.lockfileVersion !== 2)
    problems.push(`lockfileVersion ${String(lock.lockfileVersion)}: expected 3 (npm 9 and later)`)
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || entry.link === true) continue
    if (typeof entry.version !== 'string' || entry.version === '') problems.push(`${path}: no version`)
  }
  return problems
}

export const FIX =
  'Fix: delete those entries (or the whole package-lock.json), run `npm install` with your usual npm (10 or 11.19+), and commit the lockfile it writes; check with `npm ci`.'

function main(): void {
  const file = join(__dirname, '..', 'package-lock.json')
  const problems = lockfileProblems(JSON.parse(readFileSync(file, 'utf8')) as Lockfile)
  if (problems.length === 0) {
    console.log('lockfile: every entry installs with npm 10 and 11')
    return
  }
  const shown = problems.slice(0, 5).map((p) => `  ${p}`)
  if (problems.length > 5) shown.push(`  … and ${problems.length - 5} more`)
  console.error(
    `package-lock.json has ${problems.length} entr${problems.length === 1 ? 'y' : 'ies'} that npm 10 and npm 11.16+ refuse ("npm error Invalid Version:"):\n${shown.join('\n')}\n${FIX}`,
  )
  process.exit(1)
}

if (require.main === module) main()
