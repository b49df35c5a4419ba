/**
 * npm run doctor -- --local (scripts/doctor.ts): with no drift nothing is ✗; each kind of drift
 * injected into a local cloud (a missing index, a changed rule, an old build, a missing variable,
 * unapplied permissions, an unbound merchant, a template with other keywords) is a ✗ with its fix;
 * the probe inside the functions answers administrators only.
 */
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { cpSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCloud } from '../../localcloud'
import { diagnose } from '../../scripts/doctor-checks'
import { localView, render, repoBuilds } from '../../scripts/doctor'
import { readProject } from '../../scripts/deploy-config'
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

async function check(cloud: LocalCloud) {
  const lines = diagnose(project, await localView(cloud, project), builds)
  return { lines, failed: lines.filter((l) => l.mark === '✗'), en: render(lines, 'en') }
}

test('no drift: nothing is ✗, and each ? says why', async () => {
  const { lines, failed } = await check(openLocalCloud(LOCAL_VARS))
  expect(failed).toEqual([])
  expect(lines.filter((l) => l.mark === '✓').length).toBeGreaterThan(60)
  expect(lines.filter((l) => l.mark === '?').map((l) => l.en)).toEqual([
    expect.stringMatching(
      /^message push: cannot be read; in .* route text, image, miniprogrampage, event\/user_enter_tempsession to the function customerService$/,
    ),
  ])
  // Chinese first: the default rendering is the Chinese one.
  expect(render(lines, 'zh').at(-1)).toMatch(/^\? 消息推送：无法读取/)
})

/** A project root where `rank` runs an older build and `user` was uploaded without its permissions. */
function driftedRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'doctor-'))
  for (const entry of ['database', 'cloudbaserc.json', 'miniprogram', 'node_modules'])
    symlinkSync(join(ROOT, entry), join(root, entry))
  mkdirSync(join(root, 'cloudfunctions'))
  for (const fn of readdirSync(join(ROOT, 'cloudfunctions'))) {
    if (fn === 'rank' || fn === 'user')
      cpSync(join(ROOT, 'cloudfunctions', fn), join(root, 'cloudfunctions', fn), {
        recursive: true,
        filter: (src) => !src.includes('node_modules'),
      })
    else symlinkSync(join(ROOT, 'cloudfunctions', fn), join(root, 'cloudfunctions', fn))
  }
  writeFileSync(join(root, 'cloudfunctions', 'rank', 'build.json'), JSON.stringify({ buildId: '0123456789abcdef' }))
  const cfg = JSON.parse(readFileSync(join(root, 'cloudfunctions', 'user', 'config.json'), 'utf8'))
  writeFileSync(
    join(root, 'cloudfunctions', 'user', 'config.json'),
    JSON.stringify({ ...cfg, permissions: { openapi: [] } }),
  )
  return root
}

test('every kind of drift is a ✗ with its fix', async () => {
  const vars: Record<string, string> = { ...LOCAL_VARS, PAY_SUB_MCH_ID: '1234567890', SUBSCRIBE_TMPL_REFUNDED: '' }
  const cloud = new LocalCloud({ root: driftedRoot(), vars })
  cloud.openapi.templates.add(vars.SUBSCRIBE_TMPL_PAID!)
  cloud.openapi.templateKeywords.set(vars.SUBSCRIBE_TMPL_PAID!, ['thing1', 'amount2', 'date3'])
  const orders = cloud.db.specOf('orders')!
  cloud.db.createCollection({ ...orders, indexes: orders.indexes!.filter((i) => i.name !== 'owner_created') })
  cloud.db.createCollection({ ...cloud.db.specOf('users')!, rules: { read: true, write: true } })
  const { failed, en } = await check(cloud)
  const said = (re: RegExp) => en.filter((l) => re.test(l))
  expect(said(/^✗ collection orders: indexes owner_created missing — Run npm run deploy/)).toHaveLength(1)
  expect(
    said(/^✗ collection users: security rules differ from database\/collections\.json — Run npm run deploy/),
  ).toHaveLength(1)
  expect(
    said(
      new RegExp(
        `^✗ function rank: runs build 01234567, not this repo's ${builds.get('rank')!.slice(0, 8)} — Run npm run deploy`,
      ),
    ),
  ).toHaveLength(1)
  expect(
    said(
      /^✗ function user: cloud-call permissions missing security\.msgSecCheck, phonenumber\.getPhoneNumber — Upload it from DevTools/,
    ),
  ).toHaveLength(1)
  expect(
    said(/^✗ function payCallback: variables SUBSCRIBE_TMPL_REFUNDED not set — Set them in the untracked \.env/),
  ).toHaveLength(1)
  expect(
    said(/^✗ merchant: PAY_SUB_MCH_ID is not bound to this environment \(sub_mch_id与sub_appid不匹配\) — Bind it/),
  ).toHaveLength(1)
  expect(
    said(
      /^✗ subscribe template SUBSCRIBE_TMPL_PAID: no keywords character_string1, thing2, amount3, time4 \(the code sends/,
    ),
  ).toHaveLength(1)
  expect(said(/^✗ subscribe template SUBSCRIBE_TMPL_REFUNDED: not set — /)).toHaveLength(1)
  expect(failed.every((l) => l.fix && l.fix.zh && l.fix.en)).toBe(true)
})

test('under PAY_PROVIDER=wxpay-v3 the merchant line is about APIv3: accepted, refused (another key) or not set', async () => {
  const v3 = await check(openLocalCloud({ ...LOCAL_VARS, PAY_PROVIDER: 'wxpay-v3' }))
  expect(v3.failed).toEqual([])
  expect(v3.en).toContain("✓ merchant: WeChat Pay APIv3 accepts WXPAY_MCHID's signed requests")
  expect(v3.en.join('\n')).not.toMatch(/PAY_SUB_MCH_ID/)
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  const refused = await check(
    openLocalCloud({ ...LOCAL_VARS, PAY_PROVIDER: 'wxpay-v3', WXPAY_PRIVATE_KEY: privateKey }),
  )
  expect(refused.failed.map((l) => l.en)).toEqual([
    expect.stringMatching(/^merchant: WeChat Pay APIv3 refuses WXPAY_MCHID's requests \(.+\)$/),
  ])
  const unset = await check(openLocalCloud({ ...LOCAL_VARS, PAY_PROVIDER: 'wxpay-v3', WXPAY_MCHID: '' }))
  expect(unset.en).toContainEqual(
    expect.stringMatching(
      /^✗ merchant: WXPAY_MCHID is not set \(PAY_PROVIDER=wxpay-v3\) — Check the WXPAY_\* settings/,
    ),
  )
})

test("the probe answers an administrator's invocation only: a user gets UNKNOWN_ACTION, an HTTP request is not a probe", async () => {
  const cloud = openLocalCloud(LOCAL_VARS)
  const admin = (await cloud.invoke(
    'rank',
    { action: '$doctor', variables: ['WERUN_GOAL', 'not a name'] },
    {},
    'wx_devtools',
  )) as { ok: boolean; data: Record<string, unknown> }
  expect(admin).toEqual({ ok: true, data: { buildId: builds.get('rank'), variables: { WERUN_GOAL: false } } })
  const user = (await cloud.callFromClient('rank', { action: '$doctor' }, { openid: 'o-curious-user' })).result as {
    ok: boolean
    error?: { code: string }
  }
  expect(user).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ACTION' } })
  const http = (await cloud.invoke(
    'cardEvents',
    { action: '$doctor', httpMethod: 'POST', headers: {}, body: '' },
    {},
    'wx_http',
  )) as Record<string, unknown>
  expect(http).not.toHaveProperty('data.buildId')
})

test('the command exits 1 on a ✗ (an unbound merchant given in the shell) and 0 without', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/doctor.ts', '--local', '--lang', 'en'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, HOME: mkdtempSync(join(tmpdir(), 'doctor-home-')), ...env },
      encoding: 'utf8',
      timeout: 120_000,
    })
  const bad = run({ PAY_SUB_MCH_ID: '1234567890' })
  expect(bad.status).toBe(1)
  expect(bad.stdout).toMatch(/^✗ merchant: PAY_SUB_MCH_ID is not bound/m)
  const good = run({})
  expect(good.stdout).not.toMatch(/^✗/m)
  expect(good.status).toBe(0)
}, 120_000)
