/**
 * The share poster, as pure layout plus a painter: a white card with the page title and the
 * mini-program code under it. Units are CSS pixels; the page scales by the pixel ratio.
 */
export interface PosterLayout {
  width: number
  height: number
  title: { text: string; x: number; y: number }
  code: { x: number; y: number; size: number }
  hint: { text: string; x: number; y: number }
}

export const POSTER = { width: 300, height: 420 }

/** Titles longer than fit on the line are cut with an ellipsis (about 14 CJK or 24 Latin characters). */
export function fitTitle(title: string, max = 24): string {
  const chars = Array.from(title.trim())
  const weight = (c: string) => (c.charCodeAt(0) <= 0xff ? 1 : 1.7)
  let w = 0
  let out = ''
  for (const c of chars) {
    if (w + weight(c) > max) return `${out}…`
    w += weight(c)
    out += c
  }
  return out
}

/** The poster's title and the hint under the code, in the user's language. */
export function posterLayout(title: string, hint: string): PosterLayout {
  const size = 200
  return {
    width: POSTER.width,
    height: POSTER.height,
    title: { text: fitTitle(title), x: POSTER.width / 2, y: 40 },
    code: { x: (POSTER.width - size) / 2, y: 90, size },
    hint: { text: hint, x: POSTER.width / 2, y: 330 },
  }
}

export interface PosterCtx {
  fillStyle: string
  font: string
  textAlign: string
  textBaseline: string
  fillRect(x: number, y: number, w: number, h: number): void
  fillText(text: string, x: number, y: number): void
  drawImage(image: unknown, x: number, y: number, w: number, h: number): void
}

export function paintPoster(ctx: PosterCtx, l: PosterLayout, code: unknown): void {
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, l.width, l.height)
  ctx.fillStyle = '#111111'
  ctx.font = 'bold 18px sans-serif'
  ctx.textAlign = 'center'
  ctx.textBaseline = 'middle'
  ctx.fillText(l.title.text, l.title.x, l.title.y)
  ctx.drawImage(code, l.code.x, l.code.y, l.code.size, l.code.size)
  ctx.fillStyle = '#888888'
  ctx.font = '13px sans-serif'
  ctx.fillText(l.hint.text, l.hint.x, l.hint.y)
}
