/**
 * What the deploy tests share (deploy.test.ts, deploy-execute.test.ts): this repo's project, a
 * throwaway code-upload key (RSA, written to a temporary folder, never the user's) with its
 * variables, and the options of a deploy to prod-1a2b3c that uses it.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readProject } from '../../scripts/deploy-config'
import type { Options } from '../../scripts/deploy-plan'

export const ROOT = join(__dirname, '..', '..')
export const project = readProject(ROOT)
const keyDir = mkdtempSync(join(tmpdir(), 'deploy-key-'))
export const KEY_PATH = join(keyDir, 'private.wx0123456789abcdef.key')
writeFileSync(
  KEY_PATH,
  generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }),
)
export const KEY_ENV = { MP_APPID: 'wx0123456789abcdef', MP_PRIVATE_KEY_PATH: KEY_PATH }
export const opts: Options = {
  envId: 'prod-1a2b3c',
  dryRun: false,
  skipPermissions: false,
  uploadKey: { appid: KEY_ENV.MP_APPID, privateKeyPath: KEY_PATH },
}
