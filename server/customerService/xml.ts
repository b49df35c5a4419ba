/**
 * The XML of WeChat's message pushes, read by hand rather than with fast-xml-parser: a push is
 * one `<xml>` element of small elements (text or CDATA, now and then a nested group such as
 * `<ScanCodeInfo>`), and the library with its dependencies was 60 KB of a 98 KB function
 * bundle (#18 asks every function to stay within 60 KB). This reader knows only that shape:
 * - elements, text, CDATA sections, comments and the `<?xml … ?>` declaration; attributes are
 *   skipped; the five named entities and numeric character references are decoded;
 * - a DOCTYPE or ENTITY declaration anywhere, an unknown entity, a mismatched or unclosed tag,
 *   text outside the root, or nesting deeper than MAX_DEPTH make the document malformed (null);
 * - values are strings (the handler's schema converts numbers); a repeated element becomes an
 *   array; an empty element is ''.
 * Linear in the input, which the caller bounds (MAX_BODY_BYTES).
 */
export type XmlValue = string | XmlObject | XmlValue[]
export interface XmlObject {
  [name: string]: XmlValue
}

/** WeChat's pushes nest two levels at most; anything deeper is not a push. */
export const MAX_DEPTH = 8

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const NAME = /^[A-Za-z_][\w.-]*/

class Malformed extends Error {}

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);|&/g, (all, ref: string | undefined) => {
    if (!ref) throw new Malformed('bare &')
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
      if (!Number.isFinite(code) || code > 0x10ffff || code <= 0) throw new Malformed('bad character reference')
      return String.fromCodePoint(code)
    }
    const named = NAMED[ref]
    if (named === undefined) throw new Malformed(`unknown entity ${all}`)
    return named
  })
}

/** The `<xml>` root's children, or null when the text is not a well-formed push. */
export function parsePushXml(body: string): XmlObject | null {
  // Entity declarations (billion laughs) are never WeChat's. Only the prolog is searched: a
  // message may carry "<!DOCTYPE" as its text (in CDATA); elsewhere any other `<!` is malformed.
  const root = body.search(/<[A-Za-z_]/)
  if (/<!DOCTYPE|<!ENTITY/i.test(root < 0 ? body : body.slice(0, root))) return null
  let i = 0
  const skipMisc = () => {
    for (;;) {
      while (i < body.length && /\s/.test(body[i]!)) i++
      if (body.startsWith('<?', i)) {
        const end = body.indexOf('?>', i + 2)
        if (end < 0) throw new Malformed('unclosed declaration')
        i = end + 2
      } else if (body.startsWith('<!--', i)) {
        const end = body.indexOf('-->', i + 4)
        if (end < 0) throw new Malformed('unclosed comment')
        i = end + 3
      } else return
    }
  }

  /** Reads an element starting at `<`; answers its name and value. */
  const element = (depth: number): [string, XmlValue] => {
    if (depth > MAX_DEPTH) throw new Malformed('too deep')
    if (body[i] !== '<') throw new Malformed('expected an element')
    const name = NAME.exec(body.slice(i + 1, i + 200))?.[0]
    if (!name) throw new Malformed('bad element name')
    const close = body.indexOf('>', i)
    if (close < 0) throw new Malformed('unclosed tag')
    const selfClosing = body[close - 1] === '/'
    i = close + 1
    if (selfClosing) return [name, '']
    let text = ''
    let children: XmlObject | null = null
    for (;;) {
      if (i >= body.length) throw new Malformed(`unclosed <${name}>`)
      if (body.startsWith('<![CDATA[', i)) {
        const end = body.indexOf(']]>', i + 9)
        if (end < 0) throw new Malformed('unclosed CDATA')
        text += body.slice(i + 9, end)
        i = end + 3
      } else if (body.startsWith('<!--', i)) {
        const end = body.indexOf('-->', i + 4)
        if (end < 0) throw new Malformed('unclosed comment')
        i = end + 3
      } else if (body.startsWith('</', i)) {
        const end = body.indexOf('>', i)
        if (end < 0 || body.slice(i + 2, end).trim() !== name) throw new Malformed(`mismatched </…> for <${name}>`)
        i = end + 1
        if (children) {
          if (text.trim()) throw new Malformed('text beside elements')
          return [name, children]
        }
        return [name, text]
      } else if (body.startsWith('<!', i) || body.startsWith('<?', i)) {
        throw new Malformed('declaration inside the document')
      } else if (body[i] === '<') {
        const [childName, value] = element(depth + 1)
        children ??= {}
        const prior = children[childName]
        if (prior === undefined) children[childName] = value
        else if (Array.isArray(prior)) prior.push(value)
        else children[childName] = [prior, value]
      } else {
        const next = body.indexOf('<', i)
        const end = next < 0 ? body.length : next
        text += decode(body.slice(i, end))
        i = end
      }
    }
  }

  try {
    skipMisc()
    const [name, value] = element(1)
    skipMisc()
    if (i !== body.length || name !== 'xml') return null
    return typeof value === 'object' && !Array.isArray(value) ? value : null
  } catch (e) {
    if (e instanceof Malformed || e instanceof RangeError) return null
    throw e
  }
}
