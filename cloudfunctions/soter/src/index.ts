/**
 * Cloud function `soter`: biometric confirmation (fingerprint / face) with WeChat SOTER.
 * `challenge` issues a single-use challenge bound to the caller and a purpose; `verify` has
 * WeChat check the signature (openapi.soter.verifySignature), checks that the signed `raw` is
 * that challenge (this user's, unused, unexpired) and that the device counter grew, then in one
 * transaction burns the challenge, records the counter and issues a 2-minute proof that other
 * functions spend once (server/soter/proof.ts; pay.requestRefund when PAY_REFUND_REQUIRES_SOTER=1).
 * A new challenge replaces the caller's unused one for the same purpose and subject.
 * Bad input, a wrong or old challenge, a rejected signature or a counter that did not grow
 * write nothing. Contract: typings/soter.ts.
 */
import * as v from 'valibot'
import type { SoterContract, SoterPurpose } from '../../../typings/soter'
import { createRouter } from '../../../server/router'
import { db, getDoc, type Tx } from '../../../server/db'
import { openapi } from '../../../server/wx'
import {
  AUTH_CONTENT,
  CHALLENGES,
  CHALLENGE_TTL_MS,
  DEVICES,
  MAX_OPEN_CHALLENGES,
  PROOFS,
  PROOF_TTL_MS,
  TOKEN,
  checkChallenge,
  deviceKey,
  newToken,
  parseResult,
  type ChallengeCheck,
  type ChallengeDoc,
} from '../../../server/soter/challenge'

const PURPOSES = ['CONFIRM_REFUND', 'CONFIRM_IDENTITY'] as const satisfies readonly SoterPurpose[]

type TxOutcome = { kind: 'OK'; proof: string; expiresAt: number } | { kind: 'CHALLENGE'; check: Exclude<ChallengeCheck, { ok: true }> } | { kind: 'COUNTER' }

export const main = createRouter<SoterContract>('soter', {
  challenge: {
    input: v.strictObject({
      purpose: v.picklist(PURPOSES, 'purpose must be CONFIRM_REFUND or CONFIRM_IDENTITY'),
      subject: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'subject must be 1-64 letters, digits, _ or -'))),
    }),
    async handle({ purpose, subject }, ctx) {
      const _ = db().command
      const now = Date.now()
      const mine = db().collection(CHALLENGES)
      // A new challenge replaces the user's unused one for the same purpose and subject (a
      // cancelled or abandoned check), so retries never pile up; expired ones go too.
      await mine.where(_.or([{ _openid: ctx.openid, purpose, subject: subject ?? '', usedAt: null }, { _openid: ctx.openid, expiresAt: _.lte(new Date(now)) }])).remove()
      const open = await mine.where({ _openid: ctx.openid, usedAt: null, expiresAt: _.gt(new Date(now)) }).count()
      if ((open as { total: number }).total >= MAX_OPEN_CHALLENGES) {
        return ctx.fail('TOO_MANY_CHALLENGES', 'Too many confirmations are waiting. Finish one, or wait a few minutes, and try again.')
      }
      const challenge = newToken()
      const expiresAt = now + CHALLENGE_TTL_MS
      const doc: Omit<ChallengeDoc, '_id'> = { _openid: ctx.openid, purpose, subject: subject ?? '', createdAt: new Date(now), expiresAt: new Date(expiresAt), usedAt: null }
      await db().collection(CHALLENGES).doc(challenge).set({ data: doc })
      return { challenge, authContent: AUTH_CONTENT[purpose], expiresAt }
    },
  },

  verify: {
    input: v.strictObject({
      authMode: v.picklist(['fingerPrint', 'facial'] as const, 'authMode must be fingerPrint or facial'),
      resultJSON: v.pipe(v.string(), v.minLength(2), v.maxLength(4096)),
      resultJSONSignature: v.pipe(v.string(), v.minLength(16), v.maxLength(2048)),
    }),
    async handle({ authMode, resultJSON, resultJSONSignature }, ctx) {
      const result = parseResult(resultJSON)
      if (!result || !TOKEN.test(result.raw)) return ctx.fail('MALFORMED_RESULT', 'The fingerprint or face result is not in the form WeChat returns.')
      const now = Date.now()
      const challenge = await getDoc<ChallengeDoc>(CHALLENGES, result.raw)
      const check = checkChallenge(challenge, ctx.openid, now)
      if (!check.ok) return ctx.fail(check.code, check.message)

      const { isOk } = await openapi().soter.verifySignature({ openid: ctx.openid, jsonString: resultJSON, jsonSignature: resultJSONSignature })
      if (!isOk) return ctx.fail('SIGNATURE_INVALID', 'WeChat could not confirm the fingerprint or face result. Try again.')

      const deviceId = deviceKey(ctx.openid, result.cpuId)
      const proof = newToken()
      const expiresAt = now + PROOF_TTL_MS
      const outcome = (await db().runTransaction(async (t: Tx): Promise<TxOutcome> => {
        // The same check again inside the transaction: a concurrent verify may have used it meanwhile.
        const c = ((await t.collection(CHALLENGES).doc(result.raw).get()) as { data: ChallengeDoc | null }).data
        const again = checkChallenge(c, ctx.openid, now)
        if (!again.ok) return { kind: 'CHALLENGE', check: again }
        const device = ((await t.collection(DEVICES).doc(deviceId).get()) as { data: { counter: number } | null }).data
        if (device && result.counter <= device.counter) return { kind: 'COUNTER' }
        const at = new Date(now)
        await t.collection(CHALLENGES).doc(result.raw).update({ data: { usedAt: at } })
        await t.collection(DEVICES).doc(deviceId).set({ data: { _openid: ctx.openid, counter: result.counter, authMode, updatedAt: at } })
        await t.collection(PROOFS).doc(proof).set({ data: { _openid: ctx.openid, purpose: c!.purpose, subject: c!.subject, authMode, expiresAt: new Date(expiresAt), usedAt: null } })
        return { kind: 'OK', proof, expiresAt }
      })) as TxOutcome
      if (outcome.kind === 'CHALLENGE') return ctx.fail(outcome.check.code, outcome.check.message)
      if (outcome.kind === 'COUNTER') return ctx.fail('COUNTER_REPLAYED', 'This fingerprint or face result was already used on this phone. Start again.')
      return { proof: outcome.proof, purpose: challenge!.purpose, subject: challenge!.subject, expiresAt: outcome.expiresAt }
    },
  },
})
