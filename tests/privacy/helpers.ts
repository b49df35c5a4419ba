/** Shared by the privacy page tests: a world whose user has not agreed yet, and the popup's state. */
import { markCloudReady } from '../../miniprogram/lib/call'
import { createWorld, type Rendered, type World } from '../setup/miniprogram'

/** A signed-in world; before each test the user has not agreed and every scope is allowed. */
export function privacyWorld(): World {
  const world = createWorld({ openid: 'o-privacy' })
  markCloudReady(true)
  beforeEach(() => {
    world.fake.privacy.agreed = false
    world.fake.scopes = { 'scope.werun': true, 'scope.bluetooth': true, 'scope.writePhotosAlbum': true }
  })
  return world
}

/** Whether the page's <kit-privacy> is showing. */
export const popupVisible = (p: Rendered): boolean => p.querySelector('#privacy')!.data.visible as boolean
