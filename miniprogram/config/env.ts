/**
 * Which CloudBase environment the app talks to. The env id lives in the untracked
 * `config/env.local.ts` (copy env.example.ts, or run `npm run configure -- --env <id>`),
 * so nobody commits theirs. A missing file or empty id is reported on launch, not a crash.
 */
export interface EnvConfig {
  envId: string
  /** DevTools local mode: the `npm start` URL ('' when unset). */
  localCloud: string
  /** `npm run configure -- --env <id> --force`: the id is used although the format check doubts it. */
  envIdForced?: boolean
}

export function loadEnvConfig(): EnvConfig {
  try {
    // Optional module: absent in a fresh clone, so a guarded require, not an import.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const local = require('./env.local') as { envId?: unknown } | { default?: { envId?: unknown } }
    const cfg = ('default' in local && local.default ? local.default : local) as {
      envId?: unknown
      localCloud?: unknown
      envIdForced?: unknown
    }
    return {
      envId: typeof cfg.envId === 'string' ? cfg.envId.trim() : '',
      localCloud: typeof cfg.localCloud === 'string' ? cfg.localCloud.trim() : '',
      ...(cfg.envIdForced === true ? { envIdForced: true } : {}),
    }
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
      return {
        kind: 'none',
        message: `localCloud must be the npm start URL, like http://127.0.0.1:3910 (got "${cfg.localCloud}").`,
      }
    }
    return { kind: 'local', url: cfg.localCloud.replace(/\/+$/, '') }
  }
  if (!cfg.envId) return { kind: 'none', message: MISSING_ENV_MESSAGE }
  const problem = cfg.envIdForced ? undefined : envIdProblem(cfg.envId)
  if (problem) return { kind: 'none', message: problem }
  const warning = cfg.localCloud
    ? `localCloud is ignored in the ${envVersion || 'unknown'} version: only the develop version uses the local cloud.`
    : undefined
  return { kind: 'cloud', envId: cfg.envId, ...(warning ? { warning } : {}) }
}

/** The `npm start` URL of local mode: http(s), a host, an optional path. */
export const LOCAL_CLOUD_URL = /^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/

/** Where the id is found, said once for every message about it. */
export const ENV_ID_WHERE = '云开发控制台 → 设置 → 环境 ID (cloud console → Settings → Environment ID)'

export const MISSING_ENV_MESSAGE =
  'No CloudBase environment is configured. Run npm run configure -- --env <env id> (the id is in 云开发控制台 → 设置 → 环境 ID), or npm run configure -- --local to use npm start (docs/start.md, "配置云环境").'

/** Longer than any id the console shows; a longer value is a paste gone wrong (--force lets it through). */
export const ENV_ID_MAX = 64

/** A CloudBase env id as the console shows it: the name, a dash, a generated suffix ("prod-8gabc123"). */
export const ENV_ID = /^[a-z][a-z0-9-]*-[a-z0-9]{4,}$/

/**
 * Placeholders people leave in, matched whole: the example's own (your-env-id) and the usual
 * stand-ins. A real id that merely starts with "my" or "test" (myshop-8gabc123) is not one.
 */
const PLACEHOLDER =
  /^(<.*>|\{.*\}|x{3,}|(your|my)[-_]?(cloud[-_]?)?(env|environment|tcb)([-_]?id)?|example([-_]env)?([-_]id)?|placeholder|changeme|todo|env[-_]?id|test)$/i

/** Why `id` cannot be a CloudBase env id, in one sentence that says what is wrong, or undefined when it can. */
export function envIdProblem(id: string): string | undefined {
  if (!id) return MISSING_ENV_MESSAGE
  if (PLACEHOLDER.test(id))
    return `"${id}" is a placeholder, not your environment id: copy the real one from ${ENV_ID_WHERE}.`
  if (id.length > ENV_ID_MAX)
    return `"${id.slice(0, 24)}…" is ${id.length} characters, longer than an environment id (${ENV_ID_MAX} at most): copy it again from ${ENV_ID_WHERE}.`
  if (ENV_ID.test(id)) return undefined
  const odd = [...new Set(id.replace(/[a-z0-9-]/g, ''))].join('')
  const what = odd
    ? /[A-Z]/.test(odd)
      ? 'it has capital letters'
      : `it has characters an environment id never has (${odd.slice(0, 8)})`
    : !id.includes('-')
      ? 'it has no dash before the generated suffix'
      : 'it does not end in the generated suffix (at least 4 letters or digits after the last dash)'
  return `"${id}" is not a CloudBase environment id: ${what}; an id looks like prod-8gabc123 (lowercase letters and digits, a dash, the generated suffix), as shown in ${ENV_ID_WHERE}. If it is exactly what the console shows, add --force.`
}
