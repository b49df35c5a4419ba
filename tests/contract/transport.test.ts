import { isEnvelope, isRetryable, transportError } from '../../miniprogram/lib/transport'
import { avatarCloudPath, nicknameProblem, phoneButtonProblem } from '../../miniprogram/pages/profile/logic'
import { isOwnAvatar, maskPhone, userIdFor } from '../../server/user/profile'

test.each([
  [{ errCode: -504003, errMsg: 'cloud.callFunction:fail -504003 timed out' }, 'TIMEOUT'],
  [{ errMsg: 'cloud.callFunction:fail request:fail timeout' }, 'TIMEOUT'],
  [{ errCode: -501000, errMsg: 'FunctionName parameter could not be found' }, 'FUNCTION_NOT_FOUND'],
  [{ errCode: -504002, errMsg: 'functions execute fail' }, 'FUNCTION_FAILED'],
  [{ errMsg: 'cloud.callFunction:fail request:fail' }, 'NETWORK'],
  [{ errMsg: 'something odd' }, 'FUNCTION_FAILED'],
])('wx.cloud failure %j -> %s', (e, code) => {
  expect(transportError(e).code).toBe(code)
})

test('envelopes are recognised, other shapes are not', () => {
  expect(isEnvelope({ ok: true, data: 1 })).toBe(true)
  expect(isEnvelope({ ok: false, error: { code: 'X', message: '' } })).toBe(true)
  expect(isEnvelope({ ok: true })).toBe(false)
  expect(isEnvelope('success')).toBe(false)
  expect(isEnvelope(null)).toBe(false)
  expect(['NETWORK', 'TIMEOUT', 'WECHAT_BUSY'].every(isRetryable)).toBe(true)
  expect(isRetryable('INVALID_INPUT')).toBe(false)
})

test('profile helpers', () => {
  expect(maskPhone('13812345678')).toBe('138****5678')
  expect(maskPhone('12')).toBe('12')
  expect(userIdFor('a')).toBe(userIdFor('a'))
  expect(userIdFor('a')).not.toBe(userIdFor('b'))
  expect(isOwnAvatar('cloud://e.b/avatars/u1/x.png', 'u1')).toBe(true)
  expect(isOwnAvatar('cloud://e.b/avatars/u1/sub/x.png', 'u1')).toBe(false)
  expect(isOwnAvatar('cloud://e.b/avatars/u10/x.png', 'u1')).toBe(false)
  expect(nicknameProblem(' ')).toBe('NICKNAME_EMPTY')
  expect(nicknameProblem('a'.repeat(21))).toBe('NICKNAME_TOO_LONG')
  expect(nicknameProblem('😀'.repeat(20))).toBeNull()
  expect(avatarCloudPath('u1', 'wxfile://tmp/abc.JPEG', 7, 'r')).toBe('avatars/u1/7-r.jpeg')
  expect(avatarCloudPath('u1', 'http://tmp/noext', 7, 'r')).toBe('avatars/u1/7-r.jpg')
  expect(phoneButtonProblem({ errMsg: 'getPhoneNumber:fail', errno: 1400001 })).toBe('PHONE_QUOTA')
})
