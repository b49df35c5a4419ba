/**
 * Reading a function's cloud-call permissions back (scripts/func-config.ts) against a WeChat that
 * answers as its documents do:
 * - cgi-bin/stable_token: { access_token, expires_in } or { errcode, errmsg } (40013 bad appid,
 *   40125 bad secret, 40164 IP not whitelisted);
 * - tcb/getfuncconfig (developers.weixin.qq.com/doc/oplatform/openApi/cloudbase-common/
 *   scf-management/api_getfuntionconfig): { errcode: 0, errmsg: 'ok', config: '<JSON string>' },
 *   85089 when the function has no cloud-call configuration, 42001 for an expired token.
 */
import {
  accessToken,
  GET_FUNC_CONFIG_URL,
  readPermissions,
  STABLE_TOKEN_URL,
  type PostJson,
} from '../../scripts/func-config'

const APPID = 'wx0000000000doctor'
const SECRET = 'secret-of-the-test-only'
const TOKEN = 'ACCESS_TOKEN_FOR_TESTS'

/** WeChat as documented, with each function's configured permissions (absent: 85089). */
function wechat(
  configs: Record<string, string[]>,
  opts: { whitelisted?: boolean; answer?: (body: Record<string, unknown>) => unknown } = {},
): PostJson & { calls: string[] } {
  const calls: string[] = []
  const post = async (url: string, body: Record<string, unknown>) => {
    calls.push(url.replace(/\?.*/, ''))
    if (url === STABLE_TOKEN_URL) {
      if (body.appid !== APPID) return { errcode: 40013, errmsg: 'invalid appid' }
      if (body.secret !== SECRET) return { errcode: 40125, errmsg: 'invalid appsecret' }
      if (opts.whitelisted === false) return { errcode: 40164, errmsg: 'invalid ip 203.0.113.9, not in whitelist' }
      return { access_token: TOKEN, expires_in: 7200 }
    }
    if (url.startsWith(GET_FUNC_CONFIG_URL)) {
      if (new URL(url).searchParams.get('access_token') !== TOKEN)
        return { errcode: 42001, errmsg: 'access_token expired' }
      if (opts.answer) return opts.answer(body)
      if (body.type !== 1 || typeof body.env !== 'string' || typeof body.function_name !== 'string')
        return { errcode: 40101, errmsg: 'missing parameter' }
      const perms = configs[body.function_name]
      if (!perms) return { errcode: 85089, errmsg: 'config not exist' }
      return { errcode: 0, errmsg: 'ok', config: JSON.stringify({ permissions: { openapi: perms } }) }
    }
    throw new Error(`unexpected ${url}`)
  }
  return Object.assign(post, { calls })
}

test('a token, then the configuration: applied when every wanted permission is listed, missing ones named otherwise', async () => {
  const wx = wechat({
    pay: ['cloudPay.unifiedOrder', 'cloudPay.refund', 'subscribeMessage.send'],
    user: ['phonenumber.getPhoneNumber'],
  })
  const t = await accessToken(wx, APPID, SECRET)
  expect(t).toEqual({ token: TOKEN })
  expect(await readPermissions(wx, TOKEN, 'prod-1a2b3c', 'pay', ['cloudPay.unifiedOrder', 'cloudPay.refund'])).toEqual({
    state: 'APPLIED',
  })
  expect(
    await readPermissions(wx, TOKEN, 'prod-1a2b3c', 'user', ['phonenumber.getPhoneNumber', 'security.msgSecCheck']),
  ).toEqual({
    state: 'MISSING',
    missing: ['security.msgSecCheck'],
    why: 'WeChat lists phonenumber.getPhoneNumber for user.',
  })
  // A function never given a configuration: 85089, every permission missing.
  expect(await readPermissions(wx, TOKEN, 'prod-1a2b3c', 'share', ['wxacode.getUnlimited'])).toMatchObject({
    state: 'MISSING',
    missing: ['wxacode.getUnlimited'],
    why: expect.stringContaining('85089'),
  })
  expect(wx.calls).toEqual([STABLE_TOKEN_URL, GET_FUNC_CONFIG_URL, GET_FUNC_CONFIG_URL, GET_FUNC_CONFIG_URL])
})

test('no token: a wrong secret, an unlisted IP and a wrong AppID each say their fix', async () => {
  expect(await accessToken(wechat({}), APPID, 'wrong')).toEqual({
    why: expect.stringMatching(/^WeChat refused MP_APPSECRET \(40125\)/),
  })
  expect(await accessToken(wechat({}, { whitelisted: false }), APPID, SECRET)).toEqual({
    why: expect.stringMatching(/IP whitelist \(40164/),
  })
  expect(await accessToken(wechat({}), 'wx0000000000other', SECRET)).toEqual({ why: expect.stringMatching(/40013/) })
  const down: PostJson = async () => {
    throw new Error('getaddrinfo ENOTFOUND api.weixin.qq.com')
  }
  expect(await accessToken(down, APPID, SECRET)).toEqual({ why: expect.stringContaining('ENOTFOUND') })
})

test('an answer out of its documented shape is UNKNOWN, never applied', async () => {
  const odd = (answer: unknown) =>
    readPermissions(wechat({}, { answer: () => answer }), TOKEN, 'prod-1a2b3c', 'pay', ['cloudPay.refund'])
  expect(await odd({ errcode: 0, errmsg: 'ok' })).toMatchObject({ state: 'UNKNOWN' }) // no config
  expect(
    await odd({ errcode: 0, errmsg: 'ok', config: { permissions: { openapi: ['cloudPay.refund'] } } }),
  ).toMatchObject({ state: 'UNKNOWN' }) // an object, not the JSON string
  expect(await odd({ errcode: 0, errmsg: 'ok', config: 'not json' })).toEqual({
    state: 'UNKNOWN',
    why: "getfuncconfig's config is not JSON.",
  })
  expect(
    await odd({ errcode: 0, errmsg: 'ok', config: '{"permissions":{"openapi":"cloudPay.refund"}}' }),
  ).toMatchObject({ state: 'UNKNOWN' })
  expect(await odd([])).toMatchObject({ state: 'UNKNOWN' })
  expect(await odd({ errcode: -1, errmsg: 'system error' })).toEqual({
    state: 'UNKNOWN',
    why: 'WeChat did not say (getfuncconfig errcode -1: system error).',
  })
  // An expired token is said as such, not as "not applied".
  expect(
    await readPermissions(wechat({ pay: ['cloudPay.refund'] }), 'stale', 'prod-1a2b3c', 'pay', ['cloudPay.refund']),
  ).toMatchObject({ state: 'UNKNOWN', why: expect.stringContaining('42001') })
})
