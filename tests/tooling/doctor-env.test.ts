/**
 * npm run doctor -- --env / --mode / --against (scripts/doctor-env.ts, doctor-compare.ts): a real
 * environment read through the CloudBase Manager API and WeChat's, and two environments compared.
 * The environment here is a CloudBase that answers in the documented shapes (manager-node's types
 * IFunctionInfo, IFunctionInvokeRes, ITableInfo, ICollectionInfo; DescribeSafeRule of
 * cloud.tencent.com/document/api/876/128118; wxaapi/newtmpl/gettemplate of the subscribe-message
 * document) over a local cloud, so the same drift shows through the real path. Odd answers stop
 * doctor with the call named; values of variables never appear.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type LocalCloud } from '../../localcloud'
import { readProject } from '../../scripts/deploy-config'
import { HTTP_ENTRIES } from '../../scripts/deploy-plan'
import { diagnose } from '../../scripts/doctor-checks'
import { localView, render, repoBuilds, targetsOf } from '../../scripts/doctor'
import { compareViews } from '../../scripts/doctor-compare'
import { envView, EnvError, keywordsOf, type EnvApi } from '../../scripts/doctor-env'
import { LOCAL_VARS, openLocalCloud } from '../../scripts/start'

const ROOT = join(__dirname, '..', '..')
const project = readProject()
const builds = repoBuilds(
  ROOT,
  project.functions.map((f) => f.name),
)

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {}) // the functions' one line per invocation
})

/** SCF's error for a function that does not exist (GetFunction). */
const notFound = () =>
  Object.assign(new Error('[GetFunction] The function does not exist'), { code: 'ResourceNotFound.Function' })

/** CloudBase and WeChat as their documents answer, over a local cloud; `patch` changes one answer. */
function cloudbaseOver(cloud: LocalCloud, patch: Partial<EnvApi> = {}): EnvApi {
  const rc = new Map(project.functions.map((f) => [f.name, f]))
  const api: EnvApi = {
    async getFunctionDetail(name) {
      const fn = rc.get(name)
      if (!fn) throw notFound()
      const cfg = cloud.functionConfig(name)
      return {
        FunctionName: name,
        Runtime: fn.runtime ?? 'Nodejs16.13',
        Timeout: cfg.timeout,
        Environment: {
          Variables: Object.keys(fn.envVariables ?? {}).map((Key) => ({ Key, Value: cfg.envVariables[Key] ?? '' })),
        },
        Triggers: (fn.triggers ?? []).map((t) => ({ TriggerName: t.name, Type: 'timer', TriggerDesc: t.config })),
        Status: 'Active',
      }
    },
    async invokeFunction(name, params) {
      const ret = await cloud.invoke(name, params, {}, 'wx_devtools')
      return { RequestId: 'r1', RetMsg: JSON.stringify(ret), ErrMsg: '', Log: '', Duration: 3 }
    },
    async listCollections(offset, limit) {
      const names = cloud.db.collectionNames()
      return {
        Collections: names.slice(offset, offset + limit).map((CollectionName) => ({ CollectionName, Count: 0 })),
        Pager: { Offset: offset, Limit: limit, Total: names.length },
      }
    },
    async describeCollection(name) {
      return {
        Indexes: (cloud.db.specOf(name)?.indexes ?? []).map((i) => ({
          Name: i.name,
          Unique: i.unique === true,
          Keys: [],
        })),
        IndexNum: 0,
      }
    },
    async accessList() {
      // DescribeCloudBaseGWAPI: the paths npm start serves, as a deployed environment would route them.
      return {
        APISet: HTTP_ENTRIES.map((e, i) => ({
          ServiceId: 's',
          APIId: `a${i}`,
          Path: `${e.path} (npm start)`,
          Type: 1,
          Name: e.fn,
          CreateTime: 0,
          EnvId: 'test',
          EnableAuth: false,
        })),
        Total: HTTP_ENTRIES.length,
        EnableService: true,
      }
    },
    async describeSafeRule(name) {
      return { AclTag: 'CUSTOM', Rule: JSON.stringify(cloud.db.specOf(name)?.rules), RequestId: 'r2' }
    },
    async permissions(name, wanted) {
      const have = cloud.functionConfig(name).permissions
      const missing = wanted.filter((p) => !have.includes(p))
      return missing.length ? { state: 'MISSING', missing, why: 'WeChat lists fewer.' } : { state: 'APPLIED' }
    },
    async templates() {
      return {
        errcode: 0,
        errmsg: 'ok',
        data: [...cloud.openapi.templates].map((id) => ({
          priTmplId: id,
          title: '支付成功通知',
          content: (cloud.openapi.templateKeywords.get(id) ?? []).map((k) => `项目:{{${k}.DATA}}`).join('\n'),
          example: '',
          type: 2,
        })),
      }
    },
  }
  return { ...api, ...patch }
}

const en = async (api: EnvApi, vars = LOCAL_VARS) =>
  render(diagnose(project, await envView(api, project, vars), builds), 'en')

test('a real environment with no drift reads as the local cloud does: the same lines', async () => {
  const cloud = openLocalCloud(LOCAL_VARS)
  const viaEnv = await en(cloudbaseOver(cloud))
  const viaLocal = render(diagnose(project, await localView(openLocalCloud(LOCAL_VARS), project), builds), 'en')
  expect(viaEnv).toEqual(viaLocal)
  expect(viaEnv.filter((l) => l.startsWith('✗'))).toEqual([])
})

test('drift seen through the Manager API: a missing function, a simple permission, an unset variable, timeout and runtime, a missing timer', async () => {
  const cloud = openLocalCloud({ ...LOCAL_VARS, WERUN_GOAL: '' })
  const base = cloudbaseOver(cloud)
  const lines = await en(
    cloudbaseOver(cloud, {
      async getFunctionDetail(name) {
        if (name === 'soter') throw notFound()
        const info = (await base.getFunctionDetail(name)) as Record<string, unknown>
        if (name === 'rank') return { ...info, Triggers: [] }
        if (name === 'share') return { ...info, Timeout: 3, Runtime: 'Nodejs10.15' }
        // Set in the console to an empty value: the same as not set.
        if (name === 'pay') {
          const vars = (info.Environment as { Variables: Array<{ Key: string; Value: string }> }).Variables
          return {
            ...info,
            Environment: { Variables: vars.map((x) => (x.Key === 'PAY_SUB_MCH_ID' ? { ...x, Value: '' } : x)) },
          }
        }
        return info
      },
      // No HTTP access route yet: cards' events cannot arrive; URL-mode push is optional.
      accessList: async () => ({
        APISet: [
          {
            ServiceId: 's',
            APIId: 'a',
            Path: '/site',
            Type: 2,
            Name: 'hosting',
            CreateTime: 0,
            EnvId: 'test',
            EnableAuth: false,
          },
        ],
        Total: 1,
      }),
      async describeSafeRule(name) {
        // The console's simple permissions: users set to "all read, creator writes".
        return name === 'users'
          ? { AclTag: 'READONLY', Rule: null }
          : name === 'cards'
            ? { AclTag: 'ADMINONLY' }
            : base.describeSafeRule(name)
      },
    }),
    { ...LOCAL_VARS, WERUN_GOAL: '' },
  )
  const said = (re: RegExp) => lines.filter((l) => re.test(l))
  expect(said(/^✗ function soter: missing — Run npm run deploy/)).toHaveLength(1)
  expect(said(/^✗ function rank: timer boards missing/)).toHaveLength(1)
  expect(
    said(
      /^✗ function share: runtime Nodejs10\.15, not Nodejs16\.13; timeout 3s, not 10s \(cloudbaserc\.json\) — Run npm run deploy/,
    ),
  ).toHaveLength(1)
  expect(said(/^✗ function pay: variables PAY_SUB_MCH_ID not set/)).toHaveLength(1)
  expect(
    said(
      /^✗ function cardEvents: no HTTP access path, so the official account's card events cannot reach it — Run npm run deploy \(it creates \/card-events\)/,
    ),
  ).toHaveLength(1)
  expect(
    said(/^✓ function customerServiceHttp: no HTTP access path \(needed only for URL-mode message push\)$/),
  ).toHaveLength(1)
  expect(said(/^✓ function payNotify: no HTTP access path \(needed only with PAY_PROVIDER=wxpay-v3\)$/)).toHaveLength(1)
  expect(said(/^✗ collection users: security rules differ/)).toHaveLength(1)
  // ADMINONLY means { read: false, write: false }, which is what cards asks for.
  expect(said(/^✓ collection cards: /)).toHaveLength(1)
  // WERUN_GOAL has a default, so an empty one is not a ✗; the values never appear.
  expect(lines.join('\n')).not.toContain(LOCAL_VARS.PAY_SUB_MCH_ID!)
})

test('with PAY_PROVIDER=wxpay-v3 a missing /pay-notify is a ✗: the payment notifications cannot arrive', async () => {
  const vars = { ...LOCAL_VARS, PAY_PROVIDER: 'wxpay-v3' }
  const cloud = openLocalCloud(vars)
  const noPayNotify = async () => ({
    APISet: [
      {
        ServiceId: 's',
        APIId: 'a',
        Path: '/card-events',
        Type: 1,
        Name: 'cardEvents',
        CreateTime: 0,
        EnvId: 'test',
        EnableAuth: false,
      },
    ],
    Total: 1,
    EnableService: true,
  })
  const lines = await en(cloudbaseOver(cloud, { accessList: noPayNotify }), vars)
  expect(lines.filter((l) => /^✗/.test(l))).toEqual([
    expect.stringMatching(
      /^✗ function payNotify: no HTTP access path, so WeChat Pay APIv3's payment and refund notifications cannot reach it — Run npm run deploy \(it creates \/pay-notify\), then enter that URL in WXPAY_NOTIFY_URL in \.env\.$/,
    ),
  ])
})

test("odd answers stop doctor with the call named; a refused key is the key's sentence; templates unreadable are a ? with why", async () => {
  const cloud = openLocalCloud(LOCAL_VARS)
  const odd = cloudbaseOver(cloud, { getFunctionDetail: async () => ({ FunctionName: 'user', Timeout: '10' }) })
  await expect(envView(odd, project, LOCAL_VARS)).rejects.toThrow(
    new EnvError(
      'CloudBase answered GetFunction for user in a shape its document does not give: doctor cannot tell, so it stops here.',
    ),
  )
  const badRule = cloudbaseOver(cloud, { describeSafeRule: async () => ({ AclTag: 'CUSTOM', Rule: '{not json' }) })
  await expect(envView(badRule, project, LOCAL_VARS)).rejects.toThrow(
    /^CloudBase answered DescribeSafeRule for \w+ \(Rule is not JSON\) in a shape its document does not give/,
  )
  const unknownTag = cloudbaseOver(cloud, { describeSafeRule: async () => ({ AclTag: 'EVERYONE' }) })
  await expect(envView(unknownTag, project, LOCAL_VARS)).rejects.toThrow(/DescribeSafeRule/)
  await expect(
    envView(cloudbaseOver(cloud, { accessList: async () => ({ APISet: 'none' }) }), project, LOCAL_VARS),
  ).rejects.toThrow(/^CloudBase answered DescribeCloudBaseGWAPI for the HTTP access routes in a shape/)
  const refused = cloudbaseOver(cloud, {
    getFunctionDetail: async () => {
      throw Object.assign(new Error('The SecretId is not found'), { code: 'AuthFailure.SecretIdNotFound' })
    },
  })
  await expect(envView(refused, project, LOCAL_VARS)).rejects.toThrow(
    /CloudBase refused the API key in TENCENTCLOUD_SECRETID/,
  )
  const noSecret = await en(
    cloudbaseOver(cloud, {
      templates: async () => ({ why: 'MP_APPSECRET is not set' }),
      permissions: async () => ({ state: 'UNKNOWN', why: 'MP_APPSECRET is not set' }),
    }),
  )
  expect(
    noSecret.filter((l) =>
      /^\? subscribe template SUBSCRIBE_TMPL_PAID: the account's templates cannot be read \(MP_APPSECRET is not set\)$/.test(
        l,
      ),
    ),
  ).toHaveLength(1)
  expect(
    noSecret.filter((l) => /^\? function user: cloud-call permissions unreadable \(MP_APPSECRET is not set\)$/.test(l)),
  ).toHaveLength(1)
  const token = await en(
    cloudbaseOver(cloud, { templates: async () => ({ errcode: 40001, errmsg: 'invalid credential' }) }),
  )
  expect(token.some((l) => l.includes('(gettemplate errcode 40001: invalid credential)'))).toBe(true)
})

test('the template keywords are read from the content as the document prints it', () => {
  expect(
    keywordsOf(
      '订单编号:{{character_string1.DATA}}\n商品名称:{{thing2.DATA}}\n支付金额:{{ amount3.DATA }}\n支付时间:{{time4.DATA}}',
    ),
  ).toEqual(['character_string1', 'thing2', 'amount3', 'time4'])
})

test('--against: two environments compared, each difference named with the side behind', async () => {
  const dev = await envView(cloudbaseOver(openLocalCloud(LOCAL_VARS)), project, LOCAL_VARS)
  const prodCloud = openLocalCloud({ ...LOCAL_VARS, PAY_SUB_MCH_ID: '1234567890' })
  const orders = prodCloud.db.specOf('orders')!
  prodCloud.db.createCollection({ ...orders, indexes: orders.indexes!.filter((i) => i.name !== 'owner_created') })
  const base = cloudbaseOver(prodCloud)
  const prod = await envView(
    cloudbaseOver(prodCloud, {
      getFunctionDetail: async (n) => (n === 'card' ? Promise.reject(notFound()) : base.getFunctionDetail(n)),
    }),
    project,
    prodCloud.vars,
  )
  const lines = render(compareViews(project, prod, dev, ['prod', 'dev']), 'en')
  const said = (re: RegExp) => lines.filter((l) => re.test(l))
  expect(said(/^✗ function card: missing in prod — Run npm run deploy for the one behind \(prod\)/)).toHaveLength(1)
  expect(said(/^✗ collection orders \(prod \/ dev\): indexes \d+ \/ \d+ of \d+/)).toHaveLength(1)
  expect(said(/^✗ merchant binding: prod NOT_BOUND \/ dev BOUND/)).toHaveLength(1)
  expect(said(/^✓ function rank: the same in both$/)).toHaveLength(1)
  expect(lines.filter((l) => l.startsWith('✗'))).toHaveLength(3)
  expect(render(compareViews(project, dev, dev, ['dev', 'dev']), 'en').filter((l) => l.startsWith('✗'))).toEqual([])
})

describe('targets: --local, --env, --mode and --against from the arguments and .env.<mode>', () => {
  const root = mkdtempSync(join(tmpdir(), 'doctor-modes-'))
  writeFileSync(join(root, '.env'), 'TCB_ENV_ID=dev-1a2b3c\nMP_APPID=wx1234567890abcdef\n')
  writeFileSync(join(root, '.env.prod'), 'TCB_ENV_ID=prod-9z8y7x\nTENCENTCLOUD_SECRETID=AKIDprod\n')
  writeFileSync(join(root, '.env.dev'), 'TCB_ENV_ID=dev-1a2b3c\n')
  const shell = { KIT_ENV_DIR: root }
  test("--mode prod reads .env.prod's environment and keys; --against dev reads .env.dev", () => {
    const t = targetsOf(['--mode', 'prod', '--against', 'dev'], shell, root)
    expect(t.first).toMatchObject({
      kind: 'env',
      label: 'prod',
      envId: 'prod-9z8y7x',
      vars: { TENCENTCLOUD_SECRETID: 'AKIDprod' },
    })
    expect(t.against).toMatchObject({ kind: 'env', label: 'dev', envId: 'dev-1a2b3c' })
    expect(t.against && 'vars' in t.against && t.against.vars.TENCENTCLOUD_SECRETID).toBeFalsy()
  })
  test('--env, --local and --against local; bad arguments are one sentence', () => {
    expect(targetsOf(['--env', 'test-5k4j3h'], shell, root).first).toMatchObject({ envId: 'test-5k4j3h' })
    expect(targetsOf(['--local', '--against', 'local'], shell, root)).toEqual({
      first: { kind: 'local', label: 'local' },
      against: { kind: 'local', label: 'local' },
    })
    expect(() => targetsOf(['--mode', 'staging'], shell, root)).toThrow(
      /--mode staging reads \.env\.staging, which does not exist/,
    )
    expect(() => targetsOf(['--local', '--against', 'staging'], shell, root)).toThrow(
      /--against staging reads \.env\.staging, which does not exist, and staging is not an env id/,
    )
    expect(() => targetsOf(['--env', 'Prod_ENV'], shell, root)).toThrow(/capital letters/)
    expect(() => targetsOf([], shell, root)).toThrow(/npm run doctor -- --local/)
  })
  test('the command: --mode prod without a CAM key says what to set and exits 2, naming no value', () => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/doctor.ts', '--env', 'prod-9z8y7x'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, HOME: root, KIT_ENV_DIR: root },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(r.status).toBe(2)
    expect(r.stderr.trim()).toBe(
      "npm run doctor -- --env prod-9z8y7x reads the environment through CloudBase's Manager API, which needs a CAM API key: set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (访问管理 → API 密钥; a key with read access is enough) and run it again.",
    )
  }, 60_000)
})
