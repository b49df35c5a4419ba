/**
 * Function bundles (scripts/build-functions.ts): minified with names kept, and a stack trace
 * still points into the TypeScript sources: index.js turns source maps on before it loads
 * bundle.js, whose map sits beside it.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildFunction } from '../../scripts/build-functions'

const ROOT = resolve(__dirname, '..', '..')

test('rank: a minified bundle, names kept, its map read by Node when index.js loads it', async () => {
  const { bytes } = await buildFunction('rank')
  const dir = join(ROOT, 'cloudfunctions', 'rank')
  const bundle = readFileSync(join(dir, 'bundle.js'), 'utf8')
  expect(bytes).toBe(Buffer.byteLength(bundle))
  expect(bundle.split('\n').length).toBeLessThan(10) // minified
  expect(bundle).toMatch(/maintainBoards/) // keepNames: function names survive for logs and traces
  expect(bundle.trimEnd().endsWith('//# sourceMappingURL=bundle.js.map')).toBe(true)
  expect(existsSync(join(dir, 'bundle.js.map'))).toBe(true)
  // In a fresh Node: loading index.js must leave the bundle's map registered, and it names the sources.
  const script = `require(${JSON.stringify(join(dir, 'index.js'))}); const m = require('node:module').findSourceMap(${JSON.stringify(join(dir, 'bundle.js'))}); process.stdout.write(JSON.stringify(m ? m.payload.sources : null))`
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT })
  expect(run.stderr).toBe('')
  const sources = JSON.parse(run.stdout) as string[] | null
  // Node resolves them against the bundle: the files of this repository.
  expect(sources).toEqual(
    expect.arrayContaining(
      ['cloudfunctions/rank/src/index.ts', 'server/rank/board.ts', 'server/rank/store.ts'].map(
        (f) => pathToFileURL(join(ROOT, f)).href,
      ),
    ),
  )
})

test('index.js loads wx-server-sdk before it turns source maps on (with them on, the SDK loads 10-30 ms slower)', async () => {
  await buildFunction('soter')
  const index = join(ROOT, 'cloudfunctions', 'soter', 'index.js')
  // When index.js turns source maps on, is the SDK already in the module cache?
  const script = `const sdk = require.resolve('wx-server-sdk'); let first = null; const on = process.setSourceMapsEnabled; process.setSourceMapsEnabled = (v) => { first = sdk in require.cache; return on.call(process, v) }; require(${JSON.stringify(index)}); process.stdout.write(String(first))`
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT })
  expect(run.stderr).toBe('')
  expect(run.stdout).toBe('true')
})
