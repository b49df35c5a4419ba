/**
 * Texts with `{name}` placeholders, filled in. Pure and dependency-free: the pages (through
 * lib/i18n.ts) and the functions (customer-service texts) share this one implementation.
 */
export function fmt(text: string, values: Record<string, string | number>): string {
  // A function replacement: `$&` and friends in a value stay literal.
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m))
}
