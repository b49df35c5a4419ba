/**
 * Legacy open-data crypto on WeChat's official samples
 * (developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html and its
 * demo code "WXBizDataCrypt": appid wx4f4bc4dec97d474b, session_key tiihtNczf5v6AKRyjwEUhQ==).
 */
import { decryptOpenData, LegacyCryptoError, verifyRawDataSignature } from '../../server/legacy-crypto'

const appId = 'wx4f4bc4dec97d474b'
const sessionKey = 'tiihtNczf5v6AKRyjwEUhQ=='
const iv = 'r7BXXKkLb8qrSNn05n0qiA=='
const encryptedData =
  'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=='

test('decrypts the official sample and checks its watermark', () => {
  const data = decryptOpenData<{
    openId: string
    nickName: string
    unionId: string
    watermark: { appid: string; timestamp: number }
  }>(encryptedData, iv, sessionKey, appId)
  expect(data).toMatchObject({
    openId: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE',
    nickName: 'Band',
    unionId: 'ocMvos6NjeKLIBqg5Mr9QjxrP1FA',
  })
  expect(data.watermark).toEqual({ timestamp: 1477314187, appid: appId })
})

test.each([
  ['another appid', () => decryptOpenData(encryptedData, iv, sessionKey, 'wx-other'), 'WATERMARK_MISMATCH'],
  [
    'a wrong session key',
    () => decryptOpenData(encryptedData, iv, 'HyVFkGl5F5OQWJZZaNzBBg==', appId),
    'DECRYPT_FAILED',
  ],
  ['a short key', () => decryptOpenData(encryptedData, iv, 'abc', appId), 'BAD_KEY'],
  ['a short iv', () => decryptOpenData(encryptedData, 'abc', sessionKey, appId), 'BAD_IV'],
])('refuses %s', (_name, run, code) => {
  expect(run).toThrow(LegacyCryptoError)
  try {
    run()
  } catch (e) {
    expect((e as LegacyCryptoError).code).toBe(code)
  }
})

test('checks the official rawData signature sample', () => {
  const rawData =
    '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}'
  const signature = '75e81ceda165f4ffa64f4068af58c64b8f54b88c'
  const key = 'HyVFkGl5F5OQWJZZaNzBBg=='
  expect(verifyRawDataSignature(rawData, signature, key)).toBe(true)
  expect(verifyRawDataSignature(rawData.replace('Band', 'Bond'), signature, key)).toBe(false)
  expect(verifyRawDataSignature(rawData, 'zz', key)).toBe(false)
})
