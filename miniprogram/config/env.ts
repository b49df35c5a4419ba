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
    if (!/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(cfg.localCloud)) {
      return { kind: 'none', message: `localCloud must be the npm start URL, like http://127.0.0.1:3910 (got "${cfg.localCloud}").` }
    }
    return { kind: 'local', url: cfg.localCloud.replace(/\/+$/, '') }
  }
  if (!cfg.envId) return { kind: 'none', message: MISSING_ENV_MESSAGE }
  const warning = cfg.localCloud ? `localCloud is ignored in the ${envVersion || 'unknown'} version: only the develop version uses the local cloud.` : undefined
  return { kind: 'cloud', envId: cfg.envId, ...(warning ? { warning } : {}) }
}

export const MISSING_ENV_MESSAGE =
  'No CloudBase environment is configured. Copy miniprogram/config/env.example.ts to env.local.ts and put your env id in it (see README, "Configure").'
