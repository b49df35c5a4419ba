/**
 * A light as the link finds it and the states the link goes through (pure types and the signal
 * strength in bars), apart from link.ts so the page's pure modules can use them without wx.
 */
import type { LightProtocol } from '../protocol/types'

export interface FoundDevice {
  deviceId: string
  name: string
  rssi: number
  protocolId: LightProtocol['id']
}

export type LinkState = 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'LOST'

/** 0-4 bars from RSSI in dBm (what the device list shows). */
export function signalBars(rssi: number): number {
  if (rssi >= -60) return 4
  if (rssi >= -70) return 3
  if (rssi >= -80) return 2
  if (rssi >= -90) return 1
  return 0
}
