/**
 * @jest-environment jsdom
 *
 * `npm run bench` runs this file (not `npm test`): the light page's setData rate, written to
 * .reports/bench-light.json for scripts/bench.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createWorld } from '../setup/miniprogram'
import { lightSetDataPerSecond } from './light-setdata'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

test('light page: setData per second while dragging a slider and while scanning a busy room', async () => {
  const rates = await lightSetDataPerSecond(createWorld({ openid: 'o-bench-light' }))
  const dir = join(__dirname, '..', '..', '.reports')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'bench-light.json'), JSON.stringify(rates))
  expect(rates.slider).toBeGreaterThan(0)
}, 30_000)
