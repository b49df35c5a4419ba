/**
 * The light page's controls as data (pure, no wx): what a slider position means for the light
 * (the protocol change to send) and for the page (the fields the label and preview show at once),
 * and the state the page commits when the light reports its own.
 */
import { hex, hueColor } from './protocol/index'
import type { LightChange, LightState, LightStatus } from './protocol/types'

/** The sliders, by the `data-control` of each. */
export type SliderControl = 'BRIGHTNESS' | 'WHITE' | 'SPEED' | 'COLOR'

/** A slider at `value`: the change for the light, and the page fields to show while dragging. */
export function sliderChange(
  key: SliderControl,
  value: number,
): { change: LightChange; patch: Record<string, unknown> } {
  const v = Math.round(value)
  switch (key) {
    case 'COLOR': {
      const color = hueColor(v)
      return {
        change: { kind: 'COLOR', color },
        patch: { hue: v, 'light.color': color, 'light.colorHex': hex(color), 'light.mode': 'COLOR', 'light.on': true },
      }
    }
    case 'BRIGHTNESS':
      return { change: { kind: 'BRIGHTNESS', brightness: v }, patch: { 'light.brightness': v } }
    case 'WHITE':
      return {
        change: { kind: 'WHITE', white: v },
        patch: { 'light.white': v, 'light.mode': 'WHITE', 'light.on': true },
      }
    default:
      return { change: { kind: 'SPEED', speed: v }, patch: { 'light.speed': v } }
  }
}

/** The committed state after the light reported its status (an effect it does not name stays). */
export function withStatus(committed: LightState, status: LightStatus): LightState {
  return {
    ...committed,
    on: status.on,
    mode: status.mode,
    color: status.color,
    white: status.white,
    effect: status.effect ?? committed.effect,
    speed: status.speed,
  }
}
