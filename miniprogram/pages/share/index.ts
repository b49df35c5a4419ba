/** My shares: what I offered to share and how many people came in through each (typings/share.ts). */
import { errorText, fmt, messages, subpageTexts, textsOf } from '../../lib/i18n'
import { TEXTS } from './texts'
import type { Texts } from './texts'
import { ensurePrivacy, privacyErrno, privacyMessage } from '../../lib/privacy'
import type { ShareView } from '../../../typings/share'
import { call } from '../../lib/call'
import { shareCard } from '../../lib/share'
import { paintPoster, posterLayout } from './poster'
import type { PosterCtx } from './poster'
import { cloud } from '../../lib/cloud'

type ShareTexts = Texts

/** The pages a share can open, by the key of their name in the texts. */
const PAGE_NAMES: Record<string, 'home' | 'shop' | 'werun' | 'mine'> = {
  'pages/index/index': 'home',
  'pages/pay/index': 'shop',
  'pages/werun/index': 'werun',
  'pages/share/index': 'mine',
}

function when(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000) // Beijing
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`
}

interface Row extends ShareView {
  pageName: string
  when: string
  viaText: string
  countsText: string
}

function toRow(s: ShareView, t: ShareTexts): Row {
  const name = PAGE_NAMES[s.page]
  return {
    ...s,
    pageName: name ? t[name] : s.page,
    when: when(s.createdAt),
    viaText: t[s.via],
    countsText: fmt(t.counts, { entries: s.entries, newUsers: s.newUsers }),
  }
}

/** IDLE: none yet; MAKING: code and drawing; READY: drawn; SAVED; DENIED: album access refused; FAILED. */
type PosterState = 'IDLE' | 'MAKING' | 'READY' | 'SAVED' | 'DENIED' | 'FAILED'

interface CanvasNode {
  width: number
  height: number
  getContext(kind: '2d'): PosterCtx & { scale(x: number, y: number): void }
  createImage(): { src: string; onload: (() => void) | null; onerror: ((e: unknown) => void) | null }
}

interface Data {
  /** The page's texts in the user's language. */
  t: ShareTexts
  poster: PosterState
  posterError: string
  state: 'LOADING' | 'READY' | 'ERROR'
  error: string
  shares: Row[]
  totals: { shares: number; entries: number; newUsers: number }
}

interface Methods {
  canvas?: CanvasNode
  load(): Promise<void>
  onRetry(): void
  onMakePoster(): Promise<void>
  drawPoster(fileID: string): Promise<void>
  onSavePoster(): Promise<void>
  onAlbumSetting(): Promise<void>
}

Page<Data, Methods>({
  data: {
    t: textsOf(TEXTS),
    poster: 'IDLE',
    posterError: '',
    state: 'LOADING',
    error: '',
    shares: [],
    totals: { shares: 0, entries: 0, newUsers: 0 },
  },

  onLoad() {
    const t = subpageTexts(TEXTS, 'navTitle')
    this.setData({ t })
  },

  onShow() {
    void this.load()
  },

  async load() {
    const res = await call('share', 'myShares', { limit: 30 })
    if (!res.ok) {
      this.setData({ state: 'ERROR', error: errorText(res.error) })
      return
    }
    const t = this.data.t
    const shares = res.data.shares.map((s) => toRow(s, t))
    this.setData({ state: 'READY', error: '', shares, totals: res.data.totals })
  },

  onRetry() {
    this.setData({ state: 'LOADING' })
    void this.load()
  },

  async onMakePoster() {
    if (this.data.poster === 'MAKING') return
    this.setData({ poster: 'MAKING', posterError: '' })
    const res = await call('share', 'poster', { page: 'pages/index/index' })
    if (!res.ok) {
      this.setData({ poster: 'FAILED', posterError: errorText(res.error) })
      return
    }
    try {
      await this.drawPoster(res.data.fileID)
      this.setData({ poster: 'READY' })
    } catch {
      this.setData({ poster: 'FAILED', posterError: this.data.t.drawFailed })
    }
  },

  /** The code image (a temp URL of its cloud file) drawn with the title on the 2d canvas. */
  async drawPoster(fileID) {
    const layout = posterLayout(this.data.t.posterTitle, this.data.t.posterHint)
    const canvas = await new Promise<CanvasNode>((resolve, reject) =>
      this.createSelectorQuery()
        .select('#poster')
        .fields({ node: true, size: true })
        .exec((r: Array<{ node?: CanvasNode } | null>) =>
          r[0]?.node ? resolve(r[0].node) : reject(new Error('no canvas')),
        ),
    )
    const dpr = wx.getWindowInfo().pixelRatio || 1
    canvas.width = layout.width * dpr
    canvas.height = layout.height * dpr
    const ctx = canvas.getContext('2d')
    ctx.scale(dpr, dpr)
    const fileList = await cloud().getTempFileURL([fileID])
    const url = fileList[0]?.tempFileURL
    if (!url) throw new Error('no url for the code')
    const image = canvas.createImage()
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve()
      image.onerror = reject
      image.src = url
    })
    paintPoster(ctx, layout, image)
    this.canvas = canvas
  },

  async onSavePoster() {
    if (!this.canvas) return
    if (!(await ensurePrivacy())) {
      this.setData({ posterError: privacyMessage('declined', 'album') })
      return
    }
    try {
      const { tempFilePath } = await wx.canvasToTempFilePath({
        canvas: this.canvas as unknown as WechatMiniprogram.Canvas,
      })
      await wx.saveImageToPhotosAlbum({ filePath: tempFilePath })
      this.setData({ poster: 'SAVED', posterError: '' })
    } catch (e) {
      const msg = String((e as { errMsg?: string }).errMsg ?? '')
      const errno = privacyErrno(e)
      if (errno) this.setData({ posterError: privacyMessage(errno, 'album') })
      else if (/auth den|auth deny|authorize/i.test(msg))
        this.setData({ poster: 'DENIED', posterError: this.data.t.albumDenied })
      else if (/cancel/i.test(msg)) this.setData({ posterError: '' })
      else this.setData({ posterError: this.data.t.saveFailed })
    }
  },

  /** After a denial WeChat does not ask again: only the settings page can allow the album. */
  async onAlbumSetting() {
    const res = await wx.openSetting({})
    if (res.authSetting['scope.writePhotosAlbum']) {
      this.setData({ poster: 'READY', posterError: '' })
      await this.onSavePoster()
    }
  },

  onPullDownRefresh() {
    void this.load().then(() => wx.stopPullDownRefresh())
  },

  onShareAppMessage(e: { from?: string }) {
    return shareCard('pages/index/index', messages().pages.index.shareTitle, { from: e?.from })
  },
})
