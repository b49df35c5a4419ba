/**
 * The rank pages' texts in Chinese and English. They ship in the rank subpackage, not in the
 * main package (#26: the main package carries only the main pages' texts and the shared error
 * sentences, locales/). English defines the keys; Chinese must have them all (tsc).
 */
import type { Locale } from '../../../typings/contract'

const en = {
  navTitle: 'Step rank',
  about:
    "Friend ranks from WeChat's open data exist for mini-games only. Here you rank among people who opted in, and within WeChat groups you opened this app from. Only nickname, avatar and steps are shown.",
  loading: 'Loading the rank…',
  retry: 'Try again',
  invite: 'Join the rank to compare your WeRun steps. You can leave at any time.',
  join: 'Join the rank',
  period: 'Period',
  today: 'Today',
  week: 'This week',
  scope: 'Who to compare with',
  everyone: 'Everyone',
  group: 'Group {n}',
  empty: 'No steps in this rank yet. Sync your WeRun steps first.',
  goWerun: 'Sync my WeRun steps',
  you: '{name} (you)',
  rowLabel: 'Number {rank}: {name}, {steps} steps',
  leave: 'Leave the rank',
  leaveAsk: 'Leave the rank?',
  leaveAskContent: 'You disappear from every rank at once. You can join again later.',
  leaveConfirm: 'Leave',
  shareTitle: 'Who walked the most today?',
}

export type Texts = { [K in keyof typeof en]: string }

const zh_CN: Texts = {
  navTitle: '步数排行榜',
  about:
    '微信开放数据的好友排行仅限小游戏使用。这里的排行包含所有加入排行的用户，以及你从中打开本小程序的微信群；只显示昵称、头像和步数。',
  loading: '正在加载排行榜…',
  retry: '重试',
  invite: '加入排行榜，和大家比一比微信运动步数。可随时退出。',
  join: '加入排行榜',
  period: '时间范围',
  today: '今天',
  week: '本周',
  scope: '比较范围',
  everyone: '所有人',
  group: '群 {n}',
  empty: '排行榜里还没有步数，先同步你的微信运动步数吧。',
  goWerun: '同步我的微信运动步数',
  you: '{name}（我）',
  rowLabel: '第 {rank} 名：{name}，{steps} 步',
  leave: '退出排行榜',
  leaveAsk: '确定退出排行榜？',
  leaveAskContent: '你将立即从所有排行中消失，之后可以重新加入。',
  leaveConfirm: '退出',
  shareTitle: '今天谁走得最多？',
}

export const TEXTS: Record<Locale, Texts> = { zh_CN, en }
