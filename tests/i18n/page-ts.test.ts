/**
 * Page and component TypeScript words nothing itself: a sentence a user reads comes from the locale
 * tables (#17). The check looks for string and template literals that read like English or
 * Chinese prose (two or more words starting with a capital, or any Chinese character) in every
 * .ts file under miniprogram/ except the tables themselves and the files listed below, which hold
 * text for developers and logs only.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const ROOT = join(__dirname, '..', '..', 'miniprogram')

/** Text for developers, logs or local mode, never shown to a user of a deployed mini-program. */
const DEVELOPER_TEXT: Record<string, string> = {
  'config/env.ts': 'the setup sentence for a developer who has not configured an env id',
  'app.ts': 'a console line for local mode',
  'lib/transport.ts': "the transport errors' log messages (pages show errorText(code))",
  'lib/call.ts': 'a log message for an answer of the wrong shape (pages show errorText(code))',
  'lib/cloud-local.ts': 'the local-mode payment modal, in DevTools only',
  'config/partners.ts': "the sample partner of local mode, named in each language as a real partner's entry is",
}

const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  )

/** Literals that read like prose: in quotes or backticks, comments removed. */
export function proseLiterals(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  const found: string[] = []
  for (const m of code.matchAll(/'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) {
    const text = (m[1] ?? m[2] ?? m[3] ?? '').replace(/\$\{[^}]*\}/g, ' ')
    if (/\p{Script=Han}/u.test(text) || /\b[A-Z][a-z]+\b[^\n]*\b[a-z]{2,}\b[^\n]*\s/.test(text)) found.push(text)
  }
  return found
}

const files = tsFiles(ROOT)
  .map((f) => relative(ROOT, f).split('\\').join('/'))
  // The tables themselves: locales/ (the main package's) and each subpackage's pages/<root>/texts.ts.
  .filter((f) => !f.startsWith('locales/') && !/^pages\/[^/]+\/texts\.ts$/.test(f))
  .sort()

test('the detector finds sentences, not identifiers, states or selectors', () => {
  expect(proseLiterals("const a = 'Payment did not go through. Try again.'")).toEqual([
    'Payment did not go through. Try again.',
  ])
  expect(proseLiterals('const b = `Order ${id} paid today`')).toHaveLength(1)
  expect(proseLiterals("const c = '已支付'")).toEqual(['已支付'])
  expect(
    proseLiterals("if (s === 'LOADING' || m === 'bar') wx.navigateTo({ url: '/pages/pay/index' }) // Some words here"),
  ).toEqual([])
})

test.each(files.filter((f) => !(f in DEVELOPER_TEXT)).map((f) => [f]))(
  '%s has no user-facing sentence of its own',
  (file) => {
    expect(proseLiterals(readFileSync(join(ROOT, file), 'utf8'))).toEqual([])
  },
)

test('every file excused above exists and still needs the excuse', () => {
  for (const file of Object.keys(DEVELOPER_TEXT)) {
    expect(files).toContain(file)
    expect(proseLiterals(readFileSync(join(ROOT, file), 'utf8')).length).toBeGreaterThan(0)
  }
})
