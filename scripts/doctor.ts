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
 * between the two (scripts/doctor-compare.ts).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalCloud } from '../localcloud'
import type { DoctorReport } from '../server/doctor'
import { KEYWORDS } from '../server/pay/messages'
import { BUILD_FILE } from './build-functions'
import { envIdProblem } from '../miniprogram/config/env'
import { isRequired, readProject, type Project } from './deploy-config'
import { HTTP_ENTRIES } from './deploy-plan'
import { compareViews } from './doctor-compare'
import { envView, EnvError, realEnvApi } from './doctor-env'
import { configRoot, ModeError, modeOf, readSettings, type Env, type KitSettings } from './settings'
import { localVars, openLocalCloud } from './start'

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

const line = (mark: Mark, zh: string, en: string, fix?: { zh: string; en: string }): Line => ({
  mark,
  zh,
  en,
  ...(fix ? { fix } : {}),
})

/** Every check of `view` against what `project` (this repo) needs. */
export function diagnose(project: Project, view: View, repoBuilds: Map<string, string | null>): Line[] {
  const out: Line[] = []
  for (const fn of project.functions) {
    const got = view.functions.get(fn.name)
    if (!got) {
      out.push(
        line('✗', `云函数 ${fn.name}：不存在`, `function ${fn.name}: missing`, {
          zh: '运行 npm run deploy 创建它。',
          en: 'Run npm run deploy to create it.',
        }),
      )
      continue
    }
    const want = repoBuilds.get(fn.name) ?? null
    if (!want)
      out.push(
        line('?', `云函数 ${fn.name}：仓库里还没有构建`, `function ${fn.name}: not built in this repo`, undefined),
      )
    else if (got.buildId === want)
      out.push(
        line(
          '✓',
          `云函数 ${fn.name}：运行的是这次构建（${want.slice(0, 8)}）`,
          `function ${fn.name}: runs this build (${want.slice(0, 8)})`,
        ),
      )
    else
      out.push(
        line(
          '✗',
          `云函数 ${fn.name}：运行的构建 ${got.buildId?.slice(0, 8) ?? '（无编号）'} 不是仓库里的 ${want.slice(0, 8)}`,
          `function ${fn.name}: runs build ${got.buildId?.slice(0, 8) ?? '(no id)'}, not this repo's ${want.slice(0, 8)}`,
          {
            zh: '运行 npm run deploy 上传这次构建（本地：重启 npm start）。',
            en: 'Run npm run deploy to upload this build (locally: restart npm start).',
          },
        ),
      )
    const zh: string[] = []
    const en: string[] = []
    if (fn.runtime && got.runtime && got.runtime !== fn.runtime) {
      zh.push(`运行时 ${got.runtime}，应为 ${fn.runtime}`)
      en.push(`runtime ${got.runtime}, not ${fn.runtime}`)
    }
    if (fn.timeout && got.timeout !== undefined && got.timeout !== fn.timeout) {
      zh.push(`超时 ${got.timeout} 秒，应为 ${fn.timeout} 秒`)
      en.push(`timeout ${got.timeout}s, not ${fn.timeout}s`)
    }
    if (en.length)
      out.push(
        line(
          '✗',
          `云函数 ${fn.name}：${zh.join('；')}（cloudbaserc.json）`,
          `function ${fn.name}: ${en.join('; ')} (cloudbaserc.json)`,
          {
            zh: '运行 npm run deploy（它按 cloudbaserc.json 设置运行时和超时）。',
            en: 'Run npm run deploy (it sets the runtime and timeout of cloudbaserc.json).',
          },
        ),
      )
    const needed = Object.keys(fn.envVariables ?? {})
    const missingRequired = needed.filter(
      (k) => !got.variables.includes(k) && isRequired(placeholderOf(fn.envVariables![k]!) ?? k, view.vars),
    )
    if (missingRequired.length)
      out.push(
        line(
          '✗',
          `云函数 ${fn.name}：缺少环境变量 ${missingRequired.join('、')}`,
          `function ${fn.name}: variables ${missingRequired.join(', ')} not set`,
          {
            zh: `在未提交的 .env 里设置它们，再运行 npm run deploy。`,
            en: 'Set them in the untracked .env and run npm run deploy again.',
          },
        ),
      )
    else if (needed.length)
      out.push(
        line('✓', `云函数 ${fn.name}：必需的环境变量都已设置`, `function ${fn.name}: the required variables are set`),
      )
    const wanted = fn.permissions ?? []
    if (wanted.length) {
      if (!Array.isArray(got.permissions))
        out.push(
          line(
            '?',
            `云函数 ${fn.name}：读不到云调用权限（${got.permissions.unknown}）`,
            `function ${fn.name}: cloud-call permissions unreadable (${got.permissions.unknown})`,
          ),
        )
      else {
        const have = new Set(got.permissions)
        const missing = wanted.filter((p) => !have.has(p))
        if (missing.length)
          out.push(
            line(
              '✗',
              `云函数 ${fn.name}：云调用权限缺少 ${missing.join('、')}`,
              `function ${fn.name}: cloud-call permissions missing ${missing.join(', ')}`,
              {
                zh: '从开发者工具上传它（右键 → 上传并部署：云端安装依赖），否则这些调用以 -604101 失败。',
                en: 'Upload it from DevTools (right-click → 上传并部署：云端安装依赖); until then those calls fail with -604101.',
              },
            ),
          )
        else
          out.push(
            line(
              '✓',
              `云函数 ${fn.name}：云调用权限 ${wanted.length} 项已生效`,
              `function ${fn.name}: ${wanted.length} cloud-call permissions in force`,
            ),
          )
      }
    }
    for (const t of fn.triggers ?? []) {
      if (got.triggers.includes(t.name))
        out.push(line('✓', `云函数 ${fn.name}：定时触发器 ${t.name}`, `function ${fn.name}: timer ${t.name}`))
      else
        out.push(
          line('✗', `云函数 ${fn.name}：没有定时触发器 ${t.name}`, `function ${fn.name}: timer ${t.name} missing`, {
            zh: '运行 npm run deploy（它创建 cloudbaserc.json 里的触发器）。',
            en: 'Run npm run deploy (it creates the triggers of cloudbaserc.json).',
          }),
        )
    }
  }
  for (const c of project.collections) {
    const got = view.collections.get(c.name)
    if (!got) {
      out.push(
        line('✗', `集合 ${c.name}：不存在`, `collection ${c.name}: missing`, {
          zh: '运行 npm run deploy 创建它和它的索引。',
          en: 'Run npm run deploy to create it with its indexes.',
        }),
      )
      continue
    }
    const missing = (c.indexes ?? []).map((i) => i.name).filter((n) => !got.indexes.includes(n))
    if (missing.length)
      out.push(
        line(
          '✗',
          `集合 ${c.name}：缺少索引 ${missing.join('、')}`,
          `collection ${c.name}: indexes ${missing.join(', ')} missing`,
          {
            zh: '运行 npm run deploy 创建缺少的索引；没有索引时这些查询在数据多了以后会很慢。',
            en: 'Run npm run deploy to create them; without them these reads slow down as the data grows.',
          },
        ),
      )
    if (JSON.stringify(got.rules) !== JSON.stringify(c.rules))
      out.push(
        line(
          '✗',
          `集合 ${c.name}：安全规则与 database/collections.json 不同`,
          `collection ${c.name}: security rules differ from database/collections.json`,
          {
            zh: '运行 npm run deploy 重新设置规则（它会覆盖控制台里的修改）。',
            en: 'Run npm run deploy to set them again (it overwrites changes made in the console).',
          },
        ),
      )
    if (!missing.length && JSON.stringify(got.rules) === JSON.stringify(c.rules))
      out.push(
        line(
          '✓',
          `集合 ${c.name}：索引 ${(c.indexes ?? []).length} 个和安全规则`,
          `collection ${c.name}: ${(c.indexes ?? []).length} indexes and the rules`,
        ),
      )
  }
  const m = view.merchant
  if (!m) out.push(line('?', '商户：pay 云函数没有回答', 'merchant: the pay function did not answer'))
  else if (m.provider === 'wxpay-v3') {
    const fix = {
      zh: '按 docs/pay.md 核对 .env 里的 WXPAY_* 设置，并确认 AppID 已关联到该商户号（商户平台 → 产品中心 → AppID账号管理），再运行 npm run deploy。',
      en: 'Check the WXPAY_* settings in .env against docs/pay.md and that the AppID is linked to the merchant (商户平台 → 产品中心 → AppID账号管理), then run npm run deploy.',
    }
    if (m.state === 'BOUND')
      out.push(
        line(
          '✓',
          '商户：微信支付 APIv3 接受 WXPAY_MCHID 的签名请求',
          "merchant: WeChat Pay APIv3 accepts WXPAY_MCHID's signed requests",
        ),
      )
    else if (m.state === 'NOT_SET')
      out.push(
        line(
          '✗',
          '商户：WXPAY_MCHID 没有设置（PAY_PROVIDER=wxpay-v3）',
          'merchant: WXPAY_MCHID is not set (PAY_PROVIDER=wxpay-v3)',
          fix,
        ),
      )
    else if (m.state === 'NOT_BOUND')
      out.push(
        line(
          '✗',
          `商户：微信支付 APIv3 拒绝了 WXPAY_MCHID 的请求（${m.detail ?? ''}）`,
          `merchant: WeChat Pay APIv3 refuses WXPAY_MCHID's requests (${m.detail ?? ''})`,
          fix,
        ),
      )
    else out.push(line('?', `商户：无法判断（${m.detail ?? ''}）`, `merchant: cannot tell (${m.detail ?? ''})`))
  } else if (m.state === 'BOUND')
    out.push(
      line('✓', '商户：PAY_SUB_MCH_ID 已绑定到这个环境', 'merchant: PAY_SUB_MCH_ID is bound to this environment'),
    )
  else if (m.state === 'NOT_SET')
    out.push(
      line('✗', '商户：PAY_SUB_MCH_ID 没有设置', 'merchant: PAY_SUB_MCH_ID is not set', {
        zh: '在 .env 里设置子商户号，再运行 npm run deploy。',
        en: 'Set the sub-merchant id in .env and run npm run deploy.',
      }),
    )
  else if (m.state === 'NOT_BOUND')
    out.push(
      line(
        '✗',
        `商户：PAY_SUB_MCH_ID 没有绑定到这个环境（${m.detail ?? ''}）`,
        `merchant: PAY_SUB_MCH_ID is not bound to this environment (${m.detail ?? ''})`,
        {
          zh: '在 云开发控制台 → 设置 → 其他设置 → 微信支付配置 里绑定它。',
          en: 'Bind it in 云开发控制台 → 设置 → 其他设置 → 微信支付配置.',
        },
      ),
    )
  else out.push(line('?', `商户：无法判断（${m.detail ?? ''}）`, `merchant: cannot tell (${m.detail ?? ''})`))
  const keywords = Object.values(KEYWORDS) as string[]
  for (const name of ['SUBSCRIBE_TMPL_PAID', 'SUBSCRIBE_TMPL_REFUNDED']) {
    const id = view.vars[name]
    if (!id) {
      out.push(
        line('✗', `订阅消息模板 ${name}：没有设置`, `subscribe template ${name}: not set`, {
          zh: '在 订阅消息 里选用模板，把它的 ID 写进 .env。',
          en: 'Pick a template in 订阅消息 and put its id in .env.',
        }),
      )
      continue
    }
    if (!view.templates) {
      const why = view.templatesWhy ? `（${view.templatesWhy}）` : ''
      out.push(
        line(
          '?',
          `订阅消息模板 ${name}：读不到账号的模板列表${why}`,
          `subscribe template ${name}: the account's templates cannot be read${view.templatesWhy ? ` (${view.templatesWhy})` : ''}`,
        ),
      )
      continue
    }
    const got = view.templates.get(id)
    if (!got)
      out.push(
        line(
          '✗',
          `订阅消息模板 ${name}（${id}）：账号里没有`,
          `subscribe template ${name} (${id}): not in the account`,
          {
            zh: '在 订阅消息 → 我的模板 里确认 ID，或重新选用。',
            en: 'Check the id in 订阅消息 → 我的模板, or pick it again.',
          },
        ),
      )
    else {
      const missing = keywords.filter((k) => !got.includes(k))
      if (missing.length)
        out.push(
          line(
            '✗',
            `订阅消息模板 ${name}：没有关键词 ${missing.join('、')}（代码发送 ${keywords.join('、')}）`,
            `subscribe template ${name}: no keywords ${missing.join(', ')} (the code sends ${keywords.join(', ')})`,
            {
              zh: '改 server/pay/messages.ts 的 KEYWORDS 为模板的关键词，或选用有这些关键词的模板。',
              en: "Change KEYWORDS in server/pay/messages.ts to the template's, or pick a template that has them.",
            },
          ),
        )
      else
        out.push(
          line('✓', `订阅消息模板 ${name}：关键词与代码一致`, `subscribe template ${name}: keywords match the code`),
        )
    }
  }
  for (const entry of HTTP_ENTRIES.filter((e) => project.functions.some((f) => f.name === e.fn))) {
    const paths = view.httpRoutes.get(entry.fn) ?? []
    if (paths.length)
      out.push(
        line(
          '✓',
          `云函数 ${entry.fn}：HTTP 访问路径 ${paths.join('、')}`,
          `function ${entry.fn}: HTTP access path ${paths.join(', ')}`,
        ),
      )
    else if (entry.required(view.vars))
      out.push(
        line(
          '✗',
          `云函数 ${entry.fn}：没有 HTTP 访问路径，${entry.unreachable.zh}`,
          `function ${entry.fn}: no HTTP access path, so ${entry.unreachable.en}`,
          {
            zh: `运行 npm run deploy（它创建 ${entry.path}），再把这个地址填进${entry.enterIn.zh}。`,
            en: `Run npm run deploy (it creates ${entry.path}), then enter that URL in ${entry.enterIn.en}.`,
          },
        ),
      )
    else
      out.push(
        line(
          '✓',
          `云函数 ${entry.fn}：没有 HTTP 访问路径（${entry.onlyFor?.zh ?? '可选'}）`,
          `function ${entry.fn}: no HTTP access path (${entry.onlyFor?.en ?? 'optional'})`,
        ),
      )
  }
  if (project.messagePush) {
    const pairs = project.messagePush.pairs.map((p) => `${p.msgType}${p.event ? `/${p.event}` : ''}`).join('、')
    out.push(
      line(
        '?',
        `消息推送：无法读取，请在 云开发控制台 → 设置 → 全局设置 → 消息推送 中为 ${pairs} 选择云函数 ${project.messagePush.function}`,
        `message push: cannot be read; in 云开发控制台 → 设置 → 全局设置 → 消息推送 route ${pairs.replace(/、/g, ', ')} to the function ${project.messagePush.function}`,
      ),
    )
  }
  return out
}

/** `{{env.X}}` → X. */
function placeholderOf(value: string): string | undefined {
  return /\{\{\s*env\.([A-Za-z0-9_]+)\s*\}\}/.exec(value)?.[1]
}

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
