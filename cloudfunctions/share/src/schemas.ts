/**
 * Input schemas of the share actions (valibot, strict objects: a field the contract does not
 * name is refused), each checked exact against typings/share.ts by schemasFor.
 */
import * as v from 'valibot'
import type { ShareContract } from '../../../typings/share'
import { schemasFor } from '../../../server/schemas'
import type { GroupInfo } from '../../../typings/share'
import { openDataInput } from '../../../server/opendata'

const shareId = v.pipe(v.string(), v.regex(/^[a-z0-9]{8,16}$/, 'shareId must be 8-16 lowercase letters or digits'))
const page = v.pipe(
  v.string(),
  v.regex(/^pages\/[A-Za-z0-9_/-]{1,100}$/, 'page must be a page path like pages/index/index'),
)

const recordIntent = v.strictObject({ shareId, page, via: v.picklist(['menu', 'button', 'timeline']) })

const recordEntry = v.strictObject({
  shareId,
  scene: v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(9999)),
  page,
})

const groupEnter = v.strictObject({
  // data is checked once OPEN_DATA_INFO says WeChat filled it in.
  groupInfo: openDataInput<GroupInfo>(),
  shareId: v.optional(shareId),
})

const poster = v.strictObject({ page })

const myShares = v.strictObject({ limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(50))) })

export const schemas = schemasFor<ShareContract>()({ recordIntent, recordEntry, groupEnter, poster, myShares })
