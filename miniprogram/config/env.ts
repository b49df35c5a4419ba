/**
 * Which CloudBase environment the app talks to. The env id lives in the untracked
 * `config/env.local.ts` (copy env.example.ts, or run `npm run configure -- --env <id>`),
 * so nobody commits theirs. A missing file or empty id is reported on launch, not a crash.
 */
export interface EnvConfig {
  envId: string
  /** DevTools local mode: the `npm start` URL ('' when unset). */
  localCloud: string
}

export function loadEnvConfig(): EnvConfig {
  try {
    // Optional module: absent in a fresh clone, so a guarded require, not an import.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const local = require('./env.local') as { envId?: unknown } | { default?: { envId?: unknown } }
    const cfg = ('default' in local && local.default ? local.default : local) as { envId?: unknown; localCloud?: unknown }
    return { envId: typeof cfg.envId === 'string' ? cfg.envId.trim() : '', localCloud: typeof cfg.localCloud === 'string' ? cfg.localCloud.trim() : '' }
  } catch {
    return { envId: '', localCloud: '' }
  }
}

/** Where the app's cloud calls go. */
export type CloudTarget =
  | { kind: 'cloud'; envId: string; warning?: string }
  | { kind: 'local'; url: string }
  | { kind: 'none'; message: string }

/** 'develop' | 'trial' | 'release', from wx.getAccountInfoSync().miniProgram.envVersion. */
export type EnvVersion = string

/**
 * Local mode only in the develop version (DevTools, or a phone previewing the develop build):
 * a localCloud left in the config of a trial or release build is ignored with a warning, so it
 * can never reach users.
 */
export function cloudTarget(cfg: EnvConfig, envVersion: EnvVersion): CloudTarget {
  if (cfg.localCloud && envVersion === 'develop') {
    if (!LOCAL_CLOUD_URL.test(cfg.localCloud)) {
      return { kind: 'none', message: `localCloud must be the npm start URL, like http://127.0.0.1:3910 (got "${cfg.localCloud}").` }
    }
    return { kind: 'local', url: cfg.localCloud.replace(/\/+$/, '') }
  }
  if (!cfg.envId) return { kind: 'none', message: MISSING_ENV_MESSAGE }
  const problem = envIdProblem(cfg.envId)
  if (problem) return { kind: 'none', message: problem }
  const warning = cfg.localCloud ? `localCloud is ignored in the ${envVersion || 'unknown'} version: only the develop version uses the local cloud.` : undefined
  return { kind: 'cloud', envId: cfg.envId, ...(warning ? { warning } : {}) }
}

/** The `npm start` URL of local mode: http(s), a host, an optional path. */
export const LOCAL_CLOUD_URL = /^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/

/** Where the id is found, said once for every message about it. */
export const ENV_ID_WHERE = '云开发控制台 → 设置 → 环境 ID (cloud console → Settings → Environment ID)'

export const MISSING_ENV_MESSAGE =
  'No CloudBase environment is configured. Run npm run configure -- --env <env id> (the id is in 云开发控制台 → 设置 → 环境 ID), or npm run configure -- --local to use npm start (README, "Configure").'

/** A CloudBase env id as the console shows it: the name, a dash, a generated suffix ("prod-8gabc123"). */
export const ENV_ID = /^[a-z][a-z0-9-]*-[a-z0-9]{4,}$/

/** Placeholders people leave in: the example's own, and the usual stand-ins. */
const PLACEHOLDER = /^(your|my|<|\{|x{3,}|example|placeholder|changeme|todo|env-?id$|test$)/i

/** Why `id` cannot be a CloudBase env id, in one sentence, or undefined when it can. */
export function envIdProblem(id: string): string | undefined {
  if (!id) return MISSING_ENV_MESSAGE
  if (PLACEHOLDER.test(id)) return `"${id}" is a placeholder, not your environment id: copy the real one from ${ENV_ID_WHERE}.`
  if (!ENV_ID.test(id)) return `"${id}" is not a CloudBase environment id: it looks like prod-8gabc123 (lowercase name, a dash, the generated suffix), as shown in ${ENV_ID_WHERE}.`
  return undefined
}
