/**
 * The `npm start` server for a test: the local cloud as start.ts opens it, served on a loopback
 * port (fastify's inject needs an ESM-only dependency jest cannot load on Node 20). Call
 * `closeServers` in afterEach, or jest waits on the open sockets.
 */
import type { LocalCloud } from '../../localcloud'
import { createServer } from '../../localcloud/server'
import { LOCAL_VARS, openLocalCloud } from '../../scripts/start'

const open: Array<{ close(): Promise<unknown> }> = []

export async function serve(
  openid: string,
  vars: Record<string, string> = LOCAL_VARS,
): Promise<{ cloud: LocalCloud; app: ReturnType<typeof createServer>; base: string }> {
  const cloud = openLocalCloud(vars)
  const app = createServer(cloud, { openid })
  open.push(app)
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  return { cloud, app, base }
}

export async function closeServers(): Promise<void> {
  await Promise.all(open.splice(0).map((a) => a.close()))
}
