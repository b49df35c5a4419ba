/**
 * The official project compile, offline: miniprogram-ci compiles the whole project the way
 * DevTools does (app/page JSON, WXML, WXSS, TypeScript through the `typescript` compiler
 * plugin) and fails on any compile error. No key or network is needed for getCompiledResult;
 * the key path only has to name a file.
 *
 *   tsx scripts/compile-miniprogram.ts [--out .reports/compiled]
 * Prints each package's compiled files and bytes as JSON on the last line (used by `npm run size`).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix, resolve } from 'node:path'
import type * as CiModule from 'miniprogram-ci'

export interface CompiledPackage {
  name: string
  root: string
  files: number
  bytes: number
}

export const ROOT = resolve(__dirname, '..')

/** Files of the repo that are not the mini-program (one list for the offline compile, preview and upload). */
export const CI_IGNORES = [
  'node_modules/**/*',
  'cloudfunctions/**/*',
  'tests/**/*',
  'localcloud/**/*',
  'server/**/*',
  'scripts/**/*',
]

/** Compile settings shared by the offline compile, preview and upload. */
export const CI_SETTING = {
  es6: true,
  es7: true,
  minify: true,
  minifyJS: true,
  minifyWXML: true,
  minifyWXSS: true,
  autoPrefixWXSS: true,
}

export type MiniprogramCi = typeof CiModule

export function loadCi(): MiniprogramCi {
  // Loaded lazily: miniprogram-ci is heavy and only these scripts need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('miniprogram-ci') as MiniprogramCi
}

/** The project as miniprogram-ci sees it; `offline` answers the appid question without WeChat's servers. */
export function ciProject(
  ci: MiniprogramCi,
  opts: { appid: string; privateKeyPath: string; offline: boolean },
): InstanceType<MiniprogramCi['Project']> {
  const project = new ci.Project({
    appid: opts.appid,
    type: 'miniProgram',
    projectPath: ROOT,
    privateKeyPath: opts.privateKeyPath,
    ignores: CI_IGNORES,
  })
  // Offline: without this attr call the project asks WeChat's servers about the appid.
  if (opts.offline)
    (project as unknown as { attr: () => Promise<unknown> }).attr = async () =>
      (ci as unknown as { DefaultProjectAttr: unknown }).DefaultProjectAttr
  return project
}

export async function compileMiniprogram(): Promise<{
  packages: CompiledPackage[]
  files: Record<string, number>
  requires: Record<string, string[]>
}> {
  const ci = await quietly(async () => loadCi())
  const keyDir = mkdtempSync(join(tmpdir(), 'mpci-'))
  const keyPath = join(keyDir, 'placeholder.key')
  writeFileSync(keyPath, 'not a real key: getCompiledResult does not sign anything\n')
  try {
    const result = (await quietly(async () =>
      ci.getCompiledResult(
        {
          project: ciProject(ci, { appid: 'touristappid', privateKeyPath: keyPath, offline: true }),
          setting: CI_SETTING,
        } as never,
        join(keyDir, 'out.zip'),
      ),
    )) as unknown as Record<string, string | Buffer>
    const files: Record<string, number> = {}
    const requires: Record<string, string[]> = {}
    for (const [path, content] of Object.entries(result)) {
      files[path] = typeof content === 'string' ? Buffer.byteLength(content) : content.length
      // What each compiled script loads when it runs (modules and Babel's helpers), below the package root.
      if (path.endsWith('.js')) {
        const text = typeof content === 'string' ? content : content.toString('utf8')
        requires[path.replace(/^\/+/, '')] = [...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map(
          (m) => m[1]!,
        )
      }
    }
    return { packages: groupByPackage(files), files, requires }
  } finally {
    rmSync(keyDir, { recursive: true, force: true })
  }
}

/**
 * Runs `work` with miniprogram-ci's progress lines held back: it logs every compile stage and,
 * offline, a failed fetch of WeChat's extension list that does not affect the result. The held
 * lines are printed only when the compile fails, where they help.
 */
export async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const held: string[] = []
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const
  const saved = methods.map((m) => console[m])
  for (const m of methods) console[m] = (...args: unknown[]) => void held.push(args.map(String).join(' '))
  let failed = false
  try {
    return await work()
  } catch (err) {
    failed = true
    throw err
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]!))
    if (failed) for (const line of held) console.error(line)
  }
}

/**
 * The compiled bytes a page needs before its first render, with lazyCodeLoading
 * "requiredComponents": app.js/json/wxss, the page's own files, the components it uses (and
 * theirs; weui comes from WeChat's extended library, not the package), and every module that
 * app.ts, the page and those components import at run time (`import type` loads nothing).
 */
export function firstRenderBytes(
  compiled: { files: Record<string, number>; requires: Record<string, string[]> },
  page = 'pages/index/index',
): number {
  const src = join(ROOT, 'miniprogram')
  const size = new Map(Object.entries(compiled.files).map(([k, v]) => [k.replace(/^\/+/, ''), v]))
  const taken = new Set<string>()
  const script = (path: string) => {
    const file = [path, `${path}.js`, `${path}/index.js`].find((f) => size.has(f) && f.endsWith('.js'))
    if (!file || taken.has(file)) return
    taken.add(file)
    for (const spec of compiled.requires[file] ?? [])
      if (spec.startsWith('.')) script(posix.normalize(posix.join(posix.dirname(file), spec)))
  }
  const unit = (base: string) => {
    if (taken.has(`${base}.json`)) return
    for (const ext of ['json', 'wxml', 'wxss']) if (size.has(`${base}.${ext}`)) taken.add(`${base}.${ext}`)
    taken.add(`${base}.json`)
    script(base)
    const jsonPath = join(src, `${base}.json`)
    const json = existsSync(jsonPath)
      ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as { usingComponents?: Record<string, string> })
      : {}
    for (const target of Object.values(json.usingComponents ?? {})) {
      if (target.startsWith('/')) unit(target.slice(1))
      else if (target.startsWith('.')) unit(posix.normalize(posix.join(posix.dirname(base), target)))
    }
  }
  unit('app') // app.js, app.json (and its usingComponents), app.wxss
  unit(page)
  let bytes = 0
  for (const f of taken) bytes += size.get(f) ?? 0
  return bytes
}

/** Splits compiled files into the main package and the subpackages declared in app.json. */
export function groupByPackage(files: Record<string, number>): CompiledPackage[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const app = require(join(ROOT, 'miniprogram', 'app.json')) as {
    subpackages?: Array<{ root: string; name?: string }>
    subPackages?: Array<{ root: string; name?: string }>
  }
  const subs = (app.subpackages ?? app.subPackages ?? []).map((s) => ({
    name: s.name ?? s.root,
    root: s.root.replace(/\/?$/, '/'),
  }))
  const packages: CompiledPackage[] = [
    { name: 'main', root: '', files: 0, bytes: 0 },
    ...subs.map((s) => ({ ...s, files: 0, bytes: 0 })),
  ]
  for (const [path, bytes] of Object.entries(files)) {
    const p = path.replace(/^\/+/, '')
    const pkg = packages.slice(1).find((s) => p.startsWith(s.root)) ?? packages[0]!
    pkg.files++
    pkg.bytes += bytes
  }
  return packages
}

if (require.main === module) {
  compileMiniprogram()
    .then(({ packages }) => {
      for (const p of packages)
        console.log(
          `compiled ${p.name.padEnd(8)} ${String(p.files).padStart(3)} files  ${(p.bytes / 1024).toFixed(1)} KB`,
        )
      process.exit(0)
    })
    .catch((e: unknown) => {
      console.error('miniprogram compile failed:', e instanceof Error ? e.message : e)
      process.exit(1)
    })
}
