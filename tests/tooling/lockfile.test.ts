import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIX, lockfileProblems, type Lockfile } from '../../scripts/check-lockfile'

const ROOT = join(__dirname, '..', '..')

test('the committed lockfile has no entry a current npm refuses', () => {
  expect(lockfileProblems(JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile)).toEqual([])
})

test('an installed-package entry without a version is named (what npm 11.13 wrote for unavailable optional packages)', () => {
  const lock: Lockfile = {
    lockfileVersion: 3,
    packages: {
      '': {},
      'node_modules/a': { version: '1.0.0' },
      'node_modules/unrs-resolver/node_modules/@unrs/resolver-binding-android-arm64': {},
      'node_modules/b': { version: '' },
      'node_modules/linked': { link: true },
    },
  }
  expect(lockfileProblems(lock)).toEqual([
    'node_modules/unrs-resolver/node_modules/@unrs/resolver-binding-android-arm64: no version',
    'node_modules/b: no version',
  ])
  expect(lockfileProblems({ lockfileVersion: 1, packages: {} })).toEqual([
    'lockfileVersion 1: expected 3 (npm 9 and later)',
  ])
})

test('the command fails with a sentence that says how to fix it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockcheck-'))
  mkdirSync(join(dir, 'scripts'))
  copyFileSync(join(ROOT, 'scripts', 'check-lockfile.ts'), join(dir, 'scripts', 'check-lockfile.ts'))
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/x': {} } }),
  )
  let out = ''
  let code = 0
  try {
    execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'scripts', 'check-lockfile.ts')], {
      cwd: ROOT,
      stdio: 'pipe',
    })
  } catch (e) {
    const err = e as { status: number; stderr: Buffer }
    code = err.status
    out = err.stderr.toString()
  }
  expect(code).toBe(1)
  expect(out).toContain('node_modules/x: no version')
  expect(out).toContain(FIX)
})
