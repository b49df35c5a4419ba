/**
 * @jest-environment jsdom
 *
 * The light page within WeChat's 20 setData a second, measured as npm run bench measures it
 * (tests/bench/light-setdata.ts): a slider dragged every 2 ms, and 600 adverts a second while scanning.
 */
import { markCloudReady } from '../../miniprogram/lib/call'
import { createWorld } from '../setup/miniprogram'
import { lightSetDataPerSecond } from '../bench/light-setdata'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = createWorld({ openid: 'o-light-page' })
markCloudReady(true)

test("within WeChat's 20 setData a second: a 2 ms slider drag and 600 adverts a second while scanning", async () => {
  const rates = await lightSetDataPerSecond(world)
  expect(rates.slider).toBeLessThanOrEqual(20)
  expect(rates.scan).toBeLessThanOrEqual(20)
  expect(rates.slider).toBeGreaterThan(5) // the label still follows the finger
}, 30_000)
