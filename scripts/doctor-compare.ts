/**
 * `npm run doctor -- --mode prod --against dev` (issue #27): two environments side by side, so a
 * move from test to production is checked rather than repeated by hand (CloudBase's guide: indexes
 * and database permissions "need to be manually reconfigured in the target environment"). Each
 * line is ✓ (the same in both) or ✗ naming what differs and which side is behind; values are never
 * printed, only names, build ids and states.
 */
import type { Project } from './deploy-config'
import type { Line, View } from './doctor-view'

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n')
const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x))
const lineOf = (ok: boolean, zh: string, en: string, fix?: { zh: string; en: string }): Line => ({
  mark: ok ? '✓' : '✗',
  zh,
  en,
  ...(!ok && fix ? { fix } : {}),
})

/** What differs between `a` and `b` (named `names[0]` and `names[1]`) for what `project` needs. */
export function compareViews(project: Project, a: View, b: View, names: [string, string]): Line[] {
  const [na, nb] = names
  const out: Line[] = []
  const redeploy = (behind: string) => ({
    zh: `对落后的一方运行 npm run deploy（${behind}）。`,
    en: `Run npm run deploy for the one behind (${behind}).`,
  })
  for (const fn of project.functions) {
    const fa = a.functions.get(fn.name)
    const fb = b.functions.get(fn.name)
    if (!fa || !fb) {
      const missing = !fa && !fb ? `${na}, ${nb}` : !fa ? na : nb
      out.push(
        lineOf(
          false,
          `云函数 ${fn.name}：${missing} 没有`,
          `function ${fn.name}: missing in ${missing}`,
          redeploy(missing),
        ),
      )
      continue
    }
    const diffs: Array<[string, string]> = []
    if (fa.buildId !== fb.buildId)
      diffs.push([
        `构建 ${fa.buildId?.slice(0, 8) ?? '（无）'} / ${fb.buildId?.slice(0, 8) ?? '（无）'}`,
        `build ${fa.buildId?.slice(0, 8) ?? '(none)'} / ${fb.buildId?.slice(0, 8) ?? '(none)'}`,
      ])
    if (fa.runtime !== fb.runtime || fa.timeout !== fb.timeout)
      diffs.push([
        `运行时/超时 ${fa.runtime ?? '?'} ${fa.timeout ?? '?'}s / ${fb.runtime ?? '?'} ${fb.timeout ?? '?'}s`,
        `runtime/timeout ${fa.runtime ?? '?'} ${fa.timeout ?? '?'}s / ${fb.runtime ?? '?'} ${fb.timeout ?? '?'}s`,
      ])
    const needed = Object.keys(fn.envVariables ?? {})
    const va = needed.filter((k) => fa.variables.includes(k))
    const vb = needed.filter((k) => fb.variables.includes(k))
    if (!same(va, vb)) {
      const onlyA = minus(va, vb)
      const onlyB = minus(vb, va)
      const say = [
        onlyA.length ? `${onlyA.join(', ')} only in ${na}` : '',
        onlyB.length ? `${onlyB.join(', ')} only in ${nb}` : '',
      ]
        .filter(Boolean)
        .join('; ')
      diffs.push([`环境变量 ${say.replace(/only in/g, '只在')}`, `variables ${say}`])
    }
    const pa = Array.isArray(fa.permissions) ? fa.permissions : null
    const pb = Array.isArray(fb.permissions) ? fb.permissions : null
    if (pa && pb && !same(pa, pb))
      diffs.push([`云调用权限 ${pa.length} / ${pb.length} 项`, `cloud-call permissions ${pa.length} / ${pb.length}`])
    if (!same(fa.triggers, fb.triggers))
      diffs.push([
        `定时触发器 ${fa.triggers.join(',') || '无'} / ${fb.triggers.join(',') || '无'}`,
        `timers ${fa.triggers.join(',') || 'none'} / ${fb.triggers.join(',') || 'none'}`,
      ])
    if (diffs.length)
      out.push(
        lineOf(
          false,
          `云函数 ${fn.name}（${na} / ${nb}）：${diffs.map((d) => d[0]).join('；')}`,
          `function ${fn.name} (${na} / ${nb}): ${diffs.map((d) => d[1]).join('; ')}`,
          redeploy(`${na} / ${nb}`),
        ),
      )
    else out.push(lineOf(true, `云函数 ${fn.name}：两边相同`, `function ${fn.name}: the same in both`))
  }
  for (const c of project.collections) {
    const ca = a.collections.get(c.name)
    const cb = b.collections.get(c.name)
    if (!ca || !cb) {
      const missing = !ca && !cb ? `${na}, ${nb}` : !ca ? na : nb
      out.push(
        lineOf(
          false,
          `集合 ${c.name}：${missing} 没有`,
          `collection ${c.name}: missing in ${missing}`,
          redeploy(missing),
        ),
      )
      continue
    }
    const wanted = (c.indexes ?? []).map((i) => i.name)
    const ia = wanted.filter((n) => ca.indexes.includes(n))
    const ib = wanted.filter((n) => cb.indexes.includes(n))
    const rulesSame = JSON.stringify(ca.rules) === JSON.stringify(cb.rules)
    if (same(ia, ib) && rulesSame)
      out.push(
        lineOf(
          true,
          `集合 ${c.name}：索引和安全规则两边相同`,
          `collection ${c.name}: indexes and rules the same in both`,
        ),
      )
    else {
      const en = [
        !same(ia, ib) ? `indexes ${ia.length} / ${ib.length} of ${wanted.length}` : '',
        !rulesSame ? 'security rules differ' : '',
      ]
        .filter(Boolean)
        .join('; ')
      const zh = [
        !same(ia, ib) ? `索引 ${ia.length} / ${ib.length}（共 ${wanted.length}）` : '',
        !rulesSame ? '安全规则不同' : '',
      ]
        .filter(Boolean)
        .join('；')
      out.push(
        lineOf(
          false,
          `集合 ${c.name}（${na} / ${nb}）：${zh}`,
          `collection ${c.name} (${na} / ${nb}): ${en}`,
          redeploy(`${na} / ${nb}`),
        ),
      )
    }
  }
  const ma = a.merchant?.state ?? 'UNKNOWN'
  const mb = b.merchant?.state ?? 'UNKNOWN'
  out.push(
    lineOf(ma === mb, `商户绑定：${na} ${ma} / ${nb} ${mb}`, `merchant binding: ${na} ${ma} / ${nb} ${mb}`, {
      zh: '在未绑定的环境里绑定子商户号（云开发控制台 → 设置 → 其他设置 → 微信支付配置）。',
      en: 'Bind the sub-merchant id where it is not bound (云开发控制台 → 设置 → 其他设置 → 微信支付配置).',
    }),
  )
  for (const name of ['SUBSCRIBE_TMPL_PAID', 'SUBSCRIBE_TMPL_REFUNDED']) {
    const ka = a.templates?.get(a.vars[name] ?? '') ?? null
    const kb = b.templates?.get(b.vars[name] ?? '') ?? null
    if (!ka || !kb)
      out.push({
        mark: '?',
        zh: `订阅消息模板 ${name}：至少一边读不到`,
        en: `subscribe template ${name}: cannot be read on at least one side`,
      })
    else
      out.push(
        lineOf(
          same(ka, kb),
          `订阅消息模板 ${name}：关键词${same(ka, kb) ? '两边相同' : '不同'}`,
          `subscribe template ${name}: keywords ${same(ka, kb) ? 'the same in both' : 'differ'}`,
          { zh: '两边选用关键词相同的模板。', en: 'Pick templates with the same keywords in both.' },
        ),
      )
  }
  return out
}
