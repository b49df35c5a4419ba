/**
 * No text literal in any WXML file of the mini-program: every word between tags and in the
 * text-bearing attributes comes from the locale tables (#17). Strings inside bindings are not
 * inspected (they are mostly state names compared with ===); page TypeScript is held to the same
 * rule by review and by the page tests, which render in both languages.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const ROOT = join(__dirname, '..', '..', 'miniprogram')

const TEXT_ATTRS = [
  'placeholder',
  'aria-label',
  'send-message-title',
  'feature',
  'title',
  'confirm-text',
  'cancel-text',
]

/** The literal words of a WXML file: text between tags and text-bearing attributes, bindings removed. */
export function literals(wxml: string): string[] {
  const noComments = wxml.replace(/<!--[\s\S]*?-->/g, '')
  const found: string[] = []
  for (const m of noComments.matchAll(/\s([a-z-]+)="([^"]*)"/g)) {
    if (TEXT_ATTRS.includes(m[1]!) && /\p{L}/u.test(m[2]!.replace(/\{\{[\s\S]*?\}\}/g, '')))
      found.push(`${m[1]}="${m[2]}"`)
  }
  const text = noComments.replace(/<[^>]*>/g, '\n').replace(/\{\{[\s\S]*?\}\}/g, '')
  for (const line of text.split('\n')) if (/\p{L}/u.test(line)) found.push(line.trim())
  return found
}

const wxmlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? wxmlFiles(join(dir, e.name)) : e.name.endsWith('.wxml') ? [join(dir, e.name)] : [],
  )

const files = wxmlFiles(ROOT)
  .map((f) => relative(ROOT, f).split('\\').join('/'))
  .sort()

test('the detector finds words between tags and in text attributes, not in bindings', () => {
  expect(literals('<view>{{t.a}}</view><text class="x">›</text>')).toEqual([])
  expect(literals('<view>Hello {{name}}</view>')).toEqual(['Hello'])
  expect(literals('<input placeholder="Choose one" /><input placeholder="{{t.p}}" />')).toEqual([
    'placeholder="Choose one"',
  ])
  expect(literals('<view>你好</view>')).toEqual(['你好'])
})

test.each(files.map((f) => [f]))('%s has no text literal', (file) => {
  expect(literals(readFileSync(join(ROOT, file), 'utf8'))).toEqual([])
})
