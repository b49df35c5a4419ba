/** What the local cloud gives a function: context, CloudID, openapi wire and errors, storage, limits. */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { CloudIdRef, LocalCloud } from '../../localcloud'

const cloud = new LocalCloud({ root: join(__dirname, '../fixtures/project'), env: 'env-ctx', appid: 'wxapp' })
const probe = (data: Record<string, unknown>, openid = 'o-1', unionid?: string) =>
  cloud
    .callFromClient('probe', data, { openid, ...(unionid ? { unionid } : {}), clientIp: '10.0.0.8' })
    .then((r) => r.result as any)

test('getWXContext per invocation, isolated under concurrency', async () => {
  const [a, b] = await Promise.all([
    probe({ op: 'context', delay: 20 }, 'o-a', 'U-a'),
    probe({ op: 'context', delay: 5 }, 'o-b'),
  ])
  expect(a).toEqual({
    OPENID: 'o-a',
    APPID: 'wxapp',
    UNIONID: 'U-a',
    CLIENTIP: '10.0.0.8',
    ENV: 'env-ctx',
    SOURCE: 'wx_client',
  })
  expect(b).toEqual({ OPENID: 'o-b', APPID: 'wxapp', CLIENTIP: '10.0.0.8', ENV: 'env-ctx', SOURCE: 'wx_client' })
  expect(process.env.WX_OPENID).toBeUndefined()
})

test('code that assigns process.env (as npm-conf, under miniprogram-ci, does) still can once a local cloud runs functions', () => {
  // In a plain Node process: Jest gives each test file a process.env of its own, which hides the problem.
  const script = `
    const { LocalCloud } = require('./localcloud')
    const cloud = new LocalCloud({ root: ${JSON.stringify(join(__dirname, '../fixtures/project'))} })
    cloud.callFromClient('probe', { op: 'context' }, { openid: 'o-1' }).then(() => {
      process.env.KIT_CONTEXT_TEST_ASSIGNED = 'first' // a new name
      process.env.KIT_CONTEXT_TEST_ASSIGNED = 'yes' // a name that exists (npm-conf sets HOME)
      process.stdout.write(String(process.env.KIT_CONTEXT_TEST_ASSIGNED))
    })`
  const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: join(__dirname, '../..'),
    encoding: 'utf8',
  })
  expect(run.stderr).toBe('')
  expect(run.stdout).toBe('yes')
})

test('a function calling a function: SOURCE is chained, context carried', async () => {
  expect(await probe({ op: 'callOther' })).toMatchObject({ OPENID: 'o-1', SOURCE: 'wx_client,scf' })
})

test('the event carries userInfo as WeChat adds it; data travels as JSON', async () => {
  const r = await probe({ op: 'event', when: new Date(0) })
  expect(r.event).toEqual({
    op: 'event',
    when: '1970-01-01T00:00:00.000Z',
    userInfo: { appId: 'wxapp', openId: 'o-1' },
  })
})

test('top-level CloudIDs are replaced and listed in OPEN_DATA_INFO; nested ones are not', async () => {
  const id = cloud.issueCloudId({ stepInfoList: [{ timestamp: 1, step: 2 }] })
  const r = (
    await cloud.callFromClient(
      'probe',
      { op: 'event', weRun: new CloudIdRef(id), nested: { x: id } },
      { openid: 'o-1' },
    )
  ).result as any
  expect(r.event.weRun).toEqual({ cloudID: id, data: { stepInfoList: [{ timestamp: 1, step: 2 }] } })
  expect(r.event.nested).toEqual({ x: id })
  expect(JSON.parse(r.context.OPEN_DATA_INFO)).toEqual({ keys: ['weRun'] })
})

test('a forged { cloudID, data } object is not listed in OPEN_DATA_INFO', async () => {
  const r = await probe({ op: 'event', weRun: { cloudID: 'x', data: { fake: true } } })
  expect(r.context.OPEN_DATA_INFO).toBeUndefined()
})

test('an expired CloudID arrives as errCode -601006', async () => {
  let now = 1_000_000
  const timed = new LocalCloud({ root: join(__dirname, '../fixtures/project'), now: () => now })
  const id = timed.issueCloudId({ a: 1 })
  now += 5 * 60_000 + 1
  const r = (await timed.callFromClient('probe', { op: 'event', d: new CloudIdRef(id) }, { openid: 'o' })).result as any
  expect(r.event.d).toMatchObject({ cloudID: id, errCode: -601006 })
})

test('cloud.getOpenData resolves CloudIDs through the SDK protobuf path', async () => {
  const id = cloud.issueCloudId({ opengid: 'G1' })
  const r = await probe({ op: 'openData', list: [id] })
  expect(r.list).toEqual([{ cloudID: id, data: { opengid: 'G1' } }])
})

test('openapi: documented answer, camelCased by the SDK; WeChat errors become CloudSDKError', async () => {
  const ok = await probe({ op: 'openapi', openid: 'o-1' })
  expect(ok.result).toMatchObject({
    errCode: 0,
    errMsg: 'openapi.security.msgSecCheck:ok',
    result: { suggest: 'pass', label: 100 },
  })
  expect(ok.result.traceId).toMatch(/^[0-9a-f]+$/)
  cloud.openapi.failNext('security.msgSecCheck', 87014, 'risky content')
  const bad = await probe({ op: 'openapi', openid: 'o-1' })
  expect(bad).toEqual({ ok: false, errCode: 87014, errMsg: expect.stringContaining('risky content'), isError: true })
  const last = cloud.openapi.callsTo('security.msgSecCheck').at(-1)!
  expect(last).toMatchObject({
    fn: 'probe',
    openid: 'o-1',
    ok: false,
    errcode: 87014,
    params: { version: 2, scene: 1, content: 'hi' },
  })
})

test('an API missing from config.json permissions fails with -604101', async () => {
  expect(await probe({ op: 'unlisted' })).toEqual({ ok: false, errCode: -604101 })
})

test('storage: upload, temp URL (missing file -> -503003), download, delete', async () => {
  const r = await probe({ op: 'storage' })
  expect(r.fileID).toBe('cloud://env-ctx.local-env-ctx/probe/a.txt')
  expect(r.status).toEqual([0, -503003])
  expect(r.content).toBe('hello')
  expect(r.deleted).toBe(0)
})

test('function errors: thrown -> -504002, over the configured timeout -> -504003, missing -> -501000', async () => {
  await expect(probe({ op: 'throw' })).rejects.toMatchObject({ errCode: -504002 })
  await expect(probe({ op: 'slow' })).rejects.toMatchObject({ errCode: -504003 })
  await expect(cloud.callFromClient('nope', {}, { openid: 'o' })).rejects.toMatchObject({ errCode: -501000 })
  expect(cloud.invocations.find((i) => i.error?.errCode === -504003)?.fn).toBe('probe')
})
