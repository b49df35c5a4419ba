/**
 * DevTools local mode (miniprogram/lib/cloud.ts localCloud): what the mini-program asks the local
 * cloud in place of WeChat's client and servers: open data signed for the caller, cloud storage
 * (upload, temp URLs, the files), the result of wx.requestSubscribeMessage, a SOTER authentication
 * as the phone answers it, and whether the payment sheet would pass.
 */
import type { FastifyInstance } from 'fastify'
import type { LocalCloud } from '../index'
import { LOCAL_PHONE, type Session } from './session'
import { extname } from 'node:path'
import { weRunDays, localOpengid, localPhone } from '../open-data'

/** Uploads travel as base64 in JSON (see miniprogram/lib/cloud.ts): 10 MB of file. */
const UPLOAD_LIMIT = 14 * 1024 * 1024
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}

/** Registers DevTools local mode's routes. */
export function localModeRoutes(app: FastifyInstance, cloud: LocalCloud, session: Session): void {
  /** Open data the sandbox signs for the caller (open-data.ts): a CloudID, or a phone code. */
  app.post<{ Params: { kind: string }; Body: { shareTicket?: unknown } }>(
    '/api/open-data/:kind',
    async (req, reply) => {
      const who = session.callerOf(req)
      const watermark = { appid: cloud.appid, timestamp: Math.floor(cloud.now() / 1000) }
      switch (req.params.kind) {
        case 'werun':
          return { cloudID: cloud.issueCloudId({ stepInfoList: weRunDays(who, cloud.now()), watermark }, who) }
        case 'group':
          return {
            cloudID: cloud.issueCloudId(
              {
                opengid: localOpengid(typeof req.body?.shareTicket === 'string' ? req.body.shareTicket : ''),
                watermark,
              },
              who,
            ),
          }
        case 'phone':
          return { code: cloud.openapi.issuePhoneCode({ purePhoneNumber: localPhone(who) }, who) }
        default:
          return reply.code(404).send({ error: `no open data ${req.params.kind}: werun, group or phone` })
      }
    },
  )

  app.post<{ Body: { cloudPath?: unknown; base64?: unknown } }>(
    '/api/storage/upload',
    { bodyLimit: UPLOAD_LIMIT },
    async (req, reply) => {
      const { cloudPath, base64 } = req.body ?? {}
      if (
        typeof cloudPath !== 'string' ||
        !cloudPath ||
        cloudPath.endsWith('/') ||
        cloudPath.split('/').includes('..')
      ) {
        return reply.code(400).send({ errCode: -1, errMsg: 'cloud.uploadFile:fail cloudPath must name a file' })
      }
      if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
        return reply.code(400).send({ errCode: -1, errMsg: 'cloud.uploadFile:fail base64 content expected' })
      return {
        fileID: cloud.storage.put(cloudPath, Buffer.from(base64, 'base64')),
        statusCode: 200,
        errMsg: 'cloud.uploadFile:ok',
      }
    },
  )

  app.post<{ Body: { fileList?: unknown } }>('/api/storage/temp-urls', async (req, reply) => {
    const list = req.body?.fileList
    if (!Array.isArray(list) || list.length > 50 || !list.every((f) => typeof f === 'string'))
      return reply.code(400).send({ errCode: -1, errMsg: 'cloud.getTempFileURL:fail fileList: 1-50 fileIDs' })
    return {
      errMsg: 'cloud.getTempFileURL:ok',
      fileList: (list as string[]).map((fileID) =>
        cloud.storage.exists(fileID)
          ? { fileID, tempFileURL: cloud.storage.tempUrl(fileID), status: 0 }
          : { fileID, tempFileURL: '', status: -1, errMsg: 'file not exist' },
      ),
    }
  })

  app.get<{ Params: { '*': string } }>('/storage/*', async (req, reply) => {
    const content = cloud.storage.get(cloud.storage.fileIdFor(decodeURIComponent(req.params['*'])))
    if (!content) return reply.code(404).send({ error: 'file not found' })
    return reply.type(CONTENT_TYPES[extname(req.params['*']).toLowerCase()] ?? 'application/octet-stream').send(content)
  })

  /**
   * The result of wx.requestSubscribeMessage in local mode. On WeChat the servers learn the user's
   * answers themselves; here the client forwards them so subscribeMessage.send behaves the same:
   * each `accept` of a template the account has allows one send.
   */
  app.post<{ Body: { answers?: unknown } }>('/api/subscriptions', async (req, reply) => {
    const answers = req.body?.answers
    // One call asks for at most 3 one-time templates (wx.requestSubscribeMessage: 20003 otherwise).
    if (
      !answers ||
      typeof answers !== 'object' ||
      Array.isArray(answers) ||
      Object.keys(answers).length === 0 ||
      Object.keys(answers).length > 3
    ) {
      return reply.code(400).send({
        errCode: 20003,
        errMsg: 'requestSubscribeMessage:fail answers must map 1-3 template ids to accept, reject, ban or filter',
      })
    }
    const who = session.callerOf(req)
    const granted: string[] = []
    for (const [tmplId, answer] of Object.entries(answers as Record<string, unknown>)) {
      if (!['accept', 'reject', 'ban', 'filter'].includes(String(answer)))
        return reply.code(400).send({
          errCode: 20003,
          errMsg: `requestSubscribeMessage:fail ${tmplId}: ${String(answer)} is not accept, reject, ban or filter`,
        })
      // wx.requestSubscribeMessage fails for ids that are not the account's templates (20001).
      if (!cloud.openapi.templates.has(tmplId))
        return reply.code(400).send({
          errCode: 20001,
          errMsg: `requestSubscribeMessage:fail ${tmplId} is not one of the account's templates`,
        })
    }
    for (const [tmplId, answer] of Object.entries(answers as Record<string, string>)) {
      if (answer === 'accept') {
        cloud.openapi.grantSubscription(who, tmplId)
        granted.push(tmplId)
      }
    }
    return { granted, left: Object.fromEntries(granted.map((t) => [t, cloud.openapi.grantsLeft(who, t)])) }
  })

  /**
   * What wx.startSoterAuthentication returns on the caller's phone: resultJSON with the challenge
   * signed by the phone key the sandbox holds for them (the one soter.verifySignature checks).
   * The documented limits apply: challenge 1-512 characters (90004), authContent ≤ 42 (90005).
   */
  app.post<{ Body: { challenge?: unknown; authContent?: unknown; requestAuthModes?: unknown } }>(
    '/api/soter/authenticate',
    async (req, reply) => {
      const { challenge, authContent, requestAuthModes } = req.body ?? {}
      if (typeof challenge !== 'string' || !challenge || challenge.length > 512)
        return reply.code(400).send({
          errCode: 90004,
          errMsg: 'startSoterAuthentication:fail challenge is empty or longer than 512 characters',
        })
      if (authContent !== undefined && (typeof authContent !== 'string' || Array.from(authContent).length > 42))
        return reply
          .code(400)
          .send({ errCode: 90005, errMsg: 'startSoterAuthentication:fail authContent is longer than 42 characters' })
      const modes = Array.isArray(requestAuthModes) ? requestAuthModes : []
      const mode = modes.includes('fingerPrint') ? 'fingerPrint' : modes.includes('facial') ? 'facial' : undefined
      if (!mode)
        return reply.code(400).send({
          errCode: 90003,
          errMsg: 'startSoterAuthentication:fail requestAuthModes must include fingerPrint or facial',
        })
      return {
        errCode: 0,
        errMsg: 'startSoterAuthentication:ok',
        ...cloud.openapi.soter.authenticate(session.callerOf(req), LOCAL_PHONE, challenge, mode),
      }
    },
  )

  /** After the console's "User pays": what the payment sheet checks (signature, payer), and paid. */
  app.post<{ Body: Record<string, unknown> }>('/api/payments/check', async (req) => {
    const checked = cloud.cloudPay.checkPayment(req.body ?? {}, session.callerOf(req))
    if (!checked.ok) return { paid: false, errMsg: checked.errMsg }
    return cloud.cloudPay.isPaid(checked.order)
      ? { paid: true }
      : { paid: false, errMsg: 'requestPayment:fail not paid in the console yet' }
  })
}
