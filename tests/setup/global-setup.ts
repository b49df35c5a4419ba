/** Builds every cloud function once: the tests run the deployed bundles, not the sources. */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildFunction, functionNames, ROOT } from '../../scripts/build-functions'

export default async function globalSetup(): Promise<void> {
  // jest --outputFile writes its results here (read by .ci/run for the totals line).
  mkdirSync(join(ROOT, '.reports'), { recursive: true })
  for (const name of functionNames()) await buildFunction(name)
}
