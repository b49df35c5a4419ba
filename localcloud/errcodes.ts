/**
 * What each WeChat errcode the sandboxes answer means, in a sentence, for the console's outbox
 * (and any log). The codes and their meaning follow the API pages named in sandbox.ts,
 * kf-sandbox.ts and pay-sandbox.ts; the advice is what fixes it in this project.
 */
const BY_CODE: Record<number, string> = {
  [-1]: 'WeChat was busy (system error): the call may be retried.',
  40001: 'The access token is invalid: the call did not come from a function of this environment.',
  40003: 'The openid is missing or not a user of this mini-program.',
  40029: 'The code is invalid, already used or older than 5 minutes: get a new one from the button.',
  40037:
    "The template id is not one of the account's templates (SUBSCRIBE_TMPL_* must be ids from 订阅消息 → 我的模板).",
  40129: 'The scene is empty, longer than 32 characters or uses characters WeChat refuses.',
  41030:
    'The page is not in the published version (check_path): publish it first, or send check_path false for develop and trial codes.',
  43101:
    'The user has not accepted this template, or used up the acceptance: each accept of wx.requestSubscribeMessage allows one send.',
  45009: 'The daily limit of this API is reached.',
  45011: 'Too many calls in a short time: try again shortly.',
  45015: "The reply window is closed: a user's message opens 48 hours for replies.",
  45047: 'More replies than the window allows (5 per user message, 2 after entering the chat).',
  47001: 'The request is malformed (a required field is missing or of the wrong type).',
  47003:
    'A template value breaks its keyword rules (thing ≤ 20 characters, character_string ≤ 32, amount a number, time a date).',
  61010:
    'The user has not used the mini-program in the last 2 hours (msgSecCheck: the user must have visited within 2 hours), so the content check cannot run for them.',
  [-604101]:
    'The function lacks this API in config.json permissions.openapi (upload it again from DevTools after adding it).',
}

/** The same sentences in Chinese, for the console's default language. */
const BY_CODE_ZH: Record<number, string> = {
  [-1]: '微信系统繁忙：可以重试。',
  40001: 'access_token 无效：调用不是来自本环境的云函数。',
  40003: 'openid 缺失，或不是本小程序的用户。',
  40029: 'code 无效、已用过或超过 5 分钟：请从按钮重新获取。',
  40037: '模板 id 不是本账号的模板（SUBSCRIBE_TMPL_* 须来自 订阅消息 → 我的模板）。',
  40129: 'scene 为空、超过 32 个字符，或含有微信不接受的字符。',
  41030: '页面不在已发布的版本中（check_path）：先发布，或在开发版、体验版的码里传 check_path false。',
  43101: '用户没有接受这个模板，或已用完这次授权：每次 wx.requestSubscribeMessage 接受只能发送一次。',
  45009: '这个接口今天的调用次数已用完。',
  45011: '短时间内调用太频繁：稍后再试。',
  45015: '回复窗口已关闭：用户发消息后 48 小时内才能回复。',
  45047: '回复次数超过窗口允许（用户每条消息后 5 条，进入会话后 2 条）。',
  47001: '请求格式错误（缺少必填字段或类型不对）。',
  47003: '模板内容不符合关键词规则（thing ≤ 20 个字符，character_string ≤ 32，amount 为数字，time 为日期）。',
  61010: '用户最近 2 小时内没有使用小程序（msgSecCheck 要求用户 2 小时内访问过），无法为其做内容安全检测。',
  [-604101]: '云函数的 config.json permissions.openapi 里没有这个接口（加上后从开发者工具重新上传）。',
}

/** The sentence for an errcode of `api`, or undefined when the code has none. */
export function explainErrcode(errcode: number | undefined, api = '', lang: 'en' | 'zh' = 'en'): string | undefined {
  if (errcode === undefined) return undefined
  if (errcode === 40029 && api.startsWith('phonenumber'))
    return lang === 'zh'
      ? '手机号 code 无效、已用过或超过 5 分钟：请再点一次按钮。'
      : 'The phone code is invalid, already used or older than 5 minutes: tap the button again.'
  return (lang === 'zh' ? BY_CODE_ZH : BY_CODE)[errcode]
}
