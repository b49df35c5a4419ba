/**
 * npm run configure: writes the untracked miniprogram/config/env.local.ts.
 *   npm run configure                       what is configured now, and where each value comes from
 *   npm run configure -- --env <env id>     your CloudBase environment (云开发控制台 → 设置 → 环境 ID)
 *   npm run configure -- --env <id> --force an id the format check doubts, exactly as the console shows it
 *   npm run configure -- --local [url]      DevTools local mode against npm start (default http://127.0.0.1:3910)
 *   npm run configure -- --cloud            local mode off again (the env id stays)
 * Flags combine (`--env prod-8gabc123 --local`); what is not named keeps its current value.
 * The sources and their order are those of deploy and preview (scripts/settings.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { envIdProblem, LOCAL_CLOUD_URL } from '../miniprogram/config/env'
import {
  configRoot,
  ENV_LOCAL_PATH,
  modeOf,
  ModeError,
  parseEnvLocal as parseValues,
  readSettings,
  said,
  type KitSettings,
} from './settings'

export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3910'

export class ConfigureError extends Error {}

export interface EnvLocal {
  envId: string
  /** '' when local mode is off. */
  localCloud: string
  /** Written with --force: the app skips the format check of this id. */
  envIdForced?: boolean
}

/** The values an existing env.local.ts holds (commented-out lines do not count). */
export function parseEnvLocal(text: string): EnvLocal {
  const forced = /^\s*export\s+const\s+envIdForced\s*=\s*true\b/m.test(text)
  return { ...parseValues(text), ...(forced ? { envIdForced: true } : {}) }
}

export function renderEnvLocal(cfg: EnvLocal): string {
  return [
    '/**',
    ' * Written by `npm run configure` (untracked: never commit it). Your CloudBase environment id is in',
    ' * 云开发控制台 → 设置 → 环境 ID. Run `npm run configure -- --help` to change it.',
    ' */',
    `export const envId = '${cfg.envId}'`,
    ...(cfg.envIdForced
      ? [
          '/** Written with --force: the id is used although the format check doubts it. */',
          'export const envIdForced = true',
        ]
      : []),
    '',
    '/**',
    " * DevTools local mode: cloud calls go to `npm start` (turn off DevTools' domain check: 详情 → 本地设置 →",
    ' * 不校验合法域名). Only the develop version uses it. `npm run configure -- --cloud` turns it off.',
    ' */',
    cfg.localCloud
      ? `export const localCloud = '${cfg.localCloud}'`
      : `// export const localCloud = '${DEFAULT_LOCAL_URL}'`,
    '',
  ].join('\n')
}

export const USAGE = [
  'npm run configure                     what is configured, and where each value comes from',
  'npm run configure -- --env <env id>   your CloudBase environment id (云开发控制台 → 设置 → 环境 ID; --force for an id the check doubts)',
  `npm run configure -- --local [url]    DevTools local mode against npm start (default ${DEFAULT_LOCAL_URL})`,
  'npm run configure -- --cloud          local mode off (the env id stays)',
  'npm run configure -- --mode prod      the env id of .env.prod (what npm run deploy -- --mode prod deploys to)',
].join('\n')

/** The new configuration from the flags and the current one, or a ConfigureError that says why not. */
export function configure(argv: string[], current: EnvLocal): EnvLocal {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) throw new ConfigureError(USAGE)
  const force = argv.includes('--force')
  argv = argv.filter((a) => a !== '--force')
  const next = { ...current }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const arg = argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[i + 1] : undefined
    if (flag === '--env') {
      if (arg === undefined)
        throw new ConfigureError(
          '--env needs the environment id, e.g. npm run configure -- --env prod-8gabc123 (云开发控制台 → 设置 → 环境 ID).',
        )
      const id = arg.trim()
      const problem = envIdProblem(id)
      // --force trusts the user over the format check, never over an empty value.
      if (problem && (!force || !id)) throw new ConfigureError(problem)
      next.envId = id
      if (problem) next.envIdForced = true
      else delete next.envIdForced
      i++
    } else if (flag === '--local') {
      const url = (arg ?? DEFAULT_LOCAL_URL).trim().replace(/\/+$/, '')
      if (!LOCAL_CLOUD_URL.test(url))
        throw new ConfigureError(`--local takes the npm start URL, like ${DEFAULT_LOCAL_URL} (got "${url}").`)
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

/**
 * `--mode prod` without `--env`: the app is pointed at the env id of that mode's files (the one
 * `npm run deploy -- --mode prod` deploys to), so a release build and its functions agree.
 */
export function withModeEnv(argv: string[], settings: Pick<KitSettings, 'mode' | 'envId'>): string[] {
  if (!settings.mode || argv.includes('--env')) return argv
  if (!settings.envId)
    throw new ConfigureError(
      `--mode ${settings.mode} found no TCB_ENV_ID in .env.${settings.mode} (or the shell, .env.local, .env): add it there, or give --env <env id>.`,
    )
  return ['--env', settings.envId.value, ...argv]
}

/** One line that says what the app will do now. */
export function describeConfig(cfg: EnvLocal): string {
  if (cfg.localCloud)
    return `The develop version now calls ${cfg.localCloud} (keep npm start running)${cfg.envId ? `; trial and release builds use ${cfg.envId}` : '; set an env id with --env before a trial or release build'}.`
  return `The app now calls CloudBase environment ${cfg.envId}.`
}

/** What each command will use now, with its source (npm run configure without flags). */
export function status(settings: KitSettings, current: EnvLocal): string[] {
  return [
    `The app (${ENV_LOCAL_PATH}): ${current.localCloud ? `local mode, ${current.localCloud}; ` : ''}${current.envId ? `env id ${current.envId}` : 'no env id'}.`,
    `deploy and preview: env id ${settings.envId ? said(settings.envId) : 'not set'}; AppID ${settings.appid ? said(settings.appid) : 'not set'}; upload key ${settings.privateKeyPath ? said(settings.privateKeyPath) : 'not set'}.`,
    'Order: the shell, .env.local, .env, then what npm run configure wrote (and project.private.config.json for the AppID).',
  ]
}

/** The env id of the shell or .env when it is not the one just written (deploy would use it, the app not). */
export function shadowWarning(settings: KitSettings, written: EnvLocal): string | undefined {
  const id = settings.envId
  if (!id || !written.envId || id.value === written.envId || !['the shell', '.env', '.env.local'].includes(id.from))
    return undefined
  return `Note: TCB_ENV_ID in ${id.from} is ${id.value}; deploy and preview use it before what configure writes. Change it there too, or remove it.`
}

function main(): void {
  const argv = process.argv.slice(2)
  // Asking for the usage is not an error (exit 0), nor is asking what is configured (no flag).
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE)
    return
  }
  const root = configRoot()
  const path = join(root, ENV_LOCAL_PATH)
  const current = existsSync(path) ? parseEnvLocal(readFileSync(path, 'utf8')) : { envId: '', localCloud: '' }
  const { mode, rest } = modeOf(argv)
  const settings = readSettings(root, process.env, mode)
  if (rest.length === 0 && !mode) {
    status(settings, current).forEach((l) => console.log(l))
    console.log(`\n${USAGE}`)
    return
  }
  const next = configure(withModeEnv(rest, settings), current)
  writeFileSync(path, renderEnvLocal(next))
  console.log(`wrote ${ENV_LOCAL_PATH}. ${describeConfig(next)}`)
  const shadow = shadowWarning(settings, next)
  if (shadow) console.log(shadow)
}

if (require.main === module) {
  try {
    main()
  } catch (e) {
    console.error(e instanceof ConfigureError || e instanceof ModeError ? e.message : e)
    process.exit(1)
  }
}
