/** Copy to env.local.ts (untracked) and fill in your CloudBase environment id (云开发控制台 → 设置 → 环境 ID). */
export const envId = 'your-env-id'
