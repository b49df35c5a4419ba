/**
 * `npm run doctor -- --local`: read-only checks of an environment against what the code in this
 * repo needs (issue #27), each ✓ / ✗ / ? (cannot tell, and why), with the one-sentence fix for a ✗;
 * Chinese first (`--lang en` for English), `--json` for CI, exit code 1 on any ✗.
 * What is checked, per environment view (`View`):
 * - every function of cloudbaserc.json exists and runs this build (the build id its probe reports
 *   against cloudfunctions/<name>/build.json), its timeout, the variables it needs (names only),
 *   its cloud-call permissions against config.json, its timers;
 * - collections, their indexes and security rules against database/collections.json;
 * - the merchant binding (the pay function's probe: queryOrder of an order that cannot exist);
 * - the subscribe templates' ids and keywords against what server/pay/messages.ts sends;
 * - the message-push settings to enter in the console (printed: they cannot be read).
 * The probes run inside the functions as an administrator's invocation (server/doctor.ts).
 * `--local` checks the local cloud as npm start opens it (this repo's build, the shell's values over
 * LOCAL_VARS), in memory: it never opens npm start's files, so it is safe while npm start runs.
 * `--env <id>` (or `--mode prod`, reading .env.prod) checks a real environment through the CloudBase
 * Manager API and WeChat's (scripts/doctor-env.ts); `--against dev|<id>|local` adds what differs
 * between the two (scripts/doctor-compare.ts). The checks themselves are doctor-checks.ts; the
 * views and lines they read and write, doctor-view.ts.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalCloud } from '../localcloud'
import { BUILD_FILE } from './build-functions'
import { envIdProblem } from '../miniprogram/config/env'
import { readProject, type Project } from './deploy-config'
import { HTTP_ENTRIES } from './deploy-plan'
import { compareViews } from './doctor-compare'
import { envView, EnvError, realEnvApi } from './doctor-env'
import { configRoot, ModeError, modeOf, readSettings, type Env, type KitSettings } from './settings'
import { localVars, openLocalCloud } from './start'
import { diagnose } from './doctor-checks'
import type { DeployedFunction, Line, View } from './doctor-view'

/** The build ids of this repo's functions (cloudfunctions/<name>/build.json). */
export function repoBuilds(root: string, names: string[]): Map<string, string | null> {
  return new Map(
    names.map((n) => {
      const file = join(root, 'cloudfunctions', n, BUILD_FILE)
      const id = existsSync(file)
        ? ((JSON.parse(readFileSync(file, 'utf8')) as { buildId?: string }).buildId ?? null)
        : null
      return [n, id]
    }),
  )
}

/** The local cloud's view of itself: its functions answer the probe, its database and sandboxes say the rest. */
export async function localView(cloud: LocalCloud, project: Project): Promise<View> {
  const functions = new Map<string, DeployedFunction>()
  for (const fn of project.functions) {
    if (!existsSync(join(cloud.root, 'cloudfunctions', fn.name, 'index.js'))) continue
    const names = Object.keys(fn.envVariables ?? {})
    let probe: {
      ok?: boolean
      data?: { buildId?: string | null; variables?: Record<string, boolean>; merchant?: View['merchant'] }
    } = {}
    try {
      probe = (await cloud.invoke(fn.name, { action: '$doctor', variables: names }, {}, 'wx_devtools')) as typeof probe
    } catch {
      probe = {}
    }
    const cfg = cloud.functionConfig(fn.name)
    functions.set(fn.name, {
      buildId: probe.data?.buildId ?? null,
      timeout: cfg.timeout,
      variables: Object.entries(probe.data?.variables ?? {})
        .filter(([, set]) => set)
        .map(([k]) => k),
      permissions: cfg.permissions,
      // The local cloud runs the timers of cloudbaserc.json as they are.
      triggers: (fn.triggers ?? []).map((t) => t.name),
    })
  }
  const collections = new Map<string, { indexes: string[]; rules: unknown }>()
  for (const name of cloud.db.collectionNames()) {
    const spec = cloud.db.specOf(name)
    collections.set(name, { indexes: (spec?.indexes ?? []).map((i) => i.name), rules: spec?.rules })
  }
  let merchant: View['merchant'] = null
  if (
    project.functions.some((f) => f.name === 'pay') &&
    existsSync(join(cloud.root, 'cloudfunctions', 'pay', 'index.js'))
  ) {
    const probe = (await cloud.invoke('pay', { action: '$doctor' }, {}, 'wx_devtools')) as {
      data?: { merchant?: View['merchant'] }
    }
    merchant = probe.data?.merchant ?? null
  }
  const templates = new Map(
    [...cloud.openapi.templates].map((id) => [id, cloud.openapi.templateKeywords.get(id) ?? []]),
  )
  // The local cloud hands URL-mode pushes and card events to these functions itself (no path table).
  const httpRoutes = new Map(HTTP_ENTRIES.map((e) => [e.fn, [`${e.path} (npm start)`]]))
  return { functions, collections, merchant, templates, vars: cloud.vars, httpRoutes }
}

export function render(lines: Line[], lang: 'zh' | 'en'): string[] {
  return lines.map((l) => `${l.mark} ${l[lang]}${l.fix ? ` — ${l.fix[lang]}` : ''}`)
}

export const DOCTOR_USAGE = [
  'npm run doctor -- --local                 check the local cloud as npm start opens it against what the code needs (PAY_SUB_MCH_ID=… to try a value)',
  'npm run doctor -- --env <env id>          check a real environment (a CAM key in TENCENTCLOUD_SECRETID/KEY; MP_APPSECRET for permissions and templates)',
  'npm run doctor -- --mode prod             the environment of .env.prod, with its keys (.env.prod over .env.local and .env)',
  "npm run doctor -- --mode prod --against dev   and what differs from .env.dev's environment (or --against <env id> | local)",
  'npm run doctor -- … --json | --lang en    JSON for CI (exit code 1 when anything is ✗); English (Chinese by default)',
].join('\n')

/** Where a view comes from: the local cloud, or a real environment with the settings to read it. */
export type Target =
  { kind: 'local'; label: string } | { kind: 'env'; label: string; envId: string; appid?: string; vars: Env }

/** The targets of doctor's arguments (--local | --env | --mode, and --against); a ModeError or DoctorUsage for bad ones. */
export function targetsOf(argv: string[], shell: Env, root = configRoot(shell)): { first: Target; against?: Target } {
  const { mode, rest } = modeOf(argv)
  const settings = readSettings(root, shell, mode)
  const value = (flag: string) => {
    const i = rest.indexOf(flag)
    if (i < 0) return undefined
    const got = rest[i + 1]
    if (!got || got.startsWith('-')) throw new DoctorUsage(`${flag} needs a value.`)
    return got
  }
  const envTarget = (envId: string, s: KitSettings, label: string): Target => {
    const problem = envIdProblem(envId)
    if (problem) throw new DoctorUsage(problem)
    return { kind: 'env', label, envId, ...(s.appid ? { appid: s.appid.value } : {}), vars: s.vars }
  }
  const env = value('--env')
  let first: Target
  if (rest.includes('--local')) first = { kind: 'local', label: 'local' }
  else if (env) first = envTarget(env, settings, env)
  else if (mode && settings.envId) first = envTarget(settings.envId.value, settings, mode)
  else if (mode) throw new DoctorUsage(`.env.${mode} sets no TCB_ENV_ID: add the environment's id to it.`)
  else throw new DoctorUsage(DOCTOR_USAGE)
  const other = value('--against')
  if (!other) return { first }
  if (other === 'local') return { first, against: { kind: 'local', label: 'local' } }
  if (MODE_NAME.test(other) && existsSync(join(root, `.env.${other}`))) {
    const s = readSettings(root, shell, other)
    if (!s.envId) throw new DoctorUsage(`.env.${other} sets no TCB_ENV_ID: add the environment's id to it.`)
    return { first, against: envTarget(s.envId.value, s, other) }
  }
  if (MODE_NAME.test(other) && envIdProblem(other))
    throw new DoctorUsage(
      `--against ${other} reads .env.${other}, which does not exist, and ${other} is not an env id: create the file with that environment's TCB_ENV_ID, or give the id.`,
    )
  return { first, against: envTarget(other, settings, other) }
}

/** A mode name with no file is taken as an env id only if it looks like one (prod-8gabc123). */
const MODE_NAME = /^[a-z][a-z0-9_-]{0,19}$/

export class DoctorUsage extends Error {}

async function viewOf(target: Target, project: Project): Promise<View> {
  if (target.kind === 'env') return envView(realEnvApi(target.envId, target.appid, target.vars), project, target.vars)
  const log = console.log
  console.log = () => {} // the functions' one line per invocation
  try {
    // In memory: nothing here needs npm start's data, and opening its files would fold a journal it is still writing.
    return await localView(openLocalCloud(localVars(process.env)), project)
  } finally {
    console.log = log
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(DOCTOR_USAGE)
    return 0
  }
  let targets: ReturnType<typeof targetsOf>
  try {
    targets = targetsOf(argv, process.env)
  } catch (e) {
    if (e instanceof DoctorUsage || e instanceof ModeError) {
      console.error(e.message)
      return 2
    }
    throw e
  }
  const project = readProject()
  let lines: Line[]
  try {
    const view = await viewOf(targets.first, project)
    lines = diagnose(
      project,
      view,
      repoBuilds(
        process.cwd(),
        project.functions.map((f) => f.name),
      ),
    )
    if (targets.against)
      lines.push(
        ...compareViews(project, view, await viewOf(targets.against, project), [
          targets.first.label,
          targets.against.label,
        ]),
      )
  } catch (e) {
    if (e instanceof EnvError) {
      console.error(e.message)
      return 2
    }
    throw e
  }
  if (argv.includes('--json')) console.log(JSON.stringify(lines, null, 2))
  else
    render(lines, argv.includes('--lang') && argv[argv.indexOf('--lang') + 1] === 'en' ? 'en' : 'zh').forEach((l) =>
      console.log(l),
    )
  return lines.some((l) => l.mark === '✗') ? 1 : 0
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e)
      process.exit(1)
    },
  )
}
