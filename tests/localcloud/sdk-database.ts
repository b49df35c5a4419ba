/**
 * The local database as a function's code sees it, for the database tests (database.test.ts,
 * database-indexes.test.ts): the REAL wx-server-sdk client (only its HTTP requester is replaced)
 * over a fresh LocalCloud whose `items` collection has a unique `sku` index.
 */
import { LocalCloud } from '../../localcloud'

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const sdk = require('wx-server-sdk') as any
let inited = false

/** A fresh local cloud, the SDK's database client on it, and its command object. */
export function freshDatabase(): { cloud: LocalCloud; db: any; _: any } {
  if (!inited) {
    sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV })
    inited = true
  }
  const cloud = new LocalCloud()
  cloud.db.createCollection({ name: 'items', indexes: [{ name: 'sku_1', keys: { sku: 1 }, unique: true }] })
  const db = sdk.database()
  return { cloud, db, _: db.command }
}
