/**
 * The WeChat side of SOTER in the local cloud. Each (user, phone) pair has its own RSA-2048 key
 * in the phone's TEE, which WeChat knows; `authenticate` is what wx.startSoterAuthentication
 * produces on that phone: resultJSON with `raw` (the challenge), a `counter` that grows with
 * every use, the TEE facts and `cpu_id`, signed SHA256withRSA/PSS with a 20-byte salt, base64
 * (wx.startSoterAuthentication.html, "resultJSON 说明"; framework/open-ability/bio-auth.html).
 * soter.verifySignature (OpenApiDoc/soter/verifySignature.html) answers `is_ok` for the user's
 * keys: another user's key, an edited resultJSON or a wrong signature give is_ok false; a
 * missing openid 40003, a missing json_string or json_signature 47001.
 */
import { constants, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { WxApiError, type ApiSandbox } from './sandbox'

interface DeviceKey {
  privateKey: KeyObject
  publicKey: KeyObject
  counter: number
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }

export class SoterSandbox {
  /** openid -> cpu_id -> key. */
  private keys = new Map<string, Map<string, DeviceKey>>()

  constructor(private readonly api: ApiSandbox) {
    this.install()
  }

  /** (Re)registers the soter.verifySignature handler (after a test replaced it). */
  install(): void {
    this.api.on('soter.verifySignature', (p) => {
      const openid = typeof p.openid === 'string' ? p.openid : ''
      if (!openid) throw new WxApiError(40003, 'invalid openid')
      if (typeof p.json_string !== 'string' || typeof p.json_signature !== 'string')
        throw new WxApiError(47001, 'data format error: json_string and json_signature are required')
      const signature = Buffer.from(p.json_signature, 'base64')
      const data = Buffer.from(p.json_string, 'utf8')
      const isOk = [...(this.keys.get(openid)?.values() ?? [])].some((k) =>
        verify('sha256', data, { key: k.publicKey, ...PSS }, signature),
      )
      return { errcode: 0, errmsg: 'ok', is_ok: isOk }
    })
  }

  private key(openid: string, cpuId: string): DeviceKey {
    const byDevice = this.keys.get(openid) ?? new Map<string, DeviceKey>()
    this.keys.set(openid, byDevice)
    let k = byDevice.get(cpuId)
    if (!k) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
      k = { ...pair, counter: Math.floor(Math.random() * 1000) }
      byDevice.set(cpuId, k)
    }
    return k
  }

  /** A successful startSoterAuthentication of `openid` on phone `cpuId` with `challenge`. */
  authenticate(
    openid: string,
    cpuId: string,
    challenge: string,
    mode: 'fingerPrint' | 'facial' = 'fingerPrint',
  ): { resultJSON: string; resultJSONSignature: string; authMode: string } {
    const k = this.key(openid, cpuId)
    k.counter += 1
    const resultJSON = JSON.stringify({
      raw: challenge,
      fid: '2',
      counter: k.counter,
      tee_n: 'TEE Sim',
      tee_v: '1.0',
      fp_n: 'Sim Sensor',
      fp_v: '1.0',
      cpu_id: cpuId,
      uid: '21',
    })
    return { resultJSON, resultJSONSignature: this.sign(openid, cpuId, resultJSON), authMode: mode }
  }

  /** Forgets every phone (reset). */
  forget(): void {
    this.keys.clear()
  }

  /** Signs any JSON with the phone's key (tests: an old counter signed again, a doctored result). */
  sign(openid: string, cpuId: string, json: string): string {
    return sign('sha256', Buffer.from(json, 'utf8'), { key: this.key(openid, cpuId).privateKey, ...PSS }).toString(
      'base64',
    )
  }

  /** The phone's counter (tests rewind it to model a restored or cloned device). */
  counter(openid: string, cpuId: string): number {
    return this.key(openid, cpuId).counter
  }

  setCounter(openid: string, cpuId: string, counter: number): void {
    this.key(openid, cpuId).counter = counter
  }
}
