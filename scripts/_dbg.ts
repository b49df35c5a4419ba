import { buildTemplate, seedCopies, BENCH_VARS, BENCH_AGENT, benchOpenid } from './bench-actions'
import { seed } from './bench'
import { openLocalCloud } from './start'
async function main() {
  const template = await buildTemplate()
  const n = 1000
  const cloud = openLocalCloud(BENCH_VARS)
  seed(cloud, n)
  seedCopies(cloud, template, n)
  const k = 77
  const o = benchOpenid(k)
  console.log(cloud.db.dump('cs_conversations').find((c) => c._id === o))
  const d = await cloud.push.user(cloud.push.text(o, '在吗？'))
  console.log(JSON.stringify(d.attempts.map(a => a.answer)).slice(0, 500))
  console.log(cloud.db.dump('cs_conversations').find((c) => c._id === o))
  const r = await cloud.callFromClient('customerService', { action: 'agentReply', touser: o, text: 'hi', requestId: 'dbg-reply-1' }, { openid: BENCH_AGENT })
  console.log(JSON.stringify(r.result))
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })
