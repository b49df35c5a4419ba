/**
 * The light page's pure parts: what a scan row, a link state and the light look like in each
 * language (view.ts), and what a slider position or a reported status means (controls.ts).
 */
import { sliderChange, withStatus } from '../../miniprogram/pages/light/controls'
import { DEFAULT_STATE, protocolById } from '../../miniprogram/pages/light/protocol/index'
import { TEXTS } from '../../miniprogram/pages/light/texts'
import {
  deviceView,
  lightView,
  linkView,
  protocolLabel,
  sameRow,
  swatchViews,
} from '../../miniprogram/pages/light/view'

const zh = TEXTS.zh_CN
const en = TEXTS.en
const strip = { deviceId: 'AA:BB', name: 'ELK-BLEDOM', rssi: -60, protocolId: 'ELK_BLEDOM' as const }

describe('view', () => {
  it('writes a scan row in the user language, with the bars its strength reaches', () => {
    const row = deviceView(strip, zh)
    expect(row.protocolLabel).toBe('ELK-BLEDOM 灯带')
    expect(row.signalText).toBe('ELK-BLEDOM 灯带 · 信号 -60 dBm')
    expect(row.barClasses.filter((c) => c === 'on')).toHaveLength(row.bars)
    expect(row.barsText).toBe(`信号 ${row.bars}/4`)
    expect(deviceView(strip, en).signalText).toBe('ELK-BLEDOM strip · -60 dBm')
  })

  it('treats a row as changed only when what it shows changed', () => {
    const a = deviceView(strip, zh)
    expect(sameRow(a, deviceView({ ...strip }, zh))).toBe(true)
    expect(sameRow(a, deviceView({ ...strip, rssi: -90 }, zh))).toBe(false)
    expect(sameRow(a, deviceView({ ...strip, name: 'Other' }, zh))).toBe(false)
  })

  it('names an unknown protocol as a plain light', () => {
    expect(protocolLabel('NOPE', en)).toBe('Light')
    expect(protocolLabel('NOPE', zh)).toBe('灯')
  })

  it('names the running effect only in effect mode', () => {
    expect(lightView(DEFAULT_STATE, zh).effectLabel).toBe('')
    const fading = { ...DEFAULT_STATE, mode: 'EFFECT' as const, effect: 'FADE_7' }
    expect(lightView(fading, en).effectLabel).toBe('Seven-colour fade')
    expect(lightView(DEFAULT_STATE, en).colorHex).toBe('#ffffff')
  })

  it('labels every swatch "n of count" for screen readers', () => {
    const swatches = swatchViews(en)
    expect(swatches[0]!.label).toBe(`Colour 1 of ${swatches.length}`)
    expect(swatchViews(zh).at(-1)!.label).toBe(`颜色 ${swatches.length}/${swatches.length}`)
    expect(swatches[0]!.hex).toBe('#ff0000')
  })

  it('turns each link state into the page fields it shows', () => {
    const protocol = protocolById('ELK_BLEDOM')!
    const facts = { device: strip, protocol, committed: DEFAULT_STATE, shown: null }
    expect(linkView('CONNECTING', { ...facts, protocol: null }, zh)).toMatchObject({
      state: 'CONNECTING',
      connectingText: '正在连接 ELK-BLEDOM…',
    })
    const connected = linkView('CONNECTED', facts, en)
    expect(connected).toMatchObject({
      state: 'CONNECTED',
      attempt: 0,
      device: { name: 'ELK-BLEDOM', protocolLabel: 'ELK-BLEDOM strip' },
      last: { usedText: 'ELK-BLEDOM strip · used last time' },
    })
    expect((connected.effects as unknown[]).length).toBe(protocol.effects.length)
    expect(linkView('RECONNECTING', { ...facts, attempt: 3 }, en)).toMatchObject({
      state: 'RECONNECTING',
      attempt: 3,
      message: 'Connection lost. Reconnecting (attempt 3)…',
    })
    expect(linkView('LOST', facts, zh)).toMatchObject({ state: 'LOST', fix: 'RETRY' })
    expect(linkView('DISCONNECTED', { ...facts, problem: { message: 'gone', fix: 'SCAN' } }, en)).toEqual({
      state: 'IDLE',
      message: 'gone',
      fix: 'SCAN',
      device: null,
    })
  })
})

describe('controls', () => {
  it('maps each slider to its change and to what the page shows at once', () => {
    expect(sliderChange('BRIGHTNESS', 41.6)).toEqual({
      change: { kind: 'BRIGHTNESS', brightness: 42 },
      patch: { 'light.brightness': 42 },
    })
    expect(sliderChange('WHITE', 10).patch).toEqual({ 'light.white': 10, 'light.mode': 'WHITE', 'light.on': true })
    expect(sliderChange('SPEED', 5).change).toEqual({ kind: 'SPEED', speed: 5 })
    const colour = sliderChange('COLOR', 120)
    expect(colour.change).toEqual({ kind: 'COLOR', color: { r: 0, g: 255, b: 0 } })
    expect(colour.patch).toMatchObject({ hue: 120, 'light.colorHex': '#00ff00', 'light.mode': 'COLOR' })
  })

  it("commits the light's reported status and keeps an effect it does not name", () => {
    const committed = { ...DEFAULT_STATE, effect: 'FADE_7' }
    const status = { on: false, mode: 'WHITE' as const, color: { r: 1, g: 2, b: 3 }, white: 50, speed: 7, effect: null }
    const after = withStatus(committed, status)
    expect(after).toMatchObject({ on: false, mode: 'WHITE', white: 50, speed: 7, effect: 'FADE_7' })
    expect(after.brightness).toBe(committed.brightness)
    expect(withStatus(committed, { ...status, effect: 'JUMP_7' }).effect).toBe('JUMP_7')
  })
})
