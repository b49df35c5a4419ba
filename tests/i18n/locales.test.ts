/**
 * The locale tables: Chinese first, English second, the same keys in both, a sentence for every
 * error code the pages can meet (tsc checks it through the Messages type; this test checks the
 * same list independently, from the contracts in typings/), and the language choice.
 */
import ts from 'typescript'
import { join } from 'node:path'
import { en } from '../../miniprogram/locales/en'
import { zh_CN } from '../../miniprogram/locales/zh_CN'
import { errorText, locale, localeOfWeChat, resetLocale, setLocale } from '../../miniprogram/lib/i18n'
import { createWorld } from '../setup/miniprogram'

const ROOT = join(__dirname, '..', '..')

/** Every string-literal error code of every action, read from typings/functions.ts with the type checker, plus the router's and transport's. */
function errorCodes(): string[] {
  const program = ts.createProgram([join(ROOT, 'typings/functions.ts'), join(ROOT, 'typings/contract.ts')], {
    strict: true,
  })
  const checker = program.getTypeChecker()
  const codes = new Set<string>()
  const literals = (t: ts.Type) =>
    (t.isUnion() ? t.types : [t]).filter((p): p is ts.StringLiteralType => p.isStringLiteral()).map((p) => p.value)
  for (const file of ['typings/functions.ts', 'typings/contract.ts']) {
    const src = program.getSourceFile(join(ROOT, file))!
    ts.forEachChild(src, (n) => {
      if (ts.isInterfaceDeclaration(n) && n.name.text === 'Functions') {
        for (const fn of checker.getTypeAtLocation(n).getProperties()) {
          for (const action of checker.getTypeOfSymbolAtLocation(fn, n).getProperties()) {
            const err = checker.getTypeOfSymbolAtLocation(action, n).getProperty('err')
            if (err) literals(checker.getTypeOfSymbolAtLocation(err, n)).forEach((c) => codes.add(c))
          }
        }
      }
      if (ts.isTypeAliasDeclaration(n) && (n.name.text === 'RouterErrorCode' || n.name.text === 'TransportErrorCode'))
        literals(checker.getTypeAtLocation(n)).forEach((c) => codes.add(c))
    })
  }
  return [...codes].sort()
}

const keysOf = (o: object, prefix = ''): string[] =>
  Object.entries(o)
    .flatMap(([k, v]) => (v && typeof v === 'object' ? keysOf(v as object, `${prefix}${k}.`) : [`${prefix}${k}`]))
    .sort()

test('both locales have the same keys, and no empty text', () => {
  expect(keysOf(en)).toEqual(keysOf(zh_CN))
  for (const table of [en, zh_CN])
    for (const k of keysOf(table)) expect(k.split('.').reduce<any>((o, p) => o[p], table)).not.toBe('')
})

test('every error code in typings/ has a sentence in both locales', () => {
  const codes = errorCodes()
  expect(codes.length).toBeGreaterThan(50)
  expect(codes.filter((c) => !(c in zh_CN.errors))).toEqual([])
  expect(codes.filter((c) => !(c in en.errors))).toEqual([])
  // Chinese sentences are Chinese.
  for (const c of codes) expect((zh_CN.errors as Record<string, string>)[c]).toMatch(/[\u4e00-\u9fff]/)
})

describe('the language', () => {
  const world = createWorld()
  afterEach(() => {
    resetLocale()
    world.fake.storage = {}
    world.fake.language = 'en'
  })

  test('Chinese by default, English for any English WeChat', () => {
    expect(['zh_CN', 'zh_TW', 'zh_HK', '', undefined, 'ja'].map((l) => localeOfWeChat(l))).toEqual([
      'zh_CN',
      'zh_CN',
      'zh_CN',
      'zh_CN',
      'zh_CN',
      'zh_CN',
    ])
    expect(['en', 'en_US', 'en_GB'].map((l) => localeOfWeChat(l))).toEqual(['en', 'en', 'en'])
    world.fake.language = 'zh_CN'
    resetLocale()
    expect(locale()).toBe('zh_CN')
    expect(errorText({ code: 'ORDER_NOT_FOUND', message: 'server words' })).toBe(
      '订单不存在或不属于你，可在“我的订单”中查看。',
    )
  })

  test("the user's choice is remembered across launches", () => {
    world.fake.language = 'zh_CN'
    setLocale('en')
    resetLocale()
    expect(locale()).toBe('en')
    expect(world.fake.storage.locale).toBe('en')
  })

  test("a code this version does not know falls back to the server's message", () => {
    expect(errorText({ code: 'SOMETHING_NEW', message: 'Server says so.' })).toBe('Server says so.')
    expect(errorText({ code: 'SOMETHING_NEW' })).toBe(en.errors.INTERNAL)
  })
})
