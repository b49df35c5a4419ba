/**
 * The cards pages' texts in Chinese and English. They ship in the cards subpackage, not in the
 * main package (#26: the main package carries only the main pages' texts and the shared error
 * sentences, locales/). English defines the keys; Chinese must have them all (tsc).
 */
import type { Locale } from '../../../typings/contract'

const en = {
  navTitle: 'Cards',
  loading: 'Loading cards…',
  retry: 'Try again',
  offersTitle: 'Cards for you',
  add: 'Add to WeChat',
  addLabel: 'Add {title} to your WeChat card package',
  mineTitle: 'My cards',
  noCards: 'No cards yet. Add one above and it appears here.',
  open: 'Open',
  openLabel: 'Open {title} in your WeChat card package',
  statusADDED: 'In your card package',
  statusREDEEMED: 'Redeemed',
  staffTitle: 'For staff',
  scanToRedeem: 'Scan to redeem',
  added: '{title} is in your WeChat card package.',
  addCancelled: 'Nothing was added.',
  cardInReview: "This card is still in WeChat's review and cannot be added yet.",
  inReview: 'In review',
  addFailed: 'WeChat could not add the card ({code}). Please try again.',
  openFailed: 'The card package could not be opened.',
  redeemed: 'Redeemed: {title}.',
  codeLabel: 'Code {code}',
}

export type Texts = { [K in keyof typeof en]: string }

const zh_CN: Texts = {
  navTitle: '卡券',
  loading: '正在加载卡券…',
  retry: '重试',
  offersTitle: '可领取的卡券',
  add: '添加到微信卡包',
  addLabel: '将{title}添加到微信卡包',
  mineTitle: '我的卡券',
  noCards: '还没有卡券。添加后会显示在这里。',
  open: '查看',
  openLabel: '在微信卡包中查看{title}',
  statusADDED: '已在卡包中',
  statusREDEEMED: '已核销',
  staffTitle: '店员专用',
  scanToRedeem: '扫码核销卡券',
  added: '{title}已放入微信卡包。',
  addCancelled: '未添加卡券。',
  cardInReview: '该卡券仍在微信审核中，暂时无法领取。',
  inReview: '审核中',
  addFailed: '微信未能添加卡券（{code}），请重试。',
  openFailed: '无法打开卡包。',
  redeemed: '已核销：{title}。',
  codeLabel: '券码 {code}',
}

export const TEXTS: Record<Locale, Texts> = { zh_CN, en }
