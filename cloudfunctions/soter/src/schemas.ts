/**
 * Input schemas of the soter actions (valibot, strict objects: a field the contract does not
 * name is refused), each checked exact against typings/soter.ts by schemasFor.
 */
import * as v from 'valibot'
import type { SoterContract } from '../../../typings/soter'
import { schemasFor } from '../../../server/schemas'
import type { SoterAuthMode, SoterPurpose } from '../../../typings/soter'

const PURPOSES = ['CONFIRM_REFUND', 'CONFIRM_IDENTITY'] as const satisfies readonly SoterPurpose[]
const MODES = ['fingerPrint', 'facial'] as const satisfies readonly SoterAuthMode[]

const challenge = v.strictObject({
  purpose: v.picklist(PURPOSES, 'purpose must be CONFIRM_REFUND or CONFIRM_IDENTITY'),
  subject: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'subject must be 1-64 letters, digits, _ or -')),
  ),
  authMode: v.optional(v.picklist(MODES, 'authMode must be fingerPrint or facial')),
})

const verify = v.strictObject({
  authMode: v.picklist(MODES, 'authMode must be fingerPrint or facial'),
  resultJSON: v.pipe(v.string(), v.minLength(2), v.maxLength(4096)),
  resultJSONSignature: v.pipe(v.string(), v.minLength(16), v.maxLength(2048)),
})

export const schemas = schemasFor<SoterContract>()({ challenge, verify })
