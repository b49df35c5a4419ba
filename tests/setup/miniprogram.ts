/**
 * One setup for page and component tests: miniprogram-simulate with the official WXML
 * compiler (the real wcc binary rejects bad WXML), `Page`, `App`, `getApp` and
 * `getCurrentPages` shims (simulate has none), and a `wx` whose cloud is a LocalCloud.
 * Use in a test file with `@jest-environment jsdom`.
 */
import { readdirSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { LocalCloud, type Caller, type LocalCloudOptions } from '../../localcloud'
import { createWxFake } from './wx-fake'
import type { WxFake } from './wx-fake-types'
import './canvas-fake'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulate = require('miniprogram-simulate') as {
  load(path: string, tagOrOptions?: string | Record<string, unknown>, options?: Record<string, unknown>): string
  render(id: string, props?: Record<string, unknown>): Rendered
  sleep(ms: number): Promise<void>
}

export interface Rendered {
  instance: Record<string, any>
  data: Record<string, any>
  attach(parent: Element): void
  querySelector(sel: string): RenderedNode | null
  querySelectorAll(sel: string): RenderedNode[]
  dom: HTMLElement
  detach(): void
}
export interface RenderedNode {
  dom: HTMLElement
  data: Record<string, any>
  instance: Record<string, any>
  dispatchEvent(name: string, opts?: Record<string, unknown>): void
  querySelector(sel: string): RenderedNode | null
}

export const MINIPROGRAM = resolve(__dirname, '../../miniprogram')

let app: Record<string, any> | undefined
const pages: Record<string, any>[] = []

const g = globalThis as Record<string, any>
g.App = (options: Record<string, any>) => {
  app = { ...options }
}
g.getApp = () => app
g.getCurrentPages = () => pages
/** Page(options) as a Component whose methods are the page's functions (what simulate can render). */
g.Page = (options: Record<string, any>) => {
  const methods: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(options)) if (typeof v === 'function') methods[k] = v
  return g.Component({ data: options.data ?? {}, methods })
}

let currentFake: WxFake | undefined

export interface World {
  cloud: LocalCloud
  fake: WxFake
}

/** A fresh local cloud and `wx` for a test file, signed in as `user`. */
export function createWorld(user: Caller = { openid: 'o-test-user' }, options: LocalCloudOptions = {}): World {
  const cloud = new LocalCloud(options)
  const fake = createWxFake(cloud, user)
  currentFake = fake
  g.wx = Object.assign(g.wx ?? {}, fake.wx)
  return { cloud, fake }
}

/** Launches app.ts as WeChat would (App() then onLaunch). */
export function launchApp(): Record<string, any> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(join(MINIPROGRAM, 'app'))
  if (!app) throw new Error('app.ts did not call App()')
  app.onLaunch?.call(app, { path: 'pages/index/index', query: {}, scene: 1001 })
  return app
}

const loaded = new Map<string, string>()

/**
 * WeUI's components, which the app takes from WeChat's extended library (`useExtendedLib.weui`:
 * `weui-miniprogram/<name>/<name>` in usingComponents, no package in the project), loaded here
 * from the same npm package. Each is loaded once per test file and handed to every page by id:
 * its code is a webpack bundle whose shared runtime (_commons) stays in the module cache, so a
 * second load would not call Component() again.
 */
const WEUI_DIST = resolve(__dirname, '../../node_modules/weui-miniprogram/miniprogram_dist')
const WEUI_USED = ['cells', 'cell', 'loading']
const fromRoot = (abs: string): string => relative(MINIPROGRAM, abs).split(sep).join('/')
let sharedIds: Record<string, string> | undefined

/**
 * The official compiler (wcc) compiles every WXML file under rootPath at once and skips
 * node_modules: the list is given whole, WeUI's files included, so they go through wcc too.
 */
function wxmlList(): string[] {
  const list: string[] = []
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name))
      else if (e.name.endsWith('.wxml')) list.push(fromRoot(join(dir, e.name)))
    }
  }
  walk(MINIPROGRAM)
  for (const name of WEUI_USED) list.push(fromRoot(join(WEUI_DIST, name, `${name}.wxml`)))
  return list
}

function loadOptions(usingComponents: Record<string, string>): Record<string, unknown> {
  return { rootPath: MINIPROGRAM, compiler: 'official', compilerOptions: { wxmlList: wxmlList() }, usingComponents }
}

/** The project's shared components by the tag every page gives them. */
const SHARED: Record<string, string> = {
  'kit-state': 'components/kit-state/index',
  'kit-privacy': 'components/kit-privacy/index',
}

/**
 * Tag → registered id of each shared component (WeUI's and the project's), loaded once per test
 * file: simulate runs a component's code with require(), and under Jest a second require of the
 * same file returns the cached module without calling Component() again. simulate keeps a
 * usingComponents value that names no file as the id of a registered component.
 */
function shared(): Record<string, string> {
  if (!sharedIds) {
    const ids: Record<string, string> = {}
    // cells before cell (cell.json names cells); WeUI before the project's (kit-state uses mp-loading).
    for (const name of WEUI_USED)
      ids[`mp-${name}`] = simulate.load(join(WEUI_DIST, name, name), `mp-${name}`, loadOptions({ ...ids }))
    for (const [tag, path] of Object.entries(SHARED))
      ids[tag] = simulate.load(join(MINIPROGRAM, path), tag, loadOptions({ ...ids }))
    sharedIds = ids
  }
  return sharedIds
}

/** Loads (once per path and file: simulate cannot load a path twice) and renders a page or component. */
export function render(path: string, props?: Record<string, unknown>): Rendered {
  const sharedTag = Object.keys(SHARED).find((tag) => SHARED[tag] === path)
  let id = sharedTag ? shared()[sharedTag] : loaded.get(path)
  if (!id) loaded.set(path, (id = simulate.load(join(MINIPROGRAM, path), loadOptions({ ...shared() }))))
  // simulate installs its own partial `wx` when loading: put the fake's APIs back on top.
  if (currentFake) g.wx = Object.assign(g.wx ?? {}, currentFake.wx)
  const comp = simulate.render(id, props)
  comp.attach(document.createElement('parent-wrapper'))
  pages.push(comp.instance)
  return comp
}

/** Lets pending promises (cloud calls) settle. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await simulate.sleep(0)
}

/** Waits (in simulated sleeps) until `cond` holds; after `ms` it fails, naming `what`. */
export async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await simulate.sleep(5)
  }
}

export { simulate }

/**
 * The attributes a built-in component (button, input…) was rendered with, evaluated, by their
 * camelCase names (`open-type` → openType), as j-component's virtual tree holds them; the DOM
 * it renders does not carry them.
 */
export function attrsOf(node: RenderedNode | null): Record<string, unknown> {
  const vt = (
    node as unknown as { _exparserNode?: { _vt?: { attrs?: Array<{ name: string; value: unknown }> } } } | null
  )?._exparserNode?._vt
  return Object.fromEntries((vt?.attrs ?? []).map((a) => [a.name, a.value]))
}
