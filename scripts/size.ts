/**
 * Size report: the mini-program as miniprogram-ci compiles it (main package and each
 * subpackage) and each cloud function bundle, against size-budgets.json. Fails when a budget
 * is exceeded. Also the official compile check: a compile error fails this script.
 * Writes .reports/size.json.   tsx scripts/size.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildFunction, functionNames, ROOT } from './build-functions'
import { compileMiniprogram } from './compile-miniprogram'

interface Budgets {
  /** `subpackage` for every subpackage, unless it has its own line (by subpackage name). */
  miniprogram: { main: number; subpackage: number } & Record<string, number>
  functions: { default: number } & Record<string, number>
}

interface Row {
  kind: 'package' | 'function'
  name: string
  bytes: number
  budget: number
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`

async function main(): Promise<void> {
  const budgets = JSON.parse(readFileSync(join(ROOT, 'size-budgets.json'), 'utf8')) as Budgets
  const rows: Row[] = []
  const { packages } = await compileMiniprogram()
  for (const p of packages) {
    rows.push({
      kind: 'package',
      name: p.name,
      bytes: p.bytes,
      budget:
        p.name === 'main' ? budgets.miniprogram.main : (budgets.miniprogram[p.name] ?? budgets.miniprogram.subpackage),
    })
  }
  for (const name of functionNames()) {
    const { bytes } = await buildFunction(name)
    rows.push({ kind: 'function', name, bytes, budget: budgets.functions[name] ?? budgets.functions.default })
  }
  const over = rows.filter((r) => r.bytes > r.budget)
  console.log('\nsize report (budgets: size-budgets.json)')
  for (const r of rows) {
    console.log(
      `  ${r.kind.padEnd(8)} ${r.name.padEnd(12)} ${kb(r.bytes).padStart(9)} / ${kb(r.budget).padStart(9)}  ${r.bytes > r.budget ? 'OVER BUDGET' : 'ok'}`,
    )
  }
  mkdirSync(join(ROOT, '.reports'), { recursive: true })
  writeFileSync(join(ROOT, '.reports', 'size.json'), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2))
  if (over.length) {
    console.error(`\n${over.length} over budget: ${over.map((r) => r.name).join(', ')}`)
    process.exit(1)
  }
  process.exit(0)
}

main().catch((e: unknown) => {
  console.error('size check failed:', e instanceof Error ? e.message : e)
  process.exit(1)
})
