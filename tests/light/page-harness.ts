/**
 * The light page test's hands (light-page.test.ts): read a node's text, tap a node, the frames a
 * light received in hex, and scan-then-tap to connect to a light.
 */
import { settle, until, type Rendered } from '../setup/miniprogram'
import { hexOf, type Peripheral } from '../setup/ble-peripherals'

/** A node's text, whitespace collapsed ('' when there is no such node). */
export const text = (p: Rendered, sel: string) =>
  p.querySelector(sel)?.dom.textContent?.replace(/\s+/g, ' ').trim() ?? ''
/** Taps a node (a missing one fails, naming the page's state). */
export const tap = (p: Rendered, sel: string) => {
  const n = p.querySelector(sel)
  if (!n) throw new Error(`nothing to tap at ${sel} (state ${p.data.state})`)
  n.dispatchEvent('tap')
}
/** The frames a light received, as hex. */
export const frames = (p: Peripheral) => p.received.map(hexOf)

/** Scans, waits for the light in the list, taps it and waits until connected. */
export async function connectTo(p: Rendered, device: Peripheral): Promise<void> {
  tap(p, '#scan')
  await until(() => p.data.state === 'SCANNING', 'SCANNING')
  await until(
    () => p.data.devices.some((d: { deviceId: string }) => d.deviceId === device.deviceId),
    `${device.name} in the list`,
  )
  await settle(5)
  p.querySelectorAll('.device')
    .find((n) => n.dom.textContent?.includes(device.name))!
    .dispatchEvent('tap')
  await until(() => p.data.state === 'CONNECTED', 'CONNECTED')
}

/** Short waits, so drops, retries and timeouts play out in milliseconds. */
export const TEST_TIMING = {
  connectTimeoutMs: 80,
  connectGuardMs: 60,
  scanMs: 400,
  reconnectAttempts: 3,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  servicesRetryMs: 5,
}
