/**
 * @jest-environment jsdom
 *
 * The profile page end to end: page -> call() -> wx.cloud (local cloud) -> user function
 * (the deployed bundle, real wx-server-sdk) -> database, and back into the rendered WXML.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { locale, resetLocale } from '../../miniprogram/lib/i18n'
import { createWorld, launchApp, render, settle, type Rendered } from '../setup/miniprogram'

jest.mock('../../miniprogram/config/env.local', () => ({ envId: 'test-1a2b3c' }), { virtual: true })

const world = createWorld({ openid: 'o-profile-page' })
launchApp()

let page: Rendered
const text = (sel: string) => page.querySelector(sel)?.dom.textContent?.trim() ?? null

function tempImage(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'avatar-'))
  const file = join(dir, name)
  writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47]))
  return file
}

beforeAll(async () => {
  page = render('pages/profile/index')
  page.instance.onLoad({})
  await settle()
})

test('launch signs in once and the page shows the empty profile', () => {
  const logins = world.fake.calls.filter((c) => c.name === 'user' && c.data.action === 'login')
  expect(logins).toHaveLength(1)
  expect(page.data.state).toBe('READY')
  expect(page.querySelector('#avatar-empty')).not.toBeNull()
  expect(text('#phone')).toBe('Not bound')
  expect(world.cloud.db.dump('users')).toHaveLength(1)
  // This WeChat is set to English: the login says so and the record keeps it.
  expect(logins[0]!.data).toMatchObject({ language: 'en' })
  expect(world.cloud.db.dump('users')[0]!.language).toBe('en')
  expect(world.fake.navigationTitle).toBe('Profile')
})

test('saving a nickname goes through msgSecCheck and the database', async () => {
  await page.instance.onNicknameSubmit({ detail: { value: { nickname: '  Band  ' } } })
  await settle()
  expect(page.data.profile.nickname).toBe('Band')
  expect(text('#notice')).toBe('Nickname saved.')
  const [user] = world.cloud.db.dump('users')
  expect(user!.nickname).toBe('Band')
  const check = world.cloud.openapi.callsTo('security.msgSecCheck').at(-1)!
  expect(check.params).toMatchObject({ version: 2, openid: 'o-profile-page', scene: 1, content: 'Band' })
})

test('a risky nickname is refused with the server message and nothing is written', async () => {
  await page.instance.onNicknameSubmit({ detail: { value: { nickname: 'forbidden-word' } } })
  await settle()
  expect(text('#notice')).toBe('This nickname is not allowed. Please choose another one.')
  expect(page.querySelector('#notice')!.dom.className).toContain('error')
  expect(world.cloud.db.dump('users')[0]!.nickname).toBe('Band')
})

test('an empty nickname is caught on the page without calling the function', async () => {
  const before = world.fake.calls.length
  await page.instance.onNicknameSubmit({ detail: { value: { nickname: '   ' } } })
  expect(world.fake.calls.length).toBe(before)
  expect(page.data.notice).toBe('Please enter a nickname.')
})

test('choosing an avatar uploads it into the user folder and stores its fileID', async () => {
  await page.instance.onChooseAvatar({ detail: { avatarUrl: tempImage('wxfile-tmp.png') } })
  await settle()
  const fileId = page.data.profile.avatarFileId as string
  expect(fileId).toMatch(
    new RegExp(`^cloud://local-dev\\.local-local-dev/avatars/${page.data.profile.userId}/\\d+-\\w+\\.png$`),
  )
  expect(world.cloud.storage.exists(fileId)).toBe(true)
  expect(page.querySelector('#avatar')).not.toBeNull()
  expect(world.cloud.db.dump('users')[0]!.avatarFileId).toBe(fileId)
})

test('a failed upload shows an error and leaves the avatar unchanged', async () => {
  const before = page.data.profile.avatarFileId
  world.fake.failNextUpload('network error')
  await page.instance.onChooseAvatar({ detail: { avatarUrl: tempImage('b.png') } })
  await settle()
  expect(page.data.notice).toMatch(/Uploading the photo failed/)
  expect(page.data.profile.avatarFileId).toBe(before)
  expect(page.data.busy).toBe('')
})

test('binding a phone stores country code and pure number, shows it masked', async () => {
  const code = world.cloud.openapi.issuePhoneCode({ purePhoneNumber: '13812345678' }, world.fake.user.openid)
  await page.instance.onGetPhoneNumber({ detail: { code, errMsg: 'getPhoneNumber:ok' } })
  await settle()
  expect(text('#phone')).toBe('+86 138****5678')
  expect(world.cloud.db.dump('users')[0]!.phone).toMatchObject({ countryCode: '86', purePhoneNumber: '13812345678' })
})

test('a reused phone code (40029) gives a clear message', async () => {
  world.cloud.openapi.failNext('phonenumber.getPhoneNumber', 40029, 'invalid code')
  await page.instance.onGetPhoneNumber({ detail: { code: 'stale-code', errMsg: 'getPhoneNumber:ok' } })
  await settle()
  expect(page.data.notice).toBe('The phone authorisation expired or was already used. Please tap the button again.')
})

test('the user declining the phone button never calls the function', async () => {
  const before = world.fake.calls.length
  await page.instance.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })
  expect(world.fake.calls.length).toBe(before)
  expect(page.data.notice).toBe('You chose not to share your phone number.')
})

test('a network failure becomes a typed transport error on the page', async () => {
  world.fake.failNextCalls(1, { errMsg: 'request:fail timeout' })
  await page.instance.onNicknameSubmit({ detail: { value: { nickname: 'Other' } } })
  await settle()
  expect(page.data.notice).toBe('The server took too long to answer. Please try again.')
  expect(world.cloud.db.dump('users')[0]!.nickname).toBe('Band')
})

test('privacy: the popup appears when WeChat asks, and agreeing resolves with the button id', async () => {
  const popup = page.querySelector('#privacy')!
  const answers = await world.fake.needPrivacy()
  await settle()
  expect(popup.data.visible).toBe(true)
  popup.querySelector('#privacy-agree')!.dispatchEvent('agreeprivacyauthorization')
  await settle()
  expect(answers).toEqual([{ event: 'exposureAuthorization' }, { buttonId: 'privacy-agree', event: 'agree' }])
  expect(popup.data.visible).toBe(false)
})

test('the language switch: the page turns Chinese at once, the choice is remembered and sent to the server', async () => {
  const zh = page.querySelector('#language-zh_CN')!
  expect(zh.dom.textContent!.trim()).toBe('简体中文')
  expect(page.querySelector('#language-en')!.dom.className).toContain('selected')
  zh.dispatchEvent('tap')
  await settle()
  expect(text('#notice')).toBe('语言已切换。')
  expect(world.fake.navigationTitle).toBe('个人资料')
  expect(text('#save-nickname')).toBe('保存昵称')
  expect(page.querySelector('#language-zh_CN')!.dom.className).toContain('selected')
  expect(world.cloud.db.dump('users')[0]!.language).toBe('zh_CN')
  expect(wx.getStorageSync('locale')).toBe('zh_CN')
  // Remembered: a new launch (no decision in memory) reads the stored choice over WeChat's English.
  resetLocale()
  expect(locale()).toBe('zh_CN')
  // The privacy popup speaks the same language.
  await world.fake.needPrivacy()
  await settle()
  expect(page.querySelector('#privacy')!.dom.textContent).toContain(
    '在编辑个人资料前，请阅读并同意本小程序的隐私保护指引。',
  )
  // Tapping the language already on does nothing.
  const calls = world.fake.calls.length
  zh.dispatchEvent('tap')
  await settle()
  expect(world.fake.calls.length).toBe(calls)
})

afterAll(() => {
  wx.removeStorageSync('locale')
  resetLocale()
})
