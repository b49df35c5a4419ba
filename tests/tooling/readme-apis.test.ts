/** The API table of docs/wechat-apis (both languages) names every WeChat API a function is allowed to call (config.json). */
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const tableOf = (file: string) => {
  const text = readFileSync(join(ROOT, 'docs', file), 'utf8')
  return text
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .join('\n')
}
const tables = { 'wechat-apis.en.md': tableOf('wechat-apis.en.md'), 'wechat-apis.md': tableOf('wechat-apis.md') }

const apis = new Set<string>()
for (const fn of readdirSync(join(ROOT, 'cloudfunctions'))) {
  const cfg = join(ROOT, 'cloudfunctions', fn, 'config.json')
  if (!existsSync(cfg)) continue
  for (const api of (JSON.parse(readFileSync(cfg, 'utf8')) as { permissions?: { openapi?: string[] } }).permissions
    ?.openapi ?? [])
    apis.add(api)
}

test('there is an API table in each language', () => {
  for (const table of Object.values(tables)) expect(table.length).toBeGreaterThan(1000)
  expect(apis.size).toBeGreaterThan(8)
})

test.each([...apis].sort().flatMap((a) => Object.keys(tables).map((f) => [a, f] as const)))(
  '%s is in the table of %s',
  (api, file) => {
    const [group, name] = api.split('.') as [string, string]
    // A row names the API in full, or its group's row lists it (`customerServiceMessage.send` / `setTyping`, `cloudPay.queryOrder` / `closeOrder`).
    const rows = tables[file as keyof typeof tables].split('\n').filter((l) => l.includes(`\`${group}.`))
    expect(rows.some((r) => r.includes(`\`${api}\``) || r.includes(`\`${name}\``))).toBe(true)
  },
)
