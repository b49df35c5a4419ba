/**
 * `--mode <mode>` for configure, deploy and preview (scripts/settings.ts): `.env.<mode>` over
 * `.env.local` over `.env`, the shell over all (the CloudBase CLI's order), in a folder of the
 * test's own (KIT_ENV_DIR) so the user's files are never read.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnvLocal, withModeEnv } from '../../scripts/configure'
import { shipOptions } from '../../scripts/preview'
import { ModeError, modeOf, readSettings } from '../../scripts/settings'

const ROOT = join(__dirname, '..', '..')
const DEV_APPID = 'wx00000000000000d1'
const PROD_APPID = 'wx00000000000000f2'

/** A project folder with .env (dev), .env.local and .env.prod, and the app configured for dev. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'modes-'))
  mkdirSync(join(dir, 'miniprogram', 'config'), { recursive: true })
  writeFileSync(join(dir, 'miniprogram', 'config', 'env.local.ts'), "export const envId = 'dev-7d8e9f'\n")
  writeFileSync(
    join(dir, '.env'),
    `TCB_ENV_ID=dev-7d8e9f\nMP_APPID=${DEV_APPID}\nPAY_SUB_MCH_ID=1900000001\nCS_HOURS=09:00-18:00\n`,
  )
  writeFileSync(join(dir, '.env.local'), 'PAY_SUB_MCH_ID=1900000002\nMP_PRIVATE_KEY_PATH=/keys/dev.key\n')
  writeFileSync(
    join(dir, '.env.prod'),
    `TCB_ENV_ID=prod-8gabc123\nMP_APPID=${PROD_APPID}\nPAY_SUB_MCH_ID=1900000109\nMP_PRIVATE_KEY_PATH=/keys/prod.key\n`,
  )
  return dir
}

test('--mode is read out of the arguments; a missing or odd name is one sentence', () => {
  expect(modeOf(['--dry-run', '--mode', 'prod', '--force'])).toEqual({ mode: 'prod', rest: ['--dry-run', '--force'] })
  expect(modeOf(['--dry-run'])).toEqual({ rest: ['--dry-run'] })
  expect(() => modeOf(['--mode'])).toThrow(new ModeError('--mode needs a name, e.g. --mode prod (it reads .env.prod).'))
  expect(() => modeOf(['--mode', '--dry-run'])).toThrow(ModeError)
  expect(() => modeOf(['--mode', '../secrets'])).toThrow(/short lowercase name/)
  expect(() => modeOf(['--mode', 'Prod'])).toThrow(/short lowercase name/)
})

test(".env.<mode> over .env.local over .env, the shell over all; no fallback to the app's env id in a mode; a missing file is said", () => {
  const dir = folder()
  const plain = readSettings(dir, {})
  expect(plain.envId).toEqual({ value: 'dev-7d8e9f', from: '.env' })
  expect(plain.vars.PAY_SUB_MCH_ID).toBe('1900000002') // .env.local over .env
  const prod = readSettings(dir, {}, 'prod')
  expect(prod.mode).toBe('prod')
  expect(prod.envId).toEqual({ value: 'prod-8gabc123', from: '.env.prod' })
  expect(prod.appid).toEqual({ value: PROD_APPID, from: '.env.prod' })
  expect(prod.vars).toMatchObject({ PAY_SUB_MCH_ID: '1900000109', CS_HOURS: '09:00-18:00' }) // what .env.prod leaves out comes from .env
  expect(readSettings(dir, { PAY_SUB_MCH_ID: '1900000999' }, 'prod').vars.PAY_SUB_MCH_ID).toBe('1900000999')
  // A mode whose file names no env id: not the app's dev id.
  writeFileSync(join(dir, '.env.test'), 'PAY_SUB_MCH_ID=1\n')
  writeFileSync(join(dir, '.env'), `MP_APPID=${DEV_APPID}\n`)
  expect(readSettings(dir, {}).envId).toEqual({
    value: 'dev-7d8e9f',
    from: 'miniprogram/config/env.local.ts (npm run configure)',
  })
  expect(readSettings(dir, {}, 'test').envId).toBeUndefined()
  expect(() => readSettings(dir, {}, 'staging')).toThrow(
    new ModeError(
      "--mode staging reads .env.staging, which does not exist: create it beside .env with that environment's values (TCB_ENV_ID=…, PAY_SUB_MCH_ID=…), and keep it out of git.",
    ),
  )
})

test('deploy --mode prod --dry-run plans for the environment of .env.prod with its variables', () => {
  const dir = folder()
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/deploy.ts', '--mode', 'prod', '--dry-run'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: dir, KIT_ENV_DIR: dir },
    encoding: 'utf8',
    timeout: 120_000,
  })
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  const lines = r.stdout.trim().split('\n')
  expect(lines[0]).toBe('Plan (dry run, nothing is changed) to prod-8gabc123 (from .env.prod):')
  // The app is configured for dev: said, so the two are not confused.
  expect(lines).toContain(
    'Note: the app is configured for dev-7d8e9f (miniprogram/config/env.local.ts (npm run configure)), but prod-8gabc123 (from .env.prod) is used here. Run npm run configure -- --env prod-8gabc123 to point the app at it too, or change .env.prod.',
  )
  expect(r.stdout).not.toMatch(/PAY_SUB_MCH_ID.*(empty|not set)/)
  const missing = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    ['scripts/deploy.ts', '--mode', 'staging', '--dry-run'],
    { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: dir, KIT_ENV_DIR: dir }, encoding: 'utf8', timeout: 120_000 },
  )
  expect(missing.status).toBe(1)
  expect(missing.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(/^--mode staging reads \.env\.staging, which does not exist/),
  ])
}, 120_000)

test("configure --mode prod points the app at .env.prod's env id; a mode without one is refused", () => {
  const dir = folder()
  const run = (args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/configure.ts', ...args], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { PATH: process.env.PATH!, KIT_ENV_DIR: dir },
    })
      .toString()
      .trim()
  expect(run(['--mode', 'prod'])).toBe(
    'wrote miniprogram/config/env.local.ts. The app now calls CloudBase environment prod-8gabc123.',
  )
  expect(parseEnvLocal(readFileSync(join(dir, 'miniprogram', 'config', 'env.local.ts'), 'utf8')).envId).toBe(
    'prod-8gabc123',
  )
  expect(withModeEnv(['--local'], { mode: 'prod', envId: { value: 'prod-8gabc123', from: '.env.prod' } })).toEqual([
    '--env',
    'prod-8gabc123',
    '--local',
  ])
  expect(
    withModeEnv(['--env', 'x-1a2b3c'], { mode: 'prod', envId: { value: 'prod-8gabc123', from: '.env.prod' } }),
  ).toEqual(['--env', 'x-1a2b3c'])
  expect(() => withModeEnv([], { mode: 'test' })).toThrow(
    '--mode test found no TCB_ENV_ID in .env.test (or the shell, .env.local, .env): add it there, or give --env <env id>.',
  )
})

test('preview --mode prod uses the AppID and upload key of .env.prod', () => {
  const dir = folder()
  writeFileSync(
    join(dir, 'prod.key'),
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }),
  )
  writeFileSync(
    join(dir, '.env.prod'),
    `TCB_ENV_ID=prod-8gabc123\nMP_APPID=${PROD_APPID}\nMP_PRIVATE_KEY_PATH=${join(dir, 'prod.key')}\n`,
  )
  const settings = readSettings(dir, {}, 'prod')
  const opts = shipOptions([], settings.vars, dir, settings)
  expect(opts).toMatchObject({
    appid: PROD_APPID,
    appidFrom: '.env.prod',
    keyFrom: '.env.prod',
    privateKeyPath: join(dir, 'prod.key'),
  })
})
