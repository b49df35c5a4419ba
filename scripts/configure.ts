/**
 * npm run configure: writes the untracked miniprogram/config/env.local.ts.
 *   npm run configure -- --env <env id>     your CloudBase environment (云开发控制台 → 设置 → 环境 ID)
 *   npm run configure -- --local [url]      DevTools local mode against npm start (default http://127.0.0.1:3910)
 *   npm run configure -- --cloud            local mode off again (the env id stays)
 * Flags combine (`--env prod-8gabc123 --local`); what is not named keeps its current value.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { envIdProblem, LOCAL_CLOUD_URL } from '../miniprogram/config/env'

export const ENV_LOCAL = join(__dirname, '..', 'miniprogram', 'config', 'env.local.ts')
export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3910'

export class ConfigureError extends Error {}

export interface EnvLocal {
  envId: string
  /** '' when local mode is off. */
  localCloud: string
}

/** The values an existing env.local.ts holds (commented-out lines do not count). */
export function parseEnvLocal(text: string): EnvLocal {
  const value = (name: string) => new RegExp(`^\\s*export\\s+const\\s+${name}\\s*=\\s*['"\`]([^'"\`]*)['"\`]`, 'm').exec(text)?.[1]?.trim() ?? ''
  return { envId: value('envId'), localCloud: value('localCloud') }
}

export function renderEnvLocal(cfg: EnvLocal): string {
  return [
    '/**',
    ' * Written by `npm run configure` (untracked: never commit it). Your CloudBase environment id is in',
    ' * 云开发控制台 → 设置 → 环境 ID. Run `npm run configure -- --help` to change it.',
    ' */',
    `export const envId = '${cfg.envId}'`,
    '',
    '/**',
    ' * DevTools local mode: cloud calls go to `npm start` (turn off DevTools\' domain check: 详情 → 本地设置 →',
    ' * 不校验合法域名). Only the develop version uses it. `npm run configure -- --cloud` turns it off.',
    ' */',
    cfg.localCloud ? `export const localCloud = '${cfg.localCloud}'` : `// export const localCloud = '${DEFAULT_LOCAL_URL}'`,
    '',
  ].join('\n')
}

export const USAGE = [
  'npm run configure -- --env <env id>   your CloudBase environment id (云开发控制台 → 设置 → 环境 ID)',
  `npm run configure -- --local [url]    DevTools local mode against npm start (default ${DEFAULT_LOCAL_URL})`,
  'npm run configure -- --cloud          local mode off (the env id stays)',
].join('\n')

/** The new configuration from the flags and the current one, or a ConfigureError that says why not. */
export function configure(argv: string[], current: EnvLocal): EnvLocal {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) throw new ConfigureError(USAGE)
  const next = { ...current }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const arg = argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[i + 1] : undefined
    if (flag === '--env') {
      if (arg === undefined) throw new ConfigureError('--env needs the environment id, e.g. npm run configure -- --env prod-8gabc123 (云开发控制台 → 设置 → 环境 ID).')
      const problem = envIdProblem(arg.trim())
      if (problem) throw new ConfigureError(problem)
      next.envId = arg.trim()
      i++
    } else if (flag === '--local') {
      const url = (arg ?? DEFAULT_LOCAL_URL).trim().replace(/\/+$/, '')
      if (!LOCAL_CLOUD_URL.test(url)) throw new ConfigureError(`--local takes the npm start URL, like ${DEFAULT_LOCAL_URL} (got "${url}").`)
      next.localCloud = url
      if (arg !== undefined) i++
    } else if (flag === '--cloud') {
      next.localCloud = ''
    } else {
      throw new ConfigureError(`Unknown option ${flag}.\n${USAGE}`)
    }
  }
  return next
}

/** One line that says what the app will do now. */
export function describeConfig(cfg: EnvLocal): string {
  if (cfg.localCloud) return `The develop version now calls ${cfg.localCloud} (keep npm start running)${cfg.envId ? `; trial and release builds use ${cfg.envId}` : '; set an env id with --env before a trial or release build'}.`
  return `The app now calls CloudBase environment ${cfg.envId}.`
}

function main(): void {
  // Asking for the usage is not an error (exit 0); no flag at all is (exit 1, with the usage).
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE)
    return
  }
  const current = existsSync(ENV_LOCAL) ? parseEnvLocal(readFileSync(ENV_LOCAL, 'utf8')) : { envId: '', localCloud: '' }
  const next = configure(process.argv.slice(2), current)
  writeFileSync(ENV_LOCAL, renderEnvLocal(next))
  console.log(`wrote miniprogram/config/env.local.ts. ${describeConfig(next)}`)
}

if (require.main === module) {
  try {
    main()
  } catch (e) {
    console.error(e instanceof ConfigureError ? e.message : e)
    process.exit(1)
  }
}
