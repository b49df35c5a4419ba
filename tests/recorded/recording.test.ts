/**
 * RECORD_WECHAT=1 (server/recording.ts) and npm run recordings:pull (scripts/recordings.ts): a
 * push is kept scrubbed, pulled from npm start's database without writing it, and the file it
 * becomes replays like the sourced ones.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, existsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCloud } from '../../localcloud'
import { DbEngine } from '../../localcloud/db-engine'
import { PULL_PAGE, RECORDINGS, scrub } from '../../server/recording'
import { fetchRecordings, pull, PullError, type Recording } from '../../scripts/recordings'
import { PAY_VARS, payWorld } from '../pay/helpers'
import { OA_VARS, replayCardEvent, replayNotification } from './notifications'
import { replayApi, type ApiRecording } from './apis'

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {}) // the function's one line per delivery
})

const TEXT = {
  ToUserName: 'gh_0123456789ab',
  FromUserName: 'oUser0000000000000000000001',
  CreateTime: 1482048670,
  MsgType: 'text',
  Content: '我的手机号是 13800000000',
  MsgId: 1234567890123456,
}

test('scrubbing keeps every field and its type, hashes who, removes what was said', () => {
  const s = scrub(
    {
      ...TEXT,
      nested: [{ openid: 'oUser0000000000000000000001', phoneNumber: '13800000000', total_fee: 1200, code: 'SUCCESS' }],
    },
    'env-a',
  ) as Record<string, any>
  expect(Object.keys(s)).toEqual([...Object.keys(TEXT), 'nested'])
  expect(s.FromUserName).toMatch(/^h-[0-9a-f]{24}$/)
  expect(s.nested[0].openid).toBe(s.FromUserName) // the same user, the same hash
  expect(scrub({ FromUserName: TEXT.FromUserName }, 'env-b')).not.toEqual({ FromUserName: s.FromUserName }) // another environment, another hash
  expect(s).toMatchObject({
    Content: '[removed]',
    CreateTime: 1482048670,
    MsgType: 'text',
    MsgId: 1234567890123456,
    nested: [{ phoneNumber: '[removed]', total_fee: 1200, code: 'SUCCESS' }],
  })
  expect(JSON.stringify(s)).not.toMatch(/13800000000|oUser0/)
})

test("RECORD_WECHAT=1: a push is kept scrubbed, pulled without writing npm start's files, and replays", async () => {
  const data = mkdtempSync(join(tmpdir(), 'rec-'))
  const cloud = new LocalCloud({ dataDir: data, vars: { RECORD_WECHAT: '1' } })
  expect((await cloud.push.user({ ...TEXT })).acked).toBe(true)
  cloud.db.flush()
  const file = join(data, 'db.json')
  const before = { size: statSync(file).size, journal: existsSync(`${file}.journal`) }
  const engine = new DbEngine({ file, readOnly: true })
  // The push, and the answers of the WeChat calls its handling made (kind api).
  const kept = (engine.dump(RECORDINGS) as unknown as Recording[]).filter((r) => r.kind === 'push')
  expect(kept).toHaveLength(1)
  expect({ size: statSync(file).size, journal: existsSync(`${file}.journal`) }).toEqual(before) // nothing written
  const out = mkdtempSync(join(tmpdir(), 'rec-out-'))
  const [path] = pull(kept, 'npm start', out)
  const recorded = JSON.parse(readFileSync(join(out, path!), 'utf8'))
  expect(recorded).toMatchObject({
    source: expect.stringMatching(/^recorded: npm start, \d{4}-\d{2}-\d{2}$/),
    event: { MsgType: 'text', Content: '[removed]', FromUserName: expect.stringMatching(/^h-/) },
  })
  // It replays as tests/recorded/replay.test.ts replays push files.
  const replay = new LocalCloud()
  expect((await replay.push.user(recorded.event)).acked).toBe(true)
})

test('off by default: nothing is kept', async () => {
  const cloud = new LocalCloud()
  await cloud.push.user({ ...TEXT })
  expect(cloud.db.dump(RECORDINGS)).toEqual([])
})

test('recordings are kept for a set time: the customer-service timer removes expired ones', async () => {
  const cloud = new LocalCloud()
  const now = Date.now()
  cloud.db.seed(RECORDINGS, [
    {
      _id: 'push-old',
      kind: 'push',
      payload: {},
      at: new Date(now - 8 * 86_400_000),
      expiresAt: new Date(now - 86_400_000),
    },
    { _id: 'push-new', kind: 'push', payload: {}, at: new Date(now), expiresAt: new Date(now + 86_400_000) },
  ])
  expect(await cloud.runTimer('customerService', 'cleanup')).toMatchObject({ removed: { recordings: 1 } })
  expect(cloud.db.dump(RECORDINGS).map((r) => r._id)).toEqual(['push-new'])
})

test("--env: customerService answers an administrator's $recordings a page at a time; a user is refused, bad input and odd answers are named", async () => {
  const cloud = new LocalCloud()
  const now = Date.now()
  const n = PULL_PAGE * 2 + 7
  cloud.db.seed(
    RECORDINGS,
    Array.from({ length: n }, (_, i) => ({
      _id: `push-${String(i).padStart(4, '0')}`,
      kind: 'push',
      payload: { MsgType: 'text', i },
      at: new Date(now),
      expiresAt: new Date(now + 86_400_000),
    })),
  )
  const calls: Array<Record<string, unknown>> = []
  // CloudBase's InvokeFunction answers the function's return as the JSON string RetMsg.
  const invoke = async (params: Record<string, unknown>) => {
    calls.push(params)
    return { RequestId: 'r', RetMsg: JSON.stringify(await cloud.invoke('customerService', params, {}, 'wx_devtools')) }
  }
  const got = await fetchRecordings(invoke)
  expect(got.map((r) => (r.payload as { i: number }).i)).toEqual(Array.from({ length: n }, (_, i) => i))
  expect(calls).toEqual([
    { action: '$recordings' },
    { action: '$recordings', after: 'push-0049' },
    { action: '$recordings', after: 'push-0099' },
  ])
  const out = mkdtempSync(join(tmpdir(), 'rec-env-'))
  expect(pull(got, 'prod-9z8y7x', out)).toHaveLength(n)
  // A mini-program user's call carries an OPENID: no recordings, the router's unknown action.
  const user = (await cloud.callFromClient('customerService', { action: '$recordings' }, { openid: 'o-curious-user' }))
    .result as Record<string, unknown>
  expect(user).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ACTION' } })
  expect(
    await cloud.invoke('customerService', { action: '$recordings', after: { $gt: '' } }, {}, 'wx_devtools'),
  ).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
  await expect(fetchRecordings(async () => ({ RetMsg: 'not json' }))).rejects.toThrow(PullError)
  await expect(
    fetchRecordings(async () => ({
      RetMsg: JSON.stringify({ ok: true, data: { recordings: [{ _id: 1 }], next: null } }),
    })),
  ).rejects.toThrow(/did not answer \$recordings with a page of recordings/)
})

test("recordings:pull --mode prod reads .env.prod's environment; without a CAM key it says what to set and exits 2", () => {
  const root = mkdtempSync(join(tmpdir(), 'rec-mode-'))
  writeFileSync(join(root, '.env.prod'), 'TCB_ENV_ID=prod-9z8y7x\n')
  const run = (args: string[]) =>
    spawnSync(join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx'), ['scripts/recordings.ts', ...args], {
      cwd: join(__dirname, '..', '..'),
      env: { PATH: process.env.PATH!, HOME: root, KIT_ENV_DIR: root },
      encoding: 'utf8',
      timeout: 60_000,
    })
  const r = run(['--mode', 'prod'])
  expect(r.status).toBe(2)
  expect(r.stderr).toMatch(
    /^recordings:pull -- --env prod-9z8y7x invokes customerService through CloudBase's Manager API, which needs a CAM API key/,
  )
  const missing = run(['--mode', 'staging'])
  expect(missing.status).toBe(2)
  expect(missing.stderr).toMatch(/--mode staging reads \.env\.staging, which does not exist/)
}, 60_000)

test('RECORD_WECHAT=1 on the pay callbacks: payment and refund notifications are kept scrubbed (merchant ids and openids hashed) and replay', async () => {
  const w = payWorld({ vars: { ...PAY_VARS, RECORD_WECHAT: '1' } })
  await w.subscribe()
  const id = (await w.buy()).data.order.orderId as string
  await w.cloud.cloudPay.pay(id)
  await w.cloud.cloudPay.idle()
  await w.pay('requestRefund', { orderId: id })
  await w.cloud.cloudPay.settleRefund(w.order(id)!.refund.outRefundNo as string)
  const kept = (w.cloud.db.dump(RECORDINGS) as unknown as Recording[]).filter((r) => r.kind !== 'api')
  expect(kept.map((r) => r.kind).sort()).toEqual(['pay-notification', 'refund-notification'])
  const text = JSON.stringify(kept)
  expect(text).not.toContain(PAY_VARS.PAY_SUB_MCH_ID)
  expect(text).not.toContain('o-alice')
  const out = mkdtempSync(join(tmpdir(), 'rec-pay-'))
  const paths = pull(kept, 'npm start', out).sort()
  expect(paths).toEqual([
    expect.stringMatching(/^pay-notification\/recorded-/),
    expect.stringMatching(/^refund-notification\/recorded-/),
  ])
  for (const p of paths) {
    const kind = p.startsWith('pay-') ? 'pay-notification' : 'refund-notification'
    const r = await replayNotification(kind, JSON.parse(readFileSync(join(out, p), 'utf8')).event)
    expect(r).toEqual({
      shape: null,
      attempts: 1,
      acked: true,
      status: kind === 'pay-notification' ? 'PAID' : 'REFUNDED',
    })
  }
})

test('RECORD_WECHAT=1 on cardEvents: the verified card event is kept scrubbed (openid and unionid hashed, the card and code kept) and replays', async () => {
  const cloud = new LocalCloud({ vars: { ...OA_VARS, RECORD_WECHAT: '1' } })
  const bob = { openid: 'o-card-bob' }
  cloud.oa.unionids.set(bob.openid, 'o-bob-unionid')
  const signed = (await cloud.callFromClient('card', { action: 'signCardExt', cardKey: 'coffee-coupon' }, bob))
    .result as { data: { cardId: string; cardExt: string } }
  const added = cloud.oa.addCard(bob.openid, signed.data.cardId, signed.data.cardExt) as { code: string }
  const code = [...cloud.oa.codes.values()].find((c) => c.encrypted === added.code)!.code
  expect((await cloud.cardEvent(cloud.oa.userDoes(code, 'take'))).acked).toBe(true)
  const kept = cloud.db.dump(RECORDINGS) as unknown as Recording[]
  expect(kept.map((r) => r.kind)).toEqual(['card-event'])
  expect(kept[0]!.payload).toMatchObject({
    Event: 'user_get_card',
    CardId: signed.data.cardId,
    UserCardCode: code,
    FromUserName: expect.stringMatching(/^h-/),
    UnionId: expect.stringMatching(/^h-/),
  })
  const out = mkdtempSync(join(tmpdir(), 'rec-card-'))
  const [path] = pull(kept, 'npm start', out)
  expect(path).toMatch(/^card-event\/recorded-/)
  expect(await replayCardEvent(JSON.parse(readFileSync(join(out, path!), 'utf8')).event)).toEqual({
    shape: null,
    attempts: 1,
    acked: true,
    kept: true,
  })
})

test("RECORD_WECHAT=1: the WeChat API answers the functions get (a checked nickname, a refused phone code) are kept in the SDK's form and replay against the sandbox", async () => {
  const cloud = new LocalCloud({ vars: { RECORD_WECHAT: '1' } })
  const carol = { openid: 'o-recorded-carol' }
  const call = async (action: string, data: Record<string, unknown> = {}) =>
    (await cloud.callFromClient('user', { action, ...data }, carol)).result as { ok: boolean }
  expect((await call('login')).ok).toBe(true)
  expect((await call('updateProfile', { nickname: '小明' })).ok).toBe(true)
  expect((await call('bindPhone', { code: 'not-a-code-from-wechat' })).ok).toBe(false)
  const apis = (cloud.db.dump(RECORDINGS) as unknown as Recording[]).filter((r) => r.kind === 'api')
  expect(apis.map((r) => (r.payload as ApiRecording).api)).toEqual([
    'security.msgSecCheck',
    'phonenumber.getPhoneNumber',
  ])
  const [checked, refused] = apis.map((r) => r.payload as ApiRecording)
  expect(checked).toMatchObject({
    form: 'sdk',
    request: { openid: expect.stringMatching(/^h-/), content: '[removed]', nickname: '[removed]' },
    answer: { errCode: 0, result: { suggest: 'pass' } },
  })
  expect(refused).toMatchObject({ form: 'sdk', answer: { errcode: 40029, errmsg: expect.any(String) } })
  expect(JSON.stringify(apis)).not.toMatch(/小明|o-recorded-carol/)
  const out = mkdtempSync(join(tmpdir(), 'rec-api-'))
  const paths = pull(apis, 'npm start', out)
  expect(paths).toHaveLength(2)
  for (const p of paths) {
    expect(p).toMatch(/^api\/recorded-/)
    const file = JSON.parse(readFileSync(join(out, p), 'utf8')) as ApiRecording & { source: string }
    expect(file.source).toMatch(/^recorded: npm start, /)
    const r = await replayApi(file)
    expect(r).toEqual({ errcode: r.expected, expected: r.expected, shape: null })
  }
})
