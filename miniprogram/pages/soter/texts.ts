/**
 * The soter pages' texts in Chinese and English. They ship in the soter subpackage, not in the
 * main package (#26: the main package carries only the main pages' texts and the shared error
 * sentences, locales/). English defines the keys; Chinese must have them all (tsc).
 */
import type { Locale } from '../../../typings/contract'

const en = {
  navTitle: 'Confirm it is you',
  checking: 'Checking this phone…',
  whyRefund: 'Confirm the refund with your fingerprint or face.',
  use: 'Use {mode}',
  notSetUp: '{mode}: not set up on this phone',
  verifying: 'Checking with WeChat…',
  verified: '{mode} confirmed.',
  fallback: 'You can still continue: contact customer service to confirm it is you.',
  contact: 'Contact us',
  retry: 'Try again',
  noMethod: 'This phone has no fingerprint or face unlock that WeChat can use.',
  notEnrolled: 'Set up a fingerprint or face in the system settings (Security), then come back.',
  fingerPrint: 'Fingerprint',
  facial: 'Face',
  e90001: 'This phone cannot do fingerprint or face checks for WeChat.',
  e90002:
    'WeChat is not allowed to use fingerprint or face on this phone. Allow it in the system settings, then try again.',
  e90003: 'This phone does not support that method. Use another one.',
  e90004: 'The check could not start (the challenge was refused). Try again.',
  e90005: 'The check could not start (the prompt was too long). Try again.',
  e90006: 'The fingerprint or face check failed on this phone. Try again.',
  e90007: 'The fingerprint or face check had an internal error. Try again.',
  e90009: 'Not recognised. Try again.',
  e90010:
    'Too many failed attempts: fingerprint and face are locked for now. Unlock your phone with its passcode, then try again.',
  e90011:
    'Nothing is set up for this method. Add a fingerprint or face in the system settings (Security), then come back.',
  eOther: 'The fingerprint or face check failed ({code}). Try again.',
}

export type Texts = { [K in keyof typeof en]: string }

const zh_CN: Texts = {
  navTitle: '身份验证',
  checking: '正在检测本机…',
  whyRefund: '请使用指纹或面容确认退款。',
  use: '使用{mode}验证',
  notSetUp: '本机未设置{mode}',
  verifying: '正在向微信核验…',
  verified: '{mode}验证成功。',
  fallback: '仍可继续：联系客服确认是你本人。',
  contact: '联系客服',
  retry: '重试',
  noMethod: '本机没有微信可用的指纹或面容解锁。',
  notEnrolled: '请先在系统设置（安全）中录入指纹或面容，然后返回此页。',
  fingerPrint: '指纹',
  facial: '面容',
  e90001: '本机不支持微信指纹或面容验证。',
  e90002: '微信未获准使用指纹或面容，请在系统设置中允许后重试。',
  e90003: '本机不支持该验证方式，请换一种。',
  e90004: '验证无法开始（挑战因子被拒绝），请重试。',
  e90005: '验证无法开始（提示语过长），请重试。',
  e90006: '本机指纹或面容验证失败，请重试。',
  e90007: '指纹或面容验证出现内部错误，请重试。',
  e90009: '未能识别，请重试。',
  e90010: '失败次数过多，指纹和面容已被锁定。请先用锁屏密码解锁手机，再重试。',
  e90011: '该方式尚未录入。请在系统设置（安全）中添加指纹或面容后返回。',
  eOther: '指纹或面容验证失败（{code}），请重试。',
}

export const TEXTS: Record<Locale, Texts> = { zh_CN, en }
