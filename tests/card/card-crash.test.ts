/**
 * `card.redeem` cut off at every request (tests/setup/crash.ts), then the operator's rescan.
 * Invariants: a code WeChat consumed has a REDEEMED record here; the operator whose own
 * interrupted redeem consumed it is told so (CARD_REDEEMED_BY_YOU), never "already redeemed".
 */
import { crashPoints } from '../setup/crash'
import { raceCloud, type Result } from '../setup/races'

const OA = { OA_APPID: 'wx0000000000oatest', OA_APPSECRET: 'test-secret-9f8e7d', CARD_OPERATOR_OPENIDS: 'o-staff-1' }
const STAFF = { openid: 'o-staff-1' }
const OWNER = { openid: 'o-card-crash-owner' }

async function world(recordedHere: boolean) {
  const w = raceCloud({ vars: OA })
  const card = (action: string, data: Record<string, unknown>, caller: { openid: string }) =>
    w.call('card', action, data, caller)
  const signed = await card('signCardExt', { cardKey: 'coffee-coupon' }, OWNER)
  const added = w.cloud.oa.addCard(OWNER.openid, signed.data.cardId, signed.data.cardExt) as {
    cardId: string
    code: string
    isSuccess: boolean
  }
  const plain = [...w.cloud.oa.codes.values()].find((c) => c.encrypted === added.code)!.code
  if (recordedHere) await card('recordAdded', { cardList: [added] }, OWNER)
  return { ...w, card, plain, rescan: null as Result | null }
}
type World = Awaited<ReturnType<typeof world>>

describe.each([
  ['a code not recorded here (the owner never came back)', false],
  ['a recorded code', true],
])('card.redeem of %s, cut off anywhere, then rescanned', (_name, recordedHere) => {
  test('WeChat consumed ⇒ REDEEMED here, and the rescan tells the operator it was their redeem', async () => {
    const report = await crashPoints<World>({
      fn: 'card',
      setUp: () => world(recordedHere),
      act: (w) => w.card('redeem', { code: w.plain }, STAFF),
      async recover(w) {
        w.rescan = await w.card('redeem', { code: w.plain }, STAFF)
      },
      async check(w) {
        const out: string[] = []
        const atWeChat = w.cloud.oa.codes.get(w.plain)!.status
        const here = w.cloud.db.dump('user_cards').find((c) => c.code === w.plain)
        if (atWeChat === 'CONSUMED' && here?.status !== 'REDEEMED')
          out.push(`WeChat consumed it, here it is ${String(here?.status ?? 'unrecorded')}`)
        // The rescan either redeems (the cut attempt did not consume) or says it was this operator's redeem.
        if (w.rescan && !w.rescan.ok && w.rescan.error?.code !== 'CARD_REDEEMED_BY_YOU')
          out.push(`the rescan answered ${w.rescan.error?.code}`)
        if (here?.status === 'REDEEMED' && here.redeemedBy !== STAFF.openid) out.push('redeemed by nobody')
        return out
      },
    })
    expect(report.points).toBeGreaterThanOrEqual(8)
    expect(report.broken).toEqual([])
  })
})

test("the same operator's rescan moments later is told it was theirs; long after, it is already redeemed", async () => {
  const w = await world(true)
  expect((await w.card('redeem', { code: w.plain }, STAFF)).data).toMatchObject({ card: { status: 'REDEEMED' } })
  expect((await w.card('redeem', { code: w.plain }, STAFF)).error?.code).toBe('CARD_REDEEMED_BY_YOU')
  expect((await w.card('redeem', { code: w.plain }, { openid: 'o-staff-2' })).error?.code).toBe('NOT_OPERATOR')
  const doc = w.cloud.db.dump('user_cards')[0]!
  w.cloud.db.seed('user_cards', [{ ...doc, redeemedAt: new Date(Date.now() - 3 * 60_000) }])
  expect((await w.card('redeem', { code: w.plain }, STAFF)).error?.code).toBe('CARD_ALREADY_REDEEMED')
})
