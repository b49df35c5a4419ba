/**
 * The `user` function through the local cloud (deployed bundle, real wx-server-sdk):
 * identity, merging, validation, and every WeChat error path the flow can meet.
 */
import { LocalCloud, type Caller } from '../../localcloud'
import { takeConsole } from '../setup/console'
import { underLatency } from '../setup/races'

let cloud: LocalCloud
const A: Caller = { openid: 'o-alice' }

async function user(action: string, payload: Record<string, unknown> = {}, caller: Caller = A) {
  const { result } = await cloud.callFromClient('user', { action, ...payload }, caller)
  return result as { ok: boolean; data?: any; error?: { code: string; message: string; issues?: string[] } }
}
const writes = () => cloud.db.log.filter((l) => /insert|modify|remove/.test(l.action)).length

beforeEach(() => {
  cloud = new LocalCloud()
})

describe('login', () => {
  test('two database round trips at most: first login, later logins, with a unionid; the answer is the stored record', async () => {
    cloud.db.latencyMs = 2 // parallel requests share a trip (db-engine.ts)
    const trips = async (caller: Caller) => {
      const before = cloud.db.roundTrips
      const res = await user('login', {}, caller)
      return { res, trips: cloud.db.roundTrips - before }
    }
    const first = await trips(A)
    const again = await trips(A)
    const withUnion = await trips({ openid: 'o-union', unionid: 'U-union' })
    const unionAgain = await trips({ openid: 'o-union', unionid: 'U-union' })
    cloud.db.latencyMs = 0
    expect([first.trips, again.trips, withUnion.trips, unionAgain.trips]).toEqual([2, 2, 2, 2])
    // Built from what was written, not re-read: it matches the record.
    const stored = cloud.db.dump('users').find((d) => d._id === again.res.data.profile.userId)!
    expect(again.res.data.profile).toMatchObject({ nickname: stored.nickname, language: stored.language ?? 'zh_CN' })
    expect(stored.loginCount).toBe(2)
    expect(Math.abs(again.res.data.profile.lastLoginAt - (stored.lastLoginAt as Date).getTime())).toBeLessThan(1000)
  })

  test('creates the user once, then records later logins', async () => {
    const first = await user('login')
    expect(first).toMatchObject({ ok: true, data: { isNew: true, profile: { nickname: '', phone: null } } })
    const second = await user('login')
    expect(second.data.isNew).toBe(false)
    expect(second.data.profile.userId).toBe(first.data.profile.userId)
    const [doc] = cloud.db.dump('users')
    expect(doc).toMatchObject({ openids: ['o-alice'], loginCount: 2, status: 'ACTIVE' })
    expect(doc!.createdAt).toBeInstanceOf(Date)
    expect((doc!.lastLoginAt as Date).getTime()).toBeGreaterThanOrEqual((doc!.createdAt as Date).getTime())
  })

  test('the profile carries no openid, unionid or other secrets', async () => {
    const res = await user('login', {}, { openid: 'o-x', unionid: 'U-x' })
    expect(JSON.stringify(res)).not.toMatch(/o-x|U-x/)
  })

  test('a record that gains a unionid later is merged, not duplicated', async () => {
    const before = await user('login', {}, { openid: 'o-bob' })
    const after = await user('login', {}, { openid: 'o-bob', unionid: 'U-bob' })
    expect(after.data.profile.userId).toBe(before.data.profile.userId)
    expect(cloud.db.dump('users')).toHaveLength(1)
    expect(cloud.db.dump('users')[0]!.unionid).toBe('U-bob')
  })

  test('the same unionid from another AppID signs into the same user', async () => {
    const a = await user('login', {}, { openid: 'o-app1', unionid: 'U-same', appid: 'wxapp1' })
    const b = await user('login', {}, { openid: 'o-app2', unionid: 'U-same', appid: 'wxapp2' })
    expect(b.data.profile.userId).toBe(a.data.profile.userId)
    expect(cloud.db.dump('users')[0]!.openids).toEqual(['o-app1', 'o-app2'])
  })

  test('concurrent first logins (double launch) create one record', async () => {
    const results = await underLatency(cloud, 3, () => Promise.all([user('login'), user('login'), user('login')]))
    expect(results.every((r) => r.ok)).toBe(true)
    expect(new Set(results.map((r) => r.data.profile.userId)).size).toBe(1)
    expect(cloud.db.dump('users')).toHaveLength(1)
    expect(results.filter((r) => r.data.isNew)).toHaveLength(1)
  })

  test('identity comes from the context, not the payload', async () => {
    const res = await user('login', { openid: 'o-evil' })
    expect(res.error?.code).toBe('INVALID_INPUT')
    expect(cloud.db.dump('users')).toHaveLength(0)
  })

  test('a blocked user is refused', async () => {
    await user('login')
    const id = cloud.db.dump('users')[0]!._id
    cloud.db.seed('users', [
      { ...cloud.db.dump('users')[0]!, _id: id + 'x', openids: ['o-blocked'], status: 'BLOCKED' },
    ])
    const res = await user('login', {}, { openid: 'o-blocked' })
    expect(res.error?.code).toBe('USER_BLOCKED')
  })

  test('a call without OPENID (a timer, another service) is UNAUTHENTICATED', async () => {
    const res = (await cloud.invoke('user', { action: 'login' }, {}, 'wx_trigger')) as { error: { code: string } }
    expect(res.error.code).toBe('UNAUTHENTICATED')
  })
})

describe('language', () => {
  test('Chinese unless the login says English; the latest login or profile switch wins; anything else is refused', async () => {
    expect((await user('login')).data.profile.language).toBe('zh_CN')
    expect(cloud.db.dump('users')[0]!.language).toBe('zh_CN')
    expect((await user('login', { language: 'en' })).data.profile.language).toBe('en')
    expect((await user('updateProfile', { language: 'zh_CN' })).data.profile.language).toBe('zh_CN')
    expect(cloud.db.dump('users')[0]!.language).toBe('zh_CN')
    const before = writes()
    for (const language of ['fr', 'zh', 'EN', 7, '']) {
      const res = await user('updateProfile', { language })
      expect(res.error?.code).toBe('INVALID_INPUT')
      expect(res.error?.message).toMatch(/language must be zh_CN or en/)
    }
    expect((await user('login', { language: 'de' })).error?.code).toBe('INVALID_INPUT')
    expect(writes()).toBe(before)
  })

  test('a record from before languages reads as Chinese', async () => {
    cloud.db.seed('users', [
      {
        _id: 'u-old',
        openids: ['o-alice'],
        status: 'ACTIVE',
        nickname: 'Old',
        avatarFileId: '',
        loginCount: 1,
        createdAt: new Date(0),
        lastLoginAt: new Date(0),
      },
    ])
    expect((await user('getProfile')).data.profile).toMatchObject({ nickname: 'Old', language: 'zh_CN' })
  })
})

describe('router', () => {
  test('unknown action and missing action are typed errors that list the actions', async () => {
    expect((await user('nope')).error).toMatchObject({
      code: 'UNKNOWN_ACTION',
      message: 'user has no action "nope"; its actions: login, getProfile, updateProfile, bindPhone.',
    })
    const res = (await cloud.callFromClient('user', {}, A)).result as { error: { code: string; message: string } }
    expect(res.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'The call must carry an "action" string, one of: login, getProfile, updateProfile, bindPhone.',
    })
  })

  test('an unknown field is named with the fields the action takes', async () => {
    const res = await user('updateProfile', { nick: 'Bo' })
    expect(res.error).toMatchObject({
      code: 'INVALID_INPUT',
      issues: ['unknown field nick; allowed: nickname, avatarFileId, language'],
    })
    expect(res.error?.message).toBe(
      'Invalid input for user.updateProfile: unknown field nick; allowed: nickname, avatarFileId, language',
    )
  })
})

describe('updateProfile', () => {
  beforeEach(async () => {
    await user('login')
  })

  test.each([
    [{ nickname: '' }, 'nickname: nickname must not be empty'],
    [{ nickname: '   ' }, 'nickname: nickname must not be empty'],
    [{ nickname: 'x'.repeat(21) }, 'nickname: nickname must be at most 20 characters'],
    [{ nickname: 42 }, 'nickname: nickname must be a string'],
    [{ avatarFileId: 'https://evil.example/a.png' }, 'avatarFileId: avatarFileId must be a cloud:// fileID'],
    [{}, '(payload): give a nickname, an avatarFileId or a language'],
  ])('bad input %j is refused and writes nothing', async (payload, issue) => {
    const before = writes()
    const res = await user('updateProfile', payload)
    expect(res.error?.code).toBe('INVALID_INPUT')
    expect(res.error?.issues).toContain(issue)
    expect(writes()).toBe(before)
    expect(cloud.openapi.callsTo('security.msgSecCheck')).toHaveLength(0)
  })

  test('20 characters including emoji are accepted (counted as the user sees them)', async () => {
    const nick = '😀'.repeat(20)
    const res = await user('updateProfile', { nickname: nick })
    expect(res.data.profile.nickname).toBe(nick)
  })

  test('review and risky verdicts are typed errors and write nothing', async () => {
    const before = writes()
    expect((await user('updateProfile', { nickname: 'review-word' })).error?.code).toBe('CONTENT_REVIEW')
    expect((await user('updateProfile', { nickname: 'forbidden-word' })).error?.code).toBe('CONTENT_RISKY')
    expect(writes()).toBe(before)
  })

  // The codes the function expects are answered quietly; WeChat's unexpected answers are logged once.
  test.each([
    [61010, 'CONTENT_CHECK_UNAVAILABLE', false],
    [40003, 'CONTENT_CHECK_UNAVAILABLE', false],
    [-1, 'WECHAT_BUSY', true],
    [45009, 'WECHAT_BUSY', true],
    [40001, 'INTERNAL', true],
  ])('msgSecCheck errcode %i -> %s, nothing written', async (errcode, code, logged) => {
    cloud.openapi.failNext('security.msgSecCheck', errcode)
    const before = writes()
    expect((await user('updateProfile', { nickname: 'Fine' })).error?.code).toBe(code)
    expect(writes()).toBe(before)
    expect(takeConsole('error').map((l) => JSON.parse(l) as unknown)).toEqual(
      logged
        ? [
            expect.objectContaining({
              fn: 'user',
              action: 'updateProfile',
              error: expect.objectContaining({ errCode: errcode }),
            }),
          ]
        : [],
    )
  })

  test('a missing openapi permission is reported as PERMISSION_MISSING', async () => {
    cloud.deniedPermissions.add('user:security.msgSecCheck')
    expect((await user('updateProfile', { nickname: 'Fine' })).error?.code).toBe('PERMISSION_MISSING')
    expect(takeConsole('error')).toEqual([expect.stringContaining('-604101')])
  })

  test('an avatar outside the user folder is refused; a missing file is refused', async () => {
    const me = (await user('getProfile')).data.profile
    const other = cloud.storage.put('avatars/someone-else/a.png', Buffer.from('x'))
    expect((await user('updateProfile', { avatarFileId: other })).error?.code).toBe('AVATAR_NOT_OWNED')
    const traversal = cloud.storage.fileIdFor(`avatars/${me.userId}/../someone-else/a.png`)
    expect((await user('updateProfile', { avatarFileId: traversal })).error?.code).toBe('AVATAR_NOT_OWNED')
    const missing = cloud.storage.fileIdFor(`avatars/${me.userId}/missing.png`)
    expect((await user('updateProfile', { avatarFileId: missing })).error?.code).toBe('AVATAR_NOT_FOUND')
    const mine = cloud.storage.put(`avatars/${me.userId}/ok.png`, Buffer.from('x'))
    expect((await user('updateProfile', { avatarFileId: mine })).data.profile.avatarFileId).toBe(mine)
  })

  test('before login: NOT_REGISTERED', async () => {
    expect((await user('updateProfile', { nickname: 'Hi' }, { openid: 'o-new' })).error?.code).toBe('NOT_REGISTERED')
    expect((await user('getProfile', {}, { openid: 'o-new' })).error?.code).toBe('NOT_REGISTERED')
  })
})

describe('bindPhone', () => {
  beforeEach(async () => {
    await user('login')
  })

  test('stores country code and pure number, returns it masked', async () => {
    const code = cloud.openapi.issuePhoneCode({ purePhoneNumber: '5551234567', countryCode: '1' })
    const res = await user('bindPhone', { code })
    expect(res.data.profile.phone).toEqual({ countryCode: '1', masked: '555***4567' })
    expect(cloud.db.dump('users')[0]!.phone).toMatchObject({ countryCode: '1', purePhoneNumber: '5551234567' })
    expect(cloud.openapi.callsTo('phonenumber.getPhoneNumber')[0]!.params).toEqual({ code, openid: A.openid })
  })

  test("one user's phone code redeemed by another: refused (WeChat checks the openid), nothing bound", async () => {
    const code = cloud.openapi.issuePhoneCode({ purePhoneNumber: '13800000001' }, 'o-bob')
    const res = await user('bindPhone', { code })
    expect(res.error?.code).toBe('PHONE_CODE_INVALID')
    expect(cloud.db.dump('users')[0]!.phone).toBeUndefined()
  })

  test('a code works once (40029 the second time)', async () => {
    const code = cloud.openapi.issuePhoneCode({ purePhoneNumber: '13800000000' })
    expect((await user('bindPhone', { code })).ok).toBe(true)
    expect((await user('bindPhone', { code })).error?.code).toBe('PHONE_CODE_INVALID')
  })

  test.each([
    [40029, 'PHONE_CODE_INVALID', false],
    [1400001, 'PHONE_QUOTA_EXHAUSTED', false],
    [40013, 'PHONE_NOT_ALLOWED', false],
    [48001, 'PHONE_NOT_ALLOWED', false],
    [45011, 'WECHAT_BUSY', true],
    [-1, 'WECHAT_BUSY', true],
  ])('errcode %i -> %s, nothing written', async (errcode, code, logged) => {
    cloud.openapi.failNext('phonenumber.getPhoneNumber', errcode)
    const before = writes()
    expect((await user('bindPhone', { code: 'whatever' })).error?.code).toBe(code)
    expect(writes()).toBe(before)
    expect(takeConsole('error').map((l) => JSON.parse(l) as unknown)).toEqual(
      logged
        ? [
            expect.objectContaining({
              fn: 'user',
              action: 'bindPhone',
              error: expect.objectContaining({ errCode: errcode }),
            }),
          ]
        : [],
    )
  })

  test('a phone issued for another AppID is refused', async () => {
    cloud.openapi.on('phonenumber.getPhoneNumber', () => ({
      errcode: 0,
      phone_info: {
        phoneNumber: '1',
        purePhoneNumber: '1',
        countryCode: '86',
        watermark: { appid: 'wx-other', timestamp: 1 },
      },
    }))
    expect((await user('bindPhone', { code: 'c' })).error?.code).toBe('PHONE_APPID_MISMATCH')
    expect(cloud.db.dump('users')[0]!.phone).toBeUndefined()
  })
})
