// @ts-check
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  // Type checking is `npm run typecheck` (tsc, strict, per project); jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }] },
  // `ts` before `json`: miniprogram-simulate requires `pages/x/index`, which must resolve to index.ts, not index.json.
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  // The user's own miniprogram/config/env.local.ts (npm run configure) is never read by a test:
  // every require of it gets tests/setup/env-local.ts (no env id); tests that need one mock it.
  moduleNameMapper: { '^(.*)/config/env\\.local$': '<rootDir>/tests/setup/env-local.ts' },
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  // Console output is held per test and must be asserted (tests/setup/console.ts).
  setupFilesAfterEnv: ['<rootDir>/tests/setup/console.ts'],
  testTimeout: 20000,
}
