/**
 * npm run preview / upload (scripts/preview.ts): the AppID and key checks, each with one
 * sentence, WeChat's refusals worded, and a run on a machine without network (name lookups
 * fail, as here) ending in the network sentence, not a stack trace.
 */
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { quietly, ShipError, shipFailure, shipFailureOf, shipOptions } from '../../scripts/preview'

const ROOT = join(__dirname, '..', '..')
const APPID = 'wx0123456789abcdef'

function tempRoot(privateConfig?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ship-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '0.3.1' }))
  if (privateConfig) writeFileSync(join(dir, 'project.private.config.json'), JSON.stringify(privateConfig))
  return dir
}

function pemKey(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'key-')), `private.${APPID}.key`)
  writeFileSync(
    file,
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }),
  )
  return file
}

test('missing or wrong AppID and key: one sentence each', () => {
  const root = tempRoot()
  const key = pemKey()
  expect(() => shipOptions([], {}, root)).toThrow(
    new ShipError(
      'No AppID: set MP_APPID=wx… (mp.weixin.qq.com → 开发管理 → 开发设置 → AppID) or put "appid" in project.private.config.json.',
    ),
  )
  expect(() => shipOptions([], { MP_APPID: 'touristappid' }, root)).toThrow(
    '"touristappid" is not a mini-program AppID (wx followed by 16 hex digits).',
  )
  expect(() => shipOptions([], { MP_APPID: APPID }, root)).toThrow(
    `No upload key: download the code-upload key (开发管理 → 开发设置 → 小程序代码上传) and set MP_PRIVATE_KEY_PATH=/path/to/private.${APPID}.key.`,
  )
  expect(() => shipOptions([], { MP_APPID: APPID, MP_PRIVATE_KEY_PATH: '/nowhere/private.key' }, root)).toThrow(
    'MP_PRIVATE_KEY_PATH points to /nowhere/private.key, which does not exist.',
  )
  const notKey = join(root, 'package.json')
  expect(() => shipOptions([], { MP_APPID: APPID, MP_PRIVATE_KEY_PATH: notKey }, root)).toThrow(
    `${notKey} is not the upload key (a PEM private key, as the admin downloads it).`,
  )
  expect(() =>
    shipOptions(['upload', '--version', 'next'], { MP_APPID: APPID, MP_PRIVATE_KEY_PATH: key }, root),
  ).toThrow('"next" is not a version like 1.2.0.')
  expect(
    shipOptions(['upload', '--desc', 'fix pay'], { MP_APPID: APPID, MP_PRIVATE_KEY_PATH: key }, root),
  ).toMatchObject({ mode: 'upload', appid: APPID, version: '0.3.1', desc: 'fix pay' })
})

test('the AppID can come from the untracked project.private.config.json (the placeholder does not count)', () => {
  const key = pemKey()
  expect(shipOptions([], { MP_PRIVATE_KEY_PATH: key }, tempRoot({ appid: APPID }))).toMatchObject({
    mode: 'preview',
    appid: APPID,
  })
  expect(() => shipOptions([], { MP_PRIVATE_KEY_PATH: key }, tempRoot({ appid: 'touristappid' }))).toThrow(/^No AppID/)
})

test.each([
  [
    new Error('getaddrinfo ENOTFOUND servicewechat.com'),
    "WeChat's servers cannot be reached (servicewechat.com): check the network and run the command again.",
  ],
  [
    { errCode: -10008, errMsg: 'invalid ip: 1.2.3.4' },
    'WeChat refused this machine: add its public IP to the upload IP whitelist (开发管理 → 开发设置 → 小程序代码上传), or turn the whitelist off.',
  ],
  [
    new Error('Error: {"errCode":-1,"errMsg":"private key error"}'),
    'WeChat refused the upload key: download it again for this AppID (开发管理 → 开发设置 → 小程序代码上传 → 重置) and point MP_PRIVATE_KEY_PATH at it.',
  ],
  [new Error('something else'), 'miniprogram-ci failed: something else'],
])('shipFailure(%p)', (e, sentence) => {
  expect(shipFailure(e)).toBe(sentence)
})

test("preview without network: one sentence (miniprogram-ci's raw getaddrinfo errors held back), the AppID's source said, exit 1", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ship-env-'))
  writeFileSync(join(dir, '.env'), `MP_APPID=${APPID}\n`)
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/preview.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: mkdtempSync(join(tmpdir(), 'ship-home-')),
      KIT_ENV_DIR: dir,
      MP_PRIVATE_KEY_PATH: pemKey(),
      NODE_OPTIONS: `--require ${join(__dirname, 'no-network.cjs')}`,
    },
    encoding: 'utf8',
    timeout: 240_000,
  })
  expect(r.stderr.trim().split('\n')).toEqual([
    "WeChat's servers cannot be reached (servicewechat.com): check the network and run the command again.",
  ])
  expect(r.stdout.trim().split('\n')).toEqual([`Preview for AppID ${APPID} (from .env), upload key from the shell.`])
  expect(r.status).toBe(1)
}, 240_000)

test('quietly holds what the tool prints and hands it to the classification', async () => {
  const noisy = async () => {
    for (let i = 0; i < 3; i++) console.error('request failed: getaddrinfo ENOTFOUND servicewechat.com')
    throw new Error('{"errCode":-1}')
  }
  const err = await quietly(noisy).catch((e: unknown) => e)
  expect(shipFailureOf(err)).toBe(
    "WeChat's servers cannot be reached (servicewechat.com): check the network and run the command again.",
  )
  await expect(quietly(async () => 7)).resolves.toBe(7)
})
