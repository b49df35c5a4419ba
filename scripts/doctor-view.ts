/**
 * npm run doctor's vocabulary (scripts/doctor.ts): what an environment says about itself (`View`,
 * read locally by doctor.ts and from a real environment by doctor-env.ts) and a check's answer
 * (`Line`: ✓ / ✗ / ?, in Chinese and English, with the fix for a ✗).
 */
import type { DoctorReport } from '../server/doctor'

export type Mark = '✓' | '✗' | '?'
export interface Line {
  mark: Mark
  zh: string
  en: string
  /** For ✗: what to do, in one sentence. */
  fix?: { zh: string; en: string }
}

/** What an environment says about itself. */
export interface View {
  functions: Map<string, DeployedFunction>
  collections: Map<string, { indexes: string[]; rules: unknown }>
  /** The pay function's merchant probe. */
  merchant: NonNullable<DoctorReport['merchant']> | null
  /** Template id → keywords; null when they cannot be read (templatesWhy says why, when known). */
  templates: Map<string, string[]> | null
  templatesWhy?: string
  /** Function → its HTTP access paths (CloudBase's HTTP access service). */
  httpRoutes: Map<string, string[]>
  /** The env vars deploy substitutes into cloudbaserc.json (for the template ids). */
  vars: Record<string, string | undefined>
}

export interface DeployedFunction {
  buildId: string | null
  runtime?: string
  timeout?: number
  /** Variable names set in the function's environment. */
  variables: string[]
  permissions: string[] | { unknown: string }
  triggers: string[]
  /** The merchant binding, when the function's probe reports one (pay). */
  merchant?: NonNullable<View['merchant']>
}

export const line = (mark: Mark, zh: string, en: string, fix?: { zh: string; en: string }): Line => ({
  mark,
  zh,
  en,
  ...(fix ? { fix } : {}),
})
