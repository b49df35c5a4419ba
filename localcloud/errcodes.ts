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
  40037: 'The template id is not one of the account\'s templates (SUBSCRIBE_TMPL_* must be ids from 订阅消息 → 我的模板).',
  40129: 'The scene is empty, longer than 32 characters or uses characters WeChat refuses.',
  41030: 'The page is not in the published version (check_path): publish it first, or send check_path false for develop and trial codes.',
  43101: 'The user has not accepted this template, or used up the acceptance: each accept of wx.requestSubscribeMessage allows one send.',
  45009: 'The daily limit of this API is reached.',
  45011: 'Too many calls in a short time: try again shortly.',
  45015: 'The reply window is closed: a user\'s message opens 48 hours for replies.',
  45047: 'More replies than the window allows (5 per user message, 2 after entering the chat).',
  47001: 'The request is malformed (a required field is missing or of the wrong type).',
  47003: 'A template value breaks its keyword rules (thing ≤ 20 characters, character_string ≤ 32, amount a number, time a date).',
  61010: 'The user has not used the mini-program in the last 2 hours (msgSecCheck: the user must have visited within 2 hours), so the content check cannot run for them.',
  [-604101]: 'The function lacks this API in config.json permissions.openapi (upload it again from DevTools after adding it).',
}

/** The sentence for an errcode of `api`, or undefined when the code has none. */
export function explainErrcode(errcode: number | undefined, api = ''): string | undefined {
  if (errcode === undefined) return undefined
  if (errcode === 40029 && api.startsWith('phonenumber')) return 'The phone code is invalid, already used or older than 5 minutes: tap the button again.'
  return BY_CODE[errcode]
}
