/**
 * Input schemas of the werun actions (valibot, strict objects: a field the contract does not
 * name is refused), each checked exact against typings/werun.ts by schemasFor.
 */
import * as v from 'valibot'
import type { WerunContract } from '../../../typings/werun'
import { schemasFor } from '../../../server/schemas'
import type { WeRunData } from '../../../typings/werun'
import { openDataInput } from '../../../server/opendata'

const sync = v.strictObject({
  // data is checked against WeRunSchema once OPEN_DATA_INFO says WeChat filled it in.
  weRunData: openDataInput<WeRunData>(),
})

const history = v.strictObject({ range: v.picklist([7, 31] as const, 'range must be 7 or 31') })

/**
 * The decrypted WeRun data as WeChat sends it (at most 62 days). Here, not in server/werun/, so
 * that the functions reading werun_days (rank, share, user) do not bundle it.
 */
export const WeRunSchema = v.object({
  stepInfoList: v.pipe(v.array(v.object({ timestamp: v.number(), step: v.number() })), v.maxLength(62)),
  watermark: v.optional(v.object({ appid: v.string(), timestamp: v.number() })),
})

export const schemas = schemasFor<WerunContract>()({ sync, history })
