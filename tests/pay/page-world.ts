/**
 * The world of a pay page test: a local cloud configured like a deployed environment (merchant,
 * subscribe templates added to the account), the fake `wx` signed in as `user`, the cloud marked
 * ready. The test file itself still mocks config/env.local (jest.mock is hoisted per file).
 */
import { createWorld, type World } from '../setup/miniprogram'
import { markCloudReady } from '../../miniprogram/lib/call'
import { PAY_VARS, TMPL_PAID, TMPL_REFUNDED, quietFunctionLogs } from './helpers'

export function payPageWorld(user: { openid: string }): World {
  const world = createWorld(user, { vars: PAY_VARS })
  world.cloud.openapi.templates.add(TMPL_PAID).add(TMPL_REFUNDED)
  markCloudReady(true)
  quietFunctionLogs()
  return world
}
