import { checkMiniprogram, SYNTAX_VERSION, syntaxErrors } from '../../scripts/check-syntax'

test('the check parses with TypeScript 4.4', () => {
  expect(SYNTAX_VERSION).toMatch(/^4\.4\./)
})

test('every mini-program file parses with it', () => {
  expect(checkMiniprogram()).toEqual([])
})

test.each([
  ['satisfies (4.9)', 'const a = { b: 1 } satisfies Record<string, number>\n'],
  ['using (5.2)', 'function f() {\n  using r = open()\n}\n'],
  ['const type parameters (5.0)', 'function f<const T>(x: T) { return x }\n'],
  ['accessor fields (4.9)', 'class A {\n  accessor x = 1\n}\n'],
])('newer syntax is reported with its line: %s', (_name, source) => {
  const errors = syntaxErrors('pages/x.ts', source)
  expect(errors.length).toBeGreaterThan(0)
  expect(errors[0]).toMatch(/^pages\/x\.ts:\d+:\d+ /)
})

test('4.4 syntax passes (optional chaining, ?? , type-only imports, template literal types)', () => {
  expect(syntaxErrors('ok.ts', "import type { A } from './a'\nconst x = a?.b ?? 1\ntype T = `on${string}`\n")).toEqual(
    [],
  )
})
