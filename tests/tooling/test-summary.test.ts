import { join } from 'node:path'
import { summarize, type JestReport, type SizeReport } from '../../scripts/test'

const ROOT = '/repo'
const size: SizeReport = {
  rows: [
    { kind: 'package', name: 'main', bytes: 60 * 1024, budget: 120 * 1024 },
    { kind: 'package', name: 'pay', bytes: 30 * 1024, budget: 200 * 1024 },
    { kind: 'package', name: 'light', bytes: 150 * 1024, budget: 200 * 1024 },
    { kind: 'function', name: 'user', bytes: 24 * 1024, budget: 100 * 1024 },
    { kind: 'function', name: 'pay', bytes: 90 * 1024, budget: 100 * 1024 },
  ],
}
const report = (pending: number): JestReport => ({
  numPassedTests: 450,
  numFailedTests: 0,
  numPendingTests: pending,
  numTotalTestSuites: 41,
  testResults: [
    { name: join(ROOT, 'tests/user/a.test.ts'), assertionResults: [{ status: 'passed', fullName: 'a' }] },
    {
      name: join(ROOT, 'tests/localcloud/console.browser.test.ts'),
      assertionResults: Array.from({ length: pending }, (_, i) => ({ status: 'pending', fullName: `b${i}` })),
    },
  ],
})

test('a green run: tests, the fullest package and function against their budgets, and the other checks', () => {
  const lines = summarize(
    report(0),
    size,
    { kind: 'path', path: '/usr/bin/chromium', via: 'chromium on PATH' },
    65_000,
    ROOT,
  )
  expect(lines).toEqual([
    'npm test passed in 1 min 5 s',
    '  tests      450 passed in 41 files',
    '  sizes      all within size-budgets.json: main package 60.0 KB of 120.0 KB; fullest subpackage light 150.0 KB of 200.0 KB; fullest function pay 90.0 KB of 100.0 KB',
    '  also       lockfile, mini-program syntax (TypeScript 4.4), typecheck, lint, format, function build, official offline compile',
  ])
})

test('a skipped browser test is named in one line with how to enable it', () => {
  const lines = summarize(report(2), size, { kind: 'none', why: 'no Chromium, Chrome or Edge found' }, 5_000, ROOT)
  expect(lines[1]).toBe('  tests      450 passed in 41 files, 2 skipped')
  const skipped = lines.filter((l) => l.includes('skipped    '))
  expect(skipped).toEqual([
    '  skipped    tests/localcloud/console.browser.test.ts (2 tests): no Chromium, Chrome or Edge found; to run it, install Chrome, Edge or Chromium (apt-get install chromium), or set CHROMIUM_PATH to a Chromium-based browser',
  ])
})
