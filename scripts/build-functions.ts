/**
 * Builds every cloud function: cloudfunctions/<name>/src/index.ts -> cloudfunctions/<name>/bundle.js
 * (with bundle.js.map), loaded by a four-line index.js; one minified CommonJS bundle with only
 * what it uses (shared server code and valibot inlined),
 * `wx-server-sdk` left external (installed in the cloud from the function's package.json).
 * The output folder is what DevTools and `tcb fn deploy` upload as it is.
 *
 *   tsx scripts/build-functions.ts [name ...]
 */
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { listFunctions } from '../localcloud/project'

export const ROOT = resolve(__dirname, '..')
export const FUNCTIONS_DIR = join(ROOT, 'cloudfunctions')

export function functionNames(): string[] {
  return listFunctions(FUNCTIONS_DIR)
}

/** The build's id beside the bundle (`{ "buildId": … }`): the first 16 hex digits of the bundle's SHA-256. */
export const BUILD_FILE = 'build.json'
export const buildIdOf = (bundle: Buffer | string) => createHash('sha256').update(bundle).digest('hex').slice(0, 16)

/** The bundle a function's index.js loads; its source map sits beside it (bundle.js.map). */
export const BUNDLE = 'bundle.js'

/**
 * index.js: loads wx-server-sdk first, with source maps still off (with them on, Node looks for a
 * map in every file the SDK loads: +10-30 ms of cold start, #26), then turns source maps on for
 * the stack traces (Node 16.6+; a file's map is read when the file loads, so before the bundle),
 * then loads the bundle, which finds the SDK already in the module cache.
 */
const LOADER = (name: string) => `// Built by scripts/build-functions.ts from cloudfunctions/${name}/src. Do not edit.
// wx-server-sdk loads before source maps are on (they would slow its loading); the bundle after,
// so stack traces name the TypeScript sources (bundle.js.map) even though the bundle is minified.
require('wx-server-sdk')
if (typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true)
module.exports = require('./${BUNDLE}')
`

export async function buildFunction(name: string): Promise<{ name: string; bytes: number }> {
  const dir = join(FUNCTIONS_DIR, name)
  const outfile = join(dir, BUNDLE)
  const result = await build({
    entryPoints: [join(dir, 'src', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node16', // CloudBase runtimes Nodejs16.13 and up
    format: 'cjs',
    external: ['wx-server-sdk'],
    // Minified with names kept (error.name, class names in logs) and a source map for the
    // stack traces: every function within 60 KB (size-budgets.json).
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Chinese text as UTF-8 (3 bytes a character) rather than esbuild's default \uXXXX escapes (6).
    charset: 'utf8',
    metafile: true,
    logLevel: 'warning',
    banner: { js: `// Built by scripts/build-functions.ts from cloudfunctions/${name}/src. Do not edit.` },
  })
  writeFileSync(join(dir, 'index.js'), LOADER(name))
  // The build's id, uploaded with the folder: a deployed function reports it to npm run doctor,
  // which compares it with this file in the repo (an old build is a drift).
  writeFileSync(join(dir, BUILD_FILE), JSON.stringify({ buildId: buildIdOf(readFileSync(outfile)) }) + '\n')
  const bytes = Object.entries(result.metafile.outputs).reduce(
    (n, [file, o]) => (file.endsWith('.map') ? n : n + o.bytes),
    0,
  )
  return { name, bytes }
}

async function cli(): Promise<void> {
  const wanted = process.argv.slice(2)
  const names = wanted.length ? wanted : functionNames()
  for (const name of names) {
    const { bytes } = await buildFunction(name)
    console.log(`built cloudfunctions/${name}/index.js  ${(bytes / 1024).toFixed(1)} KB`)
  }
}

if (require.main === module) {
  cli().catch((e) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
}
