/**
 * The werun pages' texts in Chinese and English. They ship in the werun subpackage, not in the
 * main package (#26: the main package carries only the main pages' texts and the shared error
 * sentences, locales/). English defines the keys; Chinese must have them all (tsc).
 */
import type { Locale } from '../../../typings/contract'

const en = {
  navTitle: 'WeRun',
  checking: 'Checking WeRun access…',
  reading: 'Reading your steps…',
  intro: 'See your daily steps from WeRun as a chart.',
  connect: 'Connect WeRun',
  openSettings: 'Open settings',
  retry: 'Try again',
  range: 'Period',
  days7: '7 days',
  days31: '31 days',
  chartKind: 'Chart',
  bars: 'Bars',
  line: 'Line',
  legend: 'Goal {goal} steps · today highlighted',
  total: 'Total',
  average: 'Daily average',
  best: 'Best day',
  streak: 'Days over the goal in a row',
  chartEmpty: 'No steps recorded in this period yet.',
  chartSummary: '{days} days of steps: {total} in all, {average} a day on average, best day {best}; goal {goal} steps.',
  none: '-',
  DENIED: 'WeRun access is off. Allow it in Settings to see your steps.',
  NOT_ENABLED: 'WeRun is not enabled in your WeChat (Me → Settings → General → Discover Management → WeRun).',
  READ_FAILED: 'Could not read your steps from WeChat. Please try again.',
  shareToday: 'I walked {steps} steps today',
  shareTitle: 'Track your WeRun steps',
}

export type Texts = { [K in keyof typeof en]: string }

const zh_CN: Texts = {
  navTitle: '微信运动',
  checking: '正在检查微信运动授权…',
  reading: '正在读取步数…',
  intro: '用图表查看你在微信运动中的每日步数。',
  connect: '授权微信运动',
  openSettings: '打开设置',
  retry: '重试',
  range: '时间范围',
  days7: '近 7 天',
  days31: '近 31 天',
  chartKind: '图表类型',
  bars: '柱状图',
  line: '折线图',
  legend: '目标 {goal} 步 · 今天已高亮',
  total: '总步数',
  average: '日均',
  best: '最佳一天',
  streak: '连续达标天数',
  chartEmpty: '这段时间还没有步数记录。',
  chartSummary: '{days} 天步数：共 {total} 步，日均 {average} 步，最佳一天 {best}；目标 {goal} 步。',
  none: '-',
  DENIED: '微信运动授权已关闭，请在设置中允许后查看步数。',
  NOT_ENABLED: '你的微信尚未开启微信运动（我 → 设置 → 通用 → 发现页管理 → 微信运动）。',
  READ_FAILED: '未能从微信读取步数，请重试。',
  shareToday: '我今天走了 {steps} 步',
  shareTitle: '记录你的微信运动步数',
}

export const TEXTS: Record<Locale, Texts> = { zh_CN, en }
