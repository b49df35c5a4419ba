/**
 * npm run preview: a QR code to open the develop version on a phone (miniprogram-ci `preview`,
 * PNG in .reports/preview-qr.png). npm run upload: a version upload (then choose it as the trial
 * version, or submit it for review, in the mini-program admin).
 *   MP_APPID=wx… MP_PRIVATE_KEY_PATH=~/keys/private.wx….key npm run preview
 *   npm run upload -- --version 1.2.0 --desc "what changed"
 * The AppID may also come from project.private.config.json (untracked). The key is the code-upload
 * key (mp.weixin.qq.com → 开发管理 → 开发设置 → 小程序代码上传), never committed. The project is
 * built by the same ciProject() and settings as the offline compile `npm test` runs.
 */
import { createPrivateKey } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CI_SETTING, ciProject, loadCi, ROOT } from './compile-miniprogram'

export class ShipError extends Error {}

export interface ShipOptions {
  mode: 'preview' | 'upload'
  appid: string
  privateKeyPath: string
  version: string
  desc: string
  qrPath: string
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
export function shipOptions(argv: string[], env: Record<string, string | undefined>, root = ROOT): ShipOptions {
  const mode = argv.includes('upload') ? 'upload' : 'preview'
  const flag = (name: string) => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  let appid = env.MP_APPID?.trim() ?? ''
  const privateConfig = join(root, 'project.private.config.json')
  if (!appid && existsSync(privateConfig)) {
    const cfg = JSON.parse(readFileSync(privateConfig, 'utf8')) as { appid?: unknown }
    if (typeof cfg.appid === 'string' && cfg.appid !== 'touristappid') appid = cfg.appid.trim()
  }
  if (!appid) throw new ShipError('No AppID: set MP_APPID=wx… (mp.weixin.qq.com → 开发管理 → 开发设置 → AppID) or put "appid" in project.private.config.json.')
  if (!APPID.test(appid)) throw new ShipError(`"${appid}" is not a mini-program AppID (wx followed by 16 hex digits).`)
  const keyPath = env.MP_PRIVATE_KEY_PATH?.trim() ?? ''
  if (!keyPath) throw new ShipError(`No upload key: download the code-upload key (开发管理 → 开发设置 → 小程序代码上传) and set MP_PRIVATE_KEY_PATH=/path/to/private.${appid}.key.`)
  if (!existsSync(keyPath)) throw new ShipError(`MP_PRIVATE_KEY_PATH points to ${keyPath}, which does not exist.`)
  if (!isPrivateKey(readFileSync(keyPath))) throw new ShipError(`${keyPath} is not the upload key (a PEM private key, as the admin downloads it).`)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkgVersion = (require(join(root, 'package.json')) as { version: string }).version
  const version = flag('--version') ?? pkgVersion
  if (mode === 'upload' && !/^\d+\.\d+\.\d+([-.][0-9A-Za-z.]+)?$/.test(version)) throw new ShipError(`"${version}" is not a version like 1.2.0.`)
  return { mode, appid, privateKeyPath: keyPath, version, desc: flag('--desc') ?? `${mode} of ${version}`, qrPath: join(root, '.reports', 'preview-qr.png') }
}

/** WeChat's answers and network failures in one sentence each. */
export function shipFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e ? JSON.stringify(e) : String(e)
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|socket hang up/i.test(msg)) {
    return "WeChat's servers cannot be reached (servicewechat.com): check the network and run the command again."
  }
  if (/invalid ip|IP.*(白名单|whitelist)|-10008|20003/i.test(msg)) return 'WeChat refused this machine: add its public IP to the upload IP whitelist (开发管理 → 开发设置 → 小程序代码上传), or turn the whitelist off.'
  if (/private ?key|签名|sign|decrypt|-10006/i.test(msg)) return 'WeChat refused the upload key: download it again for this AppID (开发管理 → 开发设置 → 小程序代码上传 → 重置) and point MP_PRIVATE_KEY_PATH at it.'
  if (/appid|-10001|40013/i.test(msg)) return 'WeChat does not know this AppID, or the key belongs to another one: check MP_APPID and the key.'
  return `miniprogram-ci failed: ${msg.slice(0, 300)}`
}

export async function ship(opts: ShipOptions, log: (line: string) => void = console.log): Promise<void> {
  const ci = loadCi()
  const project = ciProject(ci, { appid: opts.appid, privateKeyPath: opts.privateKeyPath, offline: false })
  if (opts.mode === 'preview') {
    mkdirSync(join(ROOT, '.reports'), { recursive: true })
    await ci.preview({ project, version: opts.version, desc: opts.desc, setting: CI_SETTING, qrcodeFormat: 'image', qrcodeOutputDest: opts.qrPath, onProgressUpdate: () => {} })
    log(`Preview ready: scan ${opts.qrPath} with WeChat (the develop version; the code lives about 25 minutes).`)
  } else {
    await ci.upload({ project, version: opts.version, desc: opts.desc, setting: CI_SETTING, onProgressUpdate: () => {} })
    log(`Uploaded ${opts.version}: choose it as the trial version or submit it for review in the mini-program admin (版本管理).`)
  }
}

async function main(): Promise<void> {
  const opts = shipOptions(process.argv.slice(2), process.env)
  try {
    await ship(opts)
  } catch (e) {
    throw new ShipError(shipFailure(e))
  }
}

if (require.main === module) {
  main()
    .then(() => process.exit(0)) // miniprogram-ci keeps handles open
    .catch((e: unknown) => {
      console.error(e instanceof ShipError ? e.message : e)
      process.exit(1)
    })
}
