/**
 * Builds every cloud function: cloudfunctions/<name>/src/index.ts -> cloudfunctions/<name>/index.js,
 * one CommonJS bundle with only what it uses (shared server code and valibot inlined),
 * `wx-server-sdk` left external (installed in the cloud from the function's package.json).
 * The output folder is what DevTools and `tcb fn deploy` upload as it is.
 *
 *   tsx scripts/build-functions.ts [name ...]
 */
import { build } from 'esbuild'
import { join, resolve } from 'node:path'
import { listFunctions } from '../localcloud/project'

export const ROOT = resolve(__dirname, '..')
export const FUNCTIONS_DIR = join(ROOT, 'cloudfunctions')

export function functionNames(): string[] {
  return listFunctions(FUNCTIONS_DIR)
}

export async function buildFunction(name: string): Promise<{ name: string; bytes: number }> {
  const outfile = join(FUNCTIONS_DIR, name, 'index.js')
  const result = await build({
    entryPoints: [join(FUNCTIONS_DIR, name, 'src', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node16', // CloudBase runtimes Nodejs16.13 and up
    format: 'cjs',
    external: ['wx-server-sdk'],
    minifySyntax: true,
    legalComments: 'none',
    // Chinese text as UTF-8 (3 bytes a character) rather than esbuild's default \uXXXX escapes (6).
    charset: 'utf8',
    metafile: true,
    logLevel: 'warning',
    banner: { js: `// Built by scripts/build-functions.ts from cloudfunctions/${name}/src. Do not edit.` },
  })
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
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
