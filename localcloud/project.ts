/** The project's cloud functions: the folders of cloudfunctions/ with a src/index.ts (what the build builds). */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export function listFunctions(functionsDir: string): string[] {
  return readdirSync(functionsDir)
    .filter(
      (n) => statSync(join(functionsDir, n)).isDirectory() && existsSync(join(functionsDir, n, 'src', 'index.ts')),
    )
    .sort()
}
