import { join } from 'node:path'
import { findBrowser, launchOptions } from '../setup/browser'

const has =
  (...paths: string[]) =>
  (p: string) =>
    paths.includes(p)

test('CHROMIUM_PATH wins, and a wrong one is reported rather than ignored', () => {
  expect(
    findBrowser({ CHROMIUM_PATH: '/x/chrome', PATH: '/usr/bin' }, 'linux', has('/x/chrome', '/usr/bin/chromium')),
  ).toEqual({ kind: 'path', path: '/x/chrome', via: 'CHROMIUM_PATH' })
  expect(findBrowser({ CHROMIUM_PATH: '/nope', PATH: '/usr/bin' }, 'linux', has('/usr/bin/chromium'))).toEqual({
    kind: 'none',
    why: 'CHROMIUM_PATH=/nope does not exist',
  })
})

test('then chromium, chromium-browser or google-chrome on PATH, in that order', () => {
  expect(findBrowser({ PATH: '/a:/usr/bin' }, 'linux', has('/usr/bin/chromium', '/a/google-chrome'))).toMatchObject({
    kind: 'path',
    path: '/usr/bin/chromium',
  })
  expect(findBrowser({ PATH: '/a:/usr/bin' }, 'linux', has('/a/google-chrome'))).toMatchObject({
    kind: 'path',
    path: '/a/google-chrome',
    via: 'google-chrome on PATH',
  })
})

test('then an installed Chrome, then Edge, as playwright-core channels (macOS and Windows places)', () => {
  const mac = findBrowser(
    { PATH: '/usr/bin' },
    'darwin',
    has('/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge'),
  )
  expect(mac).toMatchObject({ kind: 'channel', channel: 'msedge' })
  const win = findBrowser(
    { PATH: '', LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local', PROGRAMFILES: 'C:\\Program Files' },
    'win32',
    has(join('C:\\Program Files', 'Google', 'Chrome', 'Application', 'chrome.exe')),
  )
  expect(win).toMatchObject({ kind: 'channel', channel: 'chrome' })
  if (win.kind !== 'channel') throw new Error('expected a channel')
  expect(launchOptions(win)).toMatchObject({ channel: 'chrome' })
  expect(launchOptions(win)).not.toHaveProperty('executablePath')
})

test('nothing found says so', () => {
  expect(findBrowser({ PATH: '/usr/bin' }, 'linux', has())).toEqual({
    kind: 'none',
    why: 'no Chromium, Chrome or Edge found',
  })
})
