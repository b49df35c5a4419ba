/** Bluetooth errCodes and the system checks before scanning (pure). */
import { BLE_ERRORS, bleProblem, checkSystem, type SystemFacts } from '../../miniprogram/pages/light/ble/errors'
import { TEXTS } from '../../miniprogram/pages/light/texts'

const en = TEXTS.en

test.each(Object.entries(TEXTS))(
  'every errCode of the reference (10000-10013, -1) has its own message and a next step (%s)',
  (_name, locale) => {
    const codes = [-1, ...Array.from({ length: 14 }, (_, i) => 10000 + i)]
    const messages = new Set<string>()
    for (const code of codes) {
      const p = bleProblem({ errCode: code, errMsg: `x:fail ${code}` }, locale)
      expect(p.errCode).toBe(code)
      expect(p.message.length).toBeGreaterThan(5)
      expect(p.message).not.toMatch(/error \d+|错误 \d+/i)
      messages.add(p.message)
    }
    // -1 and 10010 both mean "already connected"; the others are distinct.
    expect(messages.size).toBe(codes.length - 1)
    expect(bleProblem({ errCode: 10001 }).fix).toBe('OPEN_BLUETOOTH_SETTINGS')
    expect(bleProblem({ errCode: 10012 }).fix).toBe('RETRY')
    expect(bleProblem({ errCode: 10013 }).fix).toBe('SCAN')
    expect(Object.keys(BLE_ERRORS)).toHaveLength(16)
  },
)

test('scope.bluetooth refused, unknown codes and non-errors', () => {
  expect(bleProblem({ errno: 103, errMsg: 'openBluetoothAdapter:fail auth deny' })).toMatchObject({
    fix: 'OPEN_MINIPROGRAM_SETTINGS',
  })
  expect(bleProblem({ errCode: 10099, errMsg: 'x:fail odd' }, en).message).toBe(
    'Bluetooth error 10099 (x:fail odd). Try again.',
  )
  expect(bleProblem({ errCode: 10099 }, en).message).toBe('Bluetooth error 10099. Try again.')
  // Without a language of its own (no WeChat here), Chinese: the default.
  expect(bleProblem({ errCode: 10012 }).message).toBe('连接超时。请靠近灯后重试。')
  expect(bleProblem(new Error('boom')).errCode).toBe(10008)
})

const facts = (over: Partial<SystemFacts> = {}): SystemFacts => ({
  platform: 'android',
  bluetoothEnabled: true,
  locationEnabled: true,
  bluetoothAuthorized: 'authorized',
  locationAuthorized: 'authorized',
  ...over,
})

test('system checks: Bluetooth off, not allowed, Android location off or not allowed', () => {
  expect(checkSystem(facts())).toEqual({ ok: true })
  expect(checkSystem(facts({ bluetoothEnabled: false }))).toMatchObject({
    ok: false,
    block: 'BLUETOOTH_OFF',
    fix: 'OPEN_BLUETOOTH_SETTINGS',
  })
  // iOS cannot open the Bluetooth settings from a mini-program.
  expect(checkSystem(facts({ platform: 'ios', bluetoothEnabled: false }))).toMatchObject({
    block: 'BLUETOOTH_OFF',
    fix: 'NONE',
  })
  expect(checkSystem(facts({ platform: 'ios', bluetoothAuthorized: 'denied' }))).toMatchObject({
    block: 'BLUETOOTH_UNAUTHORIZED',
    fix: 'OPEN_APP_SETTINGS',
  })
  expect(checkSystem(facts({ locationEnabled: false }))).toMatchObject({ block: 'LOCATION_OFF' })
  expect(checkSystem(facts({ locationAuthorized: 'denied' }))).toMatchObject({
    block: 'LOCATION_UNAUTHORIZED',
    fix: 'OPEN_APP_SETTINGS',
  })
  // iOS scans without location.
  expect(checkSystem(facts({ platform: 'ios', locationEnabled: false, locationAuthorized: 'denied' }))).toEqual({
    ok: true,
  })
  // Not asked yet is fine: the system asks when the adapter opens.
  expect(checkSystem(facts({ bluetoothAuthorized: 'not determined', locationAuthorized: 'not determined' }))).toEqual({
    ok: true,
  })
})
