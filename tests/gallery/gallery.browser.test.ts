/**
 * @jest-environment jsdom
 *
 * The page gallery (#17): every page in its main states, in Chinese and English, rendered
 * through the page tests' harness (miniprogram-simulate on the official WXML compiler, the local
 * cloud behind `wx.cloud`), each state reached by the page's own flow. Each render becomes an
 * HTML file (tests/gallery/html.ts) that a real browser lays out at 320 px, the narrowest phone
 * WeChat supports: no text may reach outside its card, in either language.
 *
 * `npm run gallery` runs this file and then screenshots the same files at 375 px into
 * docs/gallery/ (scripts/gallery.ts). The layout half needs a browser (tests/setup/browser.ts):
 * with none it is skipped outside CI and fails in CI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { markCloudReady } from '../../miniprogram/lib/call'
import { resetLocale } from '../../miniprogram/lib/i18n'
import { installBle, type BleWorld } from '../setup/ble-fake'
import { elkPeripheral } from '../setup/ble-peripherals'
import { ENABLE_HINT, findBrowser } from '../setup/browser'
import { createWorld, launchApp, render, settle, simulate, until, type Rendered } from '../setup/miniprogram'
import { PAY_VARS, TMPL_PAID, TMPL_REFUNDED, quietFunctionLogs } from '../pay/helpers'
import { stepList } from '../werun/helpers'
import { TIMING } from '../../miniprogram/pages/light/ble/timing'
import { englishWords, measure, textNodes } from './checks'
import { galleryHtml, pageCss, pageMarkup, sharedCss } from './html'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const LOCALES = ['zh_CN', 'en'] as const
type GalleryLocale = (typeof LOCALES)[number]
/** One user per language: what the server stores (order titles) is in the language of its time. */
const USERS: Record<GalleryLocale, { openid: string; nickname: string }> = {
  zh_CN: { openid: 'o-gallery-zh', nickname: '林小雨' },
  en: { openid: 'o-gallery-en', nickname: 'Lin' },
}
let user = USERS.zh_CN
const HAN = /[\u4e00-\u9fff]/
/** How the profile's language switch names Chinese in every language. */
const CHINESE_NAME = '简体中文'
/** The narrowest screen the overflow check lays pages out on (px). */
const NARROW_PX = 320

const world = createWorld(USERS.zh_CN, {
  vars: {
    ...PAY_VARS,
    WERUN_GOAL: '8000',
    PAY_REFUND_REQUIRES_SOTER: '0',
    OA_APPID: 'wx0000000000oagall',
    OA_APPSECRET: 'gallery-secret',
    CARD_OPERATOR_OPENIDS: 'o-gallery-zh,o-gallery-en',
  },
})
world.cloud.openapi.templates.add(TMPL_PAID).add(TMPL_REFUNDED)
quietFunctionLogs()
beforeAll(() => jest.spyOn(console, 'error').mockImplementation(() => {})) // functions log refusals as JSON lines
launchApp()
markCloudReady(true)
Object.assign(TIMING, {
  connectTimeoutMs: 200,
  connectGuardMs: 60,
  scanMs: 400,
  reconnectAttempts: 1,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  servicesRetryMs: 5,
})

/** Where the HTML goes: GALLERY_HTML (scripts/gallery.ts keeps it for the screenshots) or a temp dir. */
const OUT = process.env.GALLERY_HTML ? resolve(process.env.GALLERY_HTML) : mkdtempSync(join(tmpdir(), 'gallery-'))
afterAll(() => {
  if (!process.env.GALLERY_HTML) rmSync(OUT, { recursive: true, force: true })
})

function open(path: string, query: Record<string, string> = {}): Rendered {
  const page = render(path)
  // As WeChat opens a page: onLoad, then onShow.
  page.instance.onLoad?.(query)
  page.instance.onShow?.()
  return page
}

let ble: BleWorld
const orderIds = new Map<string, { paid: string; unpaid: string }>()

/** The user's two orders (one paid, one awaiting payment), made once. */
async function createOrders(): Promise<{ paid: string; unpaid: string }> {
  const made = orderIds.get(user.openid)
  if (made) return made
  const create = async (productId: string) => {
    const { result } = await world.cloud.callFromClient(
      'pay',
      { action: 'createOrder', productId, quantity: 1, requestId: `req-gallery-${user.openid}-${productId}` },
      user,
    )
    return (result as { data: { order: { orderId: string } } }).data.order.orderId
  }
  const paid = await create('coffee')
  await world.cloud.cloudPay.pay(paid)
  const unpaid = await create(
    (
      (await world.cloud.callFromClient('pay', { action: 'listProducts' }, user)).result as {
        data: { products: Array<{ productId: string }> }
      }
    ).data.products.at(-1)!.productId,
  )
  await settle(20)
  orderIds.set(user.openid, { paid, unpaid })
  return { paid, unpaid }
}

/** The light page scanning `count` ELK lights (the first the default strip, a BLEDOB strip second) until all are listed. */
async function scanLights(count: 1 | 2): Promise<Rendered> {
  ble = installBle(world.fake)
  ble.add(elkPeripheral())
  if (count === 2) ble.add(elkPeripheral({ deviceId: 'BE:FF:00:00:00:02', name: 'ELK-BLEDOB', foundAfterMs: 2 }))
  world.fake.scopes = { 'scope.bluetooth': true }
  const page = await settleThen(open('pages/light/index'), 10)
  page.querySelector('#scan')!.dispatchEvent('tap')
  await until(() => page.data.devices.length === count, `${count} light(s)`)
  await settle(5)
  return page
}

interface Scenario {
  /** `<page>-<state>`: the file name, before the locale. */
  name: string
  path: string
  /** The state the page must be in (page.data.state), checked before the render is kept. */
  state?: string
  run(): Promise<Rendered>
}

/** In an order that builds the world up: empty states before the data that fills them. */
const SCENARIOS: Scenario[] = [
  {
    name: 'home-ready',
    path: 'pages/index/index',
    state: 'READY',
    run: async () => await settleThen(open('pages/index/index')),
  },
  {
    name: 'profile-ready',
    path: 'pages/profile/index',
    state: 'READY',
    run: async () => settleThen(open('pages/profile/index')),
  },
  { name: 'shop-loading', path: 'pages/pay/index', state: 'LOADING', run: async () => open('pages/pay/index') },
  { name: 'shop-ready', path: 'pages/pay/index', state: 'READY', run: async () => settleThen(open('pages/pay/index')) },
  {
    name: 'shop-error',
    path: 'pages/pay/index',
    state: 'ERROR',
    run: async () => {
      world.fake.failNextCalls(1, { errMsg: 'cloud.callFunction:fail request:fail' })
      return settleThen(open('pages/pay/index'))
    },
  },
  {
    name: 'orders-empty',
    path: 'pages/pay/orders/index',
    state: 'READY',
    run: async () => settleThen(open('pages/pay/orders/index')),
  },
  {
    name: 'share-empty',
    path: 'pages/share/index',
    state: 'READY',
    run: async () => settleThen(open('pages/share/index')),
  },
  {
    name: 'werun-ask',
    path: 'pages/werun/index',
    state: 'NEED_AUTH',
    run: async () => ((world.fake.scopes = {}), settleThen(open('pages/werun/index'))),
  },
  {
    name: 'werun-denied',
    path: 'pages/werun/index',
    state: 'DENIED',
    run: async () => ((world.fake.scopes = { 'scope.werun': false }), settleThen(open('pages/werun/index'))),
  },
  {
    name: 'werun-ready',
    path: 'pages/werun/index',
    state: 'READY',
    run: async () => {
      world.fake.scopes = { 'scope.werun': true }
      world.fake.weRunSteps = stepList(31, (d) => [9200, 6400, 11800, 3000, 8300, 12500, 7100][d % 7]!)
      return settleThen(open('pages/werun/index'), 40)
    },
  },
  { name: 'rank-invite', path: 'pages/rank/index', run: async () => settleThen(open('pages/rank/index')) },
  {
    name: 'rank-ready',
    path: 'pages/rank/index',
    state: 'READY',
    run: async () => {
      await world.cloud.callFromClient('rank', { action: 'optIn' }, user)
      return settleThen(open('pages/rank/index'))
    },
  },
  {
    name: 'orders-ready',
    path: 'pages/pay/orders/index',
    state: 'READY',
    run: async () => (await createOrders(), settleThen(open('pages/pay/orders/index'))),
  },
  {
    name: 'order-ready',
    path: 'pages/pay/order/index',
    state: 'READY',
    run: async () => settleThen(open('pages/pay/order/index', { id: (await createOrders()).paid })),
  },
  {
    name: 'order-unpaid',
    path: 'pages/pay/order/index',
    state: 'READY',
    run: async () => settleThen(open('pages/pay/order/index', { id: (await createOrders()).unpaid })),
  },
  {
    name: 'order-error',
    path: 'pages/pay/order/index',
    state: 'ERROR',
    run: async () => settleThen(open('pages/pay/order/index', { id: 'not-an-order-of-yours' })),
  },
  {
    name: 'soter-ready',
    path: 'pages/soter/index',
    state: 'READY',
    run: async () => {
      world.fake.soter = {
        supportMode: ['fingerPrint', 'facial'],
        enrolled: { fingerPrint: true, facial: false },
        answer: 'ok',
        cpuId: 'cpu-gallery',
      }
      return settleThen(open('pages/soter/index'))
    },
  },
  {
    name: 'soter-unsupported',
    path: 'pages/soter/index',
    state: 'UNSUPPORTED',
    run: async () => {
      world.fake.soter = { supportMode: [], enrolled: {}, answer: 'ok', cpuId: 'cpu-gallery' }
      return settleThen(open('pages/soter/index'))
    },
  },
  {
    name: 'cards-ready',
    path: 'pages/cards/index',
    state: 'READY',
    run: async () => settleThen(open('pages/cards/index')),
  },
  {
    name: 'cards-added',
    path: 'pages/cards/index',
    state: 'READY',
    run: async () => {
      const page = await settleThen(open('pages/cards/index'))
      page.querySelector('#add-coffee-coupon')!.dispatchEvent('tap')
      return settleThen(page, 40)
    },
  },
  {
    name: 'light-blocked',
    path: 'pages/light/index',
    state: 'BLOCKED',
    run: async () => {
      ble = installBle(world.fake)
      ble.bluetoothEnabled = false
      return settleThen(open('pages/light/index'), 10)
    },
  },
  {
    name: 'light-scanning',
    path: 'pages/light/index',
    state: 'SCANNING',
    run: () => scanLights(2),
  },
  {
    name: 'light-connected',
    path: 'pages/light/index',
    state: 'CONNECTED',
    run: async () => {
      const page = await scanLights(1)
      page.querySelector('.device')!.dispatchEvent('tap')
      await until(() => page.data.state === 'CONNECTED', 'CONNECTED')
      await settle(5)
      return page
    },
  },
]

const latinOnChinese: string[] = []

async function settleThen(page: Rendered, rounds = 30): Promise<Rendered> {
  await settle(rounds)
  return page
}

/** Every file written, with the state it shows, for the grid of docs/gallery.md and the checks below. */
const rendered: Array<{ file: string; name: string; locale: GalleryLocale; state: string }> = []

beforeAll(async () => {
  for (const locale of LOCALES) {
    const u = USERS[locale]
    // Signed in with the language of their WeChat, and a name of their own (without one the rank shows WeChat's default 微信用户).
    await world.cloud.callFromClient('user', { action: 'login', language: locale }, u)
    await world.cloud.callFromClient('user', { action: 'updateProfile', nickname: u.nickname }, u)
  }
})

test('every page reaches each of its main states in both languages through its own flow, and is written as HTML', async () => {
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'shared.css'), sharedCss())
  for (const s of SCENARIOS) {
    for (const locale of LOCALES) {
      world.fake.language = locale
      resetLocale()
      world.fake.user = user = USERS[locale]
      const page = await s.run()
      const state = String(page.data.state ?? '')
      if (s.state) expect([s.name, locale, state]).toEqual([s.name, locale, s.state])
      // The page speaks the chosen language: a Chinese render holds Chinese text, an English one
      // none but the language switch's own name for Chinese and the other user's name on the rank.
      const text = (page.dom.textContent ?? '').replaceAll(CHINESE_NAME, '').replaceAll(USERS.zh_CN.nickname, '')
      expect([s.name, locale, HAN.test(text)]).toEqual([s.name, locale, locale === 'zh_CN'])
      if (locale === 'zh_CN') latinOnChinese.push(...englishWords(textNodes(page.dom)).map((w) => `${s.name}: ${w}`))
      const file = `${s.name}-${locale}.html`
      writeFileSync(
        join(OUT, file),
        galleryHtml({ title: `${s.name} (${locale})`, lang: locale, body: pageMarkup(page), css: pageCss(s.path) }),
      )
      rendered.push({ file, name: s.name, locale, state })
      page.instance.onUnload?.()
      await simulate.sleep(10)
    }
  }
  writeFileSync(join(OUT, 'index.json'), JSON.stringify(rendered, null, 2))
  // No English literal on a Chinese page.
  expect(latinOnChinese).toEqual([])
  expect(rendered).toHaveLength(SCENARIOS.length * LOCALES.length)
  // The canvases were drawn and travel with the page: the WeRun chart.
  expect(rendered.filter((r) => r.name === 'werun-ready')).toHaveLength(2)
}, 180_000)

const choice = findBrowser()
const browserTest = choice.kind === 'none' && !process.env.CI ? test.skip : test

/** The width of the screenshots, where buttons and CJK lines are checked too (px). */
const SHOT_PX = 375

browserTest(
  `no text reaches outside its card or touches the screen's edge, no button label wraps, no CJK character sits alone on a line, at ${NARROW_PX} and ${SHOT_PX} px, in either language`,
  () => {
    if (choice.kind === 'none')
      throw new Error(`CI is set and ${choice.why}: ${ENABLE_HINT} (.ci/run installs Debian's chromium)`)
    expect(rendered.length).toBeGreaterThan(0)
    for (const width of [NARROW_PX, SHOT_PX]) {
      const results = measure(OUT, width)
      expect(results.map((r) => r.file).sort()).toEqual(rendered.map((r) => r.file).sort())
      expect([width, results.filter((r) => r.problems.length)]).toEqual([width, []])
    }
  },
  200_000,
)

browserTest(
  'the check sees an overflow: a line that cannot wrap in a card, and a button against the edge',
  () => {
    if (choice.kind === 'none') throw new Error(`CI is set and ${choice.why}: ${ENABLE_HINT}`)
    const dir = mkdtempSync(join(tmpdir(), 'gallery-control-'))
    try {
      writeFileSync(join(dir, 'shared.css'), sharedCss())
      const body =
        '<wx-view class="card"><wx-text style="white-space: nowrap">Supercalifragilistic and a sentence that does not wrap</wx-text></wx-view><wx-button data-wx-size="mini">Leave</wx-button>' +
        '<wx-view class="card"><wx-button>Contact our customer service team about this order</wx-button><wx-view style="width: 70px; font-size: 14px">一二三四五六</wx-view></wx-view>'
      writeFileSync(join(dir, 'control.html'), galleryHtml({ title: 'control', lang: 'en', body, css: '' }))
      const [control] = measure(dir, NARROW_PX)
      expect(control!.problems).toEqual([
        expect.stringMatching(/^page is \d+px wide on a 320px screen$/),
        expect.stringMatching(/^card: content \d+px in \d+px$/),
        expect.stringMatching(/^"Supercalifragilistic and a sentence that" reaches \d+\.\.\d+ outside card/),
        expect.stringMatching(/^button "Contact our customer service team about ?" wraps to [23] lines$/),
        '"一二三四五六" leaves "五六" alone on its last line',
        expect.stringMatching(/^"Supercalifragilistic and a sentence that" is within 8px of the screen edge/),
        expect.stringMatching(/^"Leave" is within 8px of the screen edge \(0\.\.\d+\)$/),
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
  60_000,
)
