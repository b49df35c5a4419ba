/**
 * What every test gets for miniprogram/config/env.local (jest.config.js moduleNameMapper): no env
 * id and no local mode, whatever `npm run configure` wrote on this machine. A test that needs a
 * configuration mocks the module itself.
 */
export const envId = ''
