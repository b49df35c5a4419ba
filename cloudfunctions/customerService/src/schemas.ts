/** Input schemas of the operator actions (valibot, strict: unexpected fields are refused). */
import * as v from 'valibot'
import type { CustomerServiceContract } from '../../../typings/customerService'
import { schemasFor } from '../../../server/schemas'

const openid = v.pipe(v.string('openid must be a string'), v.regex(/^[A-Za-z0-9_-]{6,64}$/, 'openid looks wrong'))
const limit = (max: number) =>
  v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1, 'limit must be at least 1'),
      v.maxValue(max, `limit must be at most ${max}`),
    ),
  )

export const agentInbox = v.strictObject({ limit: limit(50) })

export const agentConversation = v.strictObject({
  openid,
  before: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  limit: limit(100),
})

export const agentReply = v.strictObject({
  touser: openid,
  // WeChat's text limit is in bytes; 600 characters stay inside it whatever the script.
  text: v.pipe(
    v.string('text must be a string'),
    v.transform((s) => s.trim()),
    v.minLength(1, 'text is empty'),
    v.maxLength(600, 'text is longer than 600 characters'),
  ),
  requestId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,64}$/, 'requestId must be 8-64 letters, digits, _ or -')),
})

/** Each action's schema, checked exact against typings/customerService.ts. */
export const schemas = schemasFor<CustomerServiceContract>()({
  agentInbox,
  agentConversation,
  agentReply,
})
