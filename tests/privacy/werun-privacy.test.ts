/**
 * @jest-environment jsdom
 *
 * Privacy authorisation on the WeRun page (and the routing for every page) that calls a privacy-guarded API (#15.3): the one listener
 * (lib/privacy.ts) hands WeChat's request to the popup of the page on screen, so a user who has
 * not agreed yet sees the popup on the WeRun, light and share pages too, not only on the profile
 * page; declining is told apart from an API the guidelines do not declare (errno 112).
 * WeChat's behaviour is the fake's (tests/setup/wx-fake.ts, PrivacyAuthorize.html).
 */
import { render, settle, type Rendered } from '../setup/miniprogram'
import { popupVisible, privacyWorld } from './helpers'
import { stepList } from '../werun/helpers'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = privacyWorld()

const visible = popupVisible
const pageLife = (p: Rendered, name: 'show' | 'hide') =>
  (p as unknown as { triggerPageLifeTime(n: string): void }).triggerPageLifeTime(name)

beforeEach(() => {
  world.fake.weRunSteps = stepList(31, () => 4000)
})

describe('WeRun', () => {
  let page: Rendered
  beforeAll(() => {
    page = render('pages/werun/index')
  })

  test("not agreed yet: the page's own popup appears; agreeing lets getWeRunData run", async () => {
    page.instance.onLoad()
    await settle(10)
    expect(visible(page)).toBe(true)
    expect(page.data.state).toBe('LOADING')
    expect(page.querySelector('#privacy')!.dom.textContent).toContain(
      'Before reading your WeRun steps, please read and agree to the privacy guidelines',
    )
    page.querySelector('#privacy')!.querySelector('#privacy-agree')!.dispatchEvent('agreeprivacyauthorization')
    await settle(40)
    expect(world.fake.privacy.agreed).toBe(true)
    expect(visible(page)).toBe(false)
    expect(page.data.state).toBe('READY')
  })

  test('declining: the page says why, and nothing is read', async () => {
    const before = world.cloud.invocations.filter((i) => i.fn === 'werun').length
    page.instance.onRetry()
    await settle(10)
    page.querySelector('#privacy')!.querySelector('#privacy-disagree')!.dispatchEvent('tap')
    await settle(20)
    expect(page.data.state).toBe('ERROR')
    expect(page.data.error).toMatch(
      /^You have not agreed to the privacy guidelines, so reading your WeRun steps is not possible/,
    )
    expect(world.cloud.invocations.filter((i) => i.fn === 'werun').length).toBe(before)
  })

  test('an API the guidelines do not declare fails with errno 112, told as such', async () => {
    world.fake.privacy.agreed = true
    world.fake.privacy.declared.delete('getWeRunData')
    page.instance.onRetry()
    await settle(20)
    expect(page.data.error).toMatch(
      /has not declared reading your WeRun steps in its privacy guidelines, so WeChat refuses it \(errno 112\)/,
    )
    world.fake.privacy.declared.add('getWeRunData')
  })
})

describe('the page on screen answers, not the one left behind', () => {
  test("one page hidden, another shown: the request goes to the shown page's popup; with no page showing one it is declined at once instead of hanging", async () => {
    // Two WeRun pages stand for any two pages with a popup (simulate loads a component once per file).
    const left = render('pages/werun/index')
    const shown = render('pages/werun/index')
    pageLife(left, 'hide')
    pageLife(shown, 'show')
    const answers = await world.fake.needPrivacy()
    expect(visible(shown)).toBe(true)
    expect(visible(left)).toBe(false)
    expect(answers).toEqual([{ event: 'exposureAuthorization' }])
    shown.querySelector('#privacy')!.querySelector('#privacy-disagree')!.dispatchEvent('tap')
    await settle(2)
    expect(answers).toEqual([{ event: 'exposureAuthorization' }, { event: 'disagree' }])
    pageLife(shown, 'hide')
    expect(await world.fake.needPrivacy()).toEqual([{ event: 'disagree' }])
  })
})
