/**
 * @jest-environment jsdom
 *
 * DevTools local mode: with `localCloud` in the untracked config and the develop version, the
 * app sends every cloud call to the `npm start` server with wx.request (real HTTP on loopback),
 * never to wx.cloud. Pages work through it: sign-in, WeRun through a sandbox CloudID, the avatar
 * upload and its temp URL, the phone number through a sandbox code, and a payment completed
 * from the console. Trial and release builds ignore the setting.
 */
import { createServer } from '../../localcloud/server'
import { localPhone, weRunDays } from '../../localcloud/open-data'
import { cloudTarget } from '../../miniprogram/config/env'
import { useCloud } from '../../miniprogram/lib/cloud'
import { wxCloud } from '../../miniprogram/lib/cloud-wx'
import { beijingDate } from '../../server/werun/days'
import { launchApp, render, settle, type Rendered } from '../setup/miniprogram'
import { payPageWorld } from '../pay/page-world'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const mockConfig = { envId: 'test-1a2b3c', localCloud: '' }
jest.mock('../../miniprogram/config/env.local', () => mockConfig, { virtual: true })

const USER = { openid: 'o-local-mode' }
const world = payPageWorld(USER)
const server = createServer(world.cloud, { openid: USER.openid })
const cloudApi = world.fake.wx.cloud
let base = ''

type WxRequest = (o: {
  url: string
  method: string
  data?: unknown
  header?: Record<string, string>
  success: (r: any) => void
  fail: (e: unknown) => void
}) => void
const request: WxRequest = (o) => (world.fake.wx.request as WxRequest)(o)

/** What the console's buttons do: the same HTTP routes, with wx.request's transport. */
function post(path: string, data: unknown = {}): Promise<{ statusCode: number; data: any }> {
  return new Promise((resolve, reject) =>
    request({ url: base + path, method: 'POST', data, success: resolve, fail: reject }),
  )
}
function get(url: string): Promise<{ statusCode: number; data: any }> {
  return new Promise((resolve, reject) => request({ url, method: 'GET', success: resolve, fail: reject }))
}

beforeAll(async () => {
  base = await server.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  useCloud(wxCloud)
  await server.close()
})

describe('cloudTarget: local mode only in the develop version', () => {
  test.each([
    [
      'develop',
      { envId: 'prod-8gabc123', localCloud: 'http://127.0.0.1:3910/' },
      { kind: 'local', url: 'http://127.0.0.1:3910' },
    ],
    [
      'develop',
      { envId: '', localCloud: 'http://192.168.1.5:3910' },
      { kind: 'local', url: 'http://192.168.1.5:3910' },
    ],
    [
      'trial',
      { envId: 'prod-8gabc123', localCloud: 'http://127.0.0.1:3910' },
      {
        kind: 'cloud',
        envId: 'prod-8gabc123',
        warning: 'localCloud is ignored in the trial version: only the develop version uses the local cloud.',
      },
    ],
    [
      'release',
      { envId: 'prod-8gabc123', localCloud: 'http://127.0.0.1:3910' },
      {
        kind: 'cloud',
        envId: 'prod-8gabc123',
        warning: 'localCloud is ignored in the release version: only the develop version uses the local cloud.',
      },
    ],
    ['develop', { envId: 'prod-8gabc123', localCloud: '' }, { kind: 'cloud', envId: 'prod-8gabc123' }],
  ])('%s with %j', (version, cfg, expected) => {
    expect(cloudTarget(cfg, version)).toEqual(expected)
  })

  test('a release build with only localCloud set has no cloud: the missing-env message, not the local one', () => {
    expect(cloudTarget({ envId: '', localCloud: 'http://127.0.0.1:3910' }, 'release')).toMatchObject({
      kind: 'none',
      message: expect.stringContaining('No CloudBase environment is configured'),
    })
  })

  test.each([
    [
      'your-env-id',
      /"your-env-id" is a placeholder, not your environment id: copy the real one from 云开发控制台 → 设置 → 环境 ID/,
    ],
    ['<env id>', /is a placeholder/],
    [
      'prod',
      /"prod" is not a CloudBase environment id: it has no dash before the generated suffix; an id looks like prod-8gabc123/,
    ],
    ['Prod-8gabc123', /is not a CloudBase environment id/],
  ])('the env id %s is refused at launch with where to find the real one', (envId, message) => {
    expect(cloudTarget({ envId, localCloud: '' }, 'develop')).toEqual({
      kind: 'none',
      message: expect.stringMatching(message),
    })
  })

  test('a localCloud that is not a URL is reported', () => {
    expect(cloudTarget({ envId: 'prod-8gabc123', localCloud: '127.0.0.1:3910' }, 'develop')).toEqual({
      kind: 'none',
      message: 'localCloud must be the npm start URL, like http://127.0.0.1:3910 (got "127.0.0.1:3910").',
    })
  })
})

describe('develop version with localCloud: everything over HTTP', () => {
  let page: Rendered
  beforeAll(async () => {
    mockConfig.localCloud = base
    world.fake.envVersion = 'develop'
    // No wx.cloud at all: a call that reached it would throw.
    world.fake.wx.cloud = undefined
    wx.cloud = undefined
    world.fake.calls.length = 0
    world.fake.subscribeReachesWeChat = false // DevTools' dialog tells no sandbox
    jest.spyOn(console, 'warn').mockImplementation(() => {})
    launchApp()
    await settle(30)
  })

  test('launch signs in through the local server', () => {
    expect(world.fake.requests).toContain(`POST ${base}/api/functions/user`)
    const login = world.cloud.invocations.find(
      (i) => i.fn === 'user' && (i.event as { action?: string }).action === 'login',
    )!
    expect(login).toMatchObject({ source: 'wx_client', openid: USER.openid })
    expect(world.fake.calls).toEqual([]) // nothing went through wx.cloud
  })

  test('WeRun: the sandbox CloudID is opened by the local cloud and the chart shows its days', async () => {
    world.fake.scopes = {}
    page = render('pages/werun/index')
    page.instance.onLoad()
    await settle(30)
    page.querySelector('#authorize')!.dispatchEvent('tap')
    await settle(60)
    expect(page.data.state).toBe('READY')
    expect(world.fake.requests).toContain(`POST ${base}/api/open-data/werun`)
    const stored = world.cloud.db.dump('werun_days').filter((d) => d._openid === USER.openid)
    expect(stored).toHaveLength(31)
    const today = beijingDate(Date.now())
    const expected = weRunDays(USER.openid, Date.now()).at(-1)!.step
    expect(stored.find((d) => d.date === today)).toMatchObject({ steps: expected })
    expect(page.data.days.at(-1)).toMatchObject({ steps: expected })
  })

  test('avatar: uploaded through the local server, its temp URL serves the bytes', async () => {
    page = render('pages/profile/index')
    page.instance.onLoad({})
    await settle(30)
    const dir = mkdtempSync(join(tmpdir(), 'local-avatar-'))
    const file = join(dir, 'a.png')
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
    writeFileSync(file, bytes)
    await page.instance.onChooseAvatar({ detail: { avatarUrl: file } })
    await settle(30)
    expect(page.data.notice).toBe('Photo updated.')
    const fileID = page.data.profile.avatarFileId as string
    expect(world.cloud.db.dump('users')[0]!.avatarFileId).toBe(fileID)
    expect(world.cloud.storage.get(fileID)).toEqual(bytes)
    const urls = await post('/api/storage/temp-urls', { fileList: [fileID, `${fileID}.missing`] })
    expect(urls.data.fileList.map((f: { status: number }) => f.status)).toEqual([0, -1])
    const served = await get(urls.data.fileList[0].tempFileURL)
    expect(served.statusCode).toBe(200)
    // A missing avatar file is the upload's failure message, and nothing is written.
    await page.instance.onChooseAvatar({ detail: { avatarUrl: join(dir, 'gone.png') } })
    await settle(30)
    expect(page.data.notice).toBe('Uploading the photo failed. Check your network and try again.')
    expect(page.data.profile.avatarFileId).toBe(fileID)
    expect(world.cloud.db.dump('users')[0]!.avatarFileId).toBe(fileID)
  })

  test('phone: the DevTools code is swapped for a sandbox code and the number is bound', async () => {
    await page.instance.onGetPhoneNumber({ detail: { code: 'devtools-code', errMsg: 'getPhoneNumber:ok' } })
    await settle(30)
    expect(page.data.notice).toBe('Phone number bound.')
    expect(world.cloud.openapi.callsTo('phonenumber.getPhoneNumber').at(-1)).toMatchObject({ ok: true })
    expect(JSON.stringify(page.data.profile)).toContain(localPhone(USER.openid).slice(-4))
  })

  test('pay: the page waits in a dialog while the console pays; "Paid" before paying is refused', async () => {
    const shop = render('pages/pay/index')
    shop.instance.onLoad({})
    await settle(30)
    const modals: string[] = []
    let payInConsole = false
    world.fake.wx.showModal = async ({ content }: { content: string }) => {
      modals.push(content)
      if (payInConsole) {
        const unpaid = world.cloud.db.dump('orders').find((o) => o._openid === USER.openid && o.status === 'UNPAID')!
        expect((await post(`/api/pay/${unpaid._id}`)).statusCode).toBe(200)
      }
      return { confirm: true, cancel: false, errMsg: 'showModal:ok' }
    }
    wx.showModal = world.fake.wx.showModal

    // "Paid" without paying in the console: what the sheet says, and the order stays payable.
    shop.querySelector('#buy-coffee')!.dispatchEvent('tap')
    await settle(60)
    expect(modals[0]).toContain(base)
    expect(shop.data.buy).toBe('FAILED')
    const order = world.cloud.db.dump('orders').find((o) => o._openid === USER.openid)!
    expect(order.status).toBe('UNPAID')

    payInConsole = true
    shop.querySelector('#continue')!.dispatchEvent('tap')
    await settle(60)
    expect(shop.data.buy).toBe('PAID')
    expect(world.cloud.db.dump('orders').find((o) => o._id === order._id)).toMatchObject({
      status: 'PAID',
      paidVia: 'callback',
    })
    expect(world.fake.requests.filter((r) => r.endsWith('/api/payments/check'))).toHaveLength(2)
    // The accepts of the tap were forwarded to the sandbox, so the paid message went out.
    expect(world.fake.requests).toContain(`POST ${base}/api/subscriptions`)
    expect(world.cloud.openapi.callsTo('subscribeMessage.send')).toEqual([
      expect.objectContaining({ ok: true, params: expect.objectContaining({ touser: USER.openid }) }),
    ])
  })

  test('SOTER: the local cloud is the phone; the prompt is confirmed in a dialog and verify gives a proof', async () => {
    world.fake.wx.showModal = async () => ({ confirm: true, cancel: false, errMsg: 'showModal:ok' })
    wx.showModal = world.fake.wx.showModal
    const soter = render('pages/soter/index')
    soter.instance.onLoad({ purpose: 'CONFIRM_IDENTITY' })
    await settle(30)
    expect(soter.data.state).toBe('READY')
    soter.querySelector('#start-fingerPrint')!.dispatchEvent('tap')
    await settle(60)
    expect(soter.data.state).toBe('VERIFIED')
    expect(world.fake.requests).toContain(`POST ${base}/api/soter/authenticate`)
    expect(world.cloud.openapi.callsTo('soter.verifySignature').at(-1)).toMatchObject({ ok: true })
    expect(world.cloud.db.dump('soter_proofs').filter((p) => p._openid === USER.openid)).toHaveLength(1)
  })

  test('a payment object of another user is refused by the check, as the sheet would', async () => {
    const created = await post('/api/functions/pay', {
      action: 'createOrder',
      productId: 'coffee',
      quantity: 1,
      requestId: 'local-mode-other',
    })
    const payment = created.data.result.data.payment
    const other = await new Promise<{ data: any }>((resolve, reject) =>
      request({
        url: `${base}/api/payments/check`,
        method: 'POST',
        data: payment,
        header: { 'x-openid': 'o-someone-else' },
        success: resolve,
        fail: reject,
      }),
    )
    expect(other.data).toEqual({ paid: false, errMsg: 'requestPayment:fail 此订单不属于当前用户' })
    const forged = await post('/api/payments/check', { ...payment, paySign: 'X'.repeat(32) })
    expect(forged.data).toEqual({ paid: false, errMsg: 'requestPayment:fail 支付验证签名失败' })
  })

  test('server down: the page hears that the local cloud is not answering', async () => {
    await server.close()
    page = render('pages/profile/index')
    await page.instance.onNicknameSubmit({ detail: { value: { nickname: 'Offline' } } })
    await settle(60)
    expect(page.data.notice).toBe('The local cloud is not answering. Is `npm start` running?')
  })
})

test('a release build with localCloud left in the config calls wx.cloud, never the local URL', async () => {
  // Back to a phone's WeChat with its wx.cloud, the release version, localCloud still set.
  mockConfig.localCloud = base
  world.fake.envVersion = 'release'
  world.fake.wx.cloud = cloudApi
  wx.cloud = cloudApi
  const requestsBefore = world.fake.requests.length
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
  const init = jest.spyOn(world.fake.wx.cloud as { init(): void }, 'init')
  launchApp()
  await settle(20)
  expect(init).toHaveBeenCalledWith({ env: 'test-1a2b3c', traceUser: true })
  const page = render('pages/profile/index')
  await page.instance.onNicknameSubmit({ detail: { value: { nickname: 'Released' } } })
  await settle(30)
  expect(page.data.notice).toBe('Nickname saved.')
  expect(world.fake.calls.map((c) => `${c.name}.${c.data.action}`)).toEqual(['user.updateProfile'])
  expect(world.fake.requests.length).toBe(requestsBefore)
  expect(warn).toHaveBeenCalledWith(
    'localCloud is ignored in the release version: only the develop version uses the local cloud.',
  )
  warn.mockRestore()
})
