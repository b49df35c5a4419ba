/**
 * miniprogram/shared/ is the one home of pure code both sides import (the pages, and the functions
 * through their bundles): eslint.config.js keeps wx, Node, the SDK, packages and the rest of the
 * mini-program out of it. Linted by the eslint command on sample sources at a path inside shared/.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
/** The messages eslint (the project's config) gives `code` as if it were miniprogram/shared/sample.ts. */
async function lint(code: string): Promise<string[]> {
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/eslint/bin/eslint.js'),
      '--format',
      'json',
      '--stdin',
      '--stdin-filename',
      'miniprogram/shared/sample.ts',
    ],
    { cwd: ROOT, input: code, encoding: 'utf8' },
  )
  return (JSON.parse(r.stdout) as Array<{ messages: Array<{ message: string }> }>)[0]!.messages.map((m) => m.message)
}

test('what shared/ may not use is a lint error', async () => {
  expect(await lint('export const x = (): unknown => wx.getSystemInfoSync()\n')).toEqual([
    expect.stringMatching(/no wx/),
  ])
  expect(await lint("import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n")).toContainEqual(
    expect.stringMatching(/no Node/),
  )
  expect(await lint("import { call } from '../lib/call'\nexport const x = call\n")).toEqual([
    expect.stringMatching(/shared\/ imports only shared\//),
  ])
  expect(await lint("import * as v from 'valibot'\nexport const x = v\n")).toEqual([
    expect.stringMatching(/no packages/),
  ])
  expect(await lint('export const x = (): unknown => process.env.X\n')).toEqual([expect.stringMatching(/no Node/)])
}, 60_000)

test('pure code passes: its own modules and types from typings/', async () => {
  expect(
    await lint(
      "import type { SessionFrom } from '../../typings/customerService'\nimport { fmt } from './template'\nexport const x = (s: SessionFrom): string => fmt('{p}', { p: s.page })\n",
    ),
  ).toEqual([])
  expect(readdirSync(join(ROOT, 'miniprogram/shared')).sort()).toEqual(['routes.ts', 'session-from.ts', 'template.ts'])
}, 60_000)
