/** Copy to env.local.ts (untracked) and fill in your CloudBase environment id (云开发控制台 → 设置 → 环境 ID). */
export const envId = 'your-env-id'

/**
 * DevTools local mode: uncomment to send every cloud call to `npm start` instead of CloudBase
 * (turn off DevTools' domain check: 详情 → 本地设置 → 不校验合法域名). Used only by the develop
 * version; trial and release builds always use `envId`. Comment it out to go back.
 */
// export const localCloud = 'http://127.0.0.1:3910'
