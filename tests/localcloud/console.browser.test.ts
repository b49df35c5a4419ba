/**
 * The web console (localcloud/console.html) in a real headless browser, driven by playwright-core:
 * Debian's chromium in CI (.ci/run installs it), else whatever tests/setup/browser.ts finds
 * (CHROMIUM_PATH, chromium or google-chrome on PATH, installed Chrome or Edge). With no browser
 * the tests are skipped outside CI (npm test's summary says so in one line) and fail in CI. Opens the console, pays a pending order with
 * the "User pays" button, and sees it become PAID and the paid message appear in the outbox.
 * The same run takes the README's screenshot (docs/console.png when UPDATE_SCREENSHOT=1,
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
    if (process.env.CI) throw new Error(`CI is set and ${choice.why}: ${ENABLE_HINT} (.ci/run installs Debian's chromium)`)
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
    const r = await fetch(`${base}/api/functions/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) })
    return (await r.json()) as { result: { ok: boolean; data?: any } }
  }
  return { cloud, base, call }
}

browserTest('open the console, pay a pending order: it becomes PAID and the paid message is in the outbox', async () => {
  const { cloud, base, call } = await serve()
  // The user signs in, accepts the paid template (requestSubscribeMessage → accept, forwarded by
  // the local-mode client as DevTools would) and orders.
  await call('user', { action: 'login' })
  const answers = { [LOCAL_VARS.SUBSCRIBE_TMPL_PAID!]: 'accept' }
  await fetch(`${base}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answers }) })
  await call('pay', { action: 'recordSubscription', answers })
  const created = await call('pay', { action: 'createOrder', productId: 'coffee', quantity: 2, requestId: 'browser-req-1' })
  expect(created.result.ok).toBe(true)
  const orderId = created.result.data.order.orderId as string

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(base + '/')
  const row = page.locator(`#order-${orderId}`)
  await expect(row.locator('.status').textContent()).resolves.toBe('UNPAID')
  expect(await page.locator('#env').textContent()).toBe(cloud.env)
  expect(await page.locator('.outbox-row[data-api="subscribeMessage.send"]').count()).toBe(0)

  await row.locator('button.pay').click()
  await page.waitForFunction((id) => document.querySelector(`#order-${id} .status`)?.textContent === 'PAID', orderId, { timeout: 10_000 })
  await page.locator('.outbox-row[data-api="subscribeMessage.send"]').first().waitFor({ timeout: 10_000 })
  const sent = await page.locator('.outbox-row[data-api="subscribeMessage.send"]').first().textContent()
  expect(sent).toContain(LOCAL_VARS.SUBSCRIBE_TMPL_PAID!)
  expect(sent).toContain('o-browser-1')
  // The page shows what the server holds, the paid message's fate included.
  expect(cloud.db.dump('orders').find((o) => o._id === orderId)).toMatchObject({ status: 'PAID' })
  await page.waitForFunction((id) => document.querySelector(`#order-${id} .notices`)?.textContent?.includes('paid: SENT'), orderId, { timeout: 10_000 })
  // A second order with no credit left: the console says NO_CREDIT and why, not silence.
  const second = await call('pay', { action: 'createOrder', productId: 'coffee', quantity: 1, requestId: 'browser-req-2' })
  await fetch(`${base}/api/pay/${second.result.data.order.orderId as string}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  await page.locator('#refresh').click()
  const noCredit = page.locator(`#order-${second.result.data.order.orderId as string} .notices`)
  await noCredit.filter({ hasText: 'NO_CREDIT' }).waitFor({ timeout: 10_000 })
  expect(await noCredit.textContent()).toContain('no credit')
  expect(await row.locator('button.pay').count()).toBe(0)
  // The callback shows among the invocations.
  // (It may finish after the refresh that showed PAID: the paid message is sent after the transition.)
  await page.waitForFunction(() => document.querySelector('#invocations')?.textContent?.includes('payCallback'), undefined, { timeout: 10_000 })
  await expect(page.locator('#invocations').textContent()).resolves.toContain('payCallback')
  // Functions with their call counts; the invocations narrowed to one function.
  await expect(page.locator('.function-row[data-fn="pay"] .calls').textContent()).resolves.toBe('3') // recordSubscription, two createOrder
  await page.locator('#fn-filter').selectOption('payCallback')
  await page.waitForFunction(() => {
    const rows = Array.from(document.querySelectorAll('#invocations tr'))
    return rows.length > 0 && rows.every((r) => r.firstElementChild?.textContent === 'payCallback')
  })
  expect(problems).toEqual([])
  await page.locator('#fn-filter').selectOption('')
  await page.waitForFunction(() => Array.from(document.querySelectorAll('#invocations tr')).some((r) => r.firstElementChild?.textContent === 'pay'))

  mkdirSync(join(ROOT, '.reports'), { recursive: true })
  await page.screenshot({ path: join(ROOT, '.reports', 'console.png'), fullPage: false })
  if (process.env.UPDATE_SCREENSHOT === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true })
    await page.screenshot({ path: join(ROOT, 'docs', 'console.png'), fullPage: false })
  }
  await page.close()
}, 60_000)

browserTest('switch user and push a customer-service message from the console', async () => {
  const { base, cloud } = await serve()
  const page = await browser.newPage()
  await page.goto(base + '/')
  // The users the server knows are in a drop-down; "New user…" asks for an openid.
  await expect(page.locator('#user option').allTextContents()).resolves.toEqual(['o-browser-1', 'New user…'])
  page.once('dialog', (d) => void d.accept('o-browser-2'))
  await page.locator('#user').selectOption('__new')
  await page.waitForFunction(() => (document.querySelector('#user') as HTMLSelectElement).value === 'o-browser-2')
  await page.locator('#push-content').fill('hello from the console')
  await page.locator('#push').click()
  await page.waitForFunction(() => /acknowledged/.test(document.querySelector('#push-result')?.textContent ?? ''), undefined, { timeout: 15_000 })
  expect(await page.locator('#push-result').textContent()).toMatch(/^customerService: acknowledged after 1 attempt/)
  // The auto-reply went to the switched user.
  const replies = cloud.openapi.calls.filter((c) => c.api === 'customerServiceMessage.send')
  expect(replies.map((c) => (c.params as { touser?: string }).touser)).toContain('o-browser-2')
  await page.close()
}, 60_000)

browserTest('empty states say what to do; a refresh keeps the scroll position, open rows and the rows themselves', async () => {
  const { base, call } = await serve()
  const page = await browser.newPage({ viewport: { width: 1280, height: 700 } })
  await page.goto(base + '/')
  await expect(page.locator('#orders tr.empty').textContent()).resolves.toMatch(/^No orders yet\. Open the shop in DevTools local mode/)
  await expect(page.locator('#invocations tr.empty').textContent()).resolves.toMatch(/^No function calls yet/)
  await expect(page.locator('#outbox tr.empty').textContent()).resolves.toMatch(/^Nothing sent to WeChat yet/)

  // Enough calls for the invocations panel to scroll.
  for (let i = 0; i < 40; i++) await call('user', { action: 'getProfile' })
  await page.locator('#refresh').click()
  await page.waitForFunction(() => document.querySelectorAll('#invocations tr.invocation').length === 40)
  const panel = page.locator('#invocations-panel')
  await panel.evaluate((el) => { el.scrollTop = 400 })
  // Open one request in full and mark its row, then let a new call arrive and the timer refresh.
  const row = page.locator('#invocations tr.invocation').nth(20)
  await row.locator('details').first().evaluate((d) => { (d as HTMLDetailsElement).open = true })
  await row.evaluate((tr) => { (tr as unknown as { marked: boolean }).marked = true })
  const topBefore = await row.evaluate((tr) => tr.getBoundingClientRect().top)
  await call('user', { action: 'login' })
  await page.waitForFunction(() => document.querySelectorAll('#invocations tr.invocation').length === 41, undefined, { timeout: 10_000 })
  const kept = page.locator('#invocations tr.invocation').nth(21) // one newer row above it now
  // What the reader was looking at stays where it was (the panel did not jump back to the top;
  // the browser keeps the row in place while a new one is added above it).
  expect(await panel.evaluate((el) => el.scrollTop)).toBeGreaterThanOrEqual(400)
  expect(Math.abs((await kept.evaluate((tr) => tr.getBoundingClientRect().top)) - topBefore)).toBeLessThanOrEqual(1)
  expect(await kept.evaluate((tr) => (tr as unknown as { marked?: boolean }).marked === true)).toBe(true)
  expect(await kept.locator('details').first().evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true)
  // The request is there in full, not cut to a preview.
  await expect(kept.locator('details pre.full').first().textContent()).resolves.toContain('"action": "getProfile"')
  await page.close()
}, 60_000)

browserTest('an unexplained failure is explained; Reset local data asks first and then empties the data', async () => {
  const { cloud, base, call } = await serve()
  await call('user', { action: 'login' })
  // The page recorded an accept that never reached WeChat: the send fails with 43101.
  await call('pay', { action: 'recordSubscription', answers: { [LOCAL_VARS.SUBSCRIBE_TMPL_PAID!]: 'accept' } })
  const created = await call('pay', { action: 'createOrder', productId: 'coffee', quantity: 1, requestId: 'browser-req-9' })
  await fetch(`${base}/api/pay/${created.result.data.order.orderId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const page = await browser.newPage()
  await page.goto(base + '/')
  const failed = page.locator('.outbox-row[data-api="subscribeMessage.send"]').first()
  await expect(failed.locator('.bad').textContent()).resolves.toContain('43101')
  await expect(failed.locator('.explain').textContent()).resolves.toMatch(/has not accepted this template, or used up the acceptance/)

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
}, 60_000)

browserTest('when npm start stops the console says so in a banner, Refresh says it in words, and it reconnects by itself', async () => {
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
}, 60_000)
