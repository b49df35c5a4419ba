/**
 * Sending: every WeChat call bounded by a time limit, failures named by errCode, images
 * uploaded once as temp media and their ids reused until they expire.
 * Documents: customerServiceMessage.send / setTyping / uploadTempMedia (kf-mgnt/kf-message/*).
 */
import { createHash } from 'node:crypto'
import type { Reply, SendFailure, SendStatus } from '../../typings/customerService'
import { db, getDoc, toMillis } from '../db'
import { errText, isSdkError } from '../errors'
import { initCloud, openapi, type CustomerServiceSendParams } from '../wx'
import { MEDIA, type MediaDoc } from './store'

export class CallTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} gave no answer within ${ms} ms`)
    this.name = 'CallTimeout'
  }
}

/** Races a call against a timer. The call may still finish later; its result is then ignored. */
export async function bounded<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) throw new CallTimeout(what, 0)
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CallTimeout(what, ms)), ms))),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** What a failed WeChat call means for the conversation. */
export function failureOf(e: unknown): { failure: SendFailure; errCode?: number; detail?: string } {
  if (e instanceof CallTimeout) return { failure: 'TIMEOUT' }
  if (!isSdkError(e)) return { failure: 'OTHER', detail: errText(e) }
  const errCode = e.errCode
  switch (errCode) {
    case 45015:
      return { failure: 'WINDOW_CLOSED', errCode }
    case 45047:
      return { failure: 'QUOTA_USED', errCode }
    case 40007:
      return { failure: 'INVALID_MEDIA', errCode }
    case 40003:
      return { failure: 'INVALID_OPENID', errCode }
    case -604101:
      return { failure: 'PERMISSION_MISSING', errCode }
    case -1:
    case 45009:
    case -501001:
    case -501002:
      return { failure: 'WECHAT_BUSY', errCode, detail: e.errMsg }
    default:
      return { failure: 'OTHER', errCode, detail: e.errMsg }
  }
}

/** A time budget shared by the calls of one delivery. */
export class Budget {
  constructor(
    private readonly endsAt: number,
    private readonly perCall: number,
    private readonly clock: () => number = Date.now,
  ) {}
  /** The limit for the next call: the per-call limit, or what is left of the budget. */
  next(): number {
    return Math.min(this.perCall, this.endsAt - this.clock())
  }
}

/** Temp media live 3 days; a cached id is used only while comfortably inside that. */
export const MEDIA_LIFETIME_MS = 3 * 24 * 3_600_000
const MEDIA_MARGIN_MS = 3_600_000

const mediaKey = (fileId: string) => createHash('sha1').update(fileId).digest('hex')

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
}

export function contentTypeOf(fileId: string): string {
  return CONTENT_TYPES[(/\.([a-z0-9]+)$/i.exec(fileId)?.[1] ?? '').toLowerCase()] ?? 'image/jpeg'
}

/** The temp media id of a cloud-storage image: cached, else downloaded and uploaded once. */
export async function mediaIdFor(fileId: string, budget: Budget, opts: { refresh?: boolean } = {}): Promise<string> {
  const id = mediaKey(fileId)
  if (!opts.refresh) {
    const cached = await getDoc<MediaDoc>(MEDIA, id)
    if (cached && toMillis(cached.expiresAt) > Date.now()) return cached.mediaId
  }
  const file = await bounded(
    'downloadFile',
    initCloud().downloadFile({ fileID: fileId }) as Promise<{ fileContent: Buffer }>,
    budget.next(),
  )
  const up = await bounded(
    'uploadTempMedia',
    openapi().customerServiceMessage.uploadTempMedia({
      type: 'image',
      media: { contentType: contentTypeOf(fileId), value: file.fileContent },
    }),
    budget.next(),
  )
  const createdAt = (Number(up.createdAt) || Math.floor(Date.now() / 1000)) * 1000
  const doc: Omit<MediaDoc, '_id'> = {
    fileId,
    mediaId: up.mediaId,
    expiresAt: new Date(createdAt + MEDIA_LIFETIME_MS - MEDIA_MARGIN_MS),
  }
  await db().collection(MEDIA).doc(id).set({ data: doc })
  return up.mediaId
}

export async function forgetMedia(fileId: string): Promise<void> {
  await db().collection(MEDIA).doc(mediaKey(fileId)).remove()
}

async function params(
  touser: string,
  reply: Reply,
  budget: Budget,
  refresh: boolean,
): Promise<CustomerServiceSendParams> {
  switch (reply.type) {
    case 'text':
      return { touser, msgtype: 'text', text: { content: reply.content } }
    case 'link':
      return {
        touser,
        msgtype: 'link',
        link: { title: reply.title, description: reply.description, url: reply.url, thumbUrl: reply.thumbUrl },
      }
    case 'image':
      return { touser, msgtype: 'image', image: { mediaId: await mediaIdFor(reply.fileId, budget, { refresh }) } }
    case 'miniprogrampage':
      return {
        touser,
        msgtype: 'miniprogrampage',
        miniprogrampage: {
          title: reply.title,
          pagepath: reply.pagepath,
          thumbMediaId: await mediaIdFor(reply.thumbFileId, budget, { refresh }),
        },
      }
  }
}

export interface SendOutcome {
  status: SendStatus
  failure?: SendFailure
  errCode?: number
  /** WeChat's errMsg for the function's log line (not stored). */
  detail?: string
}

/**
 * Sends one reply within the budget. A cached media id WeChat no longer knows (40007) is
 * uploaded again once. A timeout is not retried: WeChat may have delivered it.
 */
export async function sendReply(touser: string, reply: Reply, budget: Budget): Promise<SendOutcome> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const p = await params(touser, reply, budget, attempt > 0)
      await bounded('customerServiceMessage.send', openapi().customerServiceMessage.send(p), budget.next())
      return { status: 'SENT' }
    } catch (e) {
      const f = failureOf(e)
      if (
        f.failure === 'INVALID_MEDIA' &&
        attempt === 0 &&
        (reply.type === 'image' || reply.type === 'miniprogrampage')
      ) {
        await forgetMedia(reply.type === 'image' ? reply.fileId : reply.thumbFileId).catch(() => undefined)
        continue
      }
      return { status: f.failure === 'TIMEOUT' ? 'TIMEOUT' : 'FAILED', ...f }
    }
  }
  return { status: 'FAILED', failure: 'INVALID_MEDIA', errCode: 40007 }
}

/** "Typing…" while the replies are prepared; its failures (45080, 45081) only get logged. */
export async function setTyping(touser: string, command: 'Typing' | 'CancelTyping', budget: Budget): Promise<void> {
  await bounded(
    'customerServiceMessage.setTyping',
    openapi().customerServiceMessage.setTyping({ touser, command }),
    budget.next(),
  )
}
