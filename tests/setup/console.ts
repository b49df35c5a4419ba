/**
 * Quiet test output (setupFilesAfterEnv): everything a test writes to the console is held, not
 * printed. A test that provokes a logged failure on purpose asserts on it with `takeConsole()`;
 * output left unasserted at the end of a test fails that test and shows what was written, so a
 * log nobody expected cannot pass unseen and a log somebody expected cannot clutter the run.
 * (A test that installs its own `jest.spyOn(console, …)` replaces this for that method.)
 */
import { format } from 'node:util'

type Level = 'log' | 'info' | 'warn' | 'error'
const LEVELS: Level[] = ['log', 'info', 'warn', 'error']

const held: Array<{ level: Level; text: string }> = []

for (const level of LEVELS) {
  jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
    held.push({ level, text: format(...args) })
  })
}

/** The console lines written since the last call (of one level, or all), and forgets them. */
export function takeConsole(level?: Level): string[] {
  const out: string[] = []
  for (let i = 0; i < held.length;) {
    const line = held[i]!
    if (!level || line.level === level) {
      out.push(line.text)
      held.splice(i, 1)
    } else i++
  }
  return out
}

afterEach(() => {
  const left = held.splice(0)
  if (left.length) {
    throw new Error(
      `The test wrote to the console without asserting it (use takeConsole() from tests/setup/console):\n${left.map((l) => `  console.${l.level}: ${l.text.slice(0, 300)}`).join('\n')}`,
    )
  }
})
