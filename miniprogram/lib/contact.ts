/**
 * Contact buttons on the pages: where a card tapped in the customer-service chat leads. The
 * session-from codec they send lives in shared/session-from.ts (the function reads it too).
 */

/**
 * Where a mini-program card the user tapped in the chat leads (`bindcontact` detail: path and
 * query), as a navigateTo url; null when it is not a page path or is the page already open.
 */
export function contactTarget(
  detail: { path?: string; query?: Record<string, unknown> } | undefined,
  currentUrl: string,
): string | null {
  const path = (detail?.path ?? '').replace(/^\//, '').replace(/\.html$/, '')
  if (!/^pages\/[A-Za-z0-9_/-]+$/.test(path)) return null
  const qs = Object.entries(detail?.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&')
  const url = `/${path}${qs ? `?${qs}` : ''}`
  return url === currentUrl ? null : url
}
