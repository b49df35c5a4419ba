/**
 * For teams migrating from their own server: the pre-CloudBase ways WeChat signed and
 * encrypted open data. With CloudBase prefer CloudID (typings/contract.ts OpenData).
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html
 *
 * Written on node:crypto (no library needed: one cipher and one hash).
 */
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto'

export type LegacyCryptoErrorCode = 'BAD_KEY' | 'BAD_IV' | 'DECRYPT_FAILED' | 'NOT_JSON' | 'WATERMARK_MISMATCH'

export class LegacyCryptoError extends Error {
  constructor(
    readonly code: LegacyCryptoErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'LegacyCryptoError'
  }
}

export interface Watermarked {
  watermark: { appid: string; timestamp: number }
}

/**
 * Decrypts `encryptedData`: AES-128-CBC, PKCS#7, key = base64(session_key), iv = base64(iv).
 * The plaintext's watermark.appid must equal `appid`, or the data was made for another app.
 */
export function decryptOpenData<T extends Watermarked>(
  encryptedData: string,
  iv: string,
  sessionKey: string,
  appid: string,
): T {
  const key = Buffer.from(sessionKey, 'base64')
  if (key.length !== 16) throw new LegacyCryptoError('BAD_KEY', 'session_key must be 16 bytes in base64')
  const ivBuf = Buffer.from(iv, 'base64')
  if (ivBuf.length !== 16) throw new LegacyCryptoError('BAD_IV', 'iv must be 16 bytes in base64')
  let plain: string
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, ivBuf)
    decipher.setAutoPadding(true)
    plain = Buffer.concat([decipher.update(Buffer.from(encryptedData, 'base64')), decipher.final()]).toString('utf8')
  } catch {
    throw new LegacyCryptoError('DECRYPT_FAILED', 'decryption failed (wrong session_key or iv, or broken padding)')
  }
  let parsed: T
  try {
    parsed = JSON.parse(plain) as T
  } catch {
    throw new LegacyCryptoError('NOT_JSON', 'decrypted data is not JSON')
  }
  if (parsed?.watermark?.appid !== appid) {
    throw new LegacyCryptoError('WATERMARK_MISMATCH', 'watermark appid does not match this app')
  }
  return parsed
}

/** Checks a `signature` from wx.getUserInfo: sha1(rawData + session_key) as lowercase hex. */
export function verifyRawDataSignature(rawData: string, signature: string, sessionKey: string): boolean {
  const expected = createHash('sha1')
    .update(rawData + sessionKey, 'utf8')
    .digest()
  const given = Buffer.from(signature, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
