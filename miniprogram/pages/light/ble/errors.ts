/**
 * Bluetooth errCodes (device/bluetooth/wx.openBluetoothAdapter.html, "错误码") with a message
 * a user understands and what the page offers next; and the system checks made before the
 * adapter is opened (wx.getSystemSetting, wx.getAppAuthorizeSetting, wx.getDeviceInfo).
 * The words come from the light texts (pages/light/texts.ts).
 */
import { fmt, textsOf } from '../../../lib/i18n'
import { privacyMessage } from '../../../lib/privacy'
import { TEXTS } from '../texts'
import type { Texts } from '../texts'

/**
 * A Bluetooth failure of our own making (a timeout guard, a missing service…), in the wx error
 * shape. An Error with fields rather than a subclass of Error: a class extending a built-in makes
 * the compiler add ten Babel helpers (3.3 KB) to the main package, where the shared helpers live.
 */
export type BleError = Error & { errCode: number; errMsg: string; bleError: true }

export function bleError(errCode: number, errMsg: string): BleError {
  return Object.assign(new Error(`${errCode} ${errMsg}`), { errCode, errMsg, bleError: true as const })
}

export function isBleError(e: unknown): e is BleError {
  return e instanceof Error && (e as Partial<BleError>).bleError === true
}

/** The numeric errCode of anything a wx Bluetooth call rejected with, if it has one. */
export function errCodeOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { errCode?: unknown }).errCode === 'number'
    ? (e as { errCode: number }).errCode
    : undefined
}

export type BleFix =
  'OPEN_BLUETOOTH_SETTINGS' | 'OPEN_APP_SETTINGS' | 'OPEN_MINIPROGRAM_SETTINGS' | 'RETRY' | 'SCAN' | 'NONE'

export interface BleProblem {
  errCode: number
  message: string
  fix: BleFix
}

/** The light page's texts (pages/light/texts.ts): what the messages below are worded from. */
export type LightTexts = Texts

/** What the page offers after each documented errCode, and the key of its sentence in the texts. */
export const BLE_ERRORS: Record<number, { text: keyof LightTexts; fix: BleFix }> = {
  0: { text: 'b0', fix: 'NONE' },
  [-1]: { text: 'bAlready', fix: 'NONE' },
  10000: { text: 'b10000', fix: 'RETRY' },
  10001: { text: 'b10001', fix: 'OPEN_BLUETOOTH_SETTINGS' },
  10002: { text: 'b10002', fix: 'SCAN' },
  10003: { text: 'b10003', fix: 'RETRY' },
  10004: { text: 'b10004', fix: 'SCAN' },
  10005: { text: 'b10005', fix: 'SCAN' },
  10006: { text: 'b10006', fix: 'RETRY' },
  10007: { text: 'b10007', fix: 'NONE' },
  10008: { text: 'b10008', fix: 'RETRY' },
  10009: { text: 'b10009', fix: 'NONE' },
  10010: { text: 'bAlready', fix: 'NONE' },
  10011: { text: 'b10011', fix: 'SCAN' },
  10012: { text: 'b10012', fix: 'RETRY' },
  10013: { text: 'b10013', fix: 'SCAN' },
}

/**
 * What a failed wx Bluetooth call means for the user. `e` is what the API rejected with; `t`
 * the words (the user's language unless a test gives others).
 */
export function bleProblem(e: unknown, t: LightTexts = textsOf(TEXTS)): BleProblem {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { errMsg?: unknown }
  const errMsg = typeof o.errMsg === 'string' ? o.errMsg : ''
  // Privacy (framework/user-privacy): 104 not agreed, 112 not declared in the guidelines.
  const errno = (o as { errno?: unknown }).errno
  if (errno === PRIVACY_DECLINED)
    return { errCode: PRIVACY_DECLINED, message: privacyMessage(PRIVACY_DECLINED, 'bluetooth'), fix: 'SCAN' }
  if (errno === PRIVACY_UNDECLARED)
    return { errCode: PRIVACY_UNDECLARED, message: privacyMessage(PRIVACY_UNDECLARED, 'bluetooth'), fix: 'NONE' }
  // scope.bluetooth refused (the mini-program's own permission, not the system's).
  if (/auth deny|authorize no response|auth denied/i.test(errMsg)) {
    return { errCode: errCodeOf(e) ?? 0, message: t.bScopeDenied, fix: 'OPEN_MINIPROGRAM_SETTINGS' }
  }
  const errCode = errCodeOf(e) ?? SYSTEM_ERROR
  const known = BLE_ERRORS[errCode]
  if (known) return { errCode, message: t[known.text], fix: known.fix }
  return { errCode, message: fmt(errMsg ? t.bOtherDetail : t.bOther, { code: errCode, detail: errMsg }), fix: 'RETRY' }
}

/** Privacy errnos (framework/user-privacy) and the errCode of an unknown system failure. */
const PRIVACY_DECLINED = 104
const PRIVACY_UNDECLARED = 112
const SYSTEM_ERROR = 10008

export type SystemBlock = 'BLUETOOTH_OFF' | 'BLUETOOTH_UNAUTHORIZED' | 'LOCATION_OFF' | 'LOCATION_UNAUTHORIZED'

export interface SystemFacts {
  platform: string
  bluetoothEnabled: boolean
  locationEnabled: boolean
  bluetoothAuthorized: 'authorized' | 'denied' | 'not determined'
  locationAuthorized: 'authorized' | 'denied' | 'not determined'
}

export type SystemCheck = { ok: true } | { ok: false; block: SystemBlock; message: string; fix: BleFix }

/**
 * Can this phone scan right now? Android 6+ scans only with the system location switch on and
 * WeChat allowed to use location; Bluetooth must be on and (iOS) WeChat allowed to use it.
 * 'not determined' is fine: the system asks when the adapter opens.
 */
export function checkSystem(f: SystemFacts, t: LightTexts = textsOf(TEXTS)): SystemCheck {
  const android = f.platform === 'android'
  if (!f.bluetoothEnabled) {
    return {
      ok: false,
      block: 'BLUETOOTH_OFF',
      message: android ? t.sysBluetoothOffAndroid : t.sysBluetoothOffIos,
      fix: android ? 'OPEN_BLUETOOTH_SETTINGS' : 'NONE',
    }
  }
  if (f.bluetoothAuthorized === 'denied') {
    return { ok: false, block: 'BLUETOOTH_UNAUTHORIZED', message: t.sysBluetoothUnauthorized, fix: 'OPEN_APP_SETTINGS' }
  }
  if (android && !f.locationEnabled) {
    return { ok: false, block: 'LOCATION_OFF', message: t.sysLocationOff, fix: 'NONE' }
  }
  if (android && f.locationAuthorized === 'denied') {
    return { ok: false, block: 'LOCATION_UNAUTHORIZED', message: t.sysLocationUnauthorized, fix: 'OPEN_APP_SETTINGS' }
  }
  return { ok: true }
}
