/**
 * Input schemas of the rank actions (valibot, strict objects: a field the contract does not
 * name is refused), each checked exact against typings/rank.ts by schemasFor.
 */
import * as v from 'valibot'
import type { RankContract } from '../../../typings/rank'
import { schemasFor } from '../../../server/schemas'

const empty = v.strictObject({})

const optIn = empty

const optOut = empty

const status = empty

const board = v.strictObject({
  period: v.picklist(['today', 'week'] as const),
  opengid: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,64}$/))),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100))),
})

export const schemas = schemasFor<RankContract>()({ optIn, optOut, status, board })
