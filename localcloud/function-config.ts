/**
 * What the local cloud reads from the project, as CloudBase's deploy would: a function's settings
 * (timeout and envVariables from cloudbaserc.json, openapi permissions from its config.json), the
 * collections of database/collections.json, the pages of app.json (for wxacode's `page`), and
 * the catalogue's cards (database/seed/cards.json) as the sandbox's WeChat knows them.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CollectionSpec } from './db-engine'

export interface FunctionConfig {
  /** Seconds, from cloudbaserc.json (3 when unset, CloudBase's default). */
  timeout: number
  /** config.json permissions.openapi. */
  permissions: string[]
  /** cloudbaserc.json envVariables with placeholders resolved. */
  envVariables: Record<string, string>
}

/** The function's settings; `vars` resolve cloudbaserc.json's `{{env.NAME}}` placeholders (then process.env). */
export function readFunctionConfig(root: string, name: string, vars: Record<string, string>): FunctionConfig {
  const rc = join(root, 'cloudbaserc.json')
  let timeout = 3 // CloudBase's default when none is set
  const envVariables: Record<string, string> = {}
  if (existsSync(rc)) {
    const fns =
      (
        JSON.parse(readFileSync(rc, 'utf8')) as {
          functions?: Array<{ name: string; timeout?: number; envVariables?: Record<string, string> }>
        }
      ).functions ?? []
    const fn = fns.find((f) => f.name === name)
    timeout = fn?.timeout ?? timeout
    for (const [k, raw] of Object.entries(fn?.envVariables ?? {})) {
      const value = String(raw).replace(
        /\{\{\s*env\.([A-Za-z0-9_]+)\s*\}\}/g,
        (_m, v: string) => vars[v] ?? process.env[v] ?? '',
      )
      if (value !== '') envVariables[k] = value
    }
  }
  const cfg = join(root, 'cloudfunctions', name, 'config.json')
  const permissions = existsSync(cfg)
    ? ((JSON.parse(readFileSync(cfg, 'utf8')) as { permissions?: { openapi?: string[] } }).permissions?.openapi ?? [])
    : []
  return { timeout, permissions, envVariables }
}

/** database/collections.json: the collections, indexes and rules the project ships. */
export function readCollectionSpecs(root: string): CollectionSpec[] {
  const file = join(root, 'database', 'collections.json')
  if (!existsSync(file)) return []
  return (JSON.parse(readFileSync(file, 'utf8')) as { collections: CollectionSpec[] }).collections
}

/** The pages of the project's app.json (main package and subpackages), or null without one. */
export function appPages(root: string): Set<string> | null {
  const file = join(root, 'miniprogram', 'app.json')
  if (!existsSync(file)) return null
  const app = JSON.parse(readFileSync(file, 'utf8')) as {
    pages?: string[]
    subPackages?: Array<{ root: string; pages: string[] }>
    subpackages?: Array<{ root: string; pages: string[] }>
  }
  const pages = [
    ...(app.pages ?? []),
    ...(app.subPackages ?? app.subpackages ?? []).flatMap((p) =>
      p.pages.map((x) => `${p.root.replace(/\/$/, '')}/${x}`),
    ),
  ]
  return new Set(pages)
}

/** The catalogue's cards as WeChat's card API holds them (approved unless `localSandbox.approved` is false). */
export function readSandboxCards(
  root: string,
): Array<{ cardId: string; title: string; approved: boolean; bindOpenid?: boolean }> {
  const file = join(root, 'database', 'seed', 'cards.json')
  if (!existsSync(file)) return []
  const cards = JSON.parse(readFileSync(file, 'utf8')) as Array<{
    cardId: string
    title: string
    bindOpenid?: boolean
    localSandbox?: { approved?: boolean }
  }>
  return cards.map((c) => ({
    cardId: c.cardId,
    title: c.title,
    approved: c.localSandbox?.approved !== false,
    ...(c.bindOpenid ? { bindOpenid: true } : {}),
  }))
}
