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
/** One of a sharer's count documents: their totals and, per share, [entries, newUsers]. */
export type CountsDoc = {
  sharer: string
  entries: number
  newUsers: number
  shares: Record<string, [number, number]>
}

/** A count document with one more entry (of a new user or not) on `shareId`. */
export function addEntry(cur: CountsDoc | null, sharer: string, shareId: string, newUser: boolean): CountsDoc {
  const add = newUser ? 1 : 0
  const [e, n] = cur?.shares?.[shareId] ?? [0, 0]
  return { sharer, entries: (cur?.entries ?? 0) + 1, newUsers: (cur?.newUsers ?? 0) + add, shares: { ...(cur?.shares ?? {}), [shareId]: [e + 1, n + add] } }
}

/** A sharer's counts summed over their documents (and the totals kept before sharding). */
export function sumCounts(docs: readonly CountsDoc[], legacy: TotalsDoc | null): { entries: number; newUsers: number; byShare: Map<string, { entries: number; newUsers: number }> } {
  const byShare = new Map<string, { entries: number; newUsers: number }>()
  let entries = legacy?.entries ?? 0
  let newUsers = legacy?.newUsers ?? 0
  for (const d of docs) {
    entries += d.entries
    newUsers += d.newUsers
    for (const [id, [e, n]] of Object.entries(d.shares ?? {})) {
      const c = byShare.get(id) ?? { entries: 0, newUsers: 0 }
      byShare.set(id, { entries: c.entries + e, newUsers: c.newUsers + n })
    }
  }
  return { entries, newUsers, byShare }
}

