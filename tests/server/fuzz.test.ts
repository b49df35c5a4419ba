/**
 * The project's own fuzz test (#16): at least 200 malformed inputs to every entry path of every
 * function — each action from the mini-program, the payment and refund callbacks, message push
 * and URL mode — including oversized, deeply nested and hostile-object inputs. Every answer is a
 * typed error (or WeChat's protocol answer), nothing crashes or hangs, no answer is over 4 KB,
 * and nothing is written. Inputs come from a seeded generator, so a failure repeats.
 */
import { LocalCloud, type Caller } from '../../localcloud'
import { takeConsole } from '../setup/console'

const ALICE: Caller = { openid: 'o-fuzz-alice', clientIp: '10.0.0.1' }
const PER_PATH = 200
const MAX_ANSWER = 4096

/** mulberry32: a small seeded PRNG (the inputs must repeat). */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v }
  return v
}

/** A value no schema of the project accepts where a string, number or small object is expected. */
function junk(r: () => number): unknown {
  const pick = Math.floor(r() * 16)
  switch (pick) {
    case 0:
      return 'x'.repeat(70_000) // past the 64 KB event cap
    case 1:
      return nested(2000, 'deep')
    case 2:
      return { toString: 5, valueOf: 5 } // String(x) throws
    case 3:
      return { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }
    case 4:
      return '\u0000\u202E\uD800'
    case 5:
      return -1e308
    case 6:
      return NaN
    case 7:
      return [1, 'two', { three: 3 }]
    case 8:
      return null
    case 9:
      return true
    case 10:
      return '<xml><a>'.repeat(100)
    case 11:
      return { $where: 'sleep(1000)', $regex: '.*' }
    case 12:
      return '../../etc/passwd'
    case 13:
      return Number.MAX_SAFE_INTEGER * 1000 // a 64-bit id that JSON numbers cannot hold exactly
    case 14:
      return Object.defineProperty({}, 'boom', {
        enumerable: true,
        get: () => {
          throw new Error('getter')
        },
      })
    default:
      return '字'.repeat(Math.floor(r() * 5000))
  }
}

/** A malformed call of `actions` (a known action with an unknown or hostile field, a bad action, or an oversized event). */
function badCall(r: () => number, actions: string[], i: number): Record<string, unknown> | unknown {
  const action = actions[i % actions.length]!
  switch (i % 5) {
    case 0:
      return { action, ['f' + Math.floor(r() * 1000)]: junk(r) } // strict objects refuse unknown fields
    case 1:
      return { action: junk(r) }
    case 2:
      return { action: `${action}X${Math.floor(r() * 100)}` }
    case 3:
      return { action, pad: 'p'.repeat(65 * 1024 + Math.floor(r() * 1000)) }
    default:
      return i % 10 === 4 ? junk(r) : { action, nested: nested(50 + Math.floor(r() * 500), junk(r)) }
  }
}

const writes = (cloud: LocalCloud) =>
  cloud.db.log.filter((l) => /insert|modify|remove|commit|update|delete/i.test(l.action)).length

function answerSize(answer: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(answer) ?? '', 'utf8')
  } catch {
    return Infinity
  }
}

const ROUTED: Record<string, string[]> = {
  user: ['login', 'getProfile', 'updateProfile', 'bindPhone'],
  pay: ['listProducts', 'createOrder', 'payOrder', 'getOrder', 'listOrders', 'requestRefund', 'recordSubscription'],
  share: ['recordIntent', 'recordEntry', 'groupEnter', 'poster', 'myShares'],
  werun: ['sync', 'history'],
  rank: ['optIn', 'optOut', 'status', 'board'],
  soter: ['challenge', 'verify'],
  customerService: ['agentInbox', 'agentConversation', 'agentReply'],
}

let cloud: LocalCloud
beforeAll(async () => {
  cloud = new LocalCloud({
    vars: { PAY_SUB_MCH_ID: '1900000109', CS_PUSH_TOKEN: 'fuzzToken1', CS_AGENT_OPENIDS: ALICE.openid! },
  })
  await cloud.callFromClient('user', { action: 'login' }, ALICE)
})

/** The functions log what they refuse outside the router: one JSON line each, never a stack. */
function drainLogs(): void {
  for (const line of [...takeConsole('log'), ...takeConsole('error')])
    expect(() => JSON.parse(line) as unknown).not.toThrow()
}

describe.each(Object.entries(ROUTED))('%s: every action from the mini-program', (fn, actions) => {
  test(`${PER_PATH} malformed calls: a typed error each, ≤ 4 KB, nothing written`, async () => {
    const r = rng(fn.length * 7919)
    const before = writes(cloud)
    let worst = 0
    for (let i = 0; i < PER_PATH; i++) {
      const event = badCall(r, actions, i)
      // Through invoke (not callFromClient): hostile objects arrive as they are, not JSON-cleaned.
      const answer = (await cloud.invoke(fn, event, ALICE, 'wx_client')) as { ok?: boolean; error?: { code?: unknown } }
      expect(answer?.ok).toBe(false)
      expect(answer.error?.code).toMatch(/^[A-Z][A-Z_]+$/)
      expect(answerSize(answer)).toBeLessThanOrEqual(MAX_ANSWER)
      worst = Math.max(worst, cloud.invocations.at(-1)!.ms)
    }
    expect(writes(cloud)).toBe(before)
    expect(worst).toBeLessThan(1000) // no hang
    drainLogs()
  }, 60_000)

  test('a 1 MB string answers in under 100 ms', async () => {
    await cloud.invoke(fn, { action: actions[0], nickname: 'n'.repeat(1 << 20) }, ALICE, 'wx_client')
    const run = cloud.invocations.at(-1)!
    expect(run.result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    expect(run.ms).toBeLessThan(100)
  })
})

test(`payment and refund callbacks: ${PER_PATH} malformed notifications each, a protocol answer, nothing written`, async () => {
  const r = rng(42)
  const before = writes(cloud)
  for (const fn of ['payCallback', 'payRefundCallback']) {
    for (let i = 0; i < PER_PATH; i++) {
      const event =
        i % 3 === 0
          ? junk(r)
          : {
              returnCode: i % 2 ? 'SUCCESS' : junk(r),
              resultCode: 'SUCCESS',
              outTradeNo: junk(r),
              transactionId: junk(r),
              totalFee: junk(r),
              reqInfo: junk(r),
              nonceStr: junk(r),
            }
      const answer = (await cloud.invoke(fn, event, {}, 'wx_paycallback')) as { errcode?: unknown }
      expect(typeof answer.errcode).toBe('number')
      expect(answerSize(answer)).toBeLessThanOrEqual(MAX_ANSWER)
    }
  }
  expect(writes(cloud)).toBe(before)
  drainLogs()
}, 60_000)

test(`message push: ${PER_PATH} malformed pushes, 'success' each, nothing sent or written`, async () => {
  const r = rng(7)
  const before = writes(cloud)
  for (let i = 0; i < PER_PATH; i++) {
    const event =
      i % 2
        ? junk(r)
        : {
            ToUserName: junk(r),
            FromUserName: junk(r),
            CreateTime: junk(r),
            MsgType: i % 4 ? 'text' : junk(r),
            Content: junk(r),
            MsgId: junk(r),
          }
    expect(await cloud.invoke('customerService', event, {}, 'wx_unknown')).toBe('success')
  }
  expect(writes(cloud)).toBe(before)
  expect(cloud.openapi.callsTo('customerServiceMessage.send')).toHaveLength(0)
  drainLogs()
}, 60_000)

test(`URL mode: ${PER_PATH} malformed or unsigned requests, a 4xx each, nothing written`, async () => {
  const r = rng(99)
  const before = writes(cloud)
  for (let i = 0; i < PER_PATH; i++) {
    const event = {
      httpMethod: i % 7 === 0 ? junk(r) : 'POST',
      path: '/cs',
      headers: i % 5 === 0 ? junk(r) : { 'content-type': i % 2 ? 'text/xml' : 'application/json' },
      queryStringParameters:
        i % 3 === 0
          ? junk(r)
          : { signature: 'f'.repeat(40), timestamp: ((x) => (typeof x === 'string' ? x : '1'))(junk(r)), nonce: '1' },
      body: i % 4 === 0 ? junk(r) : `<xml>${'<a>'.repeat(i * 50)}</xml>`,
    }
    const answer = (await cloud.invoke('customerServiceHttp', event, {}, 'http')) as {
      statusCode?: number
      body?: string
    }
    expect(answer.statusCode).toBeGreaterThanOrEqual(400)
    expect(answer.statusCode).toBeLessThan(500)
    expect(answerSize(answer)).toBeLessThanOrEqual(MAX_ANSWER)
  }
  expect(writes(cloud)).toBe(before)
  drainLogs()
}, 60_000)
