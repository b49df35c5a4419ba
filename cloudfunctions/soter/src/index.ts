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
import type { SoterContract } from '../../../typings/soter'
import { schemas } from './schemas'
import { createRouter } from '../../../server/router'
import { db, getDoc, transact, type Tx } from '../../../server/db'
import { openapi } from '../../../server/wx'
import { DEFAULT_LOCALE, userLanguage } from '../../../server/locale'
import {
  AUTH_CONTENT,
  CHALLENGES,
  CHALLENGE_TTL_MS,
  DEVICES,
  MAX_OPEN_CHALLENGES,
  OPEN,
  PROOFS,
  PROOF_TTL_MS,
  TOKEN,
  checkChallenge,
  deviceKey,
  newToken,
  parseResult,
  type ChallengeCheck,
  type ChallengeDoc,
  type OpenDoc,
} from '../../../server/soter/challenge'

type TxOutcome =
  | { kind: 'OK'; proof: string; expiresAt: number }
  | { kind: 'CHALLENGE'; check: Exclude<ChallengeCheck, { ok: true }> }
  | { kind: 'COUNTER' }

export const main = createRouter<SoterContract>('soter', {
  challenge: {
    input: schemas.challenge,
    async handle({ purpose, subject = '', authMode }, ctx) {
      const now = Date.now()
      // Read while the transaction runs; a failed read is not worth failing the check: Chinese.
      const language = userLanguage(ctx.openid).catch(() => DEFAULT_LOCALE)
      const challenge = newToken()
      const expiresAt = now + CHALLENGE_TTL_MS
      const doc: Omit<ChallengeDoc, '_id'> = {
        _openid: ctx.openid,
        purpose,
        subject,
        ...(authMode ? { authMode } : {}),
        createdAt: new Date(now),
        expiresAt: new Date(expiresAt),
        usedAt: null,
      }
      // Count and insert in one transaction on the user's open list: concurrent requests
      // conflict there and are run again one after the other, so the cap holds. A new challenge
      // replaces the user's waiting one for the same purpose and subject (a cancelled check).
      const full = await transact(async (t: Tx): Promise<boolean> => {
        const ref = t.collection(OPEN).doc(ctx.openid)
        const cur = ((await ref.get()) as { data: OpenDoc | null }).data
        const live = (cur?.open ?? []).filter((o) => o.expiresAt > now)
        const replaced = live.filter((o) => o.purpose === purpose && o.subject === subject)
        const keep = live.filter((o) => !replaced.includes(o))
        if (keep.length >= MAX_OPEN_CHALLENGES) return true
        for (const r of replaced) await t.collection(CHALLENGES).doc(r.challenge).remove()
        await ref.set({ data: { open: [...keep, { challenge, purpose, subject, expiresAt }] } })
        await t.collection(CHALLENGES).doc(challenge).set({ data: doc })
        return false
      })
      if (full)
        return ctx.fail(
          'TOO_MANY_CHALLENGES',
          'Too many confirmations are waiting. Finish one, or wait a few minutes, and try again.',
        )
      return { challenge, authContent: AUTH_CONTENT[await language][purpose], expiresAt }
    },
  },

  verify: {
    input: schemas.verify,
    async handle({ authMode, resultJSON, resultJSONSignature }, ctx) {
      const result = parseResult(resultJSON)
      if (!result || !TOKEN.test(result.raw))
        return ctx.fail('MALFORMED_RESULT', 'The fingerprint or face result is not in the form WeChat returns.')
      const now = Date.now()
      const challenge = await getDoc<ChallengeDoc>(CHALLENGES, result.raw)
      const check = checkChallenge(challenge, ctx.openid, now)
      if (!check.ok) return ctx.fail(check.code, check.message)
      // The mode the page asked for is the one the proof may claim.
      if (challenge!.authMode && challenge!.authMode !== authMode)
        return ctx.fail(
          'CHALLENGE_INVALID',
          `This confirmation was started for ${challenge!.authMode === 'facial' ? 'face' : 'fingerprint'}. Start again.`,
        )

      const { isOk } = await openapi().soter.verifySignature({
        openid: ctx.openid,
        jsonString: resultJSON,
        jsonSignature: resultJSONSignature,
      })
      if (!isOk)
        return ctx.fail('SIGNATURE_INVALID', 'WeChat could not confirm the fingerprint or face result. Try again.')

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
        await t
          .collection(CHALLENGES)
          .doc(result.raw)
          .update({ data: { usedAt: at } })
        // No longer waiting: it leaves the user's open list (the cap counts only waiting ones).
        const openRef = t.collection(OPEN).doc(ctx.openid)
        const open = ((await openRef.get()) as { data: OpenDoc | null }).data
        if (open) await openRef.set({ data: { open: open.open.filter((o) => o.challenge !== result.raw) } })
        await t
          .collection(DEVICES)
          .doc(deviceId)
          .set({ data: { _openid: ctx.openid, counter: result.counter, authMode, updatedAt: at } })
        await t
          .collection(PROOFS)
          .doc(proof)
          .set({
            data: {
              _openid: ctx.openid,
              purpose: c!.purpose,
              subject: c!.subject,
              authMode,
              expiresAt: new Date(expiresAt),
              usedAt: null,
            },
          })
        return { kind: 'OK', proof, expiresAt }
      })) as TxOutcome
      if (outcome.kind === 'CHALLENGE') return ctx.fail(outcome.check.code, outcome.check.message)
      if (outcome.kind === 'COUNTER')
        return ctx.fail(
          'COUNTER_REPLAYED',
          'This fingerprint or face result was already used on this phone. Start again.',
        )
      return {
        proof: outcome.proof,
        purpose: challenge!.purpose,
        subject: challenge!.subject,
        expiresAt: outcome.expiresAt,
      }
    },
  },
})
