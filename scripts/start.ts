/**
 * npm start: builds the functions, opens the local cloud with its database persisted in
 * .localcloud/ (ignored by git; seeded on first start from database/seed), serves it and the
 * console on http://localhost:$PORT (3910), and rebuilds and reloads the functions when their
 * sources change.   PORT=4000 npm start   |   npm start -- --port 4000
 * LOCALCLOUD_DB_LATENCY=1-8 npm start: every database request takes 1-8 ms (seeded jitter), as on CloudBase.
 */
import { watch } from 'node:fs'
import { join } from 'node:path'
import { LocalCloud, parseLatency, type LatencyRange } from '../localcloud'
import { createServer, ensureSamplePartner } from '../localcloud/server'
import { buildFunction, functionNames, ROOT } from './build-functions'
import { KEYWORDS } from '../server/pay/messages'

/** Values a local environment needs to work at once (the sandbox merchant, templates); real env vars win. */
export const LOCAL_VARS: Record<string, string> = {
  // PAY_PROVIDER=wxpay-v3 npm start: payments through the APIv3 sandbox (its merchant keys are made at start).
  PAY_PROVIDER: 'cloudpay',
  PAY_SUB_MCH_ID: '1900000109',
  SUBSCRIBE_TMPL_PAID: 'local-tmpl-paid',
  SUBSCRIBE_TMPL_REFUNDED: 'local-tmpl-refunded',
  MINIPROGRAM_STATE: 'developer',
  // The sandbox's official account (localcloud/oa-sandbox.ts); a real one is set on the deployed function.
  OA_APPID: 'wx0000000000oalocal',
  OA_APPSECRET: 'local-oa-secret-not-a-real-one',
  // Every local user may redeem (the console's user picker chooses who acts).
  CARD_OPERATOR_OPENIDS: 'o-local-operator',
  // The official account's server settings for card events (cardEvents), plain mode locally.
  OA_PUSH_TOKEN: 'localOaPushToken',
}

/**
 * The local cloud as npm start runs it: these variables, and their subscribe templates in the
 * account. `scans`: npm start warns about a query no index serves; tests refuse it.
 */
export function openLocalCloud(
  vars: Record<string, string> = LOCAL_VARS,
  dataDir?: string,
  dbLatency: LatencyRange | null = null,
  scans: 'refuse' | 'warn' = 'refuse',
): LocalCloud {
  const cloud = new LocalCloud({ ...(dataDir ? { dataDir } : {}), vars, dbLatency, scans })
  cloud.openapi.templates.add(vars.SUBSCRIBE_TMPL_PAID!).add(vars.SUBSCRIBE_TMPL_REFUNDED!)
  // The local templates have the keywords the pay messages fill (server/pay/messages.ts).
  for (const id of [vars.SUBSCRIBE_TMPL_PAID!, vars.SUBSCRIBE_TMPL_REFUNDED!])
    cloud.openapi.templateKeywords.set(id, Object.values(KEYWORDS))
  return cloud
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/

/** `--host <address>` or loopback; the HOST environment variable is ignored on purpose. */
export function hostFrom(argv: string[]): string {
  const i = argv.indexOf('--host')
  return (i >= 0 ? argv[i + 1] : undefined) || '127.0.0.1'
}

/** A sentence for a port that cannot be taken (EADDRINUSE, EACCES), or null for any other failure. */
export function listenFailure(e: unknown, port: number): string | null {
  const code = (e as { code?: unknown } | null)?.code
  if (code === 'EADDRINUSE')
    return `Port ${port} is in use (another npm start?). Stop it, or run PORT=${port + 1} npm start and then npm run configure -- --local http://127.0.0.1:${port + 1}`
  if (code === 'EACCES')
    return `Port ${port} needs privileges this user does not have: choose another, e.g. PORT=${DEFAULT_PORT} npm start`
  return null
}

/** npm start's variables: LOCAL_VARS, each overridden by the shell's value when it has one (npm run doctor -- --local reads them the same way). */
export function localVars(shell: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(LOCAL_VARS).map(([k, v]) => [k, shell[k] ?? v]))
}

/** The port of npm start (and of configure --local's default URL). */
export const DEFAULT_PORT = 3910

export function portFrom(argv: string[], env: Record<string, string | undefined>): number {
  const i = argv.indexOf('--port')
  const raw = i >= 0 ? argv[i + 1] : env.PORT
  const n = Number(raw ?? DEFAULT_PORT)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`Not a port: ${raw}`)
  return n
}

async function buildAll(): Promise<void> {
  await Promise.all(functionNames().map((n) => buildFunction(n)))
}

export const START_USAGE = [
  'npm start                          the local cloud and its console on http://localhost:3910',
  'npm start -- --port 4000           another port (or PORT=4000); then npm run configure -- --local http://127.0.0.1:4000',
  'npm start -- --host 0.0.0.0        listen beyond this machine (a phone on the LAN, in local mode)',
  'LOCALCLOUD_DB_LATENCY=1-8 npm start   the database answers as slowly as CloudBase (1-8 ms a request)',
].join('\n')

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(START_USAGE)
    return
  }
  const port = portFrom(process.argv, process.env)
  await buildAll()
  const vars = localVars(process.env)
  // LOCALCLOUD_DB_LATENCY=1-8 (ms, seeded jitter per request): the database answers as slowly as CloudBase's does.
  const latency = parseLatency(process.env.LOCALCLOUD_DB_LATENCY)
  const cloud = openLocalCloud(vars, join(ROOT, '.localcloud'), latency, 'warn')
  const app = createServer(cloud)
  // Loopback unless `--host` says otherwise (not an environment variable: exposing it is a choice made on the command line).
  const host = hostFrom(process.argv)
  try {
    await app.listen({ port, host })
  } catch (e) {
    const said = listenFailure(e, port)
    if (!said) throw e
    console.error(said)
    process.exit(1)
  }
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`
  // The sample partner of local mode owns its share id before DevTools' compile mode can use it.
  await ensureSamplePartner(cloud)
  console.log(`local cloud and its console: ${url}  (functions: POST /api/functions/<name>; data in .localcloud/)`)
  if (port !== DEFAULT_PORT)
    console.log(`DevTools local mode on this port: npm run configure -- --local http://127.0.0.1:${port}`)
  if (latency) console.log(`database latency: ${latency.min}-${latency.max} ms per request (LOCALCLOUD_DB_LATENCY)`)
  if (!LOOPBACK.test(host))
    console.log(
      `--host ${host}: the local cloud (which can pay orders and act as any user) is reachable from your network, not only this computer.`,
    )

  // Ctrl+C ends the process without its 'exit' event: write the data the debounce still holds.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cloud.db.flush()
      process.exit(0)
    })
  }

  let timer: NodeJS.Timeout | undefined
  const onChange = () => {
    clearTimeout(timer)
    timer = setTimeout(async () => {
      try {
        await buildAll()
        cloud.reload()
        console.log('functions rebuilt and reloaded')
      } catch (e) {
        console.error(`build failed: ${e instanceof Error ? e.message : String(e)}`)
      }
    }, 200)
  }
  for (const dir of ['server', 'typings']) watch(join(ROOT, dir), { recursive: true }, onChange)
  for (const fn of functionNames()) watch(join(ROOT, 'cloudfunctions', fn, 'src'), { recursive: true }, onChange)
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
}
