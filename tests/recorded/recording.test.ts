/**
 * RECORD_WECHAT=1 (server/recording.ts) and npm run recordings:pull (scripts/recordings.ts): a
 * push is kept scrubbed, pulled from npm start's database without writing it, and the file it
 * becomes replays like the sourced ones.
 */
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalCloud } from '../../localcloud'
import { DbEngine } from '../../localcloud/db-engine'
import { RECORDINGS, scrub } from '../../server/recording'
import { pull, type Recording } from '../../scripts/recordings'

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {}) // the function's one line per delivery
})

const TEXT = { ToUserName: 'gh_0123456789ab', FromUserName: 'oUser0000000000000000000001', CreateTime: 1482048670, MsgType: 'text', Content: '我的手机号是 13800000000', MsgId: 1234567890123456 }

test('scrubbing keeps every field and its type, hashes who, removes what was said', () => {
  const s = scrub({ ...TEXT, nested: [{ openid: 'oUser0000000000000000000001', phoneNumber: '13800000000', total_fee: 1200, code: 'SUCCESS' }] }, 'env-a') as Record<string, any>
  expect(Object.keys(s)).toEqual([...Object.keys(TEXT), 'nested'])
  expect(s.FromUserName).toMatch(/^h-[0-9a-f]{24}$/)
  expect(s.nested[0].openid).toBe(s.FromUserName) // the same user, the same hash
  expect(scrub({ FromUserName: TEXT.FromUserName }, 'env-b')).not.toEqual({ FromUserName: s.FromUserName }) // another environment, another hash
  expect(s).toMatchObject({ Content: '[removed]', CreateTime: 1482048670, MsgType: 'text', MsgId: 1234567890123456, nested: [{ phoneNumber: '[removed]', total_fee: 1200, code: 'SUCCESS' }] })
  expect(JSON.stringify(s)).not.toMatch(/13800000000|oUser0/)
})

test('RECORD_WECHAT=1: a push is kept scrubbed, pulled without writing npm start\'s files, and replays', async () => {
  const data = mkdtempSync(join(tmpdir(), 'rec-'))
  const cloud = new LocalCloud({ dataDir: data, vars: { RECORD_WECHAT: '1' } })
  expect((await cloud.push.user({ ...TEXT })).acked).toBe(true)
  cloud.db.flush()
  const file = join(data, 'db.json')
  const before = { size: statSync(file).size, journal: existsSync(`${file}.journal`) }
  const engine = new DbEngine({ file, readOnly: true })
  const kept = engine.dump(RECORDINGS) as unknown as Recording[]
  expect(kept).toHaveLength(1)
  expect({ size: statSync(file).size, journal: existsSync(`${file}.journal`) }).toEqual(before) // nothing written
  const out = mkdtempSync(join(tmpdir(), 'rec-out-'))
  const [path] = pull(kept, 'npm start', out)
  const recorded = JSON.parse(readFileSync(join(out, path!), 'utf8'))
  expect(recorded).toMatchObject({ source: expect.stringMatching(/^recorded: npm start, \d{4}-\d{2}-\d{2}$/), event: { MsgType: 'text', Content: '[removed]', FromUserName: expect.stringMatching(/^h-/) } })
  // It replays as tests/recorded/replay.test.ts replays push files.
  const replay = new LocalCloud()
  expect((await replay.push.user(recorded.event)).acked).toBe(true)
})

test('off by default: nothing is kept', async () => {
  const cloud = new LocalCloud()
  await cloud.push.user({ ...TEXT })
  expect(cloud.db.dump(RECORDINGS)).toEqual([])
})

test('recordings are kept for a set time: the customer-service timer removes expired ones', async () => {
  const cloud = new LocalCloud()
  const now = Date.now()
  cloud.db.seed(RECORDINGS, [
    { _id: 'push-old', kind: 'push', payload: {}, at: new Date(now - 8 * 86_400_000), expiresAt: new Date(now - 86_400_000) },
    { _id: 'push-new', kind: 'push', payload: {}, at: new Date(now), expiresAt: new Date(now + 86_400_000) },
  ])
  expect(await cloud.runTimer('customerService', 'cleanup')).toMatchObject({ removed: { recordings: 1 } })
  expect(cloud.db.dump(RECORDINGS).map((r) => r._id)).toEqual(['push-new'])
})
