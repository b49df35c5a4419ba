/**
 * npm run doctor's checks (scripts/doctor.ts): what an environment says about itself (`View`),
 * compared with what this repo needs, as ✓ / ✗ / ? lines in Chinese and English with the fix for a
 * ✗: the functions (build, timeout, variables, permissions, timers), the collections (indexes,
 * rules), the merchant binding, the subscribe templates, HTTP access and the message-push routing.
 * Pure: the views are read by doctor.ts (local) and doctor-env.ts (a real environment).
 */
import { KEYWORDS } from '../server/pay/messages'
import { isRequired, type Project } from './deploy-config'
import { HTTP_ENTRIES } from './deploy-plan'
import { line, type Line, type View } from './doctor-view'

/** Every check of `view` against what `project` (this repo) needs. */
export function diagnose(project: Project, view: View, repoBuilds: Map<string, string | null>): Line[] {
  return [
    ...checkFunctions(project, view, repoBuilds),
    ...checkCollections(project, view),
    ...checkMerchant(view),
    ...checkTemplates(view),
    ...checkHttpAccess(project, view),
    ...checkMessagePush(project),
  ]
}

/** Each function: deployed, this build, its timeout, variables, permissions and timers. */
function checkFunctions(project: Project, view: View, repoBuilds: Map<string, string | null>): Line[] {
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
  return out
}

/** Each collection: there, with its indexes and security rules. */
function checkCollections(project: Project, view: View): Line[] {
  const out: Line[] = []
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
  return out
}

/** The merchant binding, from the pay function's probe. */
function checkMerchant(view: View): Line[] {
  const out: Line[] = []
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
  return out
}

/** The subscribe templates' ids and keywords against what server/pay/messages.ts sends. */
function checkTemplates(view: View): Line[] {
  const out: Line[] = []
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
  return out
}

/** The HTTP access paths the functions need (payNotify for APIv3). */
function checkHttpAccess(project: Project, view: View): Line[] {
  const out: Line[] = []
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
  return out
}

/** The message-push routing, which cannot be read: what to enter in the console. */
function checkMessagePush(project: Project): Line[] {
  const out: Line[] = []
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
