/**
 * npm run preview: a QR code to open the develop version on a phone (miniprogram-ci `preview`,
 * PNG in .reports/preview-qr.png). npm run upload: a version upload (then choose it as the trial
 * version, or submit it for review, in the mini-program admin).
 *   MP_APPID=wx… MP_PRIVATE_KEY_PATH=~/keys/private.wx….key npm run preview
 *   npm run upload -- --version 1.2.0 --desc "what changed"
 * The AppID and the key path are read as configure and deploy read their values (scripts/settings.ts:
 * the shell, .env.local, .env; the AppID also from project.private.config.json), and the command
 * says which source gave each. The key is the code-upload
 * key (mp.weixin.qq.com → 开发管理 → 开发设置 → 小程序代码上传), never committed. The project is
 * built by the same ciProject() and settings as the offline compile `npm test` runs.
 */
import { createPrivateKey } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CI_SETTING, ciProject, loadCi, ROOT } from './compile-miniprogram'
import { configRoot, modeOf, ModeError, readSettings, said, type Sourced } from './settings'

export class ShipError extends Error {}

export interface ShipOptions {
  mode: 'preview' | 'upload'
  appid: string
  privateKeyPath: string
  version: string
  desc: string
  qrPath: string
  /** Where the AppID and the key path came from, for the first line the command prints. */
  appidFrom?: string
  keyFrom?: string
}

const APPID = /^wx[0-9a-f]{16}$/

/** Does node's crypto read this file as a private key? (The upload key is an RSA key in PEM.) */
function isPrivateKey(content: Buffer): boolean {
  try {
    createPrivateKey(content)
    return true
  } catch {
    return false
  }
}

/** The AppID and key from the environment (or the untracked private config), or the one sentence that says what is missing. */
export function shipOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  root = ROOT,
  sources: { appid?: Sourced; privateKeyPath?: Sourced } = {},
): ShipOptions {
  const mode = argv.includes('upload') ? 'upload' : 'preview'
  const flag = (name: string) => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  let appid = sources.appid?.value ?? env.MP_APPID?.trim() ?? ''
  let appidFrom = sources.appid?.from ?? 'MP_APPID'
  const privateConfig = join(root, 'project.private.config.json')
  if (!appid && existsSync(privateConfig)) {
    const cfg = JSON.parse(readFileSync(privateConfig, 'utf8')) as { appid?: unknown }
    if (typeof cfg.appid === 'string' && cfg.appid !== 'touristappid') {
      appid = cfg.appid.trim()
      appidFrom = 'project.private.config.json'
    }
  }
  if (!appid)
    throw new ShipError(
      'No AppID: set MP_APPID=wx… (mp.weixin.qq.com → 开发管理 → 开发设置 → AppID) or put "appid" in project.private.config.json.',
    )
  if (!APPID.test(appid)) throw new ShipError(`"${appid}" is not a mini-program AppID (wx followed by 16 hex digits).`)
  const keyPath = sources.privateKeyPath?.value ?? env.MP_PRIVATE_KEY_PATH?.trim() ?? ''
  if (!keyPath)
    throw new ShipError(
      `No upload key: download the code-upload key (开发管理 → 开发设置 → 小程序代码上传) and set MP_PRIVATE_KEY_PATH=/path/to/private.${appid}.key.`,
    )
  if (!existsSync(keyPath)) throw new ShipError(`MP_PRIVATE_KEY_PATH points to ${keyPath}, which does not exist.`)
  if (!isPrivateKey(readFileSync(keyPath)))
    throw new ShipError(`${keyPath} is not the upload key (a PEM private key, as the admin downloads it).`)
  const pkgFile = existsSync(join(root, 'package.json')) ? join(root, 'package.json') : join(ROOT, 'package.json')
  const pkgVersion = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version
  const version = flag('--version') ?? pkgVersion
  if (mode === 'upload' && !/^\d+\.\d+\.\d+([-.][0-9A-Za-z.]+)?$/.test(version))
    throw new ShipError(`"${version}" is not a version like 1.2.0.`)
  return {
    mode,
    appid,
    privateKeyPath: keyPath,
    version,
    desc: flag('--desc') ?? `${mode} of ${version}`,
    qrPath: join(root, '.reports', 'preview-qr.png'),
    appidFrom,
    keyFrom: sources.privateKeyPath?.from ?? 'MP_PRIVATE_KEY_PATH',
  }
}

/** WeChat's answers and network failures in one sentence each. */
export function shipFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e ? JSON.stringify(e) : String(e)
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|socket hang up/i.test(msg)) {
    return "WeChat's servers cannot be reached (servicewechat.com): check the network and run the command again."
  }
  if (/invalid ip|IP.*(白名单|whitelist)|-10008|20003/i.test(msg))
    return 'WeChat refused this machine: add its public IP to the upload IP whitelist (开发管理 → 开发设置 → 小程序代码上传), or turn the whitelist off.'
  if (/private ?key|签名|sign|decrypt|-10006/i.test(msg))
    return 'WeChat refused the upload key: download it again for this AppID (开发管理 → 开发设置 → 小程序代码上传 → 重置) and point MP_PRIVATE_KEY_PATH at it.'
  if (/appid|-10001|40013/i.test(msg))
    return 'WeChat does not know this AppID, or the key belongs to another one: check MP_APPID and the key.'
  return `miniprogram-ci failed: ${msg.slice(0, 300)}`
}

/**
 * Runs `work` with console output held: miniprogram-ci prints its own retries and raw network
 * errors (getaddrinfo ENOTFOUND, three times) before it throws. What it printed is kept for the
 * failure's classification and written to `logFile`, never shown raw.
 */
export async function quietly<T>(work: () => Promise<T>, logFile?: string): Promise<T> {
  const held: string[] = []
  const keep = (...args: unknown[]) => {
    held.push(
      args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' '),
    )
  }
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error }
  Object.assign(console, { log: keep, info: keep, warn: keep, error: keep })
  try {
    return await work()
  } catch (e) {
    const words = held.join('\n')
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { printed: words })
  } finally {
    Object.assign(console, saved)
    if (logFile && held.length) {
      mkdirSync(join(logFile, '..'), { recursive: true })
      writeFileSync(logFile, held.join('\n') + '\n')
    }
  }
}

export async function ship(opts: ShipOptions, log: (line: string) => void = console.log): Promise<void> {
  const logFile = join(ROOT, '.reports', 'miniprogram-ci.log')
  mkdirSync(join(ROOT, '.reports'), { recursive: true })
  // Loading miniprogram-ci and making the project print too ("[miniprogram-builder] initservices CI").
  await quietly(async () => {
    const ci = loadCi()
    const project = ciProject(ci, { appid: opts.appid, privateKeyPath: opts.privateKeyPath, offline: false })
    if (opts.mode === 'preview')
      await ci.preview({
        project,
        version: opts.version,
        desc: opts.desc,
        setting: CI_SETTING,
        qrcodeFormat: 'image',
        qrcodeOutputDest: opts.qrPath,
        onProgressUpdate: () => {},
      })
    else
      await ci.upload({
        project,
        version: opts.version,
        desc: opts.desc,
        setting: CI_SETTING,
        onProgressUpdate: () => {},
      })
  }, logFile)
  if (opts.mode === 'preview')
    log(`Preview ready: scan ${opts.qrPath} with WeChat (the develop version; the code lives about 25 minutes).`)
  else
    log(
      `Uploaded ${opts.version}: choose it as the trial version or submit it for review in the mini-program admin (版本管理).`,
    )
}

/** One sentence for a failure of ship(), judged by the error and by what miniprogram-ci printed. */
export function shipFailureOf(e: unknown): string {
  const printed = e && typeof e === 'object' && 'printed' in e ? String((e as { printed: unknown }).printed) : ''
  const first = shipFailure(e)
  return first.startsWith('miniprogram-ci failed') && printed ? shipFailure(new Error(`${printed}\n${first}`)) : first
}

export const SHIP_USAGE = [
  'npm run preview                                   a QR code for the develop version (.reports/preview-qr.png)',
  'npm run upload -- --version 1.2.0 --desc "…"      upload a version (then choose it as trial or submit it in 版本管理)',
  'AppID: MP_APPID (the shell, .env.local, .env) or project.private.config.json; key: MP_PRIVATE_KEY_PATH (the code-upload key).',
  '--mode prod: read .env.prod over .env.local and .env (another AppID or key for that environment).',
].join('\n')

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(SHIP_USAGE)
    return
  }
  const { mode, rest } = modeOf(process.argv.slice(2))
  const settings = readSettings(configRoot(), process.env, mode)
  const opts = shipOptions(rest, settings.vars, settings.root, settings)
  console.log(
    `${opts.mode === 'preview' ? 'Preview' : 'Upload'} for AppID ${said({ value: opts.appid, from: opts.appidFrom ?? 'MP_APPID' })}, upload key from ${opts.keyFrom ?? 'MP_PRIVATE_KEY_PATH'}.`,
  )
  try {
    await ship(opts)
  } catch (e) {
    throw new ShipError(shipFailureOf(e))
  }
}

if (require.main === module) {
  main()
    .then(() => process.exit(0)) // miniprogram-ci keeps handles open
    .catch((e: unknown) => {
      console.error(e instanceof ShipError || e instanceof ModeError ? e.message : e)
      process.exit(1)
    })
}
