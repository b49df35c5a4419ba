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
 * LOCAL_VARS), in memory: it never opens npm start's files, so it is safe while npm start runs. A real
 * environment (`--env <id>`) needs the CloudBase Manager API and is not built yet (#27).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalCloud } from '../localcloud'
import { KEYWORDS } from '../server/pay/messages'
import { BUILD_FILE } from './build-functions'
import { readProject, VARIABLES, type Project } from './deploy'
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
  merchant: { state: 'BOUND' | 'NOT_BOUND' | 'NOT_SET' | 'UNKNOWN'; detail?: string } | null
  /** Template id → keywords; null when they cannot be read. */
  templates: Map<string, string[]> | null
  /** The env vars deploy substitutes into cloudbaserc.json (for the template ids). */
  vars: Record<string, string | undefined>
}

export interface DeployedFunction {
  buildId: string | null
  timeout?: number
  /** Variable names set in the function's environment. */
  variables: string[]
  permissions: string[] | { unknown: string }
  triggers: string[]
}

const line = (mark: Mark, zh: string, en: string, fix?: { zh: string; en: string }): Line => ({ mark, zh, en, ...(fix ? { fix } : {}) })

/** Every check of `view` against what `project` (this repo) needs. */
export function diagnose(project: Project, view: View, repoBuilds: Map<string, string | null>): Line[] {
  const out: Line[] = []
  for (const fn of project.functions) {
    const got = view.functions.get(fn.name)
    if (!got) {
      out.push(line('✗', `云函数 ${fn.name}：不存在`, `function ${fn.name}: missing`, { zh: '运行 npm run deploy 创建它。', en: 'Run npm run deploy to create it.' }))
      continue
    }
    const want = repoBuilds.get(fn.name) ?? null
    if (!want) out.push(line('?', `云函数 ${fn.name}：仓库里还没有构建`, `function ${fn.name}: not built in this repo`, undefined))
    else if (got.buildId === want) out.push(line('✓', `云函数 ${fn.name}：运行的是这次构建（${want.slice(0, 8)}）`, `function ${fn.name}: runs this build (${want.slice(0, 8)})`))
    else
      out.push(
        line('✗', `云函数 ${fn.name}：运行的构建 ${got.buildId?.slice(0, 8) ?? '（无编号）'} 不是仓库里的 ${want.slice(0, 8)}`, `function ${fn.name}: runs build ${got.buildId?.slice(0, 8) ?? '(no id)'}, not this repo's ${want.slice(0, 8)}`, {
          zh: '运行 npm run deploy 上传这次构建（本地：重启 npm start）。',
          en: 'Run npm run deploy to upload this build (locally: restart npm start).',
        }),
      )
    const needed = Object.keys(fn.envVariables ?? {})
    const missingRequired = needed.filter((k) => !got.variables.includes(k) && VARIABLES[placeholderOf(fn.envVariables![k]!) ?? k]?.required)
    if (missingRequired.length)
      out.push(line('✗', `云函数 ${fn.name}：缺少环境变量 ${missingRequired.join('、')}`, `function ${fn.name}: variables ${missingRequired.join(', ')} not set`, { zh: `在未提交的 .env 里设置它们，再运行 npm run deploy。`, en: 'Set them in the untracked .env and run npm run deploy again.' }))
    else if (needed.length) out.push(line('✓', `云函数 ${fn.name}：必需的环境变量都已设置`, `function ${fn.name}: the required variables are set`))
    const wanted = fn.permissions ?? []
    if (wanted.length) {
      if (!Array.isArray(got.permissions)) out.push(line('?', `云函数 ${fn.name}：读不到云调用权限（${got.permissions.unknown}）`, `function ${fn.name}: cloud-call permissions unreadable (${got.permissions.unknown})`))
      else {
        const have = new Set(got.permissions)
        const missing = wanted.filter((p) => !have.has(p))
        if (missing.length)
          out.push(line('✗', `云函数 ${fn.name}：云调用权限缺少 ${missing.join('、')}`, `function ${fn.name}: cloud-call permissions missing ${missing.join(', ')}`, { zh: '从开发者工具上传它（右键 → 上传并部署：云端安装依赖），否则这些调用以 -604101 失败。', en: 'Upload it from DevTools (right-click → 上传并部署：云端安装依赖); until then those calls fail with -604101.' }))
        else out.push(line('✓', `云函数 ${fn.name}：云调用权限 ${wanted.length} 项已生效`, `function ${fn.name}: ${wanted.length} cloud-call permissions in force`))
      }
    }
    for (const t of fn.triggers ?? []) {
      if (got.triggers.includes(t.name)) out.push(line('✓', `云函数 ${fn.name}：定时触发器 ${t.name}`, `function ${fn.name}: timer ${t.name}`))
      else out.push(line('✗', `云函数 ${fn.name}：没有定时触发器 ${t.name}`, `function ${fn.name}: timer ${t.name} missing`, { zh: '运行 npm run deploy（它创建 cloudbaserc.json 里的触发器）。', en: 'Run npm run deploy (it creates the triggers of cloudbaserc.json).' }))
    }
  }
  for (const c of project.collections) {
    const got = view.collections.get(c.name)
    if (!got) {
      out.push(line('✗', `集合 ${c.name}：不存在`, `collection ${c.name}: missing`, { zh: '运行 npm run deploy 创建它和它的索引。', en: 'Run npm run deploy to create it with its indexes.' }))
      continue
    }
    const missing = (c.indexes ?? []).map((i) => i.name).filter((n) => !got.indexes.includes(n))
    if (missing.length) out.push(line('✗', `集合 ${c.name}：缺少索引 ${missing.join('、')}`, `collection ${c.name}: indexes ${missing.join(', ')} missing`, { zh: '运行 npm run deploy 创建缺少的索引；没有索引时这些查询在数据多了以后会很慢。', en: 'Run npm run deploy to create them; without them these reads slow down as the data grows.' }))
    if (JSON.stringify(got.rules) !== JSON.stringify(c.rules))
      out.push(line('✗', `集合 ${c.name}：安全规则与 database/collections.json 不同`, `collection ${c.name}: security rules differ from database/collections.json`, { zh: '运行 npm run deploy 重新设置规则（它会覆盖控制台里的修改）。', en: 'Run npm run deploy to set them again (it overwrites changes made in the console).' }))
    if (!missing.length && JSON.stringify(got.rules) === JSON.stringify(c.rules)) out.push(line('✓', `集合 ${c.name}：索引 ${(c.indexes ?? []).length} 个和安全规则`, `collection ${c.name}: ${(c.indexes ?? []).length} indexes and the rules`))
  }
  const m = view.merchant
  if (!m) out.push(line('?', '商户：pay 云函数没有回答', 'merchant: the pay function did not answer'))
  else if (m.state === 'BOUND') out.push(line('✓', '商户：PAY_SUB_MCH_ID 已绑定到这个环境', 'merchant: PAY_SUB_MCH_ID is bound to this environment'))
  else if (m.state === 'NOT_SET') out.push(line('✗', '商户：PAY_SUB_MCH_ID 没有设置', 'merchant: PAY_SUB_MCH_ID is not set', { zh: '在 .env 里设置子商户号，再运行 npm run deploy。', en: 'Set the sub-merchant id in .env and run npm run deploy.' }))
  else if (m.state === 'NOT_BOUND') out.push(line('✗', `商户：PAY_SUB_MCH_ID 没有绑定到这个环境（${m.detail ?? ''}）`, `merchant: PAY_SUB_MCH_ID is not bound to this environment (${m.detail ?? ''})`, { zh: '在 云开发控制台 → 设置 → 其他设置 → 微信支付配置 里绑定它。', en: 'Bind it in 云开发控制台 → 设置 → 其他设置 → 微信支付配置.' }))
  else out.push(line('?', `商户：无法判断（${m.detail ?? ''}）`, `merchant: cannot tell (${m.detail ?? ''})`))
  const keywords = Object.values(KEYWORDS) as string[]
  for (const name of ['SUBSCRIBE_TMPL_PAID', 'SUBSCRIBE_TMPL_REFUNDED']) {
    const id = view.vars[name]
    if (!id) {
      out.push(line('✗', `订阅消息模板 ${name}：没有设置`, `subscribe template ${name}: not set`, { zh: '在 订阅消息 里选用模板，把它的 ID 写进 .env。', en: 'Pick a template in 订阅消息 and put its id in .env.' }))
      continue
    }
    if (!view.templates) {
      out.push(line('?', `订阅消息模板 ${name}：读不到账号的模板列表`, `subscribe template ${name}: the account's templates cannot be read`))
      continue
    }
    const got = view.templates.get(id)
    if (!got) out.push(line('✗', `订阅消息模板 ${name}（${id}）：账号里没有`, `subscribe template ${name} (${id}): not in the account`, { zh: '在 订阅消息 → 我的模板 里确认 ID，或重新选用。', en: 'Check the id in 订阅消息 → 我的模板, or pick it again.' }))
    else {
      const missing = keywords.filter((k) => !got.includes(k))
      if (missing.length) out.push(line('✗', `订阅消息模板 ${name}：没有关键词 ${missing.join('、')}（代码发送 ${keywords.join('、')}）`, `subscribe template ${name}: no keywords ${missing.join(', ')} (the code sends ${keywords.join(', ')})`, { zh: '改 server/pay/messages.ts 的 KEYWORDS 为模板的关键词，或选用有这些关键词的模板。', en: 'Change KEYWORDS in server/pay/messages.ts to the template\'s, or pick a template that has them.' }))
      else out.push(line('✓', `订阅消息模板 ${name}：关键词与代码一致`, `subscribe template ${name}: keywords match the code`))
    }
  }
  if (project.messagePush) {
    const pairs = project.messagePush.pairs.map((p) => `${p.msgType}${p.event ? `/${p.event}` : ''}`).join('、')
    out.push(line('?', `消息推送：无法读取，请在 云开发控制台 → 设置 → 全局设置 → 消息推送 中为 ${pairs} 选择云函数 ${project.messagePush.function}`, `message push: cannot be read; in 云开发控制台 → 设置 → 全局设置 → 消息推送 route ${pairs.replace(/、/g, ', ')} to the function ${project.messagePush.function}`))
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
      const id = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { buildId?: string }).buildId ?? null : null
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
    let probe: { ok?: boolean; data?: { buildId?: string | null; variables?: Record<string, boolean>; merchant?: View['merchant'] } } = {}
    try {
      probe = (await cloud.invoke(fn.name, { action: '$doctor', variables: names }, {}, 'wx_devtools')) as typeof probe
    } catch {
      probe = {}
    }
    const cfg = cloud.functionConfig(fn.name)
    functions.set(fn.name, {
      buildId: probe.data?.buildId ?? null,
      timeout: cfg.timeout,
      variables: Object.entries(probe.data?.variables ?? {}).filter(([, set]) => set).map(([k]) => k),
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
  if (project.functions.some((f) => f.name === 'pay') && existsSync(join(cloud.root, 'cloudfunctions', 'pay', 'index.js'))) {
    const probe = (await cloud.invoke('pay', { action: '$doctor' }, {}, 'wx_devtools')) as { data?: { merchant?: View['merchant'] } }
    merchant = probe.data?.merchant ?? null
  }
  const templates = new Map([...cloud.openapi.templates].map((id) => [id, cloud.openapi.templateKeywords.get(id) ?? []]))
  return { functions, collections, merchant, templates, vars: cloud.vars }
}

export function render(lines: Line[], lang: 'zh' | 'en'): string[] {
  return lines.map((l) => `${l.mark} ${l[lang]}${l.fix ? ` — ${l.fix[lang]}` : ''}`)
}

export const DOCTOR_USAGE = [
  'npm run doctor -- --local            check the local cloud as npm start opens it against what the code needs (PAY_SUB_MCH_ID=… to try a value)',
  'npm run doctor -- --local --json     the same as JSON (for CI); exit code 1 when anything is ✗',
  'npm run doctor -- --local --lang en  in English (Chinese by default)',
  'npm run doctor -- --env <env id>     a real environment: not built yet (#27); npm run deploy -- --dry-run shows what deploy would set',
].join('\n')

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(DOCTOR_USAGE)
    return 0
  }
  if (!argv.includes('--local')) {
    console.error(argv.includes('--env') ? 'npm run doctor -- --env is not built yet (#27): only --local is. For a real environment, npm run deploy -- --dry-run prints what deploy would set, and deploy reads the cloud-call permissions back.' : DOCTOR_USAGE)
    return 2
  }
  const project = readProject()
  const log = console.log
  console.log = () => {} // the functions' one line per invocation
  let view: View
  try {
    // In memory: nothing here needs npm start's data, and opening its files would fold a journal it is still writing.
    view = await localView(openLocalCloud(localVars(process.env)), project)
  } finally {
    console.log = log
  }
  const lines = diagnose(project, view, repoBuilds(process.cwd(), project.functions.map((f) => f.name)))
  if (argv.includes('--json')) console.log(JSON.stringify(lines, null, 2))
  else render(lines, argv.includes('--lang') && argv[argv.indexOf('--lang') + 1] === 'en' ? 'en' : 'zh').forEach((l) => console.log(l))
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
