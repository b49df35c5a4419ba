/**
 * Share counts as sharded counters (pure): each entry adds one to one of a sharer's
 * COUNT_SHARDS documents in `share_counts` (`<openid>#<k>`), in one transaction with the entry,
 * so a crowd opening one share at once spreads over several documents instead of queueing on
 * one; reading sums the sharer's documents (at most COUNT_SHARDS, whatever the number of entries).
 */

/** A sharer's totals as kept before counts were sharded (still read, so no count is lost). */
export interface TotalsDoc {
  entries: number
  newUsers: number
}

/** Documents of counts per sharer (`<openid>#<k>`): a crowd's entries spread over them. */
export const COUNT_SHARDS = 16
/**
 * One of a sharer's count documents: their totals and, per share, entries `e` and new users `n`
 * (`byShare`, incremented in place by each entry, so an entry needs no read of the document).
 * `shares` holds what was counted per share as [entries, newUsers] before that; still added in.
 */
export type CountsDoc = {
  sharer: string
  entries: number
  newUsers: number
  byShare?: Record<string, { e: number; n: number }>
  shares?: Record<string, [number, number]>
}

/** A sharer's count document `k` (0 ≤ k < COUNT_SHARDS). */
export const countsId = (sharer: string, k: number) => `${sharer}#${k}`

/** An empty count document, made before the sharer's first entry. */
export const emptyCounts = (sharer: string): CountsDoc => ({ sharer, entries: 0, newUsers: 0, byShare: {} })

/**
 * What one entry adds, by field path (the function applies each as db.command.inc): the totals
 * and the share's own counts. shareId is 8-16 lowercase letters or digits, safe in a path.
 */
export function entryIncrements(shareId: string, newUser: boolean): Record<string, number> {
  const add = newUser ? 1 : 0
  return { entries: 1, newUsers: add, [`byShare.${shareId}.e`]: 1, [`byShare.${shareId}.n`]: add }
}

/** A count document with one more entry (of a new user or not) on `shareId` (what the increments do to `cur`). */
export function addEntry(cur: CountsDoc | null, sharer: string, shareId: string, newUser: boolean): CountsDoc {
  const add = newUser ? 1 : 0
  const prior = cur?.byShare?.[shareId] ?? { e: 0, n: 0 }
  return {
    ...(cur?.shares ? { shares: cur.shares } : {}),
    sharer,
    entries: (cur?.entries ?? 0) + 1,
    newUsers: (cur?.newUsers ?? 0) + add,
    byShare: { ...(cur?.byShare ?? {}), [shareId]: { e: prior.e + 1, n: prior.n + add } },
  }
}

/** A sharer's counts summed over their documents (and the totals kept before sharding). */
export function sumCounts(
  docs: readonly CountsDoc[],
  legacy: TotalsDoc | null,
): { entries: number; newUsers: number; byShare: Map<string, { entries: number; newUsers: number }> } {
  const byShare = new Map<string, { entries: number; newUsers: number }>()
  let entries = legacy?.entries ?? 0
  let newUsers = legacy?.newUsers ?? 0
  for (const d of docs) {
    entries += d.entries
    newUsers += d.newUsers
    const add = (id: string, e: number, n: number) => {
      const c = byShare.get(id) ?? { entries: 0, newUsers: 0 }
      byShare.set(id, { entries: c.entries + e, newUsers: c.newUsers + n })
    }
    for (const [id, [e, n]] of Object.entries(d.shares ?? {})) add(id, e, n)
    for (const [id, c] of Object.entries(d.byShare ?? {})) add(id, c.e ?? 0, c.n ?? 0)
  }
  return { entries, newUsers, byShare }
}
