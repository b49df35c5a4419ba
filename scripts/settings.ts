/**
 * Configuration in one place: configure, deploy and preview read the same sources in the same
 * order, and say which one gave each value.
 *   1. the shell (or the command's own flag, e.g. `--env`)
 *   2. `.env.local`, then `.env` (as the CloudBase CLI reads them: .env.local over .env)
 *   3. what `npm run configure` wrote (miniprogram/config/env.local.ts: the env id the app uses),
 *      and the AppID in project.private.config.json (DevTools' own untracked file)
 * `--mode <mode>` (configure, deploy, preview) adds `.env.<mode>` over `.env.local` and `.env`,
 * the CloudBase CLI's own convention (`.env.[mode] > .env.local > .env`, docs.cloudbase.net/cli-v1/config),
 * e.g. `.env.dev` and `.env.prod` for two environments; the shell still wins. In a mode the env id
 * must come from those files or the shell: falling back to the app's own env id could deploy to
 * the wrong environment.
 * The mini-program itself can only read (3); `npm run configure` warns when (1) or (2) names
 * another env id, so the app and the deploy never point at two environments unnoticed.
 * KIT_ENV_DIR moves the whole root these files are read from; the tests point it at a folder of
 * their own, so a user's `.env` or private config never changes what a test sees.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseEnv } from 'node:util'

export type Env = Record<string, string | undefined>

/** A value and where it came from, in words a user recognises. */
export interface Sourced {
  value: string
  from: string
}

export interface KitSettings {
  root: string
  /** `--mode`'s value, when one was given. */
  mode?: string
  /** What `tcb` substitutes for `{{env.X}}`: `.env`, then `.env.local`, with the shell over both. */
  vars: Env
  envId?: Sourced
  appid?: Sourced
  privateKeyPath?: Sourced
  /** The env id `npm run configure` wrote for the app ('' when none). */
  appEnvId: string
}

export const REPO_ROOT = resolve(__dirname, '..')
export const ENV_LOCAL_PATH = join('miniprogram', 'config', 'env.local.ts')
export const FROM_CONFIGURE = `${ENV_LOCAL_PATH} (npm run configure)`

/** The folder the configuration files are read from (KIT_ENV_DIR, else the project root). */
export function configRoot(shell: Env = process.env): string {
  return shell.KIT_ENV_DIR || REPO_ROOT
}

/** The values an env.local.ts holds (commented-out lines do not count). */
export function parseEnvLocal(text: string): { envId: string; localCloud: string } {
  const value = (name: string) =>
    new RegExp(`^\\s*export\\s+const\\s+${name}\\s*=\\s*['"\`]([^'"\`]*)['"\`]`, 'm').exec(text)?.[1]?.trim() ?? ''
  return { envId: value('envId'), localCloud: value('localCloud') }
}

function readJson(path: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** A `--mode` that cannot be used: the one sentence that says why. */
export class ModeError extends Error {}

const MODE = /^[a-z][a-z0-9_-]{0,19}$/

/**
 * `--mode <mode>` in argv: the mode and argv without it (undefined when absent). A mode is a
 * short lowercase name (dev, prod, test), because it names a file.
 */
export function modeOf(argv: string[]): { mode?: string; rest: string[] } {
  const i = argv.indexOf('--mode')
  if (i < 0) return { rest: argv }
  const mode = argv[i + 1]
  if (!mode || mode.startsWith('-')) throw new ModeError('--mode needs a name, e.g. --mode prod (it reads .env.prod).')
  if (!MODE.test(mode))
    throw new ModeError(
      `--mode takes a short lowercase name such as dev or prod (it names the file .env.<mode>); got "${mode.slice(0, 30)}".`,
    )
  return { mode, rest: [...argv.slice(0, i), ...argv.slice(i + 2)] }
}

export function readSettings(root: string, shell: Env, mode?: string): KitSettings {
  const file = (name: string): Env =>
    existsSync(join(root, name)) ? parseEnv(readFileSync(join(root, name), 'utf8')) : {}
  const dotEnv = file('.env')
  const dotEnvLocal = file('.env.local')
  const modeFile = mode ? `.env.${mode}` : undefined
  if (modeFile && !existsSync(join(root, modeFile)))
    throw new ModeError(
      `--mode ${mode} reads ${modeFile}, which does not exist: create it beside .env with that environment's values (TCB_ENV_ID=…, PAY_SUB_MCH_ID=…), and keep it out of git.`,
    )
  const dotEnvMode = modeFile ? file(modeFile) : {}
  const layers: Array<[string, Env]> = [
    ['the shell', shell],
    ...(modeFile ? [[modeFile, dotEnvMode] as [string, Env]] : []),
    ['.env.local', dotEnvLocal],
    ['.env', dotEnv],
  ]
  const pick = (name: string): Sourced | undefined => {
    for (const [from, env] of layers) {
      const value = env[name]?.trim()
      if (value) return { value, from }
    }
    return undefined
  }
  const envLocal = existsSync(join(root, ENV_LOCAL_PATH))
    ? parseEnvLocal(readFileSync(join(root, ENV_LOCAL_PATH), 'utf8'))
    : { envId: '', localCloud: '' }
  const privateAppid = readJson(join(root, 'project.private.config.json')).appid
  const appid =
    pick('MP_APPID') ??
    (typeof privateAppid === 'string' && privateAppid.trim() && privateAppid !== 'touristappid'
      ? { value: privateAppid.trim(), from: 'project.private.config.json' }
      : undefined)
  const envId =
    pick('TCB_ENV_ID') ?? (envLocal.envId && !mode ? { value: envLocal.envId, from: FROM_CONFIGURE } : undefined)
  const privateKeyPath = pick('MP_PRIVATE_KEY_PATH')
  return {
    root,
    ...(mode ? { mode } : {}),
    vars: { ...dotEnv, ...dotEnvLocal, ...dotEnvMode, ...shell },
    ...(envId ? { envId } : {}),
    ...(appid ? { appid } : {}),
    ...(privateKeyPath ? { privateKeyPath } : {}),
    appEnvId: envLocal.envId,
  }
}

/** "prod-8gabc123 (from .env)". */
export function said(s: Sourced): string {
  return `${s.value} (from ${s.from})`
}

/**
 * When the env id deploy or preview use is not the one the app was configured with, the sentence
 * that says so (the app would call one environment, the functions live in another).
 */
export function envMismatch(used: Sourced, settings: Pick<KitSettings, 'appEnvId'>): string | undefined {
  if (!settings.appEnvId || settings.appEnvId === used.value || used.from === FROM_CONFIGURE) return undefined
  return `Note: the app is configured for ${settings.appEnvId} (${FROM_CONFIGURE}), but ${said(used)} is used here. Run npm run configure -- --env ${used.value} to point the app at it too, or change ${used.from}.`
}
