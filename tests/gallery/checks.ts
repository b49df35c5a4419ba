/**
 * What the gallery checks on the pages it renders (gallery.browser.test.ts): English words left
 * on a Chinese page (names and data aside), and the browser's measurements of the written HTML
 * (scripts/gallery-browser.ts measure: overflow, wrapped buttons, a CJK character alone on a line).
 */
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'

const ROOT = resolve(__dirname, '..', '..')

/**
 * Words in Latin letters on a Chinese page that are not names or data: brand and protocol names
 * (WeChat's own English product names included), ids that carry digits, the other user's name.
 */
const NAMES = new Set(['ELK', 'BLEDOM', 'BLEDOB', 'Triones', 'SOTER', 'Lin', 'English', 'ID', 'iOS', 'Android', 'dBm'])
export function englishWords(text: string): string[] {
  // Whole tokens, digits included: an order id (20261205103000hmohjwxmqkze) is one token with
  // digits, not the word "hmohjwxmqkze" (which its random tail made about 3% of the time).
  return [...text.matchAll(/[A-Za-z0-9][A-Za-z0-9_-]*/g)]
    .map((m) => m[0])
    .filter((w) => /[A-Za-z]/.test(w) && !/\d/.test(w) && !w.split('-').every((p) => NAMES.has(p)))
}
/** The page's texts, one node at a time (textContent runs neighbours together: "ELK-BLEDOMELK-BLEDOM"). */
export function textNodes(root: Element): string {
  const out: string[] = []
  const walker = root.ownerDocument.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */)
  for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n.textContent ?? '')
  return out.join(' ')
}

/** The browser's problems with each HTML file of `dir` at this screen width (px). */
export function measure(dir: string, width: number): Array<{ file: string; problems: string[] }> {
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(ROOT, 'scripts', 'gallery-browser.ts'),
      'measure',
      dir,
      String(width),
    ],
    { encoding: 'utf8', timeout: 120_000 },
  )
  expect([run.status, run.stderr.slice(0, 500)]).toEqual([0, ''])
  return (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { results: Array<{ file: string; problems: string[] }> })
    .results
}
