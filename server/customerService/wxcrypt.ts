/**
 * WeChat's message-push URL protocol, the crypto part (Node's crypto, nothing else).
 * Document: https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html
 * and its "消息加解密" appendix (the same scheme as WXBizMsgCrypt):
 * - signature = sha1 of the lexically sorted strings joined: [token, timestamp, nonce] for
 *   the URL check and plain POSTs; [token, timestamp, nonce, Encrypt] (msg_signature) for
 *   encrypted bodies;
 * - key = base64-decode(EncodingAESKey + '='), 32 bytes; iv = its first 16 bytes;
 * - plaintext = 16 random bytes + 4-byte big-endian length + message + appid, PKCS#7 padded
 *   to a multiple of 32 (not AES's 16), then AES-256-CBC without the cipher's own padding.
 * Checked against vectors made by an independent implementation (Python `cryptography`,
 * tests/customerService/vectors/make_vectors.py).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export type PushCryptoErrorCode = 'BAD_KEY' | 'BAD_CIPHERTEXT' | 'BAD_PADDING' | 'BAD_LENGTH' | 'APPID_MISMATCH'

export class PushCryptoError extends Error {
  constructor(
    readonly code: PushCryptoErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'PushCryptoError'
  }
}

const BLOCK = 32

export function sha1Signature(parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex')
}

/** Constant-time comparison of two hex signatures (a length difference is a plain mismatch). */
export function sameSignature(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(expected, 'utf8')
  const b = Buffer.from(given.toLowerCase(), 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The 32-byte AES key from the 43-character EncodingAESKey of the push settings. */
export function aesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey))
    throw new PushCryptoError('BAD_KEY', 'EncodingAESKey must be 43 characters of base64')
  const key = Buffer.from(`${encodingAesKey}=`, 'base64')
  if (key.length !== 32) throw new PushCryptoError('BAD_KEY', 'EncodingAESKey does not decode to 32 bytes')
  return key
}

export function encryptMessage(message: string, appid: string, key: Buffer, random: Buffer = randomBytes(16)): string {
  if (random.length !== 16) throw new PushCryptoError('BAD_LENGTH', 'the random prefix is 16 bytes')
  const body = Buffer.from(message, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length, 0)
  const plain = Buffer.concat([random, length, body, Buffer.from(appid, 'utf8')])
  const pad = BLOCK - (plain.length % BLOCK)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  )
}

/** Decrypts an `Encrypt` field; checks the padding, the length field and (when given) the appid. */
export function decryptMessage(
  encrypted: string,
  key: Buffer,
  expectedAppid?: string,
): { message: string; appid: string } {
  const data = Buffer.from(encrypted, 'base64')
  if (data.length === 0 || data.length % BLOCK !== 0 || data.toString('base64') !== encrypted.replace(/\s/g, '')) {
    throw new PushCryptoError('BAD_CIPHERTEXT', 'Encrypt is not base64 of whole 32-byte blocks')
  }
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
  decipher.setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(data), decipher.final()])
  const pad = plain[plain.length - 1]!
  if (pad < 1 || pad > BLOCK || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new PushCryptoError('BAD_PADDING', 'PKCS#7 padding is broken (wrong key or tampered data)')
  }
  const content = plain.subarray(16, plain.length - pad)
  if (content.length < 4) throw new PushCryptoError('BAD_LENGTH', 'no room for the length field')
  const len = content.readUInt32BE(0)
  if (len > content.length - 4) throw new PushCryptoError('BAD_LENGTH', 'the length field runs past the data')
  const message = content.subarray(4, 4 + len).toString('utf8')
  const appid = content.subarray(4 + len).toString('utf8')
  if (expectedAppid !== undefined && appid !== expectedAppid) {
    throw new PushCryptoError('APPID_MISMATCH', `the message is for appid ${appid || '(none)'}, not this mini-program`)
  }
  return { message, appid }
}
