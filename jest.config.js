// @ts-check
/** @type {import('jest').Config} */
const base = {
  rootDir: __dirname,
  // Type checking is `npm run typecheck` (tsc, strict, per project); jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }] },
  // `ts` before `json`: miniprogram-simulate requires `pages/x/index`, which must resolve to index.ts, not index.json.
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  // The user's own miniprogram/config/env.local.ts (npm run configure) is never read by a test:
  // every require of it gets tests/setup/env-local.ts (no env id); tests that need one mock it.
  moduleNameMapper: { '^(.*)/config/env\\.local$': '<rootDir>/tests/setup/env-local.ts' },
  // Console output is held per test and must be asserted (tests/setup/console.ts).
  setupFilesAfterEnv: ['<rootDir>/tests/setup/console.ts'],
}

module.exports = {
  // Builds every function once for both projects.
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  rootDir: __dirname,
  testTimeout: 20000,
  projects: [
    { ...base, displayName: 'all', testMatch: ['<rootDir>/tests/**/*.test.ts'] },
    // The pay suite again through WeChat Pay APIv3 (issue #28): the same tests, PAY_PROVIDER=wxpay-v3.
    {
      ...base,
      displayName: 'pay (wxpay-v3)',
      testMatch: ['<rootDir>/tests/pay/**/*.test.ts'],
      setupFiles: ['<rootDir>/tests/setup/wxpay-v3.ts'],
    },
  ],
}
