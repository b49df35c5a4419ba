/**
 * @jest-environment jsdom
 *
 * Privacy authorisation on the share page that calls a privacy-guarded API (#15.3): the one listener
 * (lib/privacy.ts) hands WeChat's request to the popup of the page on screen, so a user who has
 * not agreed yet sees the popup on the WeRun, light and share pages too, not only on the profile
 * page; declining is told apart from an API the guidelines do not declare (errno 112).
 * WeChat's behaviour is the fake's (tests/setup/wx-fake.ts, PrivacyAuthorize.html).
 */
import { render, settle } from '../setup/miniprogram'
import { popupVisible, privacyWorld } from './helpers'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = privacyWorld()

const visible = popupVisible

describe('share poster', () => {
  test('saving to the album asks first; declining says so and saves nothing', async () => {
    const page = render('pages/share/index')
    const inst = page.instance as { canvas: unknown; onSavePoster(): Promise<void> }
    inst.canvas = { width: 600, height: 840 }
    const saving = inst.onSavePoster()
    await settle(10)
    expect(visible(page)).toBe(true)
    page.querySelector('#privacy')!.querySelector('#privacy-disagree')!.dispatchEvent('tap')
    await saving
    expect(page.data.posterError).toMatch(
      /^You have not agreed to the privacy guidelines, so saving the poster to your album is not possible/,
    )
    expect(world.fake.album).toEqual([])
    // Agreeing saves it.
    const again = inst.onSavePoster()
    await settle(10)
    page.querySelector('#privacy')!.querySelector('#privacy-agree')!.dispatchEvent('agreeprivacyauthorization')
    await again
    expect(world.fake.album).toHaveLength(1)
  })
})
