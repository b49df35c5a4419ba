/**
 * The browser half of the page gallery (tests/gallery): lays out the HTML files the gallery test
 * rendered through the page harness, in the browser tests/setup/browser.ts finds.
 *
 *   tsx scripts/gallery-browser.ts measure <dir> <width>        JSON: what overflows its card
 *   tsx scripts/gallery-browser.ts shoot <dir> <width> <out>    PNG screenshots into <out>
 *
 * A separate process because playwright-core does not load under Jest's jsdom environment, which
 * the harness needs. Prints one JSON line on stdout; exits 2 when no browser is found.
 */
import { mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { findBrowser, launchOptions } from '../tests/setup/browser'

export interface Overflow {
  file: string
  problems: string[]
}

/** Run in the page: every text that reaches past its card or touches the screen's edge, and a page wider than the screen. */
function findOverflows(): string[] {
  const problems: string[] = []
  const slack = 1 // px: sub-pixel rounding
  const root = document.documentElement
  if (root.scrollWidth > window.innerWidth + slack)
    problems.push(`page is ${root.scrollWidth}px wide on a ${window.innerWidth}px screen`)
  const cards = Array.from(document.querySelectorAll<HTMLElement>('.card, .kit-state, .weui-cells, .device, .panel'))
  for (const card of cards) {
    const box = card.getBoundingClientRect()
    if (card.scrollWidth > card.clientWidth + slack)
      problems.push(`${card.className}: content ${card.scrollWidth}px in ${card.clientWidth}px`)
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent ?? '').trim()
      if (!text) continue
      const range = document.createRange()
      range.selectNodeContents(n)
      for (const r of Array.from(range.getClientRects())) {
        if (r.width === 0) continue
        if (r.right > box.right + slack || r.left < box.left - slack) {
          problems.push(
            `"${text.slice(0, 40)}" reaches ${Math.round(r.left)}..${Math.round(r.right)} outside ${card.className.split(' ')[0]} ${Math.round(box.left)}..${Math.round(box.right)}`,
          )
          break
        }
      }
    }
  }
  // A button says its label on one line: a label that wraps ("Contact / customer / service") needs
  // shorter words or a layout that gives it room.
  for (const button of Array.from(document.querySelectorAll<HTMLElement>('wx-button'))) {
    const label = (button.textContent ?? '').trim()
    if (!label) continue
    // The lines of its text (not the boxes of elements inside it, such as an avatar's placeholder).
    const tops = new Set<number>()
    const texts = document.createTreeWalker(button, NodeFilter.SHOW_TEXT)
    for (let n = texts.nextNode(); n; n = texts.nextNode()) {
      const range = document.createRange()
      range.selectNodeContents(n)
      for (const r of Array.from(range.getClientRects())) if (r.width > 0) tops.add(Math.round(r.top))
    }
    if (tops.size > 1) problems.push(`button "${label.slice(0, 40)}" wraps to ${tops.size} lines`)
  }
  // A CJK paragraph does not leave one character alone on its last line.
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('wx-text, wx-view'))) {
    if (el.children.length) continue
    const text = (el.textContent ?? '').trim()
    if (text.length < 4 || !/[\u4e00-\u9fff]/.test(text)) continue
    const range = document.createRange()
    range.selectNodeContents(el)
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0)
    if (rects.length < 2) continue
    const last = rects[rects.length - 1]!
    const fontSize = parseFloat(getComputedStyle(el).fontSize) || 14
    // One glyph, perhaps with a closing punctuation mark: at most ~1.6 em wide.
    if (last.width <= fontSize * 1.6 && Math.round(last.top) !== Math.round(rects[0]!.top))
      problems.push(`"${text.slice(0, 24)}" leaves "${text.slice(-2)}" alone on its last line`)
  }
  // Nothing sits against the screen's edge: text outside any card still keeps a margin.
  const edge = 8 // px
  const all = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let n = all.nextNode(); n; n = all.nextNode()) {
    const text = (n.textContent ?? '').trim()
    if (!text || n.parentElement?.closest('script, style')) continue
    // A button's edge is what the eye sees, not its label's.
    const button = n.parentElement?.closest('wx-button')
    const range = document.createRange()
    range.selectNodeContents(n)
    const r = button ? button.getBoundingClientRect() : range.getBoundingClientRect()
    if (r.width > 0 && (r.left < edge || r.right > window.innerWidth - edge))
      problems.push(
        `"${text.slice(0, 40)}" is within ${edge}px of the screen edge (${Math.round(r.left)}..${Math.round(r.right)})`,
      )
  }
  return problems
}

async function main(): Promise<void> {
  const [mode, dirArg, widthArg, outArg] = process.argv.slice(2)
  if ((mode !== 'measure' && mode !== 'shoot') || !dirArg || !widthArg || (mode === 'shoot' && !outArg)) {
    process.stderr.write('usage: gallery-browser.ts measure <dir> <width> | shoot <dir> <width> <out>\n')
    process.exit(1)
  }
  const choice = findBrowser()
  if (choice.kind === 'none') {
    process.stdout.write(JSON.stringify({ error: choice.why }) + '\n')
    process.exit(2)
  }
  const dir = resolve(dirArg)
  const width = Number(widthArg)
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.html'))
    .sort()
  const browser = await chromium.launch(launchOptions(choice))
  try {
    const page = await browser.newPage({ viewport: { width, height: 640 }, deviceScaleFactor: 1 })
    const results: Overflow[] = []
    if (mode === 'shoot') mkdirSync(resolve(outArg!), { recursive: true })
    for (const file of files) {
      await page.goto(pathToFileURL(join(dir, file)).href)
      await page.evaluate(() => document.fonts.ready)
      if (mode === 'measure') results.push({ file, problems: await page.evaluate(findOverflows) })
      else await page.screenshot({ path: join(resolve(outArg!), file.replace(/\.html$/, '.png')), fullPage: true })
    }
    process.stdout.write(JSON.stringify(mode === 'measure' ? { results } : { shot: files.length }) + '\n')
  } finally {
    await browser.close()
  }
}

void main()
