/**
 * The bench's `actionScale`: every routed action of every function the pages call, and the two
 * entries WeChat calls (the payment callback, a customer-service message push), timed on a world
 * of n users, so `npm run bench` can report each one's time at 100k users over its time at 1k.
 *
 * The world: the bench's own seed (users, WeRun days, rank members and rows, shares and entries)
 * plus, for every user, a copy of what one user leaves behind after using the kit once: an order
 * paid and its fulfilment, a subscription, a card in the card holder, a customer-service message
 * and its reply, a SOTER challenge, device and proof. The copy is taken from a template user who
 * does all of it through the functions (so the documents have the shapes the code writes), with
 * the user's openid and every document id and unique key renumbered per user.
 *
 * Each action is timed RUNS times, each time as another user, after an untimed preparation where
 * it needs one (a fresh order to pay, a card to redeem, a challenge to verify). A call that does
 * not answer ok stops the bench with its error: a broken action has no time to report.
 */
import { EJSON } from 'bson'
import { CloudIdRef, type Caller, type LocalCloud } from '../localcloud'
import { LOCAL_VARS, openLocalCloud } from './start'

/** The functions' variables in the bench: the local ones, with an agent and a card operator. */
export const BENCH_AGENT = 'o-bench-agent'
export const BENCH_OPERATOR = 'o-bench-operator'
export const BENCH_VARS: Record<string, string> = {
  ...LOCAL_VARS,
  CS_AGENT_OPENIDS: BENCH_AGENT,
  CARD_OPERATOR_OPENIDS: BENCH_OPERATOR,
}

/** The template user; the bench's users are `o-bench-` and six digits (openid() in bench.ts). */
const TEMPLATE = 'o-bench-999999'
const DIGITS = 6
const PAID = LOCAL_VARS.SUBSCRIBE_TMPL_PAID!
const PHONE = 'bench-phone'
const PAGE = 'pages/index/index'

/** Collections the template user's documents are copied into (the bench's seed fills the others). */
const PER_USER = [
  'orders',
  'order_slots',
  'fulfilments',
  'subscriptions',
  'cs_conversations',
  'cs_messages',
  'cs_seen',
  'user_cards',
  'soter_challenges',
  'soter_devices',
  'soter_proofs',
]

type Result = { ok: boolean; data?: any; error?: { code: string; message: string } }

export const benchOpenid = (i: number) => `o-bench-${String(i).padStart(DIGITS, '0')}`

/** One action of a function, called as the mini-program would, and its answer. */
export async function call(
  cloud: LocalCloud,
  fn: string,
  action: string,
  data: Record<string, unknown>,
  caller: Caller,
): Promise<Result> {
  return (await cloud.callFromClient(fn, { action, ...data }, caller)).result as Result
}

async function must(
  cloud: LocalCloud,
  fn: string,
  action: string,
  data: Record<string, unknown>,
  caller: Caller,
): Promise<any> {
  const r = await call(cloud, fn, action, data, caller)
  if (!r.ok) throw new Error(`bench: ${fn}.${action} answered ${r.error?.code}: ${r.error?.message}`)
  return r.data
}

/** A paid order of `openid`, through the functions and the pay sandbox (the user pays, WeChat calls back). */
async function paidOrder(cloud: LocalCloud, openid: string, tag: string): Promise<string> {
  const created = await must(
    cloud,
    'pay',
    'createOrder',
    { productId: 'coffee', quantity: 1, requestId: `bench-${tag}` },
    { openid },
  )
  const orderId = created.order.orderId as string
  await must(cloud, 'pay', 'payOrder', { orderId }, { openid })
  await cloud.cloudPay.pay(orderId)
  await cloud.cloudPay.idle()
  return orderId
}

/** A card added to `openid`'s card holder (signed, added in WeChat, recorded): its code. */
async function addedCard(cloud: LocalCloud, openid: string): Promise<{ cardList: unknown[] }> {
  const signed = await must(cloud, 'card', 'signCardExt', { cardKey: 'coffee-coupon' }, { openid })
  const added = cloud.oa.addCard(openid, signed.cardId, signed.cardExt)
  if ('errcode' in added) throw new Error(`bench: wx.addCard failed with ${added.errcode}`)
  return { cardList: [added] }
}

/** What the template user leaves behind, by collection, and the id of their paid order. */
export interface Template {
  text: string
  ids: RegExp
  orderId: string
}

/** The template user uses the kit once; their documents become the template (as EJSON text). */
export async function buildTemplate(): Promise<Template> {
  return quiet(makeTemplate)
}

/** The functions log a JSON line per delivery and refusal; the bench prints its figures only. */
async function quiet<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log
  console.log = () => {}
  try {
    return await work()
  } finally {
    console.log = log
  }
}

async function makeTemplate(): Promise<Template> {
  const cloud = openLocalCloud(BENCH_VARS)
  const me = { openid: TEMPLATE }
  await must(cloud, 'user', 'login', {}, me)
  await must(cloud, 'pay', 'recordSubscription', { answers: { [PAID]: 'accept' } }, me)
  const orderId = await paidOrder(cloud, TEMPLATE, 'template-order')
  const card = await addedCard(cloud, TEMPLATE)
  await must(cloud, 'card', 'recordAdded', { cardList: card.cardList }, me)
  await cloud.push.user(cloud.push.text(TEMPLATE, '你好，我的咖啡什么时候到？'))
  await must(
    cloud,
    'customerService',
    'agentReply',
    { touser: TEMPLATE, text: '马上就到。', requestId: 'bench-template-reply' },
    { openid: BENCH_AGENT },
  )
  const challenge = await must(cloud, 'soter', 'challenge', { purpose: 'CONFIRM_IDENTITY' }, me)
  await must(cloud, 'soter', 'verify', cloud.openapi.soter.authenticate(TEMPLATE, PHONE, challenge.challenge), me)
  await cloud.push.idle()
  const docs: Record<string, Array<Record<string, unknown>>> = {}
  const ids = new Set<string>([TEMPLATE])
  for (const name of PER_USER) {
    docs[name] = cloud.db.dump(name)
    for (const d of docs[name]!) if (typeof d._id === 'string' && d._id.length > DIGITS) ids.add(d._id)
  }
  // Unique keys that are not ids (an order's outTradeNo and requestKey), so no two copies share one.
  for (const o of docs.orders!)
    for (const k of ['outTradeNo', 'requestKey']) if (typeof o[k] === 'string') ids.add(o[k] as string)
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return {
    orderId,
    text: EJSON.stringify(docs, { relaxed: false }),
    ids: new RegExp(
      [...ids]
        .sort((a, b) => b.length - a.length)
        .map(escape)
        .join('|'),
      'g',
    ),
  }
}

/** n copies of the template, user i's with user i's openid and its ids ending in i's six digits. */
export function seedCopies(cloud: LocalCloud, template: Template, n: number): void {
  const out: Record<string, Array<Record<string, unknown>>> = Object.fromEntries(PER_USER.map((c) => [c, []]))
  for (let i = 0; i < n; i++) {
    const digits = String(i).padStart(DIGITS, '0')
    const text = template.text.replace(template.ids, (m) => m.slice(0, -DIGITS) + digits)
    const docs = EJSON.parse(text, { relaxed: true }) as Record<string, Array<Record<string, unknown>>>
    for (const name of PER_USER) out[name]!.push(...docs[name]!)
  }
  for (const name of PER_USER) cloud.db.seed(name, out[name]!)
}

/** One action as the bench runs it: an optional untimed preparation, then the timed call. */
interface Case {
  name: string
  /** Runs as user `k` (a seeded user); returns the timed call. */
  prepare: (w: World, k: number, run: string) => Promise<() => Promise<unknown>>
}

const as = (
  fn: string,
  action: string,
  data: (w: World, k: number, run: string) => Record<string, unknown>,
  caller?: (k: number) => Caller,
): Case => ({
  name: `${fn}.${action}`,
  prepare: async (w, k, run) => {
    const cloud = w.cloud
    const payload = data(w, k, run)
    const who = caller ? caller(k) : { openid: benchOpenid(k) }
    return () => must(cloud, fn, action, payload, who)
  },
})

/** What a case may read of the world: its size and the template it was seeded from. */
export interface World {
  cloud: LocalCloud
  n: number
  template: Template
}

/** User k's copy of the template's paid order. */
const seededOrder = (w: World, k: number) => w.template.orderId.slice(0, -DIGITS) + String(k).padStart(DIGITS, '0')

/** A share of someone else that user k has not entered (bench.ts seeds max(50, n/10) shares; user i entered share i mod that). */
export const otherShare = (n: number, k: number) => `share${String((k + 1) % Math.max(50, n / 10)).padStart(7, '0')}`

const NONE = () => ({})

/**
 * Every routed action (typings/*.ts), the payment callback and the push. rank.optOut comes
 * before rank.optIn: the same users leave, then join again.
 */
export const CASES: Case[] = [
  as('user', 'login', NONE),
  as('user', 'getProfile', NONE),
  as('user', 'updateProfile', (_c, k, run) => ({ nickname: `跑步者${run}${k % 100}` })),
  as('user', 'bindPhone', ({ cloud }, k) => ({
    code: cloud.openapi.issuePhoneCode({ purePhoneNumber: `138${String(k).padStart(8, '0')}` }, benchOpenid(k)),
  })),
  as('pay', 'listProducts', NONE),
  as('pay', 'createOrder', (_c, _k, run) => ({ productId: 'coffee', quantity: 1, requestId: `bench-create-${run}` })),
  {
    name: 'pay.payOrder',
    prepare: async ({ cloud }, k, run) => {
      const created = await must(
        cloud,
        'pay',
        'createOrder',
        { productId: 'coffee', quantity: 1, requestId: `bench-pay-${run}` },
        { openid: benchOpenid(k) },
      )
      return () => must(cloud, 'pay', 'payOrder', { orderId: created.order.orderId }, { openid: benchOpenid(k) })
    },
  },
  as('pay', 'getOrder', (w, k) => ({ orderId: seededOrder(w, k) })),
  as('pay', 'listOrders', NONE),
  {
    name: 'pay.requestRefund',
    prepare: async ({ cloud }, k, run) => {
      const orderId = await paidOrder(cloud, benchOpenid(k), `refund-${run}`)
      return () => must(cloud, 'pay', 'requestRefund', { orderId }, { openid: benchOpenid(k) })
    },
  },
  as('pay', 'recordSubscription', () => ({ answers: { [PAID]: 'accept' } })),
  {
    name: 'payCallback.paid',
    prepare: async ({ cloud }, k, run) => {
      const openid = benchOpenid(k)
      const created = await must(
        cloud,
        'pay',
        'createOrder',
        { productId: 'coffee', quantity: 1, requestId: `bench-callback-${run}` },
        { openid },
      )
      await must(cloud, 'pay', 'payOrder', { orderId: created.order.orderId }, { openid })
      return async () => {
        await cloud.cloudPay.pay(created.order.orderId)
        await cloud.cloudPay.idle()
      }
    },
  },
  as('card', 'listCards', NONE),
  as('card', 'signCardExt', () => ({ cardKey: 'coffee-coupon' })),
  {
    name: 'card.recordAdded',
    prepare: async ({ cloud }, k) => {
      const { cardList } = await addedCard(cloud, benchOpenid(k))
      return () => must(cloud, 'card', 'recordAdded', { cardList }, { openid: benchOpenid(k) })
    },
  },
  as('card', 'myCards', NONE),
  {
    name: 'card.redeem',
    prepare: async ({ cloud }, k) => {
      const { cardList } = await addedCard(cloud, benchOpenid(k))
      // wx.addCard hands the page an encrypted code; recordAdded answers with the card's real one.
      const recorded = await must(cloud, 'card', 'recordAdded', { cardList }, { openid: benchOpenid(k) })
      const code = (recorded.cards as Array<{ code: string; status: string }>).find((c) => c.status === 'ADDED')!.code
      return () => must(cloud, 'card', 'redeem', { code }, { openid: BENCH_OPERATOR })
    },
  },
  {
    name: 'customerService.push',
    prepare:
      async ({ cloud }, k) =>
      async () => {
        const delivery = await cloud.push.user(cloud.push.text(benchOpenid(k), '请问营业到几点？'))
        if (!delivery.acked) throw new Error('bench: the customer-service push was not acknowledged')
      },
  },
  as('customerService', 'agentInbox', NONE, () => ({ openid: BENCH_AGENT })),
  as(
    'customerService',
    'agentConversation',
    (_c, k) => ({ openid: benchOpenid(k) }),
    () => ({ openid: BENCH_AGENT }),
  ),
  {
    name: 'customerService.agentReply',
    prepare: async ({ cloud }, k, run) => {
      await cloud.push.user(cloud.push.text(benchOpenid(k), '在吗？'))
      return () =>
        must(
          cloud,
          'customerService',
          'agentReply',
          { touser: benchOpenid(k), text: '在的，请讲。', requestId: `bench-reply-${run}` },
          { openid: BENCH_AGENT },
        )
    },
  },
  as('rank', 'status', NONE),
  as('rank', 'board', () => ({ period: 'week' })),
  as('rank', 'optOut', NONE),
  as('rank', 'optIn', NONE),
  as('share', 'recordIntent', (_c, k, run) => ({
    shareId: `b${run}${k}`
      .replace(/[^a-z0-9]/g, '')
      .padEnd(8, '0')
      .slice(0, 16),
    page: PAGE,
    via: 'menu',
  })),
  as('share', 'recordEntry', ({ n }, k) => ({ shareId: otherShare(n, k), scene: 1007, page: PAGE })),
  as('share', 'groupEnter', ({ cloud }, k) => ({
    groupInfo: new CloudIdRef(cloud.issueCloudId({ opengid: 'G-bench-group-1' }, benchOpenid(k))),
  })),
  as('share', 'poster', () => ({ page: PAGE })),
  as('share', 'myShares', NONE),
  as('soter', 'challenge', () => ({ purpose: 'CONFIRM_IDENTITY' })),
  {
    name: 'soter.verify',
    prepare: async ({ cloud }, k) => {
      const c = await must(cloud, 'soter', 'challenge', { purpose: 'CONFIRM_IDENTITY' }, { openid: benchOpenid(k) })
      const signed = cloud.openapi.soter.authenticate(benchOpenid(k), PHONE, c.challenge)
      return () => must(cloud, 'soter', 'verify', signed, { openid: benchOpenid(k) })
    },
  },
  {
    name: 'werun.sync',
    prepare: async ({ cloud }, k, run) => {
      const list = Array.from({ length: 31 }, (_v, d) => ({
        timestamp: Math.floor((Date.now() - d * 86_400_000) / 1000),
        step: 1000 + Number(run.replace(/\D/g, '').slice(-3) || 0) + d,
      }))
      const weRunData = new CloudIdRef(cloud.issueCloudId({ stepInfoList: list }, benchOpenid(k)))
      return () => must(cloud, 'werun', 'sync', { weRunData }, { openid: benchOpenid(k) })
    },
  },
  as('werun', 'history', () => ({ range: 7 })),
]

/** Per action: the median ms of RUNS calls and the median number of documents its reads examined. */
export async function timeActions(
  w: World,
  runs: number,
  label: string,
): Promise<Record<string, { ms: number; examined: number }>> {
  return quiet(() => timeAll(w, runs, label))
}

async function timeAll(
  w: World,
  runs: number,
  label: string,
): Promise<Record<string, { ms: number; examined: number }>> {
  const { cloud, n } = w
  const out: Record<string, { ms: number; examined: number }> = {}
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  for (const [c, kase] of CASES.entries()) {
    const ms: number[] = []
    const examined: number[] = []
    for (let r = 0; r < runs; r++) {
      // Users spread over the whole population; the same users for optOut and optIn.
      const k = (1 + r * 7919 + (kase.name.startsWith('rank.opt') ? 0 : c * 104_729)) % n
      const timed = await kase.prepare(w, k, `${label}r${r}c${c}`)
      const before = cloud.db.examined
      const t = performance.now()
      await timed()
      ms.push(performance.now() - t)
      examined.push(cloud.db.examined - before)
    }
    out[kase.name] = { ms: Math.round(median(ms) * 100) / 100, examined: median(examined) }
  }
  return out
}
