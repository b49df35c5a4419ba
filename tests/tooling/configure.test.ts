import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ts from 'typescript'
import {
  configure,
  ConfigureError,
  describeConfig,
  parseEnvLocal,
  renderEnvLocal,
  USAGE,
} from '../../scripts/configure'
import { cloudTarget } from '../../miniprogram/config/env'

const none = { envId: '', localCloud: '' }

/** What the mini-program gets when it requires the written file (DevTools compiles the TS). */
function load(text: string): { envId?: string; localCloud?: string } {
  const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText
  const module = { exports: {} as Record<string, string> }
  new Function('module', 'exports', js)(module, module.exports)
  return module.exports
}

test('--env writes the id; the app then calls that environment', () => {
  const cfg = configure(['--env', 'prod-8gabc123'], none)
  expect(cfg).toEqual({ envId: 'prod-8gabc123', localCloud: '' })
  const file = renderEnvLocal(cfg)
  expect(load(file)).toEqual({ envId: 'prod-8gabc123' })
  expect(cloudTarget({ envId: 'prod-8gabc123', localCloud: '' }, 'develop')).toEqual({
    kind: 'cloud',
    envId: 'prod-8gabc123',
  })
  expect(parseEnvLocal(file)).toEqual(cfg)
  expect(describeConfig(cfg)).toBe('The app now calls CloudBase environment prod-8gabc123.')
})

test('real ids are accepted whatever their name starts with; what is wrong with a malformed one is said exactly', () => {
  for (const id of [
    'myshop-8gabc123',
    'mymall-0g5h7k2d3',
    'todolist-2b3c4d5',
    'test-env-9x8y7z',
    'your-shop-1a2b3c',
    'example-prod-4d5e6f',
  ]) {
    expect(configure(['--env', id], none).envId).toBe(id)
  }
  expect(() => configure(['--env', 'my_env-abc123'], none)).toThrow(
    /it has characters an environment id never has \(_\)/,
  )
  expect(() => configure(['--env', 'Prod-8gabc123'], none)).toThrow(/it has capital letters/)
  expect(() => configure(['--env', 'prod-8g'], none)).toThrow(/does not end in the generated suffix/)
  for (const p of ['your-env-id', 'my-env', 'env-id', 'xxxx', '<env id>', '{{env}}', 'example-env-id', 'changeme'])
    expect(() => configure(['--env', p], none)).toThrow(/is a placeholder/)
})

test('placeholders and malformed ids are refused with where the id is found', () => {
  expect(() => configure(['--env', 'your-env-id'], none)).toThrow(
    new ConfigureError(
      '"your-env-id" is a placeholder, not your environment id: copy the real one from 云开发控制台 → 设置 → 环境 ID (cloud console → Settings → Environment ID).',
    ),
  )
  expect(() => configure(['--env', 'prod'], none)).toThrow(
    /"prod" is not a CloudBase environment id: it has no dash before the generated suffix; an id looks like prod-8gabc123 .* 云开发控制台 → 设置 → 环境 ID/,
  )
  expect(() => configure(['--env', 'prod 8g'], none)).toThrow(/is not a CloudBase environment id/)
  expect(() => configure(['--env'], none)).toThrow(/--env needs the environment id/)
})

test('--local writes the local-mode line (default URL or the one given) and keeps the env id; --cloud turns it off', () => {
  const local = configure(['--local'], { envId: 'prod-8gabc123', localCloud: '' })
  expect(local).toEqual({ envId: 'prod-8gabc123', localCloud: 'http://127.0.0.1:3910' })
  expect(load(renderEnvLocal(local))).toEqual({ envId: 'prod-8gabc123', localCloud: 'http://127.0.0.1:3910' })
  expect(configure(['--local', 'http://192.168.1.5:3910/'], none).localCloud).toBe('http://192.168.1.5:3910')
  expect(() => configure(['--local', '192.168.1.5:3910'], none)).toThrow(
    '--local takes the npm start URL, like http://127.0.0.1:3910 (got "192.168.1.5:3910").',
  )
  const off = configure(['--cloud'], local)
  expect(off).toEqual({ envId: 'prod-8gabc123', localCloud: '' })
  const file = renderEnvLocal(off)
  expect(load(file)).toEqual({ envId: 'prod-8gabc123' })
  expect(file).toContain("// export const localCloud = 'http://127.0.0.1:3910'")
  expect(parseEnvLocal(file)).toEqual(off) // a commented-out line is not a value
})

test("--help prints the usage (configure() without flags is the command's status, below); an unknown flag is named", () => {
  expect(() => configure([], none)).toThrow(USAGE)
  expect(() => configure(['--envid', 'x'], none)).toThrow(/^Unknown option --envid\./)
})

test("the command's --help prints the usage and exits 0", () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/configure.ts', '--help'], {
    cwd: `${__dirname}/../..`,
    stdio: 'pipe',
  }).toString()
  expect(out.trim()).toBe(USAGE)
})

test('the command refuses a placeholder with one sentence and writes nothing', () => {
  let err: { status: number; stderr: Buffer } | undefined
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/configure.ts', '--env', 'your-env-id'], {
      cwd: `${__dirname}/../..`,
      stdio: 'pipe',
    })
  } catch (e) {
    err = e as { status: number; stderr: Buffer }
  }
  expect(err?.status).toBe(1)
  expect(err?.stderr.toString().trim().split('\n')).toHaveLength(1)
})

test('--force takes an id the format check doubts (written and believed by the app), never an empty one', () => {
  expect(() => configure(['--env', 'shop_a-8gabc123'], none)).toThrow(/add --force/)
  const forced = configure(['--env', 'shop_a-8gabc123', '--force'], none)
  expect(forced).toEqual({ envId: 'shop_a-8gabc123', localCloud: '', envIdForced: true })
  const file = renderEnvLocal(forced)
  expect(parseEnvLocal(file)).toEqual(forced)
  expect(load(file)).toEqual({ envId: 'shop_a-8gabc123', envIdForced: true })
  expect(cloudTarget({ envId: 'shop_a-8gabc123', localCloud: '' }, 'develop')).toMatchObject({ kind: 'none' })
  expect(cloudTarget({ envId: 'shop_a-8gabc123', localCloud: '', envIdForced: true }, 'develop')).toEqual({
    kind: 'cloud',
    envId: 'shop_a-8gabc123',
  })
  // A later well-formed id drops the mark.
  expect(configure(['--env', 'prod-8gabc123'], forced)).toEqual({ envId: 'prod-8gabc123', localCloud: '' })
  expect(() => configure(['--env', '', '--force'], none)).toThrow(/No CloudBase environment is configured/)
  expect(() => configure(['--env', `a-${'b'.repeat(70)}`], none)).toThrow(
    /72 characters, longer than an environment id \(64 at most\)/,
  )
})

describe("the command, in a folder of its own (KIT_ENV_DIR), never the user's files", () => {
  const run = (dir: string, args: string[], shell: Record<string, string> = {}) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/configure.ts', ...args], {
      cwd: `${__dirname}/../..`,
      stdio: 'pipe',
      env: { PATH: process.env.PATH!, KIT_ENV_DIR: dir, ...shell },
    })
      .toString()
      .trim()
      .split('\n')

  test('without flags it says what each command uses and from where (exit 0)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'configure-'))
    mkdirSync(join(dir, 'miniprogram', 'config'), { recursive: true })
    writeFileSync(join(dir, '.env'), 'TCB_ENV_ID=prod-8gabc123\nMP_APPID=wx0123456789abcdef\n')
    const lines = run(dir, [], { MP_PRIVATE_KEY_PATH: '/keys/private.key' })
    expect(lines.slice(0, 3)).toEqual([
      'The app (miniprogram/config/env.local.ts): no env id.',
      'deploy and preview: env id prod-8gabc123 (from .env); AppID wx0123456789abcdef (from .env); upload key /keys/private.key (from the shell).',
      'Order: the shell, .env.local, .env, then what npm run configure wrote (and project.private.config.json for the AppID).',
    ])
  })

  test('myshop-8gabc123 is accepted and written; a different TCB_ENV_ID in .env is pointed out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'configure-'))
    mkdirSync(join(dir, 'miniprogram', 'config'), { recursive: true })
    expect(run(dir, ['--env', 'myshop-8gabc123'])).toEqual([
      'wrote miniprogram/config/env.local.ts. The app now calls CloudBase environment myshop-8gabc123.',
    ])
    expect(parseEnvLocal(readFileSync(join(dir, 'miniprogram', 'config', 'env.local.ts'), 'utf8')).envId).toBe(
      'myshop-8gabc123',
    )
    writeFileSync(join(dir, '.env'), 'TCB_ENV_ID=prod-1a2b3c\n')
    expect(run(dir, ['--env', 'myshop-8gabc123'])[1]).toBe(
      'Note: TCB_ENV_ID in .env is prod-1a2b3c; deploy and preview use it before what configure writes. Change it there too, or remove it.',
    )
  })
})

test.each([
  ['scripts/configure.ts'],
  ['scripts/deploy.ts'],
  ['scripts/preview.ts'],
  ['scripts/start.ts'],
  ['scripts/doctor.ts'],
  ['scripts/recordings.ts'],
])('%s --help prints its usage and exits 0', (script) => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--help'], {
    cwd: `${__dirname}/../..`,
    stdio: 'pipe',
    env: { PATH: process.env.PATH!, KIT_ENV_DIR: mkdtempSync(join(tmpdir(), 'help-')) },
  }).toString()
  expect(out.trim().split('\n').length).toBeGreaterThanOrEqual(3)
  expect(out).toMatch(/^npm (run |start)/)
})
