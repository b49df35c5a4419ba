/**
 * The official account's card events (卡券事件推送), which WeChat pushes to the official
 * account's server URL and the mini-program card guide says the developer must handle
 * (offiaccount/Cards_and_Offer/Coupons-Mini_Program_Start_Up: "开发者须进行处理"):
 * - user_get_card: a user took a card (FromUserName: their openid UNDER THE OFFICIAL ACCOUNT;
 *   CardId, UserCardCode, OuterStr = our `kit.<key>` channel, IsGiveByFriend / OldUserCardCode,
 *   UnionId when the accounts share an Open Platform account);
 * - user_del_card: the user deleted it from their card package;
 * - user_gifting_card: the user gave it to a friend (IsReturnBack 1: the gift came back);
 * - user_consume_card: it was consumed (at another counter, or by WeChat's own tools).
 * Each keeps `user_cards` true: deleted or given away → gone from My cards; consumed elsewhere →
 * REDEEMED; taken → recorded (for no mini-program user yet: the first to record it from the
 * mini-program claims it, card.recordAdded). Every write is idempotent: WeChat pushes an event
 * again (up to 3 times) when no answer came in 5 s. Event document:
 * https://developers.weixin.qq.com/doc/offiaccount/Cards_and_Offer/Coupons_Vouchers_and_Cards_Event_Push_Messages.html
 */
import * as v from 'valibot'
import { db, updateElseAdd } from '../db'
import { urlPushConfig, type PushUrlConfig } from '../customerService/config'

export const USER_CARDS = 'user_cards'

const s64 = v.pipe(v.string(), v.minLength(1), v.maxLength(128))
const CardEventSchema = v.object({
  ToUserName: s64,
  FromUserName: s64,
  CreateTime: v.pipe(v.union([v.number(), v.pipe(v.string(), v.regex(/^\d{1,12}$/), v.transform(Number))]), v.number()),
  MsgType: v.literal('event'),
  Event: v.picklist(['user_get_card', 'user_del_card', 'user_consume_card', 'user_gifting_card']),
  CardId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  UserCardCode: v.pipe(v.string(), v.regex(/^[A-Za-z0-9]{1,32}$/)),
  OuterStr: v.optional(v.pipe(v.string(), v.maxLength(128))),
  IsGiveByFriend: v.optional(v.union([v.string(), v.number()])),
  OldUserCardCode: v.optional(v.pipe(v.string(), v.maxLength(32))),
  FriendUserName: v.optional(v.pipe(v.string(), v.maxLength(128))),
  IsReturnBack: v.optional(v.union([v.string(), v.number()])),
  StaffOpenId: v.optional(v.pipe(v.string(), v.maxLength(128))),
  UnionId: v.optional(v.pipe(v.string(), v.maxLength(128))),
  ConsumeSource: v.optional(v.pipe(v.string(), v.maxLength(64))),
})

export type CardEvent = v.InferOutput<typeof CardEventSchema>

/** A push that is one of the four card events, or why not (other events are acknowledged and ignored). */
export function parseCardEvent(event: unknown): { ok: true; ev: CardEvent } | { ok: false; reason: string } {
  const r = v.safeParse(CardEventSchema, event)
  if (r.success) return { ok: true, ev: r.output }
  const e = (event ?? {}) as { MsgType?: unknown; Event?: unknown }
  return {
    ok: false,
    reason: `not a card event this kit handles (MsgType=${String(e.MsgType).slice(0, 20)}, Event=${String(e.Event).slice(0, 40)})`,
  }
}

/** What became of My cards. */
export type CardEventOutcome = 'recorded' | 'gone' | 'back' | 'redeemed' | 'unchanged'

const truthy = (x: unknown) => x === 1 || x === '1'

/** Applies one card event to `user_cards` (idempotent: a repeated push changes nothing more). */
export async function applyCardEvent(ev: CardEvent): Promise<CardEventOutcome> {
  const cards = db().collection(USER_CARDS)
  const id = `${ev.CardId}:${ev.UserCardCode}`
  const at = new Date(ev.CreateTime * 1000)
  const updated = async (where: Record<string, unknown>, data: Record<string, unknown>) =>
    ((await cards.where({ _id: id, ...where }).update({ data })) as { stats: { updated: number } }).stats.updated > 0
  switch (ev.Event) {
    case 'user_get_card': {
      const key = ev.OuterStr?.startsWith('kit.') ? ev.OuterStr.slice(4) : ev.CardId
      // A new record (with the user's unionid, both accounts under one Open Platform account, My
      // cards finds it for the mini-program user with that unionid even before they record it);
      // recorded from the mini-program first: the official account's openid is added beside it.
      const whole = {
        _openid: '',
        oaOpenid: ev.FromUserName,
        ...(ev.UnionId ? { unionid: ev.UnionId } : {}),
        cardKey: key,
        cardId: ev.CardId,
        code: ev.UserCardCode,
        status: 'ADDED',
        addedAt: at,
        redeemedAt: null,
      }
      const r = await updateElseAdd(
        USER_CARDS,
        id,
        { oaOpenid: db().command.exists(false) },
        { oaOpenid: ev.FromUserName },
        whole,
        false,
      )
      return r === 'NONE' ? 'unchanged' : 'recorded'
    }
    case 'user_del_card':
      return (await updated({ gone: db().command.exists(false) }, { gone: 'DELETED', goneAt: at }))
        ? 'gone'
        : 'unchanged'
    case 'user_gifting_card':
      if (truthy(ev.IsReturnBack))
        return (await updated({ gone: 'GIVEN' }, { gone: db().command.remove(), goneAt: db().command.remove() }))
          ? 'back'
          : 'unchanged'
      return (await updated({ gone: db().command.exists(false) }, { gone: 'GIVEN', goneAt: at })) ? 'gone' : 'unchanged'
    case 'user_consume_card': {
      const redeemedBy = ev.StaffOpenId ?? `wechat:${ev.ConsumeSource ?? 'unknown'}`
      const r = await updateElseAdd(
        USER_CARDS,
        id,
        { status: 'ADDED' },
        { status: 'REDEEMED', redeemedAt: at, redeemedBy, redeeming: null },
        {
          _openid: '',
          oaOpenid: ev.FromUserName,
          cardKey: ev.CardId,
          cardId: ev.CardId,
          code: ev.UserCardCode,
          status: 'REDEEMED',
          addedAt: at,
          redeemedAt: at,
          redeemedBy,
        },
      )
      return r === 'NONE' ? 'unchanged' : 'redeemed'
    }
  }
}

/**
 * The official account's message-push settings (公众号 → 设置与开发 → 基本配置 → 服务器配置):
 * the URL is cardEvents' HTTP access path; OA_PUSH_TOKEN its Token; OA_PUSH_AES_KEY its
 * EncodingAESKey and OA_PUSH_MODE its mode (plain, compatible, safe); OA_APPID the account.
 */
export function oaPushConfig(
  env: Record<string, string | undefined>,
): { ok: true; cfg: PushUrlConfig } | { ok: false; message: string } {
  return urlPushConfig(env, {
    token: 'OA_PUSH_TOKEN',
    aesKey: 'OA_PUSH_AES_KEY',
    appid: 'OA_APPID',
    mode: 'OA_PUSH_MODE',
    where: "the Token of the official account's server settings",
  })
}
