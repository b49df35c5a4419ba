/**
 * Which browser the console's browser test drives (playwright-core; nothing is downloaded):
 *   1. CHROMIUM_PATH;
 *   2. `chromium`, `chromium-browser` or `google-chrome` on PATH (Debian's chromium: .ci/run installs it);
 *   3. an installed Google Chrome or Microsoft Edge, through playwright-core's `channel: 'chrome'`
 *      / `'msedge'` (the places below are the ones playwright-core itself looks in, so macOS and
 *      Windows machines with DevTools beside Chrome or Edge are covered).
 * Found synchronously, so a test file can decide between `test` and `test.skip` when it loads.
 */
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { LaunchOptions } from 'playwright-core'

export type BrowserChoice =
  | { kind: 'path'; path: string; via: string }
  | { kind: 'channel'; channel: 'chrome' | 'msedge'; path: string }
  | { kind: 'none'; why: string }

const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome']

/** Where Chrome and Edge install themselves (playwright-core's registry lists the same places). */
export function channelPaths(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Record<'chrome' | 'msedge', string[]> {
  if (platform === 'darwin') {
    return {
      chrome: ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'],
      msedge: ['/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge'],
    }
  }
  if (platform === 'win32') {
    const roots = [env.LOCALAPPDATA, env.PROGRAMFILES, env['PROGRAMFILES(X86)']].filter((r): r is string => !!r)
    return {
      chrome: roots.map((r) => join(r, 'Google', 'Chrome', 'Application', 'chrome.exe')),
      msedge: roots.map((r) => join(r, 'Microsoft', 'Edge', 'Application', 'msedge.exe')),
    }
  }
  return { chrome: ['/opt/google/chrome/chrome'], msedge: ['/opt/microsoft/msedge/msedge'] }
}

function onPath(name: string, env: NodeJS.ProcessEnv, exists: (p: string) => boolean): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && exists(join(dir, name))) return join(dir, name)
  }
  return undefined
}

export function findBrowser(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  exists: (p: string) => boolean = existsSync,
): BrowserChoice {
  if (env.CHROMIUM_PATH) {
    return exists(env.CHROMIUM_PATH)
      ? { kind: 'path', path: env.CHROMIUM_PATH, via: 'CHROMIUM_PATH' }
      : { kind: 'none', why: `CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist` }
  }
  for (const name of ON_PATH) {
    const path = onPath(name, env, exists)
    if (path) return { kind: 'path', path, via: `${name} on PATH` }
  }
  const places = channelPaths(platform, env)
  for (const channel of ['chrome', 'msedge'] as const) {
    const path = places[channel].find((p) => exists(p))
    if (path) return { kind: 'channel', channel, path }
  }
  return { kind: 'none', why: 'no Chromium, Chrome or Edge found' }
}

/** How to enable the browser test, in one line. */
export const ENABLE_HINT =
  'install Chrome, Edge or Chromium (apt-get install chromium), or set CHROMIUM_PATH to a Chromium-based browser'

/** Launch options for the choice; the flags keep a root, offline machine quiet. */
export function launchOptions(choice: Exclude<BrowserChoice, { kind: 'none' }>): LaunchOptions {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ]
  return choice.kind === 'path' ? { executablePath: choice.path, args } : { channel: choice.channel, args }
}
