/** Connection timings of ble/link.ts, in one place (tests shorten them). */
export const TIMING = {
  connectTimeoutMs: 10_000,
  /** Extra wait past connectTimeoutMs before giving up ourselves (some Android builds ignore `timeout`). */
  connectGuardMs: 1_500,
  scanMs: 15_000,
  reconnectAttempts: 5,
  backoffBaseMs: 1_000,
  backoffMaxMs: 15_000,
  /** Android sometimes answers getBLEDeviceServices with nothing right after connecting. */
  servicesRetryMs: 400,
}
