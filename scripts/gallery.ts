/**
 * `npm run gallery`: every page in its main states and both languages, as screenshots.
 * They go to .reports/gallery-shots/ (untracked), so a run never leaves the tree dirty; with
 * UPDATE_GALLERY=1 they replace docs/gallery/ and the grid of docs/gallery.md and
 * docs/gallery.en.md (between the gallery markers).
 *
 * 1. Runs the gallery test (tests/gallery/gallery.browser.test.ts): the pages render through the
 *    page tests' harness into HTML files in .reports/gallery/, and the overflow check runs.
 * 2. Screenshots each file at 375 px with the browser tests/setup/browser.ts finds
 *    (scripts/gallery-browser.ts).
 * 3. With UPDATE_GALLERY=1, writes the grid: one row per state, Chinese and English side by side.
 * The renders approximate WeChat's (see tests/gallery/html.ts); DevTools is the reference.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(__dirname, '..')
const HTML = join(ROOT, '.reports', 'gallery')
const UPDATE = process.env.UPDATE_GALLERY === '1'
const SHOTS = UPDATE ? join(ROOT, 'docs', 'gallery') : join(ROOT, '.reports', 'gallery-shots')
/** The width of the screenshots (px): a common phone, and the width rpx is defined against. */
const SHOT_WIDTH_PX = 375
const PAGES = [join(ROOT, 'docs', 'gallery.md'), join(ROOT, 'docs', 'gallery.en.md')]
const BEGIN = '<!-- gallery:begin (npm run gallery writes this grid) -->'
const END = '<!-- gallery:end -->'
/** Width of each image in the grid (px). */
const GRID_IMAGE_PX = 240

const node = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env })

function main(): void {
  rmSync(HTML, { recursive: true, force: true })
  const jest = node([join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), 'tests/gallery'], {
    ...process.env,
    GALLERY_HTML: HTML,
  })
  if (jest.status !== 0) {
    process.stderr.write(jest.stdout)
    throw new Error('the gallery test failed (above); nothing was screenshot')
  }
  mkdirSync(SHOTS, { recursive: true })
  for (const f of readdirSync(SHOTS, { withFileTypes: true })) if (f.name.endsWith('.png')) rmSync(join(SHOTS, f.name))
  const shoot = node([
    join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    join(ROOT, 'scripts', 'gallery-browser.ts'),
    'shoot',
    HTML,
    String(SHOT_WIDTH_PX),
    SHOTS,
  ])
  if (shoot.status !== 0) throw new Error(`screenshots failed: ${shoot.stdout.trim()}`)
  const rendered = JSON.parse(readFileSync(join(HTML, 'index.json'), 'utf8')) as Array<{
    file: string
    name: string
    locale: string
    state: string
  }>
  const names = [...new Set(rendered.map((r) => r.name))]
  const img = (name: string, locale: string) =>
    `<img src="gallery/${name}-${locale}.png" width="${GRID_IMAGE_PX}" alt="${name} (${locale})">`
  const rows = names.map(
    (n) => `<tr><td><code>${n}</code></td><td>${img(n, 'zh_CN')}</td><td>${img(n, 'en')}</td></tr>`,
  )
  const grid = [
    BEGIN,
    `<table><tr><th>page-state</th><th>简体中文</th><th>English</th></tr>`,
    ...rows,
    '</table>',
    END,
  ].join('\n')
  if (!UPDATE) {
    process.stdout.write(
      `gallery: ${rendered.length} screenshots in .reports/gallery-shots/ (UPDATE_GALLERY=1 npm run gallery replaces docs/gallery/)\n`,
    )
    return
  }
  for (const page of PAGES) {
    const text = readFileSync(page, 'utf8')
    const start = text.indexOf(BEGIN)
    const stop = text.indexOf(END)
    if (start < 0 || stop < start) throw new Error(`${page} has no gallery markers (${BEGIN} … ${END})`)
    writeFileSync(page, text.slice(0, start) + grid + text.slice(stop + END.length))
  }
  process.stdout.write(
    `gallery: ${rendered.length} screenshots in docs/gallery/, grids of docs/gallery.md and gallery.en.md updated\n`,
  )
}

main()
