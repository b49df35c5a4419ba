/**
 * The TypeScript syntax the mini-program may use. DevTools compiles `miniprogram/` with its own
 * TypeScript compiler plugin (project.config.json `useCompilerPlugins: ["typescript"]`), whose
 * TypeScript version is not documented and varies with the DevTools a developer has; `tsc` here
 * (5.x) and miniprogram-ci's Babel accept newer syntax than the older plugins do (`satisfies`,
 * `using`, `accessor`, const type parameters). So every `.ts` file under miniprogram/ is parsed
 * with TypeScript 4.4, the release current when DevTools 1.05.2109101 introduced the compiler
 * plugin (September 2021): syntax it cannot parse fails `npm test` with the file and line.
 *   tsx scripts/check-syntax.ts
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

import type * as TS from 'typescript'

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the npm alias typescript-4.4, typed with today's API (the parts used here did not change)
const ts = require('typescript-4.4') as typeof TS

export const ROOT = join(__dirname, '..')
export const SYNTAX_VERSION = ts.version

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'miniprogram_npm' ? [] : tsFiles(p)
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : []
  })
}

/** "file:line:col message" for each syntax error TypeScript 4.4 finds in `source`. */
export function syntaxErrors(file: string, source: string): string[] {
  const out = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2017, module: ts.ModuleKind.CommonJS },
  })
  return (out.diagnostics ?? [])
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined
      return `${file}${at ? `:${at.line + 1}:${at.character + 1}` : ''} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
    })
}

export function checkMiniprogram(root = ROOT): string[] {
  return tsFiles(join(root, 'miniprogram')).flatMap((f) => syntaxErrors(relative(root, f), readFileSync(f, 'utf8')))
}

if (require.main === module) {
  const errors = checkMiniprogram()
  if (errors.length) {
    console.error(
      `miniprogram/ uses TypeScript syntax newer than ${SYNTAX_VERSION} (what older DevTools compiler plugins parse):\n${errors.map((e) => `  ${e}`).join('\n')}\nRewrite it with older syntax (e.g. a typed const instead of \`satisfies\`).`,
    )
    process.exit(1)
  }
  console.log(`mini-program syntax: every file parses with TypeScript ${SYNTAX_VERSION}`)
}
