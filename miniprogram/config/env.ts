/**
 * Which CloudBase environment the app talks to. The env id lives in the untracked
 * `config/env.local.ts` (copy env.example.ts, or run `npm run configure -- --env <id>`),
 * so nobody commits theirs. A missing file or empty id is reported on launch, not a crash.
 */
export interface EnvConfig {
  envId: string
}

export function loadEnvConfig(): EnvConfig {
  try {
    // Optional module: absent in a fresh clone, so a guarded require, not an import.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const local = require('./env.local') as { envId?: unknown } | { default?: { envId?: unknown } }
    const cfg = ('default' in local && local.default ? local.default : local) as { envId?: unknown }
    return { envId: typeof cfg.envId === 'string' ? cfg.envId.trim() : '' }
  } catch {
    return { envId: '' }
  }
}

export const MISSING_ENV_MESSAGE =
  'No CloudBase environment is configured. Copy miniprogram/config/env.example.ts to env.local.ts and put your env id in it (see README, "Configure").'
