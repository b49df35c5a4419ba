/**
 * Spending a SOTER proof from another function (e.g. pay.requestRefund). A proof is single
 * use: the conditional update succeeds for exactly one caller.
 */
import type { SoterPurpose } from '../../typings/soter'
import { db } from '../db'
import { PROOFS } from './challenge'

export type ProofUse = { ok: true } | { ok: false; message: string }

export async function useProof(
  proof: string | undefined,
  expect: { openid: string; purpose: SoterPurpose; subject: string },
): Promise<ProofUse> {
  if (!proof) return { ok: false, message: 'Confirm with your fingerprint or face first.' }
  const _ = db().command
  const now = new Date()
  const res = (await db()
    .collection(PROOFS)
    .where({
      _id: proof,
      _openid: expect.openid,
      purpose: expect.purpose,
      subject: expect.subject,
      usedAt: null,
      expiresAt: _.gt(now),
    })
    .update({ data: { usedAt: now } })) as { stats?: { updated?: number } }
  if (res.stats?.updated === 1) return { ok: true }
  return { ok: false, message: 'The fingerprint or face confirmation has expired or was already used. Confirm again.' }
}
