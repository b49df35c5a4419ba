/** Operator actions of `customerService`: inbox, conversation, and replies inside WeChat's window. */
import { AGENT, ALICE, BOB, csWorld, quietLogs } from './helpers'
import { underLatency } from '../setup/races'

quietLogs()

async function aliceWrote(w: ReturnType<typeof csWorld>, text = 'hello, my coffee voucher does not work') {
  await w.push.user(w.push.text(ALICE, text))
}

describe('who may act', () => {
  test('a user who is not an operator gets NOT_AGENT for every action, and nothing is written', async () => {
    const w = csWorld()
    await aliceWrote(w)
    const before = w.cloud.db.dump('cs_messages').length
    for (const [action, payload] of [
      ['agentInbox', {}],
      ['agentConversation', { openid: ALICE }],
      ['agentReply', { touser: ALICE, text: 'hi', requestId: 'req-00000001' }],
    ] as const) {
      expect((await w.agent(action, payload, { openid: BOB })).error?.code).toBe('NOT_AGENT')
    }
    expect(w.cloud.db.dump('cs_messages')).toHaveLength(before)
    expect(w.sent(ALICE)).toHaveLength(1) // only the automatic acknowledgement
  })

  test('bad input is refused by the schema before anything happens', async () => {
    const w = csWorld()
    await aliceWrote(w)
    const r = await w.agent('agentReply', { touser: ALICE, text: '   ', requestId: 'short' })
    expect(r.error?.code).toBe('INVALID_INPUT')
    expect(r.error?.message).toMatch(/text is empty.*requestId must be/)
    expect(
      (await w.agent('agentReply', { touser: ALICE, text: 'x'.repeat(601), requestId: 'req-00000002' })).error?.code,
    ).toBe('INVALID_INPUT')
    expect(w.sent(ALICE)).toHaveLength(1)
  })
})

describe('inbox and conversation', () => {
  test('conversations newest first, with the window and who is waiting; the log newest first', async () => {
    const w = csWorld()
    await aliceWrote(w)
    const later = w.push.text(BOB, 'refund')
    later.CreateTime += 5 // CreateTime has whole seconds
    await w.push.user(later)
    const inbox = await w.agent('agentInbox', { limit: 10 })
    expect(inbox.data.conversations.map((c: { openid: string }) => c.openid)).toEqual([BOB, ALICE])
    expect(inbox.data.conversations[1]).toMatchObject({
      openid: ALICE,
      waiting: true,
      sendsLeft: 4,
      lastIn: 'hello, my coffee voucher does not work',
    })
    const conv = await w.agent('agentConversation', { openid: ALICE })
    expect(conv.data.entries.map((e: { dir: string; by: string }) => `${e.dir}:${e.by}`)).toEqual([
      'out:auto',
      'in:user',
    ])
    expect(conv.data.conversation.windowUntil - conv.data.conversation.lastInAt).toBe(48 * 3_600_000)
  })
})

describe('agentReply', () => {
  test("sends inside the window, logs it as the agent's, and the user no longer waits", async () => {
    const w = csWorld()
    await aliceWrote(w)
    const r = await w.agent('agentReply', {
      touser: ALICE,
      text: 'Sorry! A new voucher is on its way.',
      requestId: 'req-00000010',
    })
    expect(r.ok).toBe(true)
    expect(r.data.entry).toMatchObject({
      dir: 'out',
      by: 'agent',
      status: 'SENT',
      summary: 'Sorry! A new voucher is on its way.',
    })
    expect(r.data.conversation).toMatchObject({ waiting: false, sendsLeft: 3 })
    expect(w.texts(ALICE)).toEqual(['收到！稍后会有人工在这里回复你。', 'Sorry! A new voucher is on its way.'])
    expect(w.cloud.db.dump('cs_messages').find((m) => m._id === 'agent:req-00000010')).toMatchObject({
      agent: AGENT.openid,
    })
  })

  test('a retry with the same requestId answers the first result and sends nothing more; concurrent ones too', async () => {
    const w = csWorld()
    await aliceWrote(w)
    const req = { touser: ALICE, text: 'On it.', requestId: 'req-00000020' }
    const [a, b, c] = await underLatency(w.cloud, 3, () =>
      Promise.all([w.agent('agentReply', req), w.agent('agentReply', req), w.agent('agentReply', req)]),
    )
    expect([a, b, c].every((r) => r!.ok)).toBe(true)
    const again = await w.agent('agentReply', req)
    expect(again.data.entry).toMatchObject({ id: 'agent:req-00000020', status: 'SENT' })
    expect(w.texts(ALICE).filter((t) => t === 'On it.')).toHaveLength(1)
    const other = await w.agent('agentReply', { ...req, text: 'Something else' })
    expect(other.error?.code).toBe('DUPLICATE_REQUEST')
  })

  test('no conversation: NO_CONVERSATION, no call to WeChat', async () => {
    const w = csWorld()
    const r = await w.agent('agentReply', { touser: BOB, text: 'hi', requestId: 'req-00000030' })
    expect(r.error?.code).toBe('NO_CONVERSATION')
    expect(w.sends()).toEqual([])
  })

  test('after 48 hours: WINDOW_CLOSED with the time it closed, no call to WeChat', async () => {
    const w = csWorld()
    await aliceWrote(w)
    const conv = w.conversation(ALICE)!
    w.cloud.db.seed('cs_conversations', [{ ...conv, windowUntil: new Date(Date.now() - 60_000) }])
    const calls = w.sends().length
    const r = await w.agent('agentReply', { touser: ALICE, text: 'hi', requestId: 'req-00000040' })
    expect(r.error?.code).toBe('WINDOW_CLOSED')
    expect(r.error?.message).toMatch(/closed at \d{4}-\d\d-\d\d \d\d:\d\d \(Beijing\)/)
    expect(w.sends()).toHaveLength(calls)
    expect(w.cloud.db.dump('cs_messages').find((m) => m._id === 'agent:req-00000040')).toMatchObject({
      status: 'SKIPPED',
      failure: 'WINDOW_CLOSED',
    })
  })

  test('the 5 sends a message allows: the fifth goes, the sixth is QUOTA_USED without a call', async () => {
    const w = csWorld()
    await aliceWrote(w) // the acknowledgement used one
    for (let i = 1; i <= 4; i++)
      expect(
        (await w.agent('agentReply', { touser: ALICE, text: `part ${i}`, requestId: `req-quota-00${i}` })).ok,
      ).toBe(true)
    const calls = w.sends().length
    const r = await w.agent('agentReply', { touser: ALICE, text: 'one more', requestId: 'req-quota-005' })
    expect(r.error?.code).toBe('QUOTA_USED')
    expect(w.sends()).toHaveLength(calls)
    expect(w.cloud.openapi.kf.sendsLeft(ALICE)).toBe(0)
    // The user writes again: the window and the count are back.
    await w.push.user(w.push.text(ALICE, 'thanks'))
    expect((await w.agent('agentReply', { touser: ALICE, text: 'welcome!', requestId: 'req-quota-006' })).ok).toBe(true)
  })

  test.each([
    [45015, 'WINDOW_CLOSED'],
    [45047, 'QUOTA_USED'],
    [-1, 'SEND_FAILED'],
  ])('WeChat answers %i: %s, recorded in the log', async (errcode, code) => {
    const w = csWorld()
    await aliceWrote(w)
    w.cloud.openapi.failNext('customerServiceMessage.send', errcode)
    const r = await w.agent('agentReply', { touser: ALICE, text: 'hi', requestId: 'req-00000050' })
    expect(r.error?.code).toBe(code)
    expect(w.cloud.db.dump('cs_messages').find((m) => m._id === 'agent:req-00000050')).toMatchObject({
      status: 'FAILED',
      errCode: errcode,
    })
    // A plain failure gives the send back; WeChat's window answers close it.
    expect(w.conversation(ALICE)!.sendsLeft).toBe(code === 'SEND_FAILED' ? 4 : 0)
  })
})
