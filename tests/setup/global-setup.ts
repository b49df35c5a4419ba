/** Builds every cloud function once: the tests run the deployed bundles, not the sources. */
import { buildFunction, functionNames } from '../../scripts/build-functions'

export default async function globalSetup(): Promise<void> {
  for (const name of functionNames()) await buildFunction(name)
}
