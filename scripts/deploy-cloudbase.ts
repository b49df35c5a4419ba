/**
 * npm run deploy's hands (scripts/deploy.ts): carrying out the plan against CloudBase (an interface
 * the tests fake), tcb's failures turned into one sentence, and the real CloudBase: tcb from
 * node_modules/.bin for functions and triggers, the Manager SDK for the database, miniprogram-ci
 * for permissions, read back from WeChat before they are called applied.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { accessToken, fetchJson, readPermissions, type Readback } from './func-config'
import { ENV_ID_WHERE } from '../miniprogram/config/env'
import { buildFunction, ROOT } from './build-functions'
import { ciProject, loadCi } from './compile-miniprogram'
import { shipFailure } from './preview'
import type { Env } from './deploy-config'
import { DeployError, type CreateIndex, type Options, type Step } from './deploy-plan'

/** What deploying needs from CloudBase; the real one is tcb + the Manager SDK, tests pass a fake. */
export interface CloudBase {
  /** Throws DeployError when there is no usable login. */
  checkLogin(): Promise<void>
  deployFunction(name: string): Promise<void>
  /** Uploads the function folder (config.json included) through DevTools' channel, which applies its permissions. */
  uploadWithPermissions(name: string): Promise<void>
  /** What WeChat lists as the function's cloud-call permissions (scripts/func-config.ts), against `wanted`. */
  readPermissions(name: string, wanted: string[]): Promise<Readback>
  createTriggers(name: string): Promise<void>
  ensureCollection(name: string): Promise<'created' | 'exists'>
  ensureIndex(collection: string, index: CreateIndex): Promise<'created' | 'exists'>
  setRules(collection: string, rules: string): Promise<void>
  /** The function's HTTP access paths, `path` created when it has none. */
  ensureRoute(fn: string, path: string): Promise<{ state: 'created' | 'exists'; paths: string[] }>
}

export async function execute(
  steps: Step[],
  cloud: CloudBase,
  log: (line: string) => void,
  build = buildFunction,
): Promise<string[]> {
  await cloud.checkLogin()
  const manual: string[] = []
  for (const step of steps) {
    switch (step.kind) {
      case 'build':
        await Promise.all(step.functions.map((n) => build(n)))
        log(`built ${step.functions.length} functions`)
        break
      case 'function': {
        await cloud.deployFunction(step.name)
        let perms = step.permissionsVia === 'by-hand' ? ', permissions NOT applied' : ''
        if (step.permissionsVia === 'miniprogram-ci') {
          await cloud.uploadWithPermissions(step.name)
          // Said applied only when WeChat lists them (an upload is not proof: #27).
          const back = await cloud.readPermissions(step.name, step.permissions)
          if (back.state === 'APPLIED') perms = ', permissions applied (read back from WeChat)'
          else if (back.state === 'MISSING') {
            perms = `, permissions NOT applied: ${back.missing.join(', ')} missing`
            manual.push(
              `Cloud-call permissions of ${step.name}: ${back.why} Upload it from DevTools (right-click the folder → 上传并部署：云端安装依赖); until then its WeChat calls fail with -604101.`,
            )
          } else {
            perms = ', permissions uploaded, not confirmed'
            manual.push(
              `Cloud-call permissions of ${step.name} could not be read back: ${back.why} Check them in DevTools (云开发 → 云函数 → ${step.name} → 云调用权限).`,
            )
          }
        }
        if (step.triggers.length) await cloud.createTriggers(step.name)
        log(`deployed ${step.name}${step.triggers.length ? ' (with timer)' : ''}${perms}`)
        break
      }
      case 'collection': {
        const made = await cloud.ensureCollection(step.name)
        const created: string[] = []
        for (const index of step.indexes)
          if ((await cloud.ensureIndex(step.name, index)) === 'created') created.push(index.IndexName)
        await cloud.setRules(step.name, step.rules)
        log(
          `collection ${step.name}: ${made}${created.length ? `, indexes created: ${created.join(', ')}` : ''}, rules set`,
        )
        break
      }
      case 'route': {
        // Said as it is: a path that could not be made is a manual step with why, not a failed deploy.
        try {
          const r = await cloud.ensureRoute(step.fn, step.path)
          log(
            `HTTP access for ${step.fn}: ${r.state === 'created' ? `created ${step.path}` : `exists (${r.paths.join(', ')})`}`,
          )
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e)
          log(`HTTP access for ${step.fn}: NOT created`)
          manual.push(
            `HTTP access for ${step.fn} could not be created (${why.slice(0, 200)}): in the cloud console → HTTP 访问服务, turn the service on and add the path ${step.path} → ${step.fn}.`,
          )
        }
        break
      }
      case 'manual':
        manual.push(step.text)
        break
    }
  }
  return manual
}

/** A key that is set but not accepted: not the same fix as no login at all. */
export const KEY_REFUSED =
  'CloudBase refused the API key in TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY: check both in 访问管理 → API 密钥 (a deleted or disabled key, or one of another account), or unset them to use npx tcb login.'

/**
 * The one sentence for what tcb printed, or undefined when it printed no known failure. tcb 2.x
 * exits 0 on some failures (an unhandled rejection), so its words decide too. The network first:
 * offline, a key that was never checked is not "refused"; a key that is set and refused is not
 * "not logged in".
 */
export function tcbProblem(out: string, env: Env): string | undefined {
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|请求超时/.test(out))
    return 'CloudBase cannot be reached from this machine: check the network (or the HTTP proxy) and run npm run deploy again.'
  const keySet = Boolean(env.TENCENTCLOUD_SECRETID && env.TENCENTCLOUD_SECRETKEY)
  if (
    keySet &&
    /No valid identity information|AuthFailure|SecretIdNotFound|SignatureFailure|InvalidCredential/i.test(out)
  )
    return KEY_REFUSED
  if (/No valid identity information/i.test(out))
    return 'Not logged in to CloudBase: run npx tcb login (or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY) and run npm run deploy again.'
  return undefined
}

/** The env ids in `tcb env list` output (a table; ids look like prod-8gabc123). */
export function envIdsIn(output: string): string[] {
  return [...new Set(output.match(/\b[a-z][a-z0-9-]*-[a-z0-9]{4,}\b/g) ?? [])]
}

/** tcb (node_modules/.bin) for functions and triggers; the Manager SDK for the database. */
export function realCloudBase(opts: Options, env: Record<string, string | undefined>): CloudBase {
  const tcbBin = join(ROOT, 'node_modules', '.bin', 'tcb')
  /** Runs tcb; `-e <env>` is added to the commands that take it (fn ...), not to `env list`. */
  const tcb = (args: string[]): string => {
    const r = spawnSync(tcbBin, args[0] === 'fn' ? [...args, '-e', opts.envId] : args, {
      cwd: ROOT,
      env: env as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 10 * 60_000,
    })
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`
    const problem = tcbProblem(out, env)
    if (problem) throw new DeployError(problem)
    if (r.error || r.status !== 0 || /CloudBaseError|unhandledRejection/.test(out))
      throw new DeployError(
        `tcb ${args.join(' ')} failed: ${(out.trim().split('\n').filter(Boolean).pop() ?? r.error?.message ?? 'no output').slice(0, 300)}`,
      )
    return out
  }
  type Manager = {
    access: {
      getAccessList(o?: { name?: string }): Promise<{ APISet?: Array<{ Path: string; Name: string; Type: number }> }>
      createAccess(o: { name: string; path: string; type?: 1 | 2 }): Promise<unknown>
    }
    database: {
      createCollectionIfNotExists(n: string): Promise<{ IsCreated: boolean }>
      checkIndexExists(c: string, i: string): Promise<{ Exists: boolean }>
      updateCollection(c: string, info: { CreateIndexes: CreateIndex[] }): Promise<unknown>
    }
    commonService(
      s?: string,
      v?: string,
    ): { call(o: { Action: string; Param: Record<string, unknown> }): Promise<unknown> }
  }
  let manager: Manager | undefined
  const db = (): Manager => {
    if (manager) return manager
    if (!env.TENCENTCLOUD_SECRETID || !env.TENCENTCLOUD_SECRETKEY) {
      throw new DeployError(
        'The database step needs a CAM API key: set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (访问管理 → API 密钥) and run npm run deploy again.',
      )
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const CloudBaseManager = require('@cloudbase/manager-node') as new (
      c: Record<string, string | undefined>,
    ) => Manager
    manager = new CloudBaseManager({
      secretId: env.TENCENTCLOUD_SECRETID,
      secretKey: env.TENCENTCLOUD_SECRETKEY,
      token: env.TENCENTCLOUD_SESSIONTOKEN,
      envId: opts.envId,
    })
    return manager
  }
  let checked = false
  /** The mini-program's access token for reading permissions back, fetched once per deploy. */
  let token: { token: string } | { why: string } | undefined
  return {
    async checkLogin() {
      if (checked) return
      if (!existsSync(tcbBin)) throw new DeployError('The CloudBase CLI is missing: run npm ci first.')
      const listed = envIdsIn(tcb(['env', 'list']))
      if (!listed.includes(opts.envId)) {
        throw new DeployError(
          `${opts.envId} is not one of the environments this login can use (${listed.join(', ') || 'none listed'}): check the id in ${ENV_ID_WHERE}, or log in with the account that owns it (npx tcb login).`,
        )
      }
      db()
      checked = true
    },
    async deployFunction(name) {
      tcb(['fn', 'deploy', name, '--force', '--yes'])
    },
    async uploadWithPermissions(name) {
      if (!opts.uploadKey) throw new DeployError(`No upload key to apply ${name}'s permissions.`)
      const ci = loadCi()
      const project = ciProject(ci, { ...opts.uploadKey, offline: false })
      try {
        await ci.cloud.uploadFunction({
          project,
          env: opts.envId,
          name,
          path: join(ROOT, 'cloudfunctions', name),
          remoteNpmInstall: true,
        })
      } catch (e) {
        throw new DeployError(`Uploading ${name} with its permissions failed: ${shipFailure(e)}`)
      }
    },
    async readPermissions(name, wanted) {
      if (!token) {
        const appid = opts.uploadKey?.appid
        const secret = env.MP_APPSECRET?.trim()
        token =
          !appid || !secret
            ? {
                why: "MP_APPSECRET (the mini-program's AppSecret, 开发管理 → 开发设置) is not set in the untracked .env, so WeChat cannot be asked.",
              }
            : await accessToken(fetchJson, appid, secret)
      }
      if ('why' in token) return { state: 'UNKNOWN', why: token.why }
      return readPermissions(fetchJson, token.token, opts.envId, name, wanted)
    },
    async createTriggers(name) {
      tcb(['fn', 'trigger', 'create', name])
    },
    async ensureCollection(name) {
      return (await db().database.createCollectionIfNotExists(name)).IsCreated ? 'created' : 'exists'
    },
    async ensureIndex(collection, index) {
      if ((await db().database.checkIndexExists(collection, index.IndexName)).Exists) return 'exists'
      await db().database.updateCollection(collection, { CreateIndexes: [index] })
      return 'created'
    },
    async ensureRoute(fn, path) {
      const paths = ((await db().access.getAccessList({ name: fn })).APISet ?? [])
        .filter((a) => a.Type === 1 && a.Name === fn)
        .map((a) => a.Path)
      if (paths.length) return { state: 'exists', paths }
      await db().access.createAccess({ name: fn, path, type: 1 })
      return { state: 'created', paths: [path] }
    },
    async setRules(collection, rules) {
      await db()
        .commonService('tcb', '2018-06-08')
        .call({
          Action: 'ModifySafeRule',
          Param: { EnvId: opts.envId, CollectionName: collection, AclTag: 'CUSTOM', Rule: rules },
        })
    },
  }
}
