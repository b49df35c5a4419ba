/**
 * The README and the guides in docs/: README.md is Chinese and fits a screen (≤ 12 KB, the first
 * command within 25 lines), README.en.md is its English twin, every guide has both languages
 * linking each other, and every relative link of every file resolves (the file, and the heading
 * an anchor names).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const DOCS = join(ROOT, 'docs')
const HAN = /[\u4e00-\u9fff]/
const README_MAX_BYTES = 12 * 1024
const FIRST_COMMAND_LINE = 25

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

const read = (file: string) => readFileSync(file, 'utf8')
const withoutCode = (text: string) => text.replace(/```[\s\S]*?```/g, '')
const anchorsOf = (file: string) =>
  new Set([...withoutCode(read(file)).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)))
/** Markdown links and images, and HTML src attributes (the gallery grid). */
const linksOf = (text: string) =>
  [...withoutCode(text).matchAll(/\]\(([^)\s]+)\)|\bsrc="([^"]+)"/g)]
    .map((m) => (m[1] ?? m[2])!)
    .filter((l) => !/^[a-z]+:/.test(l))

const guides = readdirSync(DOCS).filter((f) => f.endsWith('.md'))
const MARKDOWN = ['README.md', 'README.en.md', ...guides.map((g) => `docs/${g}`)]

test('README.md is Chinese, one screen long, with its English twin', () => {
  const readme = read(join(ROOT, 'README.md'))
  expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(README_MAX_BYTES)
  const lines = readme.split('\n')
  expect(HAN.test(lines[0]!)).toBe(true)
  const firstCommand = lines.findIndex((l) => /^npm (ci|start|test)\b/.test(l))
  expect(firstCommand).toBeGreaterThanOrEqual(0)
  expect(firstCommand).toBeLessThan(FIRST_COMMAND_LINE)
  // The test command CI runs (.ci/run) is the README's.
  expect(readme).toMatch(/^npm test\b/m)
  expect(read(join(ROOT, '.ci', 'run'))).toMatch(/\bnpm test\b/)
  // Prose lines are Chinese: of the lines with words, most hold Chinese.
  const prose = withoutCode(readme)
    .split('\n')
    .filter((l) => /[A-Za-z\u4e00-\u9fff]{2}/.test(l) && !l.startsWith('|') && !l.startsWith('!['))
  expect(prose.filter((l) => HAN.test(l)).length / prose.length).toBeGreaterThan(0.8)
  expect(readme).toContain('](README.en.md)')
  const en = read(join(ROOT, 'README.en.md'))
  expect(Buffer.byteLength(en)).toBeLessThanOrEqual(README_MAX_BYTES)
  expect(en).toContain('](README.md)')
})

test('every guide is in Chinese with an English twin, and each links the other', () => {
  const twins = guides.filter((g) => g.endsWith('.en.md'))
  expect(twins.length).toBeGreaterThanOrEqual(7)
  for (const en of twins) {
    const zh = en.replace(/\.en\.md$/, '.md')
    expect([en, existsSync(join(DOCS, zh))]).toEqual([en, true])
    expect([zh, read(join(DOCS, zh)).includes(`](${en})`)]).toEqual([zh, true])
    expect([en, read(join(DOCS, en)).includes(`](${zh})`)]).toEqual([en, true])
  }
  for (const zh of guides.filter((g) => !g.endsWith('.en.md'))) {
    const text = withoutCode(read(join(DOCS, zh)))
    expect([zh, (text.match(/[\u4e00-\u9fff]/g) ?? []).length > 200]).toEqual([zh, true])
  }
})

test('the READMEs link every guide', () => {
  for (const [readme, suffix] of [
    ['README.md', '.md'],
    ['README.en.md', '.en.md'],
  ] as const) {
    const text = read(join(ROOT, readme))
    for (const g of guides.filter((x) => x.endsWith('.en.md'))) {
      const name = suffix === '.md' ? g.replace(/\.en\.md$/, '.md') : g
      expect([readme, text.includes(`](docs/${name})`)]).toEqual([readme, true])
    }
  }
})

const links = MARKDOWN.flatMap((file) => linksOf(read(join(ROOT, file))).map((link) => [file, link] as const))

test('there are links to check', () => {
  expect(links.length).toBeGreaterThan(40)
  expect(links.some(([, l]) => l.includes('#'))).toBe(true)
})

test.each(links)('%s → %s resolves', (file, link) => {
  const [path, anchor] = link.split('#') as [string, string | undefined]
  const target = path ? join(dirname(join(ROOT, file)), decodeURI(path)) : join(ROOT, file)
  expect([relative(ROOT, target), existsSync(target)]).toEqual([relative(ROOT, target), true])
  if (anchor !== undefined && target.endsWith('.md'))
    expect([...anchorsOf(target)]).toContain(decodeURIComponent(anchor))
})

test('slugs follow GitHub', () => {
  expect(slug('What is still unverified without a real account')).toBe(
    'what-is-still-unverified-without-a-real-account',
  )
  expect(slug('从合作小程序进入（场景 1037）')).toBe('从合作小程序进入场景-1037')
  expect(slug('Cards (卡券): what a real account needs')).toBe('cards-卡券-what-a-real-account-needs')
})

test('every route of the local server is in the local-mode guide, in both languages', () => {
  const routeFiles = readdirSync(join(ROOT, 'localcloud', 'routes')).map((f) => join(ROOT, 'localcloud', 'routes', f))
  const server = [join(ROOT, 'localcloud', 'server.ts'), ...routeFiles].map(read).join('\n')
  const routes = [...server.matchAll(/app\.(get|post)(?:<[^(]*>)?\('([^']+)'/g)]
    .map((m) => m[2]!)
    .filter((r) => r !== '/')
  expect(routes.length).toBeGreaterThan(20)
  // A route with a `:param` or `*` is documented by its fixed part and a value (`/api/pay/<orderId>`, `/api/open-data/werun`).
  const documented = (text: string, r: string) => {
    const fixed = r.split(/[:*]/)[0]!
    return fixed === r
      ? new RegExp(`\`(GET|POST) ${r.replace(/[.?]/g, '\\$&')}[\`?]`).test(text)
      : text.includes(`${fixed}`) && new RegExp(`${fixed.replace(/[.?]/g, '\\$&')}[<a-z]`).test(text)
  }
  for (const guide of ['start.md', 'start.en.md']) {
    const text = read(join(DOCS, guide))
    expect([guide, routes.filter((r) => !documented(text, r))]).toEqual([guide, []])
  }
})
