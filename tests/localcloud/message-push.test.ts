/**
 * The local cloud's message push and customer-service sandbox behave as WeChat documents:
 * routing by (MsgType, Event), a 5 s wait (scaled down here), 3 re-deliveries only when no answer
 * came, and an abnormal answer shown to the user instead of re-delivered; reply windows, quotas, typing and temp media (kf-sandbox.ts).
 */
import { join } from 'node:path'
import { LocalCloud, WxApiError } from '../../localcloud'

const fixture = () => {
  const cloud = new LocalCloud({ root: join(__dirname, '../fixtures/project') })
  cloud.push.timing = { waitMs: 100, retries: 3 }
  return cloud
}

describe('push routing and retries', () => {
  test('the project routes the four customer-service pairs to customerService and nothing else', () => {
    const routes = new LocalCloud().push.routes()
    expect([...routes.entries()].sort()).toEqual([
      ['event|user_enter_tempsession', 'customerService'],
      ['image|', 'customerService'],
      ['miniprogrampage|', 'customerService'],
      ['text|', 'customerService'],
    ])
  })

  test('acknowledged at once: one delivery', async () => {
    const cloud = fixture()
    const d = await cloud.push.deliver(cloud.push.text('o-1', 'ok'))
    expect(d).toMatchObject({ target: 'pushprobe', acked: true })
    expect(d.attempts).toHaveLength(1)
    expect(cloud.invocations[0]).toMatchObject({ fn: 'pushprobe', source: 'wx_unknown', openid: 'o-1' })
    expect((cloud.invocations[0]!.event as { ToUserName: string }).ToUserName).toBe(cloud.appid) // cloud mode: the AppID, as documented
  })

  test('an answer other than "success" is abnormal data: no re-delivery, the user sees WeChat\'s error', async () => {
    const cloud = fixture()
    const d = await cloud.push.deliver(cloud.push.text('o-1', 'never'))
    expect(d.acked).toBe(false)
    expect(d.attempts.map((a) => a.answer)).toEqual(['not-success'])
    expect(d.userSaw).toBe('该小程序客服暂时无法提供服务，请稍后再试')
  })

  test('no answer at all in time: the first delivery and 3 more, then WeChat gives up', async () => {
    const cloud = fixture()
    const d = await cloud.push.deliver(cloud.push.text('o-1', 'slow:1000'))
    expect(d.acked).toBe(false)
    expect(d.attempts.map((a) => a.timedOut)).toEqual([true, true, true, true])
    await cloud.push.idle()
  })

  test('no answer within the wait: re-delivered while the first run keeps going', async () => {
    const cloud = fixture()
    const d = await cloud.push.deliver(cloud.push.text('o-1', 'slow:150'))
    expect(d.attempts[0]!.timedOut).toBe(true)
    expect(d.attempts.length).toBeGreaterThanOrEqual(2)
    await cloud.push.idle()
    expect(d.attempts[0]!.answer).toBe('success') // it finished, but too late for WeChat
  })

  test('a pair nobody configured is not delivered', async () => {
    const cloud = fixture()
    const d = await cloud.push.deliver(cloud.push.enter('o-1', 'x'))
    expect(d).toMatchObject({ target: null, attempts: [], acked: false })
    expect(cloud.invocations).toEqual([])
  })
})

describe('customer-service sandbox', () => {
  const info = { fn: 'test', appid: 'wx' }
  const send = (cloud: LocalCloud, touser: string, content = 'hi') =>
    cloud.openapi.call('customerServiceMessage.send', { touser, msgtype: 'text', text: { content } }, info)
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 0,
      (e: unknown) => (e instanceof WxApiError ? e.errcode : -999),
    )

  test('no user action: 45015; a message: 5 sends, then 45047', async () => {
    const cloud = new LocalCloud()
    expect(await code(send(cloud, 'o-1'))).toBe(45015)
    cloud.openapi.kf.userAction('o-1', 'message')
    for (let i = 0; i < 5; i++) expect(await code(send(cloud, 'o-1'))).toBe(0)
    expect(await code(send(cloud, 'o-1'))).toBe(45047)
  })

  test('entering the chat: 2 sends within 1 minute', async () => {
    let now = Date.parse('2026-11-21T10:00:00Z')
    const cloud = new LocalCloud({ now: () => now })
    cloud.openapi.kf.userAction('o-1', 'enter')
    expect(cloud.openapi.kf.sendsLeft('o-1')).toBe(2)
    now += 61_000
    expect(await code(send(cloud, 'o-1'))).toBe(45015)
  })

  test('a message 48 hours ago no longer allows a send', async () => {
    let now = Date.parse('2026-11-21T10:00:00Z')
    const cloud = new LocalCloud({ now: () => now })
    cloud.openapi.kf.userAction('o-1', 'message')
    now += 48 * 3_600_000
    expect(await code(send(cloud, 'o-1'))).toBe(45015)
  })

  test('message shapes: unknown type 40008, missing field 47001, unknown media 40007', async () => {
    const cloud = new LocalCloud()
    cloud.openapi.kf.userAction('o-1', 'message')
    expect(
      await code(
        cloud.openapi.call('customerServiceMessage.send', { touser: 'o-1', msgtype: 'voice', voice: {} }, info),
      ),
    ).toBe(40008)
    expect(
      await code(
        cloud.openapi.call(
          'customerServiceMessage.send',
          { touser: 'o-1', msgtype: 'link', link: { title: 't' } },
          info,
        ),
      ),
    ).toBe(47001)
    expect(
      await code(
        cloud.openapi.call(
          'customerServiceMessage.send',
          { touser: 'o-1', msgtype: 'image', image: { media_id: 'nope' } },
          info,
        ),
      ),
    ).toBe(40007)
    expect(cloud.openapi.kf.sendsLeft('o-1')).toBe(5) // refused sends use nothing
  })

  test('typing: needs an interaction in the last 30 s (45080), not twice (45081), a valid command (45072)', async () => {
    let now = Date.parse('2026-11-21T10:00:00Z')
    const cloud = new LocalCloud({ now: () => now })
    const typing = (command: string) =>
      code(cloud.openapi.call('customerServiceMessage.setTyping', { touser: 'o-1', command }, info))
    expect(await typing('Typing')).toBe(45080)
    cloud.openapi.kf.userAction('o-1', 'message')
    expect(await typing('Typing')).toBe(0)
    expect(await typing('Typing')).toBe(45081)
    expect(await typing('Start')).toBe(45072)
    expect(await typing('CancelTyping')).toBe(0)
    now += 31_000
    expect(await typing('Typing')).toBe(45080)
  })

  test('temp media: images only, a media id for 3 days', async () => {
    let now = Date.parse('2026-11-21T10:00:00Z')
    const cloud = new LocalCloud({ now: () => now })
    const upload = (type: string, contentType: string) =>
      cloud.openapi.call(
        'customerServiceMessage.uploadTempMedia',
        { type, media: { contentType, value: Buffer.from('img') } },
        info,
      )
    expect(await code(upload('voice', 'audio/amr'))).toBe(40004)
    expect(await code(upload('image', 'application/pdf'))).toBe(40005)
    const res = (await upload('image', 'image/png')) as { media_id: string; created_at: number }
    expect(res.created_at).toBe(Math.floor(now / 1000))
    cloud.openapi.kf.userAction('o-1', 'message')
    const image = () =>
      code(
        cloud.openapi.call(
          'customerServiceMessage.send',
          { touser: 'o-1', msgtype: 'image', image: { media_id: res.media_id } },
          info,
        ),
      )
    expect(await image()).toBe(0)
    now += 3 * 24 * 3_600_000
    cloud.openapi.kf.userAction('o-1', 'message')
    expect(await image()).toBe(40007)
  })
})
