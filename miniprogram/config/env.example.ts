/**
 * The shape of the untracked env.local.ts. Write yours with `npm run configure -- --env <env id>`
 * (the id is in 云开发控制台 → 设置 → 环境 ID and looks like prod-8gabc123), or copy this file.
 */
export const envId = ''

/**
 * DevTools local mode (`npm run configure -- --local`): every cloud call goes to `npm start`
 * instead of CloudBase (turn off DevTools' domain check: 详情 → 本地设置 → 不校验合法域名). Used
 * only by the develop version; trial and release builds always use `envId`.
 */
// export const localCloud = 'http://127.0.0.1:3910'
