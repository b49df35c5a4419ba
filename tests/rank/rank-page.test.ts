/**
 * @jest-environment jsdom
 *
 * The rank page: join, the board with my row highlighted, today/7 days and a group with one
 * setData each, leaving with a confirmation.
 */
import { markCloudReady } from '../../miniprogram/lib/call'
import { resetLocale } from '../../miniprogram/lib/i18n'
import { CloudIdRef } from '../../localcloud'
import { createWorld, render, settle, type Rendered } from '../setup/miniprogram'
import { stepList } from '../werun/helpers'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const ME = { openid: 'o-rank-me-01' }
const FRIEND = { openid: 'o-rank-friend' }
const world = createWorld(ME)
markCloudReady(true)

const cells = (page: Rendered, sel: string) =>
  Array.from(page.querySelector(sel)?.dom.querySelectorAll('wx-text') ?? [], (t) => t.textContent?.trim()).join(' ')

beforeAll(async () => {
  for (const [u, today] of [
    [ME, 4000],
    [FRIEND, 6000],
  ] as const) {
    const call = (action: string, fn: string, data: Record<string, unknown>) =>
      world.cloud.callFromClient(fn, { action, ...data }, u)
    await call('login', 'user', {})
    await call('updateProfile', 'user', { nickname: u === ME ? 'Me' : 'Friend' })
    await call('sync', 'werun', {
      weRunData: new CloudIdRef(
        world.cloud.issueCloudId({ stepInfoList: stepList(2, (d) => (d === 0 ? today : 500)) }),
      ),
    })
    await call('groupEnter', 'share', {
      groupInfo: new CloudIdRef(world.cloud.issueCloudId({ opengid: 'G-rank-group-1' })),
    })
  }
  await world.cloud.callFromClient('rank', { action: 'optIn' }, FRIEND)
})

test('not in the rank yet: an invitation; joining shows the board with my row highlighted', async () => {
  const page = render('pages/rank/index')
  page.instance.onLoad()
  await settle(20)
  expect(page.querySelector('#opt-in')).toBeTruthy()
  page.querySelector('#opt-in')!.dispatchEvent('tap')
  await settle(30)
  expect(page.data.optedIn).toBe(true)
  expect(cells(page, '#row-0')).toBe('1 Friend 6000')
  expect(cells(page, '#row-1')).toBe('2 Me 4000')
  expect(page.querySelector('#row-1')!.dom.className).toContain('me')

  const spy = jest.spyOn(page.instance, 'setData')
  page.querySelector('#period-week')!.dispatchEvent('tap')
  await settle(20)
  expect(spy).toHaveBeenCalledTimes(1)
  expect(cells(page, '#row-1')).toBe('2 Me 4500')
  page.querySelector('#scope-0')!.dispatchEvent('tap')
  await settle(20)
  expect(page.data.scope).toBe('G-rank-group-1')
  expect(spy).toHaveBeenCalledTimes(2)
  spy.mockRestore()

  world.fake.modalConfirm = true
  page.querySelector('#opt-out')!.dispatchEvent('tap')
  await settle(20)
  expect(page.data.optedIn).toBe(false)
  const board = (await world.cloud.callFromClient('rank', { action: 'board', period: 'today' }, FRIEND)).result as {
    data: { rows: Array<{ nickname: string }> }
  }
  expect(board.data.rows.map((r) => r.nickname)).toEqual(['Friend'])
})

test('tied users both show (each row its own key), with their avatars; no avatar shows a placeholder', async () => {
  const TIE = { openid: 'o-rank-tie-01' }
  const call = (fn: string, action: string, data: Record<string, unknown>, u = TIE) =>
    world.cloud.callFromClient(fn, { action, ...data }, u)
  const login = (await call('user', 'login', {})).result as { data: { profile: { userId: string } } }
  const avatar = world.cloud.storage.put(
    `avatars/${login.data.profile.userId}/tie.png`,
    Buffer.from('89504e470d0a1a0a', 'hex'),
  )
  await call('user', 'updateProfile', { nickname: 'Tie', avatarFileId: avatar })
  await call('werun', 'sync', {
    weRunData: new CloudIdRef(world.cloud.issueCloudId({ stepInfoList: stepList(2, (d) => (d === 0 ? 6000 : 500)) })),
  })
  await call('rank', 'optIn', {})
  await call('rank', 'optIn', {}, ME)

  const page = render('pages/rank/index')
  page.instance.onLoad()
  await settle(30)
  const rows = page.data.rows as Array<{ rank: number; nickname: string; key: string; avatar: string }>
  expect(rows.map((r) => `${r.rank} ${r.nickname}`)).toEqual(['1 Friend', '1 Tie', '3 Me'])
  expect(new Set(rows.map((r) => r.key)).size).toBe(3)
  expect(page.querySelectorAll('.entry')).toHaveLength(3)
  const tie = rows.find((r) => r.nickname === 'Tie')!
  expect(tie.avatar).toBe(world.cloud.storage.tempUrl(avatar))
  expect(page.querySelector(`#row-${rows.indexOf(tie)}`)!.dom.querySelector('wx-image')).toBeTruthy()
  const meRow = page.querySelector(`#row-${rows.findIndex((r) => r.nickname === 'Me')}`)!.dom
  expect(meRow.querySelector('wx-image')).toBeNull()
  expect(Array.from(meRow.querySelectorAll('*')).some((e) => /\bplaceholder\b/.test(String(e.className)))).toBe(true)
})

test('an empty board offers the way to get steps: WeRun', async () => {
  const page = render('pages/rank/index')
  page.instance.setData({ state: 'READY', optedIn: true, rows: [], me: null })
  await settle()
  expect(page.querySelector('#empty')!.dom.textContent).toContain('Sync your WeRun steps first')
  page.querySelector('#go-werun')!.dispatchEvent('tap')
  await settle()
  expect(world.fake.navigations.at(-1)).toBe('/pages/werun/index')
})

test('in Chinese: the title, the periods, and my row below the board marked 我', async () => {
  world.fake.language = 'zh_CN'
  resetLocale()
  const LATE = { openid: 'o-rank-late-01' }
  await world.cloud.callFromClient('user', { action: 'login' }, LATE)
  await world.cloud.callFromClient('user', { action: 'updateProfile', nickname: '小明' }, LATE)
  await world.cloud.callFromClient(
    'werun',
    { action: 'sync', weRunData: new CloudIdRef(world.cloud.issueCloudId({ stepInfoList: stepList(1, () => 10) })) },
    LATE,
  )
  await world.cloud.callFromClient('rank', { action: 'optIn' }, LATE)
  world.fake.user = LATE
  try {
    const page = render('pages/rank/index')
    page.instance.onLoad()
    await settle(30)
    expect(world.fake.navigationTitle).toBe('步数排行榜')
    expect(page.querySelector('#period-week')!.dom.textContent!.trim()).toBe('本周')
    const mine =
      (page.data.rows as Array<{ me: boolean; name: string; label: string }>).find((r) => r.me) ?? page.data.me
    expect(mine.label).toMatch(/^第 \d+ 名：小明/)
  } finally {
    world.fake.user = ME
    world.fake.language = 'en'
    resetLocale()
  }
})
