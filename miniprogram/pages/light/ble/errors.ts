/**
 * Bluetooth errCodes (device/bluetooth/wx.openBluetoothAdapter.html, "错误码") with a message
 * a user understands and what the page offers next; and the system checks made before the
 * adapter is opened (wx.getSystemSetting, wx.getAppAuthorizeSetting, wx.getDeviceInfo).
 */

/** A Bluetooth failure of our own making (a timeout guard, a missing service…), in the wx error shape. */
export class BleError extends Error {
  constructor(readonly errCode: number, readonly errMsg: string) {
    super(`${errCode} ${errMsg}`)
  }
}

/** The numeric errCode of anything a wx Bluetooth call rejected with, if it has one. */
export function errCodeOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { errCode?: unknown }).errCode === 'number' ? (e as { errCode: number }).errCode : undefined
}

export type BleFix = 'OPEN_BLUETOOTH_SETTINGS' | 'OPEN_APP_SETTINGS' | 'OPEN_MINIPROGRAM_SETTINGS' | 'RETRY' | 'SCAN' | 'NONE'

export interface BleProblem {
  errCode: number
  message: string
  fix: BleFix
}

export const BLE_ERRORS: Record<number, { message: string; fix: BleFix }> = {
  0: { message: 'Done.', fix: 'NONE' },
  [-1]: { message: 'Already connected to this light.', fix: 'NONE' },
  10000: { message: 'Bluetooth was not started yet. Tap to try again.', fix: 'RETRY' },
  10001: { message: 'Bluetooth is off or unavailable. Turn it on in the system settings (or the control centre), then try again.', fix: 'OPEN_BLUETOOTH_SETTINGS' },
  10002: { message: 'The light was not found. Make sure it is powered and close by, then scan again.', fix: 'SCAN' },
  10003: { message: 'Could not connect to the light. Move closer, make sure no other phone is connected to it, and try again.', fix: 'RETRY' },
  10004: { message: 'This device does not offer the light service. It may be a different model.', fix: 'SCAN' },
  10005: { message: 'This device lacks the control characteristic of the light protocol. It may be a different model.', fix: 'SCAN' },
  10006: { message: 'The connection to the light was lost.', fix: 'RETRY' },
  10007: { message: 'The light does not allow this operation.', fix: 'NONE' },
  10008: { message: 'The phone reported a Bluetooth system error. Try again; if it repeats, turn Bluetooth off and on.', fix: 'RETRY' },
  10009: { message: 'This phone runs Android older than 4.3, which has no Bluetooth Low Energy.', fix: 'NONE' },
  10010: { message: 'Already connected to this light.', fix: 'NONE' },
  10011: { message: 'This device needs a pairing code, which this page does not support.', fix: 'SCAN' },
  10012: { message: 'Connecting took too long. Move closer to the light and try again.', fix: 'RETRY' },
  10013: { message: 'The device id is empty or malformed. Scan again and pick the light from the list.', fix: 'SCAN' },
}

/** What a failed wx Bluetooth call means for the user. `e` is what the API rejected with. */
export function bleProblem(e: unknown): BleProblem {
  const o = (typeof e === 'object' && e !== null ? e : {}) as { errMsg?: unknown }
  const errMsg = typeof o.errMsg === 'string' ? o.errMsg : ''
  // Privacy (framework/user-privacy): 104 not agreed, 112 not declared in the guidelines.
  const errno = (o as { errno?: unknown }).errno
  if (errno === 104) return { errCode: 104, message: 'You have not agreed to the privacy guidelines, so using Bluetooth is not possible. Tap again to read and agree.', fix: 'SCAN' }
  if (errno === 112) return { errCode: 112, message: 'This mini-program has not declared Bluetooth in its privacy guidelines, so WeChat refuses it (errno 112).', fix: 'NONE' }
  // scope.bluetooth refused (the mini-program's own permission, not the system's).
  if (/auth deny|authorize no response|auth denied/i.test(errMsg)) {
    return { errCode: errCodeOf(e) ?? 0, message: 'Bluetooth is not allowed for this mini-program. Allow it in the settings.', fix: 'OPEN_MINIPROGRAM_SETTINGS' }
  }
  const errCode = errCodeOf(e) ?? 10008
  const known = BLE_ERRORS[errCode]
  if (known) return { errCode, ...known }
  return { errCode, message: `Bluetooth error ${errCode}${errMsg ? ` (${errMsg})` : ''}. Try again.`, fix: 'RETRY' }
}

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
export function checkSystem(f: SystemFacts): SystemCheck {
  const android = f.platform === 'android'
  if (!f.bluetoothEnabled) {
    return { ok: false, block: 'BLUETOOTH_OFF', message: android ? 'Bluetooth is off. Turn it on to find your light.' : 'Bluetooth is off. Turn it on in Settings or the Control Centre to find your light.', fix: android ? 'OPEN_BLUETOOTH_SETTINGS' : 'NONE' }
  }
  if (f.bluetoothAuthorized === 'denied') {
    return { ok: false, block: 'BLUETOOTH_UNAUTHORIZED', message: 'WeChat is not allowed to use Bluetooth. Allow it in the system settings for WeChat.', fix: 'OPEN_APP_SETTINGS' }
  }
  if (android && !f.locationEnabled) {
    return { ok: false, block: 'LOCATION_OFF', message: 'Android only finds Bluetooth lights while Location is on. Turn on Location in the quick settings, then try again.', fix: 'NONE' }
  }
  if (android && f.locationAuthorized === 'denied') {
    return { ok: false, block: 'LOCATION_UNAUTHORIZED', message: 'Android only finds Bluetooth lights when WeChat may use your location. Allow Location for WeChat in the settings.', fix: 'OPEN_APP_SETTINGS' }
  }
  return { ok: true }
}
