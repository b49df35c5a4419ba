/**
 * `soter` on the local cloud, against the SOTER sandbox (localcloud/soter-sandbox.ts: per-phone
 * RSA keys, PSS signatures, soter.verifySignature answering is_ok): the happy path and every
 * way a result can be refused, each writing nothing.
 */
import { LocalCloud, type Caller } from '../../localcloud'
import { AUTH_CONTENT, CHALLENGES, DEVICES, PROOFS } from '../../server/soter/challenge'
import { underLatency } from '../setup/races'

const ANN: Caller = { openid: 'o-ann-soter' }
const BEN: Caller = { openid: 'o-ben-soter' }
const PHONE = 'cpu-ann-phone-1'

type Res = { ok: boolean; data?: any; error?: { code: string; message: string } }

function world(vars: Record<string, string> = {}) {
  const cloud = new LocalCloud({ vars })
  const call = async (fn: string, action: string, data: Record<string, unknown>, caller: Caller) =>
    (await cloud.callFromClient(fn, { action, ...data }, caller)).result as Res
  const soter = (action: string, data: Record<string, unknown>, caller: Caller = ANN) =>
    call('soter', action, data, caller)
  /** What the phone of `caller` returns from startSoterAuthentication for `challenge`. */
  const authenticate = (challenge: string, caller: Caller = ANN, phone = PHONE) => {
    const r = cloud.openapi.soter.authenticate(caller.openid!, phone, challenge)
    return { authMode: 'fingerPrint', resultJSON: r.resultJSON, resultJSONSignature: r.resultJSONSignature }
  }
  const writes = () => ({
    challenges: cloud.db.dump(CHALLENGES),
    devices: cloud.db.dump(DEVICES),
    proofs: cloud.db.dump(PROOFS),
  })
  return { cloud, call, soter, authenticate, writes }
}

test('happy path: a plain alphanumeric challenge, the signature checked by WeChat, a single-use proof', async () => {
  const w = world()
  const c = await w.soter('challenge', { purpose: 'CONFIRM_REFUND', subject: 'order123' })
  expect(c.ok).toBe(true)
  expect(c.data.challenge).toMatch(/^[A-Za-z0-9]{32}$/)
  // No language on record: the Chinese prompt; every prompt fits the dialog's 42 characters.
  expect(c.data.authContent).toBe('请验证身份以确认退款')
  for (const texts of Object.values(AUTH_CONTENT))
    for (const t of Object.values(texts)) expect(t.length).toBeLessThanOrEqual(42)
  expect(c.data.expiresAt - Date.now()).toBeGreaterThan(4 * 60_000)
  const v = await w.soter('verify', w.authenticate(c.data.challenge))
  expect(v).toMatchObject({ ok: true, data: { purpose: 'CONFIRM_REFUND', subject: 'order123' } })
  expect(v.data.proof).toMatch(/^[A-Za-z0-9]{32}$/)
  const sent = w.cloud.openapi.callsTo('soter.verifySignature')
  expect(sent).toHaveLength(1)
  expect(sent[0]!.params).toMatchObject({ openid: ANN.openid })
  expect(sent[0]!.result).toMatchObject({ is_ok: true })
  expect(w.writes().challenges[0]).toMatchObject({ _id: c.data.challenge, usedAt: expect.anything() })
  expect(w.writes().proofs).toHaveLength(1)
  expect(w.writes().devices[0]).toMatchObject({
    _openid: ANN.openid,
    counter: w.cloud.openapi.soter.counter(ANN.openid!, PHONE),
  })
})

test('a replayed result is refused (CHALLENGE_USED) and changes nothing', async () => {
  const w = world()
  const c = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  const result = w.authenticate(c.data.challenge)
  expect((await w.soter('verify', result)).ok).toBe(true)
  const before = w.writes()
  const again = await w.soter('verify', result)
  expect(again.error?.code).toBe('CHALLENGE_USED')
  expect(w.writes()).toEqual(before)
})

test("another user's challenge is refused, even signed by the right phone of the caller", async () => {
  const w = world()
  const annC = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' }, ANN)
  const before = w.writes()
  // Ben's phone signs Ann's challenge and Ben sends it.
  const res = await w.soter('verify', w.authenticate(annC.data.challenge, BEN, 'cpu-ben'), BEN)
  expect(res.error?.code).toBe('CHALLENGE_INVALID')
  expect(w.writes()).toEqual(before)
  // Ann can still use her challenge.
  expect((await w.soter('verify', w.authenticate(annC.data.challenge))).ok).toBe(true)
})

test('an expired challenge is refused', async () => {
  const w = world()
  const c = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  const doc = w.cloud.db.dump(CHALLENGES).find((d) => d._id === c.data.challenge)!
  w.cloud.db.seed(CHALLENGES, [{ ...doc, expiresAt: new Date(Date.now() - 1000) }])
  const before = w.writes()
  const res = await w.soter('verify', w.authenticate(c.data.challenge))
  expect(res.error?.code).toBe('CHALLENGE_EXPIRED')
  expect(w.writes()).toEqual(before)
  expect(w.cloud.openapi.callsTo('soter.verifySignature')).toHaveLength(0)
})

test("a signature the sandbox rejects (doctored JSON, or another phone's key) gives SIGNATURE_INVALID", async () => {
  const w = world()
  const c = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  const good = w.authenticate(c.data.challenge)
  const doctored = JSON.stringify({ ...JSON.parse(good.resultJSON), counter: 999999 })
  const before = w.writes()
  const res = await w.soter('verify', { ...good, resultJSON: doctored })
  expect(res.error?.code).toBe('SIGNATURE_INVALID')
  expect(w.cloud.openapi.callsTo('soter.verifySignature').at(-1)!.result).toMatchObject({ is_ok: false })
  // Signed by Ben's phone, sent as Ann: WeChat checks Ann's keys only.
  const bens = w.cloud.openapi.soter.sign(BEN.openid!, 'cpu-ben', good.resultJSON)
  expect((await w.soter('verify', { ...good, resultJSONSignature: bens })).error?.code).toBe('SIGNATURE_INVALID')
  expect(w.writes()).toEqual(before)
  // The genuine result still works afterwards: a refusal does not burn the challenge.
  expect((await w.soter('verify', good)).ok).toBe(true)
})

test('a counter that does not grow (an old result signed again) gives COUNTER_REPLAYED', async () => {
  const w = world()
  const first = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  expect((await w.soter('verify', w.authenticate(first.data.challenge))).ok).toBe(true)
  const seen = w.cloud.openapi.soter.counter(ANN.openid!, PHONE)
  // The phone is restored to an earlier state: its counter goes back.
  w.cloud.openapi.soter.setCounter(ANN.openid!, PHONE, seen - 5)
  const second = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  const before = w.writes()
  const res = await w.soter('verify', w.authenticate(second.data.challenge))
  expect(res.error?.code).toBe('COUNTER_REPLAYED')
  expect(w.writes()).toEqual(before)
  // Counters are per phone: a second phone of the same user starts its own.
  expect((await w.soter('verify', w.authenticate(second.data.challenge, ANN, 'cpu-ann-phone-2'))).ok).toBe(true)
})

test('bad input writes nothing: malformed results, a raw that is no challenge, unknown purposes, too many open challenges', async () => {
  const w = world()
  const sig = 'A'.repeat(40)
  expect(
    (await w.soter('verify', { authMode: 'fingerPrint', resultJSON: 'not json', resultJSONSignature: sig })).error
      ?.code,
  ).toBe('MALFORMED_RESULT')
  expect(
    (
      await w.soter('verify', {
        authMode: 'fingerPrint',
        resultJSON: JSON.stringify({ raw: 'x"y', counter: 1, cpu_id: 'c' }),
        resultJSONSignature: sig,
      })
    ).error?.code,
  ).toBe('MALFORMED_RESULT')
  expect(
    (
      await w.soter('verify', {
        authMode: 'fingerPrint',
        resultJSON: JSON.stringify({ raw: 'A'.repeat(32), cpu_id: 'c' }),
        resultJSONSignature: sig,
      })
    ).error?.code,
  ).toBe('MALFORMED_RESULT')
  expect(
    (await w.soter('verify', { authMode: 'speech', resultJSON: '{}', resultJSONSignature: sig })).error?.code,
  ).toBe('INVALID_INPUT')
  expect((await w.soter('challenge', { purpose: 'PAY_ANYTHING' })).error?.code).toBe('INVALID_INPUT')
  expect((await w.soter('challenge', { purpose: 'CONFIRM_REFUND', subject: 'a"b' })).error?.code).toBe('INVALID_INPUT')
  expect(w.writes()).toEqual({ challenges: [], devices: [], proofs: [] })
  for (let i = 0; i < 5; i++)
    expect((await w.soter('challenge', { purpose: 'CONFIRM_REFUND', subject: `order${i}` })).ok).toBe(true)
  const res = await w.soter('challenge', { purpose: 'CONFIRM_REFUND', subject: 'order9' })
  expect(res.error?.code).toBe('TOO_MANY_CHALLENGES')
  expect(w.writes().challenges).toHaveLength(5)
})

test('a new challenge for the same purpose replaces the unused one (cancelled checks never pile up)', async () => {
  const w = world()
  const first = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  for (let i = 0; i < 8; i++) expect((await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })).ok).toBe(true)
  const last = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  expect(w.writes().challenges.map((c) => c._id)).toEqual([last.data.challenge])
  expect((await w.soter('verify', w.authenticate(first.data.challenge))).error?.code).toBe('CHALLENGE_INVALID')
  expect((await w.soter('verify', w.authenticate(last.data.challenge))).ok).toBe(true)
})

test('without the openapi permission the router explains it (and logs one line)', async () => {
  const w = world()
  const log = jest.spyOn(console, 'error').mockImplementation(() => {})
  const c = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })
  w.cloud.deniedPermissions.add('soter:soter.verifySignature')
  const res = await w.soter('verify', w.authenticate(c.data.challenge))
  expect(res.error?.code).toBe('PERMISSION_MISSING')
  expect(log).toHaveBeenCalledWith(expect.stringContaining('-604101'))
  log.mockRestore()
})

test('30 concurrent challenge requests make at most 5 waiting challenges (the cap is counted atomically)', async () => {
  const w = world()
  const results = await underLatency(w.cloud, 30, () =>
    Promise.all(
      Array.from({ length: 30 }, (_, i) => w.soter('challenge', { purpose: 'CONFIRM_REFUND', subject: `order${i}` })),
    ),
  )
  expect(results.filter((r) => r.ok)).toHaveLength(5)
  expect(results.filter((r) => !r.ok).every((r) => r.error?.code === 'TOO_MANY_CHALLENGES')).toBe(true)
  expect(w.writes().challenges).toHaveLength(5)
  // Verifying one frees its place.
  const first = results.find((r) => r.ok)!
  expect((await w.soter('verify', w.authenticate(first.data.challenge))).ok).toBe(true)
  expect((await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' })).ok).toBe(true)
})

test('the mode the page asked for is the one the result may claim', async () => {
  const w = world()
  const c = await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY', authMode: 'facial' })
  const asFingerprint = await w.soter('verify', w.authenticate(c.data.challenge)) // authMode fingerPrint
  expect(asFingerprint).toMatchObject({
    ok: false,
    error: { code: 'CHALLENGE_INVALID', message: 'This confirmation was started for face. Start again.' },
  })
  expect(w.writes().proofs).toEqual([])
  const asFace = await w.soter('verify', { ...w.authenticate(c.data.challenge), authMode: 'facial' })
  expect(asFace).toMatchObject({ ok: true })
  expect(w.writes().proofs[0]).toMatchObject({ authMode: 'facial' })
})

test('the prompt follows the language on the user record', async () => {
  const w = world()
  w.cloud.db.seed('users', [
    {
      _id: 'u-ben',
      openids: [BEN.openid],
      language: 'en',
      status: 'ACTIVE',
      nickname: '',
      avatarFileId: '',
      loginCount: 1,
      createdAt: new Date(0),
      lastLoginAt: new Date(0),
    },
  ])
  expect((await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' }, BEN)).data.authContent).toBe('Confirm it is you')
  expect((await w.soter('challenge', { purpose: 'CONFIRM_IDENTITY' }, ANN)).data.authContent).toBe(
    '请验证是否为本人操作',
  )
})
