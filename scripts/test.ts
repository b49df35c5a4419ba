/**
 * `npm test`: every check, in order, each with its own output, then a short summary a newcomer
 * can read. Stops at the first failing step (its output above says why).
 *   1. lockfile   scripts/check-lockfile.ts (every current npm installs it)
 *   2. typecheck  tsc on functions, server, tests (strict) and on the mini-program, whose syntax
 *                 must also parse with the TypeScript of older DevTools plugins (check-syntax.ts)
 *   3. lint       eslint, then Prettier's check (`npm run format` writes what it asks for)
 *   4. build      the cloud functions
 *   5. jest       writes .reports/jest-results.json (read by .ci/run for its totals line)
 *   6. size       the official offline compile and the size budgets (.reports/size.json)
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ENABLE_HINT, findBrowser, type BrowserChoice } from '../tests/setup/browser'

const ROOT = join(__dirname, '..')
const REPORTS = join(ROOT, '.reports')

interface JestFile {
  name: string
  assertionResults: Array<{ status: string; fullName: string }>
}
export interface JestReport {
  numPassedTests: number
  numFailedTests: number
  numPendingTests: number
  numTotalTestSuites: number
  testResults: JestFile[]
}
export interface SizeReport {
  rows: Array<{ kind: 'package' | 'function'; name: string; bytes: number; budget: number }>
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
const secs = (ms: number) =>
  ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`

/** The closing lines of a green run. */
export function summarize(
  jest: JestReport,
  size: SizeReport,
  browser: BrowserChoice,
  ms: number,
  root = ROOT,
): string[] {
  const skipped = jest.testResults.flatMap((f) =>
    f.assertionResults
      .filter((a) => a.status === 'pending' || a.status === 'skipped')
      .map((a) => ({ file: relative(root, f.name), name: a.fullName })),
  )
  const packages = size.rows.filter((r) => r.kind === 'package')
  const functions = size.rows.filter((r) => r.kind === 'function')
  const main = packages.find((p) => p.name === 'main')
  const biggest = (rows: SizeReport['rows']) =>
    rows.reduce<SizeReport['rows'][number] | undefined>(
      (a, r) => (!a || r.bytes / r.budget > a.bytes / a.budget ? r : a),
      undefined,
    )
  const sub = biggest(packages.filter((p) => p.name !== 'main'))
  const fn = biggest(functions)
  const lines = [
    `npm test passed in ${secs(ms)}`,
    `  tests      ${jest.numPassedTests} passed in ${jest.numTotalTestSuites} files${jest.numPendingTests ? `, ${jest.numPendingTests} skipped` : ''}`,
    `  sizes      all within size-budgets.json: main package ${main ? `${kb(main.bytes)} of ${kb(main.budget)}` : 'n/a'}` +
      (sub ? `; fullest subpackage ${sub.name} ${kb(sub.bytes)} of ${kb(sub.budget)}` : '') +
      (fn ? `; fullest function ${fn.name} ${kb(fn.bytes)} of ${kb(fn.budget)}` : ''),
    '  also       lockfile, mini-program syntax (TypeScript 4.4), typecheck, lint, format, function build, official offline compile',
  ]
  const files = [...new Set(skipped.map((s) => s.file))]
  for (const file of files) {
    const n = skipped.filter((s) => s.file === file).length
    const why = browser.kind === 'none' ? browser.why : 'skipped'
    lines.push(`  skipped    ${file} (${n} test${n === 1 ? '' : 's'}): ${why}; to run it, ${ENABLE_HINT}`)
  }
  return lines
}

interface Step {
  name: string
  cmd: string[]
}

const tsx = (script: string) => [process.execPath, '--import', 'tsx', join(ROOT, 'scripts', script)]

const STEPS: Step[] = [
  { name: 'lockfile', cmd: tsx('check-lockfile.ts') },
  {
    name: 'typecheck',
    cmd: [process.execPath, join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
  },
  { name: 'mini-program syntax', cmd: tsx('check-syntax.ts') },
  {
    name: 'typecheck (mini-program)',
    cmd: [process.execPath, join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'miniprogram/tsconfig.json'],
  },
  { name: 'lint', cmd: [process.execPath, join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.'] },
  {
    name: 'format',
    cmd: [
      process.execPath,
      join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'),
      '--check',
      '--log-level=warn',
      '.',
    ],
  },
  { name: 'build', cmd: tsx('build-functions.ts') },
  {
    name: 'jest',
    cmd: [
      process.execPath,
      join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--json',
      `--outputFile=${join(REPORTS, 'jest-results.json')}`,
    ],
  },
  { name: 'size', cmd: tsx('size.ts') },
]

function main(): void {
  const t0 = Date.now()
  rmSync(join(REPORTS, 'jest-results.json'), { force: true })
  for (const step of STEPS) {
    const [cmd, ...args] = step.cmd
    const r = spawnSync(cmd!, args, { cwd: ROOT, stdio: 'inherit' })
    if (r.status !== 0) {
      console.error(`\nnpm test failed at "${step.name}" (${secs(Date.now() - t0)}): its output above says why.`)
      process.exit(r.status ?? 1)
    }
  }
  const read = <T>(f: string) => JSON.parse(readFileSync(join(REPORTS, f), 'utf8')) as T
  if (!existsSync(join(REPORTS, 'size.json'))) throw new Error('.reports/size.json is missing after the size step')
  console.log(
    `\n${summarize(read<JestReport>('jest-results.json'), read<SizeReport>('size.json'), findBrowser(), Date.now() - t0).join('\n')}`,
  )
}

if (require.main === module) main()
