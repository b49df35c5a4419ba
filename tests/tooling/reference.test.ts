/**
 * docs/reference.md is generated from typings/ (scripts/reference.ts) and committed: it must be
 * what the generator writes now, so a contract changed without `npm run reference` fails here.
 */
import { readFileSync } from 'node:fs'
import { generate, REFERENCE } from '../../scripts/reference'
import { schemas as card } from '../../cloudfunctions/card/src/schemas'
import { schemas as customerService } from '../../cloudfunctions/customerService/src/schemas'
import { schemas as pay } from '../../cloudfunctions/pay/src/schemas'
import { schemas as rank } from '../../cloudfunctions/rank/src/schemas'
import { schemas as share } from '../../cloudfunctions/share/src/schemas'
import { schemas as soter } from '../../cloudfunctions/soter/src/schemas'
import { schemas as user } from '../../cloudfunctions/user/src/schemas'
import { schemas as werun } from '../../cloudfunctions/werun/src/schemas'

const written = generate()

test('the committed reference is what typings/ generates (run npm run reference after changing a contract)', () => {
  expect(readFileSync(REFERENCE, 'utf8')).toBe(written)
})

test("it holds every function and action, with the request, the response and each code's comment", () => {
  // The actions the functions route (one exact schema each), seen from the other side.
  const routed = Object.entries({ user, pay, customerService, werun, share, rank, soter, card }).flatMap(([fn, s]) =>
    Object.keys(s).map((a) => `${fn}.${a}`),
  )
  expect([...written.matchAll(/^### (\S+)$/gm)].map((m) => m[1]).sort()).toEqual(routed.sort())
  expect(written).toContain('### share.recordIntent')
  expect(written).toMatch(/\| 请求 Request \| `\{ shareId: string; page: string; via: IntentVia; \}` \|/)
  expect(written).toContain('`PHONE_CODE_INVALID` — 40029: code expired (5 min), already used, or from another AppID')
  expect(written).toContain("- `INVALID_INPUT` — payload failed the action's schema; nothing was written")
})
