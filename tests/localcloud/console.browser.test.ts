/**
 * The web console (localcloud/console.html) in a real headless browser, driven by playwright-core:
 * Debian's chromium in CI (.ci/run installs it), else whatever tests/setup/browser.ts finds
 * (CHROMIUM_PATH, chromium or google-chrome on PATH, installed Chrome or Edge). With no browser
 * the tests are skipped outside CI (npm test's summary says so in one line) and fail in CI. Opens the console, pays a pending order with
 * the "User pays" button, and sees it become PAID and the paid message appear in the outbox.
 * The same run takes the screenshot of the README and docs/start.md (docs/console.png when UPDATE_SCREENSHOT=1,
 * .reports/console.png always).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { LOCAL_VARS } from '../../scripts/start'
import { ENABLE_HINT, findBrowser, launchOptions } from '../setup/browser'
import { closeServers, serve as serveCloud } from './serve'
import { createServer } from '../../localcloud/server'

const ROOT = join(__dirname, '..', '..')
const choice = findBrowser()
/** In CI a missing browser fails the run; on a developer's machine the tests are skipped. */
const browserTest = choice.kind === 'none' && !process.env.CI ? test.skip : test

let browser: Browser

beforeAll(async () => {
  if (choice.kind === 'none') {
    if (process.env.CI)
      throw new Error(`CI is set and ${choice.why}: ${ENABLE_HINT} (.ci/run installs Debian's chromium)`)
    return
  }
  jest.spyOn(console, 'error').mockImplementation(() => {})
  jest.spyOn(console, 'log').mockImplementation(() => {})
  browser = await chromium.launch(launchOptions(choice))
}, 60_000)

afterAll(async () => {
  await browser?.close()
})

afterEach(closeServers)

async function serve() {
  const { cloud, base } = await serveCloud('o-browser-1')
  const call = async (name: string, data: Record<string, unknown>) => {
    const r = await fetch(`${base}/api/functions/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    })
    return (await r.json()) as { result: { ok: boolean; data?: any } }
  }
  return { cloud, base, call }
}

browserTest(
  'Chinese by default: order as the user from the console, pay it; the paid message is readable in the outbox at 1280 px; English by the switch',
  async () => {
    const { cloud, base } = await serve()
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    await page.goto(base + '/')
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN')
    await expect(page.locator('h1').textContent()).resolves.toBe('本地云')
    expect(await page.locator('#env').textContent()).toBe(cloud.env)
    await expect(page.locator('#orders tr.empty').textContent()).resolves.toMatch(/^还没有订单/)

    // The shop's buy tap, from the console: login, the subscription answers (forwarded and recorded), createOrder.
    await page.locator('#order-product option[value="coffee"]').waitFor({ state: 'attached' })
    await page.locator('#order-product').selectOption('coffee')
    await page.locator('#order').click()
    await page.waitForFunction(
      () => /^已下单/.test(document.querySelector('#order-result')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    )
    const orderId = /已下单 (\S+)：/.exec((await page.locator('#order-result').textContent())!)![1]!
    const row = page.locator(`#order-${orderId}`)
    await expect(row.locator('.status').textContent()).resolves.toBe('UNPAID')
    await expect(row.locator('.word').textContent()).resolves.toBe('待支付')
    expect(await page.locator('.outbox-row[data-api="subscribeMessage.send"]').count()).toBe(0)

    await row.locator('button.pay').click()
    await page.waitForFunction(
      (id) => document.querySelector(`#order-${id} .status`)?.textContent === 'PAID',
      orderId,
      { timeout: 10_000 },
    )
    const sent = page.locator('.outbox-row[data-api="subscribeMessage.send"]').first()
    await sent.waitFor({ timeout: 10_000 })
    // The message as its reader sees it: the values in words (the product's Chinese title), not JSON.
    const message = sent.locator('.message')
    await expect(message.textContent()).resolves.toContain('咖啡券')
    await expect(message.textContent()).resolves.toContain(LOCAL_VARS.SUBSCRIBE_TMPL_PAID!)
    const box = await message.evaluate((el) => ({
      width: el.getBoundingClientRect().width,
      clipped: el.scrollWidth > el.clientWidth + 1,
      right: el.getBoundingClientRect().right,
    }))
    expect(box.width).toBeGreaterThan(400)
    expect(box.clipped).toBe(false)
    expect(box.right).toBeLessThanOrEqual(1280)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280) // no sideways scroll
    expect(await sent.locator('pre.full').isVisible()).toBe(false) // the JSON only on demand
    await sent.locator('details summary').click()
    await expect(sent.locator('pre.full').textContent()).resolves.toContain('"touser"')
    await page.waitForFunction(
      (id) => document.querySelector(`#order-${id} .notices`)?.textContent?.includes('paid: SENT'),
      orderId,
      { timeout: 10_000 },
    )
    await expect(row.locator('.notices').textContent()).resolves.toContain('已发送')
    expect(cloud.db.dump('orders').find((o) => o._id === orderId)).toMatchObject({ status: 'PAID' })

    // Without accepting the templates: NO_CREDIT, said in words.
    await page.locator('#order-accept').uncheck()
    await page.locator('#order').click()
    await page.waitForFunction(
      (first) => {
        const t = document.querySelector('#order-result')?.textContent ?? ''
        return /^已下单/.test(t) && !t.includes(first)
      },
      orderId,
      { timeout: 10_000 },
    )
    const second = /已下单 (\S+)：/.exec((await page.locator('#order-result').textContent())!)![1]!
    await page.locator(`#order-${second} button.pay`).click()
    await page.waitForFunction(
      (id) => document.querySelector(`#order-${id} .notices`)?.textContent?.includes('NO_CREDIT'),
      second,
      { timeout: 10_000 },
    )
    await expect(page.locator(`#order-${second} .notices`).textContent()).resolves.toContain('没有授权')
    await page.locator('#fn-filter').selectOption('')
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#invocations tr')).some(
          (r) => r.firstElementChild?.textContent === 'payCallback',
        ),
      undefined,
      { timeout: 10_000 },
    )
    await expect(page.locator('.function-row[data-fn="pay"] .calls').textContent()).resolves.toBe('5') // listProducts, recordSubscription, createOrder; then listProducts, createOrder
    mkdirSync(join(ROOT, '.reports'), { recursive: true })
    await sent.locator('details summary').click() // the JSON closed again, as a reader first sees it
    await page.locator('#orders-panel').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(ROOT, '.reports', 'console.png'), fullPage: false })
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(join(ROOT, 'docs'), { recursive: true })
      await page.screenshot({ path: join(ROOT, 'docs', 'console.png'), fullPage: false })
    }

    // English by the switch, kept for the next visit.
    await page.locator('#lang').click()
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    await expect(page.locator('h1').textContent()).resolves.toBe('Local cloud')
    await page.waitForFunction(
      (id) => document.querySelector(`#order-${id} .notices`)?.textContent?.includes('no credit'),
      second,
      { timeout: 10_000 },
    )
    await expect(
      page.locator('.outbox-row[data-api="subscribeMessage.send"] td').nth(1).textContent(),
    ).resolves.toContain('subscribe message')
    await page.reload()
    await expect(page.locator('#refresh').textContent()).resolves.toBe('Refresh')
    expect(problems).toEqual([])
    await page.close()
  },
  60_000,
)

browserTest(
  "a partner's entry (scene 1037) played from the console: counted for the sample partner's share, the page it opens said",
  async () => {
    const { cloud, base } = await serve()
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(base + '/?lang=en')
    await page.locator('#partner-page option[value="pages/pay/index"]').waitFor({ state: 'attached' })
    await expect(page.locator('#partner-hint').textContent()).resolves.toContain('so far 0 people')
    await page.locator('#partner-page').selectOption('pages/pay/index')
    await page.locator('#partner-enter').click()
    await page.waitForFunction(
      () => /entered from the sample partner/.test(document.querySelector('#partner-result')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    )
    await expect(page.locator('#partner-result').textContent()).resolves.toBe(
      'o-browser-1 entered from the sample partner: counted for its share, a new user. The app opens pages/pay/index; the home page offers "Back to Sample partner".',
    )
    expect(cloud.db.dump('share_entries')).toEqual([
      expect.objectContaining({ shareId: 'kitpartner01', openid: 'o-browser-1', scene: 1037 }),
    ])
    await page.waitForFunction(
      () => /so far 1 people/.test(document.querySelector('#partner-hint')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    )
    // Again: the same person is not counted twice.
    await page.locator('#partner-enter').click()
    await page.waitForFunction(
      () => /not counted again/.test(document.querySelector('#partner-result')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    )
    await page.close()
  },
  60_000,
)

browserTest(
  'switch user and push a customer-service message from the console',
  async () => {
    const { base, cloud } = await serve()
    const page = await browser.newPage()
    await page.goto(base + '/?lang=en')
    // The users the server knows are in a drop-down; "New user…" asks for an openid.
    await expect(page.locator('#user option').allTextContents()).resolves.toEqual(['o-browser-1', 'New user…'])
    page.once('dialog', (d) => void d.accept('o-browser-2'))
    await page.locator('#user').selectOption('__new')
    await page.waitForFunction(() => (document.querySelector('#user') as HTMLSelectElement).value === 'o-browser-2')
    await page.locator('#push-content').fill('hello from the console')
    await page.locator('#push').click()
    await page.waitForFunction(
      () => /acknowledged/.test(document.querySelector('#push-result')?.textContent ?? ''),
      undefined,
      { timeout: 15_000 },
    )
    expect(await page.locator('#push-result').textContent()).toMatch(/^customerService: acknowledged after 1 attempt/)
    // The auto-reply went to the switched user.
    const replies = cloud.openapi.calls.filter((c) => c.api === 'customerServiceMessage.send')
    expect(replies.map((c) => (c.params as { touser?: string }).touser)).toContain('o-browser-2')
    // The panel shows the conversation: the user's message and what was replied.
    await page.locator('#conversation tr.cs-message[data-dir="out"]').first().waitFor({ timeout: 10_000 })
    await expect(page.locator('#conversation tr.cs-message[data-dir="in"]').first().textContent()).resolves.toContain(
      'hello from the console',
    )
    const reply = (replies.at(-1)!.params as { text?: { content?: string } }).text?.content ?? ''
    expect(reply.length).toBeGreaterThan(0)
    await expect(page.locator('#conversation').textContent()).resolves.toContain(reply.slice(0, 12))
    await page.close()
  },
  60_000,
)

browserTest(
  'empty states say what to do; a refresh keeps the scroll position, open rows and the rows themselves',
  async () => {
    const { base, call } = await serve()
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } })
    await page.goto(base + '/?lang=en')
    await expect(page.locator('#orders tr.empty').textContent()).resolves.toMatch(
      /^No orders yet\. Pick a product above and press Order as the user/,
    )
    await expect(page.locator('#invocations tr.empty').textContent()).resolves.toMatch(/^No function calls yet/)
    await expect(page.locator('#outbox tr.empty').textContent()).resolves.toMatch(/^Nothing sent to WeChat yet/)

    // Enough calls for the invocations panel to scroll.
    for (let i = 0; i < 40; i++) await call('user', { action: 'getProfile' })
    await page.locator('#refresh').click()
    await page.waitForFunction(() => document.querySelectorAll('#invocations tr.invocation').length === 40)
    const panel = page.locator('#invocations-panel')
    await panel.evaluate((el) => {
      el.scrollTop = 400
    })
    // Open one request in full and mark its row, then let a new call arrive and the timer refresh.
    const row = page.locator('#invocations tr.invocation').nth(20)
    await row
      .locator('details')
      .first()
      .evaluate((d) => {
        ;(d as HTMLDetailsElement).open = true
      })
    await row.evaluate((tr) => {
      ;(tr as unknown as { marked: boolean }).marked = true
    })
    const topBefore = await row.evaluate((tr) => tr.getBoundingClientRect().top)
    await call('user', { action: 'login' })
    await page.waitForFunction(() => document.querySelectorAll('#invocations tr.invocation').length === 41, undefined, {
      timeout: 10_000,
    })
    const kept = page.locator('#invocations tr.invocation').nth(21) // one newer row above it now
    // What the reader was looking at stays where it was (the panel did not jump back to the top;
    // the browser keeps the row in place while a new one is added above it).
    expect(await panel.evaluate((el) => el.scrollTop)).toBeGreaterThanOrEqual(400)
    expect(Math.abs((await kept.evaluate((tr) => tr.getBoundingClientRect().top)) - topBefore)).toBeLessThanOrEqual(1)
    expect(await kept.evaluate((tr) => (tr as unknown as { marked?: boolean }).marked === true)).toBe(true)
    expect(
      await kept
        .locator('details')
        .first()
        .evaluate((d) => (d as HTMLDetailsElement).open),
    ).toBe(true)
    // The request is there in full, not cut to a preview.
    await expect(kept.locator('details pre.full').first().textContent()).resolves.toContain('"action": "getProfile"')
    await page.close()
  },
  60_000,
)

browserTest(
  'an unexplained failure is explained; Reset local data asks first and then empties the data',
  async () => {
    const { cloud, base, call } = await serve()
    await call('user', { action: 'login' })
    // The page recorded an accept that never reached WeChat: the send fails with 43101.
    await call('pay', { action: 'recordSubscription', answers: { [LOCAL_VARS.SUBSCRIBE_TMPL_PAID!]: 'accept' } })
    const created = await call('pay', {
      action: 'createOrder',
      productId: 'coffee',
      quantity: 1,
      requestId: 'browser-req-9',
    })
    await fetch(`${base}/api/pay/${created.result.data.order.orderId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const page = await browser.newPage()
    await page.goto(base + '/?lang=en')
    const failed = page.locator('.outbox-row[data-api="subscribeMessage.send"]').first()
    await expect(failed.locator('.bad').textContent()).resolves.toContain('43101')
    await expect(failed.locator('.explain').textContent()).resolves.toMatch(
      /has not accepted this template, or used up the acceptance/,
    )

    page.once('dialog', (d) => void d.dismiss())
    await page.locator('#reset').click()
    expect(cloud.db.dump('orders')).toHaveLength(1) // dismissed: nothing erased
    page.once('dialog', (d) => {
      expect(d.message()).toMatch(/^Erase every collection/)
      void d.accept()
    })
    await page.locator('#reset').click()
    await page.locator('#orders tr.empty').waitFor({ timeout: 10_000 })
    await page.locator('#outbox tr.empty').waitFor()
    expect(cloud.db.dump('orders')).toEqual([])
    expect(cloud.db.dump('users')).toEqual([])
    expect(cloud.db.dump('products').length).toBeGreaterThan(0)
    await page.close()
  },
  60_000,
)

browserTest(
  'when npm start stops the console says so in a banner, Refresh says it in words, and it reconnects by itself',
  async () => {
    const { cloud, app, base } = await serveCloud('o-browser-down')
    const page = await browser.newPage()
    const dialogs: string[] = []
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    try {
      await page.goto(base)
      await page.locator('#env').filter({ hasText: cloud.env }).waitFor({ timeout: 10_000 })
      expect(await page.locator('#down').isVisible()).toBe(false)
      const port = Number(new URL(base).port)
      await app.close()
      await page.locator('#down').waitFor({ state: 'visible', timeout: 10_000 })
      expect(await page.locator('#down').textContent()).toContain('npm start')
      await page.locator('#refresh').click()
      await page.waitForTimeout(300)
      expect(errors).toEqual([]) // no uncaught "Failed to fetch"
      // npm start again on the same port: the banner goes by itself at the next refresh.
      const again = createServer(cloud, { openid: 'o-browser-down' })
      await again.listen({ port, host: '127.0.0.1' })
      try {
        await page.locator('#down').waitFor({ state: 'hidden', timeout: 10_000 })
      } finally {
        await again.close()
      }
      expect(dialogs).toEqual([])
    } finally {
      await page.close()
    }
  },
  60_000,
)
