/**
 * PAY_PROVIDER=wxpay-v3 (issue #28): the merchant's own WeChat Pay APIv3 settings, from the
 * functions' environment (never the repo). A merchant downloads them from 商户平台 → 账户中心 →
 * API安全: the merchant id, the API certificate's serial number and private key (apiclient_key.pem),
 * the APIv3 key (32 characters), and, for merchants since October 2024, the WeChat Pay public key
 * with its id (PUB_KEY_ID_…); older merchants leave both empty and the platform certificates are
 * downloaded (server/pay/v3/client.ts). The notify URL is the HTTP access path of the payNotify function
 * (https, no query: the payment-notice document).
 * What is checked here is only what can be known without WeChat Pay: presence, shape, that the
 * private key is a private key and the public key a public key. That the serial belongs to the
 * private key only WeChat Pay can say (a SIGN_ERROR on the first call).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

export type PayProviderName = 'cloudpay' | 'wxpay-v3'

export function providerName(env: Record<string, string | undefined>): PayProviderName {
  return env.PAY_PROVIDER === 'wxpay-v3' ? 'wxpay-v3' : 'cloudpay'
}

export interface V3Config {
  mchid: string
  serialNo: string
  privateKey: KeyObject
  apiV3Key: string
  /** How WeChat Pay's key is known: its public key (since 2024-10) or its downloaded platform certificates. */
  verify: 'public-key' | 'certificate'
  /** Wechatpay-Serial → the key that verifies it (public-key mode: one entry, PUB_KEY_ID_…; certificate mode: filled as certificates are downloaded). */
  wechatpayKeys: Map<string, KeyObject>
  notifyUrl: string
}

/** A PEM given in one line with literal \n (how a multi-line value survives .env files and consoles). */
const pem = (raw: string | undefined) => (raw ?? '').trim().replace(/\\n/g, '\n')

export function v3Config(
  env: Record<string, string | undefined>,
): { ok: true; cfg: V3Config } | { ok: false; message: string } {
  const fail = (what: string) => ({ ok: false as const, message: `WeChat Pay APIv3 is not set up: ${what}` })
  const mchid = (env.WXPAY_MCHID ?? '').trim()
  if (!/^\d{8,12}$/.test(mchid)) return fail('set WXPAY_MCHID (the merchant id, 商户号).')
  const serialNo = (env.WXPAY_SERIAL_NO ?? '').trim()
  if (!/^[0-9A-Fa-f]{8,40}$/.test(serialNo))
    return fail("set WXPAY_SERIAL_NO (the merchant API certificate's serial number, API安全 → API证书).")
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(pem(env.WXPAY_PRIVATE_KEY))
  } catch {
    return fail('WXPAY_PRIVATE_KEY is not a PEM private key (apiclient_key.pem, with its newlines or \\n).')
  }
  const apiV3Key = (env.WXPAY_APIV3_KEY ?? '').trim()
  if (Buffer.byteLength(apiV3Key, 'utf8') !== 32)
    return fail('WXPAY_APIV3_KEY must be the 32-character APIv3 key (API安全 → APIv3密钥).')
  const keyId = (env.WXPAY_PUBLIC_KEY_ID ?? '').trim()
  const notifyUrl = (env.WXPAY_NOTIFY_URL ?? '').trim()
  if (!/^https:\/\/[^?#\s]+$/.test(notifyUrl))
    return fail("set WXPAY_NOTIFY_URL to the https address of payNotify's HTTP access path (no query).")
  if (privateKey.asymmetricKeyType !== 'rsa') return fail('the keys must be RSA keys.')
  // No public key at all: certificate mode (a merchant from before October 2024), certificates downloaded when needed.
  if (!keyId && !(env.WXPAY_PUBLIC_KEY ?? '').trim())
    return {
      ok: true,
      cfg: { mchid, serialNo, privateKey, apiV3Key, verify: 'certificate', wechatpayKeys: new Map(), notifyUrl },
    }
  if (!/^PUB_KEY_ID_[0-9A-Za-z]{1,64}$/.test(keyId))
    return fail(
      'set WXPAY_PUBLIC_KEY_ID (PUB_KEY_ID_…, API安全 → 微信支付公钥), or leave both public-key settings empty for platform certificates.',
    )
  let publicKey: KeyObject
  try {
    publicKey = createPublicKey(pem(env.WXPAY_PUBLIC_KEY))
  } catch {
    return fail('WXPAY_PUBLIC_KEY is not a PEM public key (pub_key.pem).')
  }
  if (publicKey.asymmetricKeyType !== 'rsa') return fail('the keys must be RSA keys.')
  return {
    ok: true,
    cfg: {
      mchid,
      serialNo,
      privateKey,
      apiV3Key,
      verify: 'public-key',
      wechatpayKeys: new Map([[keyId, publicKey]]),
      notifyUrl,
    },
  }
}
