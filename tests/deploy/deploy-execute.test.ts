/**
 * npm run deploy carrying out its plan (scripts/deploy-cloudbase.ts): what it asks of CloudBase in
 * order, against a recording fake (HTTP access paths, permissions uploaded and read back from
 * WeChat, no login); the real CLI only for the login check.
 */
import type { Readback } from '../../scripts/func-config'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execute, realCloudBase, type CloudBase } from '../../scripts/deploy-cloudbase'
import { DeployError, describeStep, makePlan, parseOptions, type Step } from '../../scripts/deploy-plan'

import { KEY_ENV, KEY_PATH, opts, project } from './fixture'

function fakeCloud(
  existing: { collections: string[]; indexes: string[]; routes?: Record<string, string[]> | 'SERVICE_OFF' },
  loginOk = true,
  readback: (name: string, wanted: string[]) => Readback = () => ({ state: 'APPLIED' }),
): CloudBase & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    async checkLogin() {
      calls.push('login')
      if (!loginOk)
        throw new DeployError(
          'Not logged in to CloudBase: run npx tcb login (or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY) and run npm run deploy again.',
        )
    },
    async deployFunction(n) {
      calls.push(`fn ${n}`)
    },
    async uploadWithPermissions(n) {
      calls.push(`upload ${n}`)
    },
    async readPermissions(n, wanted) {
      calls.push(`read ${n}`)
      return readback(n, wanted)
    },
    async createTriggers(n) {
      calls.push(`trigger ${n}`)
    },
    async ensureCollection(n) {
      calls.push(`collection ${n}`)
      return existing.collections.includes(n) ? 'exists' : 'created'
    },
    async ensureIndex(c, i) {
      calls.push(`index ${c}.${i.IndexName}`)
      return existing.indexes.includes(`${c}.${i.IndexName}`) ? 'exists' : 'created'
    },
    async setRules(c, r) {
      calls.push(`rules ${c} ${r}`)
    },
    async ensureRoute(fn, path) {
      calls.push(`route ${fn} ${path}`)
      // CreateCloudBaseGWAPI fails while the environment's HTTP access service is off.
      if (existing.routes === 'SERVICE_OFF') throw new Error('[CreateCloudBaseGWAPI] FailedOperation.ServiceNotOpen')
      const have = existing.routes?.[fn] ?? []
      return have.length ? { state: 'exists', paths: have } : { state: 'created', paths: [path] }
    },
  }
}

test('the HTTP path cardEvents needs is created when missing, kept when there, and a failure is a manual step with why', async () => {
  const run = async (routes: Record<string, string[]> | 'SERVICE_OFF' | undefined) => {
    const cloud = fakeCloud({ collections: [], indexes: [], ...(routes ? { routes } : {}) })
    const log: string[] = []
    const manual = await execute(
      makePlan(project, opts).filter((s) => s.kind === 'route'),
      cloud,
      (l) => log.push(l),
      async (n) => ({ name: n, bytes: 1 }),
    )
    return { calls: cloud.calls, log, manual }
  }
  const fresh = await run(undefined)
  expect(fresh.calls).toEqual(['login', 'route cardEvents /card-events'])
  expect(fresh.log).toEqual(['HTTP access for cardEvents: created /card-events'])
  expect((await run({ cardEvents: ['/oa'] })).log).toEqual(['HTTP access for cardEvents: exists (/oa)'])
  const off = await run('SERVICE_OFF')
  expect(off.log).toEqual(['HTTP access for cardEvents: NOT created'])
  expect(off.manual).toEqual([
    expect.stringMatching(
      /^HTTP access for cardEvents could not be created \(\[CreateCloudBaseGWAPI\] FailedOperation\.ServiceNotOpen\): in the cloud console → HTTP 访问服务, turn the service on and add the path \/card-events → cardEvents\.$/,
    ),
  ])
})

test("under PAY_PROVIDER=wxpay-v3 the plan creates payNotify's /pay-notify and says what the merchant links, instead of cloudPay's binding", () => {
  const v3 = makePlan(project, parseOptions(['--dry-run'], { TCB_ENV_ID: 'prod-1a2b3c', PAY_PROVIDER: 'wxpay-v3' }))
  expect(v3.filter((s) => s.kind === 'route')).toEqual([
    { kind: 'route', fn: 'cardEvents', path: '/card-events' },
    { kind: 'route', fn: 'payNotify', path: '/pay-notify' },
  ])
  const manual = v3
    .filter((s) => s.kind === 'manual')
    .map((s) => describeStep(s))
    .join('\n')
  expect(manual).toMatch(
    /WeChat Pay APIv3: link the AppID to WXPAY_MCHID .* set WXPAY_NOTIFY_URL to payNotify's \/pay-notify address/,
  )
  expect(manual).not.toMatch(/PAY_SUB_MCH_ID/)
  const cloudPay = makePlan(project, parseOptions(['--dry-run'], { TCB_ENV_ID: 'prod-1a2b3c' }))
  expect(cloudPay.filter((s) => s.kind === 'route').map((s) => s.kind === 'route' && s.fn)).toEqual(['cardEvents'])
  expect(
    cloudPay
      .filter((s) => s.kind === 'manual')
      .map((s) => describeStep(s))
      .join('\n'),
  ).toMatch(/cloudPay: .* bind the sub-merchant \(PAY_SUB_MCH_ID\)/)
})

test('execute: login first, functions then triggers, collections and only missing indexes, rules; manual steps returned', async () => {
  const cloud = fakeCloud({ collections: ['orders'], indexes: ['orders.outTradeNo_1'] })
  const built: string[] = []
  const log: string[] = []
  const manual = await execute(
    makePlan(project, opts),
    cloud,
    (l) => log.push(l),
    async (n) => {
      built.push(n)
      return { name: n, bytes: 1 }
    },
  )
  expect(cloud.calls[0]).toBe('login')
  expect(built.sort()).toEqual(project.functions.map((f) => f.name).sort())
  expect(cloud.calls.indexOf('trigger payExpire')).toBeGreaterThan(cloud.calls.indexOf('fn payExpire'))
  expect(cloud.calls).not.toContain('trigger user')
  expect(cloud.calls.filter((c) => c.startsWith('rules '))).toHaveLength(project.collections.length)
  expect(log).toContain(
    'collection orders: exists, indexes created: requestKey_1, owner_created, status_expires, notice_paid, notice_refunded, timeEnd_1, refund_accepted, rules set',
  )
  expect(log).toContain('collection users: created, indexes created: openids_1, unionid_1, rules set')
  expect(manual.length).toBeGreaterThanOrEqual(3)
})

test('cloud-call permissions: without the upload key deploy stops with the way out; --no-permissions lists the functions for DevTools', () => {
  expect(() => parseOptions([], { TCB_ENV_ID: 'prod-1a2b3c' })).toThrow(
    /^Cloud-call permissions \(config\.json permissions\.openapi\) are applied only by an upload through DevTools' channel, which needs the code-upload key: No AppID: set MP_APPID/,
  )
  const skip = parseOptions(['--no-permissions'], { TCB_ENV_ID: 'prod-1a2b3c' })
  const plan = makePlan(project, skip)
  const fn = (name: string) =>
    plan.find((s): s is Extract<Step, { kind: 'function' }> => s.kind === 'function' && s.name === name)!
  expect(fn('pay').permissionsVia).toBe('by-hand')
  expect(fn('werun').permissionsVia).toBe('none-needed')
  const manual = plan.filter((s): s is Extract<Step, { kind: 'manual' }> => s.kind === 'manual').map((s) => s.text)
  const needing = project.functions.filter((f) => f.permissions?.length).map((f) => f.name)
  expect(needing).toEqual(expect.arrayContaining(['pay', 'user', 'share', 'soter', 'customerService']))
  expect(manual[0]).toMatch(new RegExp(`^Cloud-call permissions: upload ${needing.join(', ')} from DevTools`))
})

test("with the upload key every function that calls WeChat is uploaded again through DevTools' channel, after tcb and before its timer", async () => {
  const withKey = parseOptions([], { TCB_ENV_ID: 'prod-1a2b3c', ...KEY_ENV })
  expect(withKey.uploadKey).toEqual({ appid: KEY_ENV.MP_APPID, privateKeyPath: KEY_PATH })
  const plan = makePlan(project, withKey)
  expect(plan.filter((s) => s.kind === 'manual' && /Cloud-call permissions/.test(s.text))).toEqual([])
  const cloud = fakeCloud({ collections: [], indexes: [] })
  await execute(
    plan,
    cloud,
    () => {},
    async (n) => ({ name: n, bytes: 1 }),
  )
  const at = (c: string) => cloud.calls.indexOf(c)
  expect(at('upload pay')).toBe(at('fn pay') + 1)
  expect(at('read pay')).toBe(at('upload pay') + 1)
  expect(at('trigger payExpire')).toBe(at('read payExpire') + 1)
  expect(cloud.calls).not.toContain('upload werun') // no permissions to apply
  expect(cloud.calls.filter((c) => c.startsWith('upload ')).sort()).toEqual(
    project.functions
      .filter((f) => f.permissions?.length)
      .map((f) => `upload ${f.name}`)
      .sort(),
  )
})

test('execute without a login stops before building or deploying anything', async () => {
  const cloud = fakeCloud({ collections: [], indexes: [] }, false)
  const built: string[] = []
  await expect(
    execute(
      makePlan(project, opts),
      cloud,
      () => {},
      async (n) => {
        built.push(n)
        return { name: n, bytes: 1 }
      },
    ),
  ).rejects.toThrow('Not logged in to CloudBase')
  expect(cloud.calls).toEqual(['login'])
  expect(built).toEqual([])
})

test('the real CLI without a login gives the login sentence', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tcb-home-'))
  const cloud = realCloudBase(opts, { PATH: process.env.PATH, HOME: home })
  await expect(cloud.checkLogin()).rejects.toThrow(
    new DeployError(
      'Not logged in to CloudBase: run npx tcb login (or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY) and run npm run deploy again.',
    ),
  )
}, 120_000)

test('deploy says "permissions applied" only when WeChat lists them; missing or unreadable ones are said, with the way out', async () => {
  const withKey = parseOptions([], { TCB_ENV_ID: 'prod-1a2b3c', ...KEY_ENV })
  const cloud = fakeCloud({ collections: [], indexes: [] }, true, (name, wanted) =>
    name === 'pay'
      ? { state: 'MISSING', missing: wanted.slice(0, 1), why: 'WeChat lists no permissions for pay.' }
      : name === 'user'
        ? { state: 'UNKNOWN', why: 'MP_APPSECRET is not set.' }
        : { state: 'APPLIED' },
  )
  const log: string[] = []
  const manual = await execute(
    makePlan(project, withKey),
    cloud,
    (l) => log.push(l),
    async (n) => ({ name: n, bytes: 1 }),
  )
  const payWanted = project.functions.find((f) => f.name === 'pay')!.permissions!
  expect(log).toContain(`deployed pay, permissions NOT applied: ${payWanted[0]} missing`)
  expect(log).toContain('deployed user, permissions uploaded, not confirmed')
  expect(log).toContain('deployed share, permissions applied (read back from WeChat)')
  expect(log).toContain('deployed werun') // nothing to apply, nothing claimed
  expect(manual).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^Cloud-call permissions of pay: WeChat lists no permissions for pay\. Upload it from DevTools/,
      ),
      expect.stringMatching(
        /^Cloud-call permissions of user could not be read back: MP_APPSECRET is not set\. Check them in DevTools/,
      ),
    ]),
  )
})
