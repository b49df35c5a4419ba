/** The pages another mini-program (or the local console) may ask to open. Pure: the pages and the local cloud read it. */
export const ROUTABLE_PAGES: readonly string[] = [
  'pages/index/index',
  'pages/pay/index',
  'pages/cards/index',
  'pages/werun/index',
  'pages/rank/index',
]
