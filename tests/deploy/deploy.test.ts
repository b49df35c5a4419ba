/**
 * npm run deploy (scripts/deploy.ts): the plan it makes from cloudbaserc.json and
 * database/collections.json, the dry run, the one-sentence refusals and the variables it reports.
 * Carrying the plan out against CloudBase: deploy-execute.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { envIdsIn, KEY_REFUSED, tcbProblem } from '../../scripts/deploy-cloudbase'
import { loadDeployEnv, placeholders, VARIABLES, variableReport } from '../../scripts/deploy-config'
import { DeployError, describeStep, makePlan, parseOptions, type Step } from '../../scripts/deploy-plan'

import { opts, project, ROOT } from './fixture'

const NO_ENV =
  'No CloudBase environment id: run npm run configure -- --env <env id>, or set TCB_ENV_ID=<env id> in .env or the shell (云开发控制台 → 设置 → 环境 ID), or run npm run deploy -- --env <env id>.'

function tsx(args: string[], env: Record<string, string>) {
  // KIT_ENV_DIR: an empty folder of the test's own, so a .env the user created in the project is not read.
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: mkdtempSync(join(tmpdir(), 'deploy-home-')),
      KIT_ENV_DIR: mkdtempSync(join(tmpdir(), 'deploy-env-')),
      ...env,
    },
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('no env id: one sentence, no stack trace, exit 1', () => {
  expect(() => parseOptions([], {})).toThrow(new DeployError(NO_ENV))
  expect(() => parseOptions(['--env', '--dry-run'], {})).toThrow(DeployError)
  expect(() => parseOptions(['--env', 'not an id'], {})).toThrow('"not an id" is not a CloudBase environment id')
  expect(() => parseOptions([], { TCB_ENV_ID: 'your-env-id' })).toThrow(
    '"your-env-id" is a placeholder, not your environment id',
  )
  expect(parseOptions(['--env', 'dev-9z3k', '--dry-run'], { TCB_ENV_ID: 'other-1a2b' })).toEqual({
    envId: 'dev-9z3k',
    envFrom: '--env',
    dryRun: true,
    skipPermissions: false,
    vars: { TCB_ENV_ID: 'other-1a2b' },
  })
  const r = tsx(['scripts/deploy.ts', '--dry-run'], {})
  expect(r.status).toBe(1)
  expect(r.stderr.trim().split('\n')).toEqual([NO_ENV])
}, 120_000)

test('the plan: build all, every function of cloudbaserc.json with its timers, every collection with indexes and rules, then the manual steps', () => {
  const steps = makePlan(project, opts)
  const names = project.functions.map((f) => f.name)
  expect(steps[0]).toEqual({ kind: 'build', functions: names })
  expect(steps.filter((s) => s.kind === 'function').map((s) => (s as { name: string }).name)).toEqual(names)
  const timed = steps.filter(
    (s): s is Extract<Step, { kind: 'function' }> => s.kind === 'function' && s.triggers.length > 0,
  )
  expect(timed.map((s) => s.name).sort()).toEqual(
    project.functions
      .filter((f) => f.triggers?.length)
      .map((f) => f.name)
      .sort(),
  )
  expect(timed.length).toBeGreaterThan(0)
  const orders = steps.find((s) => s.kind === 'collection' && s.name === 'orders') as Extract<
    Step,
    { kind: 'collection' }
  >
  expect(orders.indexes.find((i) => i.IndexName === 'outTradeNo_1')).toEqual({
    IndexName: 'outTradeNo_1',
    MgoKeySchema: { MgoIndexKeys: [{ Name: 'outTradeNo', Direction: '1' }], MgoIsUnique: true },
  })
  expect(JSON.parse(orders.rules)).toEqual({ read: 'doc._openid == auth.openid', write: false })
  expect(steps.filter((s) => s.kind === 'collection')).toHaveLength(project.collections.length)
  const manual = steps.filter((s) => s.kind === 'manual').map((s) => (s as { text: string }).text)
  expect(manual).toContain(
    'Message push: in the cloud console (https://tcb.cloud.tencent.com/dev?envId=prod-1a2b3c) → 设置 → 其他设置 → 消息推送, push mode cloud function, add text, image, miniprogrampage, event/user_enter_tempsession, each to customerService.',
  )
  expect(manual.some((t) => /sub-merchant/.test(t))).toBe(true)
  expect(manual.filter((t) => t.startsWith('Seed '))).toHaveLength(project.collections.filter((c) => c.seed).length)
})

test('the dry run prints the steps and changes nothing', () => {
  const r = tsx(['scripts/deploy.ts', '--dry-run'], { TCB_ENV_ID: 'prod-1a2b3c', PAY_SUB_MCH_ID: '1900000109' })
  expect(r.status).toBe(0)
  const lines = r.stdout.trim().split('\n')
  expect(lines[0]).toBe('Plan (dry run, nothing is changed) to prod-1a2b3c (from the shell):')
  const steps = makePlan(project, parseOptions(['--dry-run'], { TCB_ENV_ID: 'prod-1a2b3c' }))
  for (const [i, s] of steps.entries()) expect(lines[i + 1]).toBe(`  ${i + 1}. ${describeStep(s)}`)
  // How each function's cloud-call permissions would be applied (no upload key in this shell).
  expect(lines).toContain(
    `  ${steps.findIndex((s) => s.kind === 'function' && s.name === 'user') + 1}. deploy function user; permissions security.msgSecCheck, phonenumber.getPhoneNumber NOT applied (no upload key): upload it from DevTools`,
  )
  expect(r.stdout).toContain('deploy function werun; no cloud-call permissions needed')
  expect(r.stdout).toContain('deploy function payExpire + timer')
  // Required variables left empty are named with what breaks; PAY_SUB_MCH_ID was given.
  expect(lines).toContain(
    '  required, NOT SET: SUBSCRIBE_TMPL_PAID — the "paid" subscribe-message template; without it no paid message is sent',
  )
  expect(r.stdout).not.toContain('NOT SET: PAY_SUB_MCH_ID')
  expect(lines.find((l) => l.startsWith('  optional, not set (defaults apply): '))).toContain('CS_HOURS')
}, 120_000)

test('every {{env.X}} of cloudbaserc.json is classified as required or optional', () => {
  expect(placeholders(project).filter((n) => !VARIABLES[n])).toEqual([])
  expect(placeholders(project)).toContain('PAY_SUB_MCH_ID')
})

test('variableReport: required first with what breaks, then the optional ones left to their defaults', () => {
  const p = {
    functions: [
      {
        name: 'a',
        envVariables: { A: '{{env.PAY_SUB_MCH_ID}}', B: 'fixed', C: '{{ env.CS_HOURS }}', D: '{{env.WERUN_GOAL}}' },
      },
    ],
    collections: [],
  }
  expect(variableReport(p, { TCB_ENV_ID: 'prod-1a2b3c', WERUN_GOAL: '9000' })).toEqual([
    'Variables (from .env, .env.local, then the shell): 2 of 4 set.',
    `  required, NOT SET: PAY_SUB_MCH_ID — ${VARIABLES.PAY_SUB_MCH_ID!.what}`,
    '  optional, not set (defaults apply): CS_HOURS',
  ])
})

describe('variableReport under PAY_PROVIDER=wxpay-v3', () => {
  const names = [
    'PAY_PROVIDER',
    'PAY_SUB_MCH_ID',
    'WXPAY_MCHID',
    'WXPAY_SERIAL_NO',
    'WXPAY_PRIVATE_KEY',
    'WXPAY_APIV3_KEY',
    'WXPAY_PUBLIC_KEY_ID',
    'WXPAY_PUBLIC_KEY',
    'WXPAY_NOTIFY_URL',
  ]
  const p = {
    functions: [{ name: 'pay', envVariables: Object.fromEntries(names.map((n) => [n, `{{env.${n}}}`])) }],
    collections: [],
  }
  const pem = (k: ReturnType<typeof pair>) => k.privateKey.replace(/\n/g, '\\n')
  const pair = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    })
  const SERIAL = '3775B6A45ACD588826D15E583A95F5DD2A3F1B2C'
  /** apiclient_cert.pem as the merchant platform issues it: the merchant's public key under a serial (made by openssl). */
  function merchantCert(key: ReturnType<typeof pair>, serial: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-cert-'))
    writeFileSync(join(dir, 'key.pem'), key.privateKey)
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-key',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '3',
        '-subj',
        '/C=CN/O=1900000109/CN=Tenpay.com',
        '-set_serial',
        `0x${serial}`,
      ],
      { stdio: 'pipe' },
    )
    return readFileSync(join(dir, 'cert.pem'), 'utf8')
  }
  const key = pair()
  const set = {
    TCB_ENV_ID: 'prod-1a2b3c',
    PAY_PROVIDER: 'wxpay-v3',
    WXPAY_MCHID: '1900000109',
    WXPAY_SERIAL_NO: SERIAL,
    WXPAY_PRIVATE_KEY: pem(key),
    WXPAY_APIV3_KEY: 'a'.repeat(32),
    WXPAY_NOTIFY_URL: 'https://prod-1a2b3c.service.tcloudbase.com/pay-notify',
  }

  test('the merchant settings APIv3 needs are required instead of PAY_SUB_MCH_ID', () => {
    const lines = variableReport(p, { PAY_PROVIDER: 'wxpay-v3' })
    for (const n of ['WXPAY_MCHID', 'WXPAY_SERIAL_NO', 'WXPAY_PRIVATE_KEY', 'WXPAY_APIV3_KEY', 'WXPAY_NOTIFY_URL'])
      expect(lines).toContain(`  required, NOT SET: ${n} — ${VARIABLES[n]!.what}`)
    expect(lines.join('\n')).not.toContain('NOT SET: PAY_SUB_MCH_ID')
    expect(lines.at(-1)).toBe(
      '  optional, not set (defaults apply): PAY_SUB_MCH_ID, WXPAY_PUBLIC_KEY, WXPAY_PUBLIC_KEY_ID',
    )
    // And cloudPay's shops are told about PAY_SUB_MCH_ID, not the WXPAY_* settings.
    const cloudPay = variableReport(p, { TCB_ENV_ID: 'prod-1a2b3c' })
    expect(cloudPay.filter((l) => l.includes('NOT SET'))).toEqual([
      `  required, NOT SET: PAY_SUB_MCH_ID — ${VARIABLES.PAY_SUB_MCH_ID!.what}`,
    ])
  })

  test('malformed secrets are named without printing them', () => {
    const lines = variableReport(p, { ...set, WXPAY_APIV3_KEY: 'short-secret' })
    expect(lines.at(-1)).toMatch(/^ {2}wxpay-v3 settings: .*WXPAY_APIV3_KEY/)
    expect(lines.join('\n')).not.toContain('short-secret')
    expect(variableReport(p, { ...set, WXPAY_PRIVATE_KEY: 'not a key' }).at(-1)).toMatch(/WXPAY_PRIVATE_KEY/)
  })

  test('with the merchant certificate: the serial and the private key are checked against it', () => {
    expect(variableReport(p, set).at(-1)).toMatch(/well-formed \(platform certificates\); set WXPAY_MERCHANT_CERT/)
    const wechat = pair()
    const publicKeyMode = {
      ...set,
      WXPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0119000001092025120500000000000',
      WXPAY_PUBLIC_KEY: wechat.publicKey.replace(/\n/g, '\\n'),
    }
    expect(variableReport(p, publicKeyMode).at(-1)).toMatch(/well-formed \(WeChat Pay public key\)/)
    const good = merchantCert(key, SERIAL)
    const report = (env: Record<string, string>) => variableReport(p, env).at(-1)
    expect(report({ ...set, WXPAY_MERCHANT_CERT: good.replace(/\n/g, '\\n') })).toBe(
      '  wxpay-v3 settings: the private key, the serial and the merchant certificate belong together',
    )
    expect(report({ ...set, WXPAY_SERIAL_NO: SERIAL.replace(/^3/, '4'), WXPAY_MERCHANT_CERT: good })).toMatch(
      /WXPAY_SERIAL_NO is not the serial/,
    )
    expect(report({ ...set, WXPAY_MERCHANT_CERT: merchantCert(pair(), SERIAL) })).toMatch(
      /WXPAY_PRIVATE_KEY does not belong to the certificate/,
    )
    expect(report({ ...set, WXPAY_MERCHANT_CERT: 'garbage' })).toMatch(/not a PEM certificate/)
    // The platform writes all 40 digits; node's serialNumber drops leading zeros: still the same serial.
    const zeros = `00${SERIAL.slice(2)}`
    expect(report({ ...set, WXPAY_SERIAL_NO: zeros, WXPAY_MERCHANT_CERT: merchantCert(key, zeros) })).toMatch(
      /belong together/,
    )
    expect(variableReport(p, { ...set, WXPAY_MERCHANT_CERT: good }).join('\n')).not.toContain(
      key.privateKey.split('\n')[1]!,
    )
  })
})

test('configuration as the CloudBase CLI reads it: .env, then .env.local, then the shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-env-'))
  expect(loadDeployEnv(dir, { A: 'shell' })).toEqual({ A: 'shell' })
  writeFileSync(join(dir, '.env'), 'TCB_ENV_ID=prod-1a2b3c\nPAY_SUB_MCH_ID=1\nCS_HOURS="09:00-18:00"\n# a comment\n')
  writeFileSync(join(dir, '.env.local'), 'PAY_SUB_MCH_ID=2\n')
  expect(loadDeployEnv(dir, {})).toEqual({ TCB_ENV_ID: 'prod-1a2b3c', PAY_SUB_MCH_ID: '2', CS_HOURS: '09:00-18:00' })
  expect(loadDeployEnv(dir, { PAY_SUB_MCH_ID: '3' })).toMatchObject({ PAY_SUB_MCH_ID: '3', TCB_ENV_ID: 'prod-1a2b3c' })
})

test('the env id can come from .env alone (no shell variable, no flag)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-env-'))
  writeFileSync(join(dir, '.env'), 'TCB_ENV_ID=prod-1a2b3c\n')
  expect(parseOptions(['--dry-run'], loadDeployEnv(dir, { PATH: '/usr/bin' }))).toEqual({
    envId: 'prod-1a2b3c',
    envFrom: 'TCB_ENV_ID',
    dryRun: true,
    skipPermissions: false,
    vars: { PATH: '/usr/bin', TCB_ENV_ID: 'prod-1a2b3c' },
  })
})

test('a real id is never refused for its name; --force takes one the format check doubts', () => {
  expect(parseOptions(['--env', 'myshop-8gabc123', '--dry-run'], {}).envId).toBe('myshop-8gabc123')
  expect(() => parseOptions(['--env', 'shop_a-8gabc123', '--dry-run'], {})).toThrow(/never has \(_\).*add --force/)
  expect(parseOptions(['--env', 'shop_a-8gabc123', '--dry-run', '--force'], {}).envId).toBe('shop_a-8gabc123')
})

test('the id npm run configure wrote is used when the shell and .env name none, and the plan says where each came from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-env-'))
  mkdirSync(join(dir, 'miniprogram', 'config'), { recursive: true })
  writeFileSync(join(dir, 'miniprogram', 'config', 'env.local.ts'), "export const envId = 'shop-4d5e6f'\n")
  let r = tsx(['scripts/deploy.ts', '--dry-run'], { KIT_ENV_DIR: dir })
  expect(r.status).toBe(0)
  expect(r.stdout.split('\n')[0]).toBe(
    'Plan (dry run, nothing is changed) to shop-4d5e6f (from miniprogram/config/env.local.ts (npm run configure)):',
  )
  writeFileSync(join(dir, '.env'), 'TCB_ENV_ID=prod-1a2b3c\n')
  r = tsx(['scripts/deploy.ts', '--dry-run'], { KIT_ENV_DIR: dir })
  expect(r.stdout.split('\n')[0]).toBe('Plan (dry run, nothing is changed) to prod-1a2b3c (from .env):')
  expect(r.stdout).toContain(
    'Note: the app is configured for shop-4d5e6f (miniprogram/config/env.local.ts (npm run configure)), but prod-1a2b3c (from .env) is used here. Run npm run configure -- --env prod-1a2b3c to point the app at it too, or change .env.',
  )
}, 120_000)

test('tcb\'s words: offline first, a refused key is not "not logged in"', () => {
  const key = { TENCENTCLOUD_SECRETID: 'AKIDx', TENCENTCLOUD_SECRETKEY: 'y' }
  expect(
    tcbProblem('Error: getaddrinfo ENOTFOUND tcb-api.tencentcloudapi.com\nNo valid identity information', key),
  ).toMatch(/^CloudBase cannot be reached/)
  expect(tcbProblem('[AuthFailure.SecretIdNotFound] The SecretId is not found', key)).toBe(KEY_REFUSED)
  expect(tcbProblem('No valid identity information', key)).toBe(KEY_REFUSED)
  expect(tcbProblem('No valid identity information', {})).toMatch(/^Not logged in to CloudBase/)
  expect(tcbProblem('┌ env list ┐', key)).toBeUndefined()
})

test('envIdsIn finds the ids in tcb env list output', () => {
  const table = [
    '┌──────────────┬────────┐',
    '│ 环境 Id       │ 别名    │',
    '│ prod-8gabc123 │ prod   │',
    '│ dev-1a2b3c4d  │ dev    │',
    '└──────────────┴────────┘',
  ].join('\n')
  expect(envIdsIn(table)).toEqual(['prod-8gabc123', 'dev-1a2b3c4d'])
})

/** A CloudBase with some things already there, recording what it is asked. */
