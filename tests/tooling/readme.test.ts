/** Every internal link of README.md resolves: #anchors to a heading, relative paths to a file. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

const withoutCode = readme.replace(/```[\s\S]*?```/g, '')
const anchors = new Set([...withoutCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)))
const links = [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l))

test('the README has internal links to check', () => {
  expect(links.filter((l) => l.startsWith('#')).length).toBeGreaterThan(3)
})

test.each(links.map((l) => [l]))('%s resolves', (link) => {
  const [path, anchor] = link.split('#') as [string, string | undefined]
  if (path) expect(existsSync(join(ROOT, path))).toBe(true)
  else expect([...anchors]).toContain(anchor)
})

test('slugs follow GitHub', () => {
  expect(slug('What is still unverified without a real account')).toBe('what-is-still-unverified-without-a-real-account')
  expect(slug('Open it in WeChat DevTools')).toBe('open-it-in-wechat-devtools')
})
