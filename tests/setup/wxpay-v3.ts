/** The second run of the pay suite (jest.config.js): every payWorld through WeChat Pay APIv3 (tests/pay/helpers.ts). */
process.env.PAY_TEST_PROVIDER = 'wxpay-v3'
