/**
 * The hard cap on unpaid orders per user (PAY_MAX_OPEN_ORDERS). A count before the insert is
 * no cap under CloudBase's latency (a burst of taps all count the same few orders), so an order
 * is created only in a slot: a document `order_slots/<openid>:<k>`, k below the cap, that only
 * one request can add (its _id is unique). However many taps arrive at once, at most that many
 * orders hold a slot.
 * Slots free themselves, so nothing has to release them on every path: a slot is taken back
 * (a conditional remove on its order id, so two requests never take back the same slot twice)
 * when its order no longer waits to be paid (paid, closed, expired), or when its order never
 * appeared (a create that died between the slot and the order) ORPHAN_SLOT_MS later.
 */
import { db, findDocs, toMillis } from '../db'
import { ORDERS, type OrderDoc } from './orders'

export const SLOTS = 'order_slots'
/** A slot without its order for this long belongs to a create that died: taken back. */
export const ORPHAN_SLOT_MS = 60_000
/** The most slots one user can have (PAY_MAX_OPEN_ORDERS is at most 50). */
const MAX_SLOTS = 50
/** Rounds of "look, take back, claim" before a claim gives up (others keep taking the free slots). */
const CLAIM_ROUNDS = 4

export interface SlotDoc {
  _id: string
  openid: string
  k: number
  requestKey: string
  orderId: string
  at: Date
}

export type SlotClaim =
  | { ok: true; slotId: string; orderId: string }
  /** Every slot holds an order that still waits to be paid. */
  | { ok: false; reason: 'FULL'; open: number }
  /** A call of the same request (a double tap, or an earlier try cut off) holds a slot for this order id. */
  | { ok: false; reason: 'SAME_REQUEST'; orderId: string; at: number }

/** The slots whose orders no longer wait to be paid, taken back; answers how many were. */
async function reclaim(slots: readonly SlotDoc[], now: number): Promise<number> {
  const _ = db().command
  const orders = await findDocs<OrderDoc>(
    db()
      .collection(ORDERS)
      .where({ _id: _.in(slots.map((s) => s.orderId)) })
      .limit(MAX_SLOTS),
  )
  const byId = new Map(orders.map((o) => [o._id, o]))
  const done = slots.filter((s) => {
    const o = byId.get(s.orderId)
    return o ? o.status !== 'UNPAID' || toMillis(o.expiresAt) <= now : now - toMillis(s.at) > ORPHAN_SLOT_MS
  })
  const removed = await Promise.all(
    done.map(
      (s) =>
        db().collection(SLOTS).where({ _id: s._id, orderId: s.orderId }).remove() as Promise<{
          stats: { removed: number }
        }>,
    ),
  )
  return removed.reduce((n, r) => n + r.stats.removed, 0)
}

/** A slot for `orderId` of request `requestKey`, below `max`. */
export async function claimSlot(
  openid: string,
  requestKey: string,
  orderId: string,
  max: number,
  now: number,
): Promise<SlotClaim> {
  let open = 0
  let failure: unknown
  for (let round = 0; round < CLAIM_ROUNDS; round++) {
    const slots = await findDocs<SlotDoc>(db().collection(SLOTS).where({ openid }).limit(MAX_SLOTS))
    const same = slots.find((s) => s.requestKey === requestKey)
    if (same) return { ok: false, reason: 'SAME_REQUEST', orderId: same.orderId, at: toMillis(same.at) }
    open = slots.length
    const taken = new Set(slots.map((s) => s.k))
    const free = Array.from({ length: max }, (_, k) => k).filter((k) => !taken.has(k))
    if (!free.length) {
      if (!(await reclaim(slots, now))) return { ok: false, reason: 'FULL', open }
      continue
    }
    for (const k of free) {
      const slotId = `${openid}:${k}`
      try {
        await db()
          .collection(SLOTS)
          .add({ data: { _id: slotId, openid, k, requestKey, orderId, at: new Date(now) } })
        return { ok: true, slotId, orderId }
      } catch (e) {
        // Taken by a concurrent tap meanwhile (perhaps already given back: a duplicate _id is not
        // reliably coded), or a failed request: the next round reads the slots again.
        failure = e
      }
    }
  }
  if (failure !== undefined && open < max) throw failure
  return { ok: false, reason: 'FULL', open }
}

/** Gives a slot back (the order was not created after all). */
export async function releaseSlot(slotId: string, orderId: string): Promise<void> {
  await db().collection(SLOTS).where({ _id: slotId, orderId }).remove()
}
