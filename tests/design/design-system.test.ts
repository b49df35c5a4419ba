/**
 * One design system (#17): WeUI from WeChat's extended library, one stylesheet of the kit's own
 * on WeUI's variables, one component for loading, empty and error states. Read from the
 * project's files, so a page that drifts back to its own colours or its own state markup fails.
 * @jest-environment jsdom
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { attrsOf, createWorld, render, settle } from '../setup/miniprogram'

const ROOT = join(__dirname, '..', '..', 'miniprogram')
const WEUI_DIST = join(__dirname, '..', '..', 'node_modules', 'weui-miniprogram', 'miniprogram_dist')

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  )
}
const json = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as { usingComponents?: Record<string, string>; component?: boolean }
const appJson = json(join(ROOT, 'app.json')) as {
  useExtendedLib?: Record<string, boolean>
  pages: string[]
  subPackages: Array<{ root: string; pages: string[] }>
}
const PAGES = [...appJson.pages, ...appJson.subPackages.flatMap((p) => p.pages.map((page) => `${p.root}/${page}`))]

test('WeUI comes from the extended library, not from a package in the mini-program', () => {
  expect(appJson.useExtendedLib?.weui).toBe(true)
  // DevTools refuses a miniprogram_npm/weui-miniprogram next to useExtendedLib.weui.
  expect(existsSync(join(ROOT, 'miniprogram_npm', 'weui-miniprogram'))).toBe(false)
})

test('every WeUI component a page or component names exists in weui-miniprogram', () => {
  const named = files(ROOT, '.json').flatMap((f) =>
    Object.values(json(f).usingComponents ?? {}).filter((p) => p.startsWith('weui-miniprogram/')),
  )
  expect(named.length).toBeGreaterThan(0)
  for (const p of named)
    expect([p, existsSync(join(WEUI_DIST, `${p.slice('weui-miniprogram/'.length)}.json`))]).toEqual([p, true])
})

test('every page uses the design system: kit-state or WeUI components in its JSON', () => {
  expect(PAGES.length).toBe(11)
  for (const page of PAGES) {
    const using = Object.values(json(join(ROOT, `${page}.json`)).usingComponents ?? {})
    expect([page, using.some((p) => p === '/components/kit-state/index' || p.startsWith('weui-miniprogram/'))]).toEqual(
      [page, true],
    )
  }
})

test('no stylesheet sets a colour of its own: colours come from WeUI variables', () => {
  const literal = /#[0-9a-f]{3,8}\b|\brgba?\(|\bhsla?\(/i
  const offenders = files(ROOT, '.wxss').flatMap((f) =>
    readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split('\n')
      .filter((line) => literal.test(line))
      .map((line) => `${relative(ROOT, f)}: ${line.trim()}`),
  )
  expect(offenders).toEqual([])
})

test("one corner radius for every surface (cards, cell groups, device rows): 16rpx, as WeUI's panels", () => {
  const surfaces: string[] = []
  for (const f of files(ROOT, '.wxss')) {
    const css = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
    for (const m of css.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
      const selector = m[1]!.trim()
      const radius = /border-radius:\s*([^;]+)/.exec(m[2]!)?.[1]?.trim()
      if (radius && /\.(card|cells|device|kit-state)\b/.test(selector) && !/avatar/.test(selector))
        surfaces.push(`${selector}: ${radius}`)
    }
  }
  expect(surfaces.length).toBeGreaterThanOrEqual(3)
  expect(surfaces.filter((s) => !s.endsWith(': 16rpx'))).toEqual([])
})

test('loading, empty and error states are kit-state on every page; primary actions are WeChat buttons', () => {
  for (const f of files(join(ROOT, 'pages'), '.wxml')) {
    const wxml = readFileSync(f, 'utf8')
    for (const m of wxml.matchAll(/<([a-z-]+)\b[^>]*\bid="(loading|error|empty|checking|connecting)"/g)) {
      expect([relative(ROOT, f), m[2], m[1]]).toEqual([relative(ROOT, f), m[2], 'kit-state'])
    }
    expect([relative(ROOT, f), /btn-primary/.test(wxml)]).toEqual([relative(ROOT, f), false])
  }
})

describe('kit-state', () => {
  beforeAll(() => createWorld())

  test('loading shows WeUI loading, error a warn icon announced as an alert, empty an info icon; the text as given', async () => {
    const loading = render('components/kit-state/index', { kind: 'loading', text: '加载中…' })
    await settle()
    expect(loading.dom.querySelector('mp-loading')).toBeTruthy()
    expect(loading.dom.textContent).toContain('加载中…')
    expect(attrsOf(loading.querySelector('.kit-state')).ariaRole).toBe('status')

    const error = render('components/kit-state/index', { kind: 'error', text: '网络不可用' })
    await settle()
    expect(error.dom.querySelector('mp-loading')).toBeNull()
    expect(attrsOf(error.querySelector('.kit-state__icon')).type).toBe('warn')
    expect(attrsOf(error.querySelector('.kit-state')).ariaRole).toBe('alert')
    expect(error.dom.textContent).toContain('网络不可用')

    const empty = render('components/kit-state/index', { kind: 'empty', text: '' })
    await settle()
    expect(attrsOf(empty.querySelector('.kit-state__icon')).type).toBe('info')
    expect(empty.querySelector('.kit-state__text')).toBeFalsy()
  })

  test('an unknown kind shows as empty, not as a broken icon', async () => {
    const odd = render('components/kit-state/index', { kind: 'surprise', text: 'x' })
    await settle()
    expect(attrsOf(odd.querySelector('.kit-state__icon')).type).toBe('info')
  })
})

describe('one component convention: prefix kit-, folder = tag, classes prefixed per component', () => {
  /** Every component of the kit: its folder, and the tag each page that uses it gives it. */
  const components = files(ROOT, '.json')
    .filter((f) => json(f).component)
    .map((f) => f.replace(/\.json$/, ''))
  const classesIn = (wxss: string) =>
    new Set(
      [
        ...readFileSync(wxss, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\{[^}]*\}/g, '{}')
          .matchAll(/\.(-?[A-Za-z_][\w-]*)/g),
      ].map((m) => m[1]!),
    )

  test('each component lives in a kit- folder and every page names it by that folder', () => {
    expect(components.length).toBeGreaterThanOrEqual(3)
    for (const c of components)
      expect([relative(ROOT, c), /\/kit-[a-z-]+\/index$/.test(c)]).toEqual([relative(ROOT, c), true])
    for (const f of files(ROOT, '.json')) {
      for (const [tag, path] of Object.entries(json(f).usingComponents ?? {})) {
        if (path.startsWith('weui-miniprogram/')) continue
        expect([relative(ROOT, f), tag]).toEqual([relative(ROOT, f), path.split('/').at(-2)])
      }
    }
  })

  test('a component styles only its own prefixed classes, and no other stylesheet styles them', () => {
    const own = new Map<string, string>()
    for (const c of components) {
      const prefix = c.split('/').at(-2)!
      for (const cls of classesIn(`${c}.wxss`)) {
        expect([
          relative(ROOT, c),
          cls,
          cls === prefix || cls.startsWith(`${prefix}__`) || cls.startsWith(`${prefix}_`),
        ]).toEqual([relative(ROOT, c), cls, true])
        own.set(cls, relative(ROOT, c))
      }
    }
    expect(own.size).toBeGreaterThan(10)
    const others = files(ROOT, '.wxss').filter((f) => !components.some((c) => f === `${c}.wxss`))
    expect(others.map((f) => relative(ROOT, f))).toContain('app.wxss')
    for (const f of others)
      for (const cls of classesIn(f))
        expect([relative(ROOT, f), cls, own.get(cls)]).toEqual([relative(ROOT, f), cls, undefined])
  })
})
