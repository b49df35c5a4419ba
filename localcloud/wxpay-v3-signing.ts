/**
 * WeChat Pay's side of APIv3's signatures, for the sandbox: the merchant's and WeChat Pay's key
 * pairs (public-key mode, `PUB_KEY_ID_…`), the platform certificates of certificate mode (issued
 * with openssl, rotated, or forged by someone in between), and what WeChat Pay signs with them:
 * its answers (Wechatpay-Timestamp/Nonce/Serial/Signature), the certificate list (encrypted with
 * the APIv3 key) and notifications (the resource encrypted AEAD_AES_256_GCM).
 * Follows pay.weixin.qq.com/docs/merchant/development/interface-rules/ (签名生成, 签名验证,
 * 证书和回调报文解密, 微信支付公钥, 平台证书).
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encryptResource, wechatpayHeaders } from '../server/pay/v3/crypto'

export interface V3Answer {
  status: number
  headers: Record<string, string>
  body: string
}

export interface KeyPair {
  publicKey: string
  privateKey: string
}
let KEYS: { merchant: KeyPair; platform: KeyPair } | undefined
const pair = (): KeyPair =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })

/** A platform certificate valid 3 days, under a random serial (openssl: node cannot issue X.509). */
function makeCertificate(leadingZero = false): { serial: string; pem: string; key: KeyPair } {
  const key = pair()
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-cert-'))
  writeFileSync(join(dir, 'key.pem'), key.privateKey)
  // 40 hex digits, positive; WeChat writes them all, so one may begin with zeros (node's serialNumber drops them).
  const serial = randomBytes(20)
    .toString('hex')
    .toUpperCase()
    .replace(/^[89A-F]/, '1')
    .replace(/^../, (d) => (leadingZero ? '00' : d))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-key',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '3',
      '-subj',
      '/C=CN/O=Tenpay.com/CN=Tenpay.com Root CA',
      '-set_serial',
      `0x${serial}`,
    ],
    { stdio: 'pipe' },
  )
  return { serial, pem: readFileSync(join(dir, 'cert.pem'), 'utf8'), key }
}
const makeKeys = () => ({ merchant: pair(), platform: pair() })

export class V3Signing {
  readonly merchantSerial = '3775B6A45ACD588826D15E583A95F5DD00000000'
  readonly publicKeyId = 'PUB_KEY_ID_0119000001092025120500000000000'
  readonly apiV3Key = randomBytes(16).toString('hex')

  constructor(private readonly now: () => number) {}

  /** The merchant's key pair (made once per process, when first needed: RSA-2048 takes ~100 ms). */
  get merchant(): KeyPair {
    return (KEYS ??= makeKeys()).merchant
  }
  /** WeChat Pay's key pair (public-key mode). */
  get platform(): KeyPair {
    return (KEYS ??= makeKeys()).platform
  }

  /**
   * Certificate mode (merchants before 2024-10): WeChat Pay signs with a platform certificate's key
   * and names the certificate's serial; GET /v3/certificates lists them encrypted with the APIv3 key.
   * The certificates are made with the openssl command line (node cannot issue X.509), so only the
   * tests that ask for this mode need it; npm start uses public-key mode.
   */
  private certificates: Array<{ serial: string; pem: string; key: KeyPair }> = []

  useCertificates(): void {
    // The first serial begins with zeros, as a real one may: the client must still match it.
    if (!this.certificates.length) this.certificates.push(makeCertificate(true))
  }

  /** WeChat Pay starts signing with a new certificate (both are listed until the old one expires). */
  rotateCertificate(): void {
    this.certificates.push(makeCertificate())
  }

  /**
   * The next certificate download is answered by someone between the function and WeChat Pay:
   * 'own-certificate' lists their own certificate, encrypted with a key that is not the merchant's
   * APIv3 key and signed by it; 're-signed' is WeChat Pay's genuine list signed by another key
   * under the current certificate's serial.
   */
  forgeNextCertificates(how: 'own-certificate' | 're-signed'): void {
    this.forged = how
  }
  private forged: 'own-certificate' | 're-signed' | undefined

  certificateList(): V3Answer {
    const listed = (certs: Array<{ serial: string; pem: string }>, key: string) => ({
      data: certs.map((c) => ({
        serial_no: c.serial,
        effective_time: new Date(this.now() - 3600_000).toISOString(),
        expire_time: new Date(this.now() + 3 * 86_400_000).toISOString(),
        encrypt_certificate: encryptResource(c.pem, key, 'certificate', 'certificate'),
      })),
    })
    const forged = this.forged
    this.forged = undefined
    if (!forged) return this.answer(200, listed(this.certificates, this.apiV3Key))
    const theirs =
      forged === 'own-certificate' ? makeCertificate() : { serial: this.signer().serial, pem: '', key: pair() }
    const text = JSON.stringify(
      forged === 'own-certificate'
        ? listed([theirs], randomBytes(16).toString('hex'))
        : listed(this.certificates, this.apiV3Key),
    )
    return {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'request-id': randomBytes(12).toString('hex'),
        ...wechatpayHeaders(theirs.key.privateKey, theirs.serial, text, String(Math.floor(this.now() / 1000))),
      },
      body: text,
    }
  }

  /** The key and serial WeChat Pay signs with now. */
  signer(): { key: string; serial: string } {
    const c = this.certificates.at(-1)
    return c ? { key: c.key.privateKey, serial: c.serial } : { key: this.platform.privateKey, serial: this.publicKeyId }
  }

  answer(status: number, body: unknown): V3Answer {
    const text = body === undefined ? '' : JSON.stringify(body)
    const s = this.signer()
    const headers = {
      'content-type': 'application/json',
      'request-id': randomBytes(12).toString('hex'),
      ...wechatpayHeaders(s.key, s.serial, text, String(Math.floor(this.now() / 1000))),
    }
    return { status, headers, body: text }
  }
  error(status: number, code: string, message: string): V3Answer {
    return this.answer(status, { code, message })
  }

  /** Certificate mode is on (GET /v3/certificates has something to list). */
  get hasCertificates(): boolean {
    return this.certificates.length > 0
  }

  /** A notification as WeChat Pay POSTs it: the envelope, its headers, the encrypted resource. */
  notification(
    eventType: string,
    summary: string,
    associated: 'transaction' | 'refund',
    resource: Record<string, unknown>,
  ): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify({
      id: `EV-${randomBytes(10).toString('hex')}`,
      create_time: rfc3339(new Date(this.now() + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14)),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: encryptResource(JSON.stringify(resource), this.apiV3Key, associated, associated),
    })
    const s = this.signer()
    return {
      headers: {
        'content-type': 'application/json',
        ...wechatpayHeaders(s.key, s.serial, body, String(Math.floor(this.now() / 1000))),
      },
      body,
    }
  }
}

/** yyyyMMddHHmmss (Beijing) → RFC 3339 with +08:00, as APIv3 writes times. */
export function rfc3339(t: string): string {
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}+08:00`
}
