/** The README's API table names every WeChat API a function is allowed to call (config.json). */
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const table = readme.slice(readme.indexOf('## WeChat APIs: documents, sandboxes, what is unverified'), readme.indexOf('## What else is unverified'))

const apis = new Set<string>()
for (const fn of readdirSync(join(ROOT, 'cloudfunctions'))) {
  const cfg = join(ROOT, 'cloudfunctions', fn, 'config.json')
  if (!existsSync(cfg)) continue
  for (const api of (JSON.parse(readFileSync(cfg, 'utf8')) as { permissions?: { openapi?: string[] } }).permissions?.openapi ?? []) apis.add(api)
}

test('there is an API table', () => {
  expect(table.length).toBeGreaterThan(1000)
  expect(apis.size).toBeGreaterThan(8)
})

test.each([...apis].sort().map((a) => [a]))('%s is in the table', (api) => {
  const [group, name] = api.split('.') as [string, string]
  // A row names the API in full, or its group's row lists it (`customerServiceMessage.send` / `setTyping`, `cloudPay.queryOrder` / `closeOrder`).
  const rows = table.split('\n').filter((l) => l.startsWith('| ') && l.includes(`\`${group}.`))
  expect(rows.some((r) => r.includes(`\`${api}\``) || r.includes(`\`${name}\``))).toBe(true)
})
