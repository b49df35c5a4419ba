/**
 * Recordings of WeChat's traffic, replayed through the local cloud (issue #27). Every file under
 * tests/recorded/<kind>/ names its source (a document's example, a developer's report, or traffic
 * recorded from a real account) and is replayed here:
 * - push/: a message-push event as WeChat delivers it to the customerService function (cloud
 *   function mode): WeChat's delivery must be acknowledged at the first attempt, with no error.
 * - pay-notification/, refund-notification/: a WeChat Pay notification as CloudBase delivers it to
 *   the callback function: the sandbox's own has the same shape, and the function acknowledges it
 *   at the first delivery with the outcome WeChat Pay's query confirms (tests/recorded/notifications.ts).
 * - card-event/: an official-account card event, pushed to cardEvents in URL mode: the sandbox's
 *   own event has the same field names (XML has no types), it is acknowledged at once and the
 *   user's card is kept.
 * - api/: a request and WeChat's answer: the sandbox, asked the same, must answer an errcode the
 *   same and in the same shape (field names, types, nesting: tests/setup/shape.ts); a success
 *   must be a success of that shape.
 * A recording the sandbox does not reproduce fails with the path of the field that differs: a
 * team with a real account corrects the sandbox by adding what WeChat really sent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalCloud } from '../../localcloud'
import { replayApi, type ApiRecording } from './apis'
import { replayCardEvent, replayNotification, type NotificationKind } from './notifications'

const HERE = __dirname
const files = (kind: string) =>
  (existsSync(join(HERE, kind)) ? readdirSync(join(HERE, kind)) : [])
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(readFileSync(join(HERE, kind, f), 'utf8'))] as [string, Record<string, any>])

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {}) // the function's one line per delivery
})

test('every recording names its source', () => {
  const all = [
    ...files('push'),
    ...files('api'),
    ...files('pay-notification'),
    ...files('refund-notification'),
    ...files('card-event'),
  ]
  expect(all.length).toBeGreaterThanOrEqual(10)
  for (const [name, r] of all)
    expect([name, r.source]).toEqual([name, expect.stringMatching(/^(https:\/\/|recorded: )/)])
})

describe("push: WeChat's deliveries are acknowledged at once", () => {
  test.each(files('push'))('%s', async (_name, recording) => {
    const cloud = new LocalCloud({ vars: { CS_AGENT_OPENIDS: 'o-recorded-agent' } })
    const delivery = await cloud.push.user(recording.event)
    expect(delivery.attempts.map((a) => a.error ?? (a.timedOut ? 'timed out' : 'answered'))).toEqual(['answered'])
    expect(delivery.acked).toBe(true)
  })
})

describe('pay-notification, refund-notification: the sandbox notifies in the same shape; the callback acknowledges and confirms', () => {
  const notifications = [
    ...files('pay-notification').map(([n, r]) => ['pay-notification', n, r]),
    ...files('refund-notification').map(([n, r]) => ['refund-notification', n, r]),
  ] as Array<[NotificationKind, string, Record<string, any>]>
  test.each(notifications)('%s/%s', async (kind, _name, recording) => {
    const r = await replayNotification(kind, recording.event)
    expect(r).toEqual({
      shape: null,
      attempts: 1,
      acked: true,
      status: kind === 'pay-notification' ? 'PAID' : 'REFUNDED',
    })
  })
})

describe('card-event: the sandbox pushes the same fields; cardEvents acknowledges at once and keeps My cards true', () => {
  test.each(files('card-event'))('%s', async (_name, recording) => {
    const r = await replayCardEvent(recording.event)
    expect(r).toEqual({
      shape: null,
      attempts: 1,
      acked: true,
      kept: recording.event.Event === 'user_get_card' ? true : expect.any(Boolean),
    })
  })
})

describe('api: the sandbox answers as WeChat did', () => {
  test.each(files('api'))('%s', async (_name, recording) => {
    const r = await replayApi(recording as ApiRecording)
    expect(r).toEqual({ errcode: r.expected, expected: r.expected, shape: null })
  })
})

describe('a recording the sandbox does not reproduce fails with the path of the field', () => {
  const real = files('api').find(([name]) => name === 'phone-community-real.json')![1]
  test("a retyped field: the document's example gives countryCode as a number", async () => {
    const documented = { ...real.answer, phone_info: { ...real.answer.phone_info, countryCode: 86 } }
    expect((await replayApi({ ...real, answer: documented } as ApiRecording)).shape).toBe(
      '$.phone_info.countryCode: number in the recording, string in the sandbox',
    )
  })
  test('a notification with a field the sandbox does not send', async () => {
    const paid = files('pay-notification').find(([name]) => name === 'payment-doc.json')![1]
    const r = await replayNotification('pay-notification', { ...paid.event, couponFee: 100 })
    expect(r.shape).toBe('$.couponFee: in the recording, not in the sandbox')
  })
  test('an extra field', async () => {
    const extra = { ...real.answer, phone_info: { ...real.answer.phone_info, carrier: 'CMCC' } }
    expect((await replayApi({ ...real, answer: extra } as ApiRecording)).shape).toBe(
      '$.phone_info.carrier: in the recording, not in the sandbox',
    )
  })
})
