/**
 * Each subpackage carries its own pages' texts (pages/<subpackage>/texts.ts, both languages), and
 * the main package only the main pages', the components' and the shared error sentences (#26):
 * no subpackage text in locales/, no main-package file importing a subpackage's texts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { en } from '../../miniprogram/locales/en'
import { zh_CN } from '../../miniprogram/locales/zh_CN'

const MP = join(__dirname, '..', '..', 'miniprogram')
const app = JSON.parse(readFileSync(join(MP, 'app.json'), 'utf8')) as {
  pages: string[]
  subPackages: Array<{ root: string; pages: string[] }>
}
const roots = app.subPackages.map((p) => p.root.replace(/\/$/, ''))
const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  )
const HAN = /[\u4e00-\u9fff]/

test('the main tables hold only the main pages and the components', () => {
  const mainPages = app.pages.map((p) => p.split('/')[1]!)
  expect(Object.keys(en.pages).filter((k) => !mainPages.includes(k) && k !== 'privacyPopup')).toEqual([])
  expect(Object.keys(zh_CN.pages).sort()).toEqual(Object.keys(en.pages).sort())
  for (const root of roots) expect([root, Object.keys(en.pages).includes(root.split('/')[1]!)]).toEqual([root, false])
})

test.each(roots.filter((r) => existsSync(join(MP, r, 'texts.ts'))).map((r) => [r]))(
  '%s: its texts in both languages, the same keys, none empty, Chinese in Chinese',
  async (root) => {
    const { TEXTS } = (await import(join(MP, root, 'texts.ts'))) as {
      TEXTS: Record<'zh_CN' | 'en', Record<string, string>>
    }
    expect(Object.keys(TEXTS.zh_CN).sort()).toEqual(Object.keys(TEXTS.en).sort())
    for (const t of Object.values(TEXTS)) expect(Object.entries(t).filter(([, v]) => !v)).toEqual([])
    expect(Object.values(TEXTS.zh_CN).filter((v) => HAN.test(v)).length).toBeGreaterThan(
      Object.keys(TEXTS.zh_CN).length / 2,
    )
  },
)

test('every subpackage page with words has its texts.ts; only its own subpackage imports it', () => {
  const withTexts = roots.filter((r) => existsSync(join(MP, r, 'texts.ts')))
  expect(withTexts.length).toBeGreaterThanOrEqual(6)
  const offenders: string[] = []
  for (const file of tsFiles(MP)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/from '([^']+\/texts)'/g)) {
      const target = relative(MP, resolve(dirname(file), m[1]!))
      const owner = roots.find((r) => target.startsWith(`${r}/`))
      if (owner && !relative(MP, file).startsWith(`${owner}/`)) offenders.push(`${relative(MP, file)} → ${target}`)
    }
  }
  expect(offenders).toEqual([])
})

test('no class in the mini-program extends a built-in (Error, Map…): the compiler would add ten Babel helpers to the main package', () => {
  const offenders = tsFiles(MP)
    .filter((f) =>
      /class\s+\w+(<[^>]*>)?\s+extends\s+(Error|TypeError|RangeError|Map|Set|Array|Promise)\b/.test(
        readFileSync(f, 'utf8'),
      ),
    )
    .map((f) => relative(MP, f))
  expect(offenders).toEqual([])
})
