/**
 * `customerService` as the message-push target, as WeChat delivers: once however often a message
 * is re-delivered, recorded (and still "success") when WeChat refuses or is slow, and only for
 * pushes WeChat makes. Through the local cloud's push simulator and the openapi sandbox's rules.
 */
import { ALICE, BOB, csWorld, quietLogs } from './helpers'
import { underLatency } from '../setup/races'

quietLogs()

describe('once, however often WeChat delivers', () => {
  test('the same message delivered 4 times in a row: one reply', async () => {
    const w = csWorld()
    const ev = w.push.text(ALICE, 'refund')
    w.push.act(ev)
    for (let i = 0; i < 4; i++) expect((await w.push.deliver(ev)).acked).toBe(true)
    expect(w.sent(ALICE)).toHaveLength(1)
    expect(w.log(ALICE)).toHaveLength(2)
  })

  test('the same message delivered 4 times at once: one reply', async () => {
    const w = csWorld()
    const ev = w.push.text(ALICE, 'refund')
    w.push.act(ev)
    await underLatency(w.cloud, 4, () => Promise.all([1, 2, 3, 4].map(() => w.push.deliver(ev))))
    await w.push.idle()
    expect(w.sent(ALICE)).toHaveLength(1)
    expect(w.cloud.invocations.filter((i) => i.fn === 'customerService')).toHaveLength(
      w.push.deliveries.flatMap((d) => d.attempts).length,
    )
  })

  test('a retry that arrives while the first run is still sending: one reply, and WeChat gets its success', async () => {
    // WeChat waits 300 ms per attempt here; the send takes 500, so the first attempt times out and
    // the retries (at 300, 600, 900 ms) have 700 ms of slack to see the first run finish.
    const w = csWorld({ waitMs: 300 })
    w.cloud.openapi.delayNext('customerServiceMessage.send', 500)
    const d = await w.push.user(w.push.text(ALICE, 'refund'))
    await w.push.idle()
    expect(d.attempts[0]!.timedOut).toBe(true)
    // Retries wait for the first run instead of answering anything but 'success'.
    const answered = d.attempts.filter((a) => !a.timedOut)
    expect(answered.length).toBeGreaterThan(0)
    expect(answered.every((a) => a.answer === 'success')).toBe(true)
    expect(d.acked).toBe(true)
    expect(d.userSaw).toBeUndefined()
    expect(d.attempts.length).toBeGreaterThan(1)
    expect(w.sent(ALICE)).toHaveLength(1)
  })

  test('a run that fails after claiming tries again itself (WeChat will not): the reply goes out once, one answer', async () => {
    const w = csWorld()
    w.cloud.db.failNext({ collection: 'cs_rules' }) // the first run cannot read the rules
    const d = await w.push.user(w.push.text(ALICE, 'refund'))
    expect(d.attempts.map((a) => a.answer)).toEqual(['success'])
    expect(w.sent(ALICE)).toHaveLength(1)
    expect(w.cloud.db.dump('cs_seen')[0]).toMatchObject({ state: 'DONE', attempts: 2, done: [0] })
  })

  test('a run that died mid-way: the next one sends only what was not attempted', async () => {
    const w = csWorld()
    w.addRule({
      _id: 'two',
      match: { kind: 'keyword', words: ['two'] },
      replies: [
        { type: 'text', content: 'one' },
        { type: 'text', content: 'two' },
      ],
    })
    // The first run stops after its first reply (saving the plan, taking reply 0 and marking its send pass; taking reply 1 fails).
    w.cloud.db.failNext({ action: 'database.modifyDocument', collection: 'cs_seen', skip: 3 })
    const ev = w.push.text(ALICE, 'two')
    w.push.act(ev)
    const first = await w.push.deliver(ev)
    expect(first.attempts.map((a) => a.answer)).toEqual(['success'])
    expect(w.texts(ALICE)).toEqual(['one', 'two'])
    expect(w.cloud.db.dump('cs_seen')[0]).toMatchObject({ state: 'DONE', attempts: 2, done: [0, 1] })
  })

  test('the hourly timer removes expired delivery records', async () => {
    const w = csWorld()
    await w.push.user(w.push.text(ALICE, 'refund'))
    await w.push.user(w.push.text(BOB, 'refund'))
    const [a] = w.cloud.db.dump('cs_seen')
    w.cloud.db.seed('cs_seen', [{ ...a!, expireAt: new Date(Date.now() - 1000) }])
    expect(await w.cloud.runTimer('customerService', 'cleanup')).toEqual({
      finished: 0,
      removed: { seen: 1, media: 0, recordings: 0 },
    })
    expect(w.cloud.db.dump('cs_seen')).toHaveLength(1)
  })
})

describe('WeChat refuses or is slow: recorded, and still "success"', () => {
  test.each([
    [45015, 'WINDOW_CLOSED'],
    [45047, 'QUOTA_USED'],
  ])('send fails with %i: the failure is logged, the window closed here too, no crash', async (errcode, failure) => {
    const w = csWorld()
    w.cloud.openapi.failNext('customerServiceMessage.send', errcode)
    const d = await w.push.user(w.push.text(ALICE, 'refund'))
    expect(d.acked).toBe(true)
    expect(d.attempts).toHaveLength(1)
    expect(w.log(ALICE)[1]).toMatchObject({ dir: 'out', status: 'FAILED', failure, errCode: errcode })
    expect(w.conversation(ALICE)!.sendsLeft).toBe(0)
    // A later delivery of another message is not blocked by the first one's failure.
    await w.push.user(w.push.text(ALICE, 'menu?'))
    expect(w.sent(ALICE)).toHaveLength(1)
  })

  test('a send that does not answer in time is cut off; the handler stays inside its budget', async () => {
    const w = csWorld({ vars: { CS_CALL_TIMEOUT_MS: '300', CS_BUDGET_MS: '1000' }, waitMs: 2000 })
    w.cloud.openapi.delayNext('customerServiceMessage.send', 1500)
    const d = await w.push.user(w.push.text(ALICE, 'refund'))
    expect(d.acked).toBe(true)
    const run = w.cloud.invocations.find((i) => i.fn === 'customerService')!
    expect(run.ms).toBeLessThan(1000)
    expect(w.log(ALICE)[1]).toMatchObject({ status: 'TIMEOUT', failure: 'TIMEOUT' })
    await w.push.idle()
  })

  test('a missing openapi permission (-604101) is recorded the same way', async () => {
    const w = csWorld()
    w.cloud.deniedPermissions.add('customerService:customerServiceMessage.send')
    const d = await w.push.user(w.push.text(ALICE, 'refund'))
    expect(d.acked).toBe(true)
    expect(w.log(ALICE)[1]).toMatchObject({ status: 'FAILED', failure: 'PERMISSION_MISSING', errCode: -604101 })
  })

  test('typing refused (45080) does not stop the reply', async () => {
    const w = csWorld()
    w.cloud.openapi.failNext('customerServiceMessage.setTyping', 45080)
    await w.push.user(w.push.text(ALICE, 'refund'))
    expect(w.sent(ALICE)).toHaveLength(1)
  })

  test('the database fails before anything is recorded: the claim is tried again within the budget; one answer, "success"', async () => {
    const w = csWorld()
    w.cloud.db.failNext({ collection: 'cs_seen' }) // the claim insert
    w.cloud.db.failNext({ collection: 'cs_seen' }) // and its read-back
    const d = await w.push.user(w.push.text(ALICE, 'refund'))
    expect(d.attempts.map((a) => a.answer)).toEqual(['success'])
    expect(d.acked).toBe(true)
    expect(w.sent(ALICE)).toHaveLength(1)
  })

  test('the database stays down: still "success" (never an abnormal answer), the message is in the log line', async () => {
    const w = csWorld({ vars: { CS_BUDGET_MS: '600' }, waitMs: 2000 })
    w.cloud.db.failNext({ collection: 'cs_seen' }, 50)
    const logs = jest.spyOn(console, 'log')
    logs.mockClear()
    const d = await w.push.user(w.push.text(ALICE, 'refund please'))
    expect(d.attempts.map((a) => a.answer)).toEqual(['success'])
    expect(d.userSaw).toBeUndefined()
    const lines = logs.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>)
    expect(lines).toContainEqual(
      expect.objectContaining({
        outcome: 'unrecorded',
        from: ALICE,
        summary: expect.stringContaining('refund please'),
      }),
    )
    expect(w.sent(ALICE)).toHaveLength(0)
  })
})

describe('only WeChat pushes', () => {
  test('a client calling with a push-shaped event is refused; nothing is sent or written', async () => {
    const w = csWorld()
    const ev = w.push.text(ALICE, 'refund')
    w.push.act(ev)
    const { result } = await w.cloud.callFromClient('customerService', ev, { openid: ALICE })
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    expect(w.sends()).toEqual([])
    expect(w.cloud.db.dump('cs_seen')).toEqual([])
  })
})
