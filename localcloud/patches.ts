/**
 * The local cloud's patches of the network: the methods of @cloudbase/node-sdk (loaded by the
 * real wx-server-sdk) that would leave the machine, and node's https.request for WeChat's hosts
 * that functions reach themselves (api.weixin.qq.com: the official account's API;
 * api.mch.weixin.qq.com: WeChat Pay APIv3). Every request goes through the invocation's `cut`
 * (crash plans) and reaches the cloud of the running invocation. process.env becomes a view
 * with each invocation's own WX_* keys (getWXContext reads them).
 */
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import type { LocalCloud } from './index'
import { BILL_TEXT } from './pay-bill'
import { decodeCommApiData, API_TYPE, decodeGetOpenDataReq, encodeResp, encodeGetOpenDataResp } from './protocol'
import { WxApiError, type CallInfo } from './sandbox'
import { CallFunctionError, als, current, cut, type Scope } from './scope'

/** CloudBase error names by errCode (wx-server-sdk's TCB_ERR_CODE), for failures injected into cloudPay. */
const TCB_CODE_NAMES: Record<number, string> = {
  [-501001]: 'SYS_ERR',
  [-501002]: 'SERVER_TIMEOUT',
  [-501003]: 'EXCEED_REQUEST_LIMIT',
  [-501004]: 'EXCEED_CONCURRENT_REQUEST_LIMIT',
  [-501007]: 'INVALID_PARAM',
}

/** Who is calling a WeChat API: the running function and its user. */
export function callInfo(cloud: LocalCloud, store: Scope | undefined): CallInfo {
  return {
    fn: store?.fn ?? '(outside a function)',
    appid: store?.caller.appid ?? cloud.appid,
    ...(store?.caller.openid ? { openid: store.caller.openid } : {}),
  }
}

/** A call to openapi (protobuf in, protobuf out, as on the wire), with config.json's permissions. */
async function wxOpenApi(cloud: LocalCloud, apiName: string, requestData: Buffer): Promise<Buffer> {
  const store = als.getStore()
  const info = callInfo(cloud, store)
  const call = decodeCommApiData(requestData)
  if (call.apiType === API_TYPE.SVRKIT_API && call.svrkit?.apiName === 'ApiGetOpenDataByCloudId') {
    const ids = decodeGetOpenDataReq(call.svrkit.reqData)
    const items = ids.map((id) => ({ cloudId: id, json: JSON.stringify(cloud.resolveCloudId(id)) }))
    return encodeResp({ respData: encodeGetOpenDataResp(items), contentType: 'application/octet-stream' })
  }
  if (
    store &&
    (!cloud.functionConfig(store.fn).permissions.includes(apiName) ||
      cloud.deniedPermissions.has(`${store.fn}:${apiName}`))
  ) {
    // What CloudBase answers when config.json's permissions.openapi lacks the API.
    return encodeResp({ errorCode: -604101 })
  }
  try {
    const result = await cloud.openapi.call(apiName, call.params, info)
    if ('buffer' in result && Buffer.isBuffer(result.buffer)) {
      return encodeResp({ respData: result.buffer, contentType: String(result.contentType) })
    }
    return encodeResp({
      respData: Buffer.from(JSON.stringify(result)),
      contentType: 'application/json; charset=utf-8',
    })
  } catch (e) {
    if (e instanceof WxApiError) {
      return encodeResp({
        respData: Buffer.from(JSON.stringify({ errcode: e.errcode, errmsg: e.errmsg })),
        contentType: 'application/json',
      })
    }
    throw e
  }
}

/** A call to cloudPay (JSON in, JSON out), with config.json's permissions. */
async function wxPayApi(
  cloud: LocalCloud,
  apiName: string,
  requestData: Buffer,
): Promise<Buffer | { errcode: number; errmsg: string }> {
  const store = als.getStore()
  const info = callInfo(cloud, store)
  const permission = `cloudPay.${apiName}`
  if (
    store &&
    (!cloud.functionConfig(store.fn).permissions.includes(permission) ||
      cloud.deniedPermissions.has(`${store.fn}:${permission}`))
  ) {
    // As for openapi: config.json permissions.openapi must list the cloudPay API (the SDK throws -604101).
    return { errcode: -604101, errmsg: `function ${store.fn} has no permission for ${permission}` }
  }
  const params = JSON.parse(requestData.toString('utf8')) as Record<string, unknown>
  try {
    const result = await cloud.cloudPay.call(apiName, params, info)
    // downloadBill answers the bill as text, which the SDK hands over as { data } (wx-server-sdk 4, cloudpay generic).
    if (typeof (result as Record<string, unknown>)[BILL_TEXT] === 'string')
      return Buffer.from((result as Record<string, string>)[BILL_TEXT]!)
    return Buffer.from(JSON.stringify(result))
  } catch (e) {
    // A failure before WeChat Pay answered is a CloudBase error `{ code, message }`, which
    // the SDK throws as CloudSDKError with the matching TCB errCode (-501002 timeout, ...).
    if (e instanceof WxApiError)
      return Buffer.from(JSON.stringify({ code: TCB_CODE_NAMES[e.errcode] ?? 'SYS_ERR', message: e.errmsg }))
    throw e
  }
}

let patched = false
let httpsPatched = false

/**
 * Functions reach the official account's API (api.weixin.qq.com) over HTTPS themselves
 * (server/http.ts): those requests go to the local cloud's OaSandbox; any other host is left alone.
 */
export function installHttpsPatch(): void {
  if (httpsPatched) return
  httpsPatched = true
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const https = require('node:https') as { request: (...args: unknown[]) => unknown }
  const original = https.request
  https.request = function (this: unknown, ...args: unknown[]) {
    const [first, second, third] = args
    const target = typeof first === 'string' ? new URL(first) : first instanceof URL ? first : null
    const callback = (typeof second === 'function' ? second : third) as
      ((res: NodeJS.ReadableStream & { statusCode: number; headers?: Record<string, string> }) => void) | undefined
    if (target?.hostname === 'api.mch.weixin.qq.com')
      return wxpayRequest(
        target,
        (typeof second === 'object' && second ? second : {}) as { method?: string; headers?: Record<string, string> },
        callback,
      )
    if (!target || target.hostname !== 'api.weixin.qq.com') return original.apply(this, args)
    return sandboxRequest(target, callback)
  }
}

/** A request to WeChat Pay APIv3: the method, headers and body go to the local cloud's WxPayV3Sandbox, its status and signed headers come back. */
function wxpayRequest(
  target: URL,
  options: { method?: string; headers?: Record<string, string> },
  callback?: (res: NodeJS.ReadableStream & { statusCode: number; headers?: Record<string, string> }) => void,
): EventEmitter {
  const req = new EventEmitter() as EventEmitter & {
    end(body?: Buffer | string): void
    destroy(): void
    write(c: Buffer | string): void
    setTimeout(): void
  }
  const chunks: Buffer[] = []
  let destroyed = false
  req.write = (c) => void chunks.push(Buffer.from(c))
  req.destroy = () => void (destroyed = true)
  req.setTimeout = () => undefined
  req.end = (body) => {
    if (body) chunks.push(Buffer.from(body))
    setTimeout(() => {
      if (destroyed) return
      const headers = Object.fromEntries(
        Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      )
      const cloud = current()
      cut('wechat', async () =>
        cloud.wxpayV3.handle(
          (options.method ?? 'GET').toUpperCase(),
          `${target.pathname}${target.search}`,
          headers,
          Buffer.concat(chunks).toString('utf8'),
          callInfo(cloud, als.getStore()),
        ),
      ).then(
        (answer) => {
          if (destroyed) return
          const res = Object.assign(new PassThrough(), {
            statusCode: answer.status,
            headers: Object.fromEntries(Object.entries(answer.headers).map(([k, v]) => [k.toLowerCase(), v])),
          })
          callback?.(res)
          res.end(answer.body)
        },
        (e: unknown) => req.emit('error', e instanceof Error ? e : new Error(String(e))),
      )
    }, 0)
  }
  return req
}

function sandboxRequest(
  target: URL,
  callback?: (res: NodeJS.ReadableStream & { statusCode: number }) => void,
): EventEmitter {
  const req = new EventEmitter() as EventEmitter & {
    end(body?: Buffer | string): void
    destroy(): void
    write(c: Buffer | string): void
  }
  const chunks: Buffer[] = []
  let destroyed = false
  req.write = (c) => void chunks.push(Buffer.from(c))
  req.destroy = () => void (destroyed = true)
  req.end = (body) => {
    if (body) chunks.push(Buffer.from(body))
    // A macrotask, as a network answer is (setTimeout: jsdom test environments have no setImmediate).
    setTimeout(() => {
      if (destroyed) return
      const text = Buffer.concat(chunks).toString('utf8')
      cut('wechat', async () =>
        current().oa.handle(
          target.pathname,
          target.searchParams,
          text ? (JSON.parse(text) as Record<string, unknown>) : null,
        ),
      ).then(
        (answer) => {
          if (destroyed) return
          const res = Object.assign(new PassThrough(), { statusCode: 200 })
          callback?.(res)
          res.end(JSON.stringify(answer))
        },
        (e: unknown) => req.emit('error', e instanceof Error ? e : new Error(String(e))),
      )
    }, 0)
  }
  return req
}

/** Replaces the network layer of the @cloudbase/node-sdk that wx-server-sdk loads (once per module registry). */
export function installSdkPatch(): void {
  if (patched) return
  patched = true
  const sdkDir = dirname(require.resolve('wx-server-sdk/package.json'))
  const nodeSdkDir = dirname(require.resolve('@cloudbase/node-sdk/package.json', { paths: [sdkDir] }))
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { CloudBase } = require(join(nodeSdkDir, 'dist/cloudbase.js')) as {
    CloudBase: { prototype: Record<string, unknown> }
  }
  const { TcbDBApiHttpRequester } = require(join(nodeSdkDir, 'dist/utils/tcbdbapirequester.js')) as {
    TcbDBApiHttpRequester: { prototype: { send: unknown } }
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  const P = CloudBase.prototype

  TcbDBApiHttpRequester.prototype.send = async function (action: string, data?: Record<string, unknown>) {
    return cut('db', () => current().db.handle(action, data ?? {}))
  }
  P.callCompatibleWxOpenApi = async function ({ apiName, requestData }: { apiName: string; requestData: Buffer }) {
    return cut('wechat', () => wxOpenApi(current(), apiName, requestData))
  }
  P.callWxPayApi = async function ({ apiName, requestData }: { apiName: string; requestData: Buffer }) {
    return cut('wechat', () => wxPayApi(current(), apiName, requestData))
  }
  P.callWxOpenApi = async function () {
    throw new Error('localcloud: the deprecated callWxOpenApi path is not used by wx-server-sdk 4')
  }
  P.uploadFile = async function (
    { cloudPath, fileContent }: { cloudPath: string; fileContent: Buffer | string },
    opts?: { onResponseReceived?: (r: { statusCode: number }) => void },
  ) {
    const content = Buffer.isBuffer(fileContent) ? fileContent : Buffer.from(fileContent)
    const fileID = current().storage.put(cloudPath, content)
    opts?.onResponseReceived?.({ statusCode: 200 })
    return { fileID, requestId: randomBytes(6).toString('hex') }
  }
  P.getTempFileURL = async function ({ fileList }: { fileList: Array<string | { fileID: string; maxAge?: number }> }) {
    const s = current().storage
    return {
      requestId: randomBytes(6).toString('hex'),
      fileList: fileList.map((f) => {
        const fileID = typeof f === 'string' ? f : f.fileID
        const maxAge = typeof f === 'string' ? 86400 : (f.maxAge ?? 86400)
        return s.exists(fileID)
          ? { fileID, tempFileURL: s.tempUrl(fileID), maxAge, code: 'SUCCESS' }
          : { fileID, tempFileURL: '', maxAge, code: 'STORAGE_FILE_NONEXIST' }
      }),
    }
  }
  P.deleteFile = async function ({ fileList }: { fileList: string[] }) {
    const s = current().storage
    return {
      requestId: randomBytes(6).toString('hex'),
      fileList: fileList.map((fileID) => ({ fileID, code: s.remove(fileID) ? 'SUCCESS' : 'STORAGE_FILE_NONEXIST' })),
    }
  }
  P.downloadFile = async function ({ fileID }: { fileID: string }) {
    const content = current().storage.get(fileID)
    if (!content) return { code: 'STORAGE_FILE_NONEXIST', message: `file ${fileID} does not exist` }
    return { fileContent: content, message: 'success' }
  }
  P.callFunction = async function ({ name, data }: { name: string; data?: unknown }) {
    const store = als.getStore()
    const cloud = current()
    try {
      const result = await cloud.invoke(
        name,
        JSON.parse(JSON.stringify(data ?? {})),
        store?.caller ?? {},
        `${store?.source ?? 'wx_unknown'},scf`,
      )
      return { result, requestId: cloud.invocations[cloud.invocations.length - 1]?.id }
    } catch (e) {
      const code = e instanceof CallFunctionError && e.errCode === -501000 ? 'INVALID_PARAM' : 'FUNCTIONS_EXECUTE_FAIL'
      return { code, message: e instanceof Error ? e.message : String(e), requestId: '' }
    }
  }

  // getWXContext() reads process.env: give each invocation its own view of the WX_* keys.
  const base = process.env
  // A deployed function runs with TENCENTCLOUD_RUNENV=SCF. Without it @cloudbase/node-sdk
  // probes Tencent's metadata server at init to learn where it runs (a network call).
  const platform: Record<string, string> = { TENCENTCLOUD_RUNENV: 'SCF', TENCENTCLOUD_REGION: 'ap-shanghai' }
  const ctxKeys = (s: Scope | undefined) => ({ ...platform, ...(s?.env ?? {}) })
  process.env = new Proxy(base, {
    get(target, key) {
      const env = ctxKeys(als.getStore())
      if (typeof key === 'string' && key in env) return env[key]
      if (typeof key === 'string' && als.getStore() && /^WX_/.test(key)) return undefined
      return Reflect.get(target, key)
    },
    has(target, key) {
      const env = ctxKeys(als.getStore())
      return (typeof key === 'string' && key in env) || Reflect.has(target, key)
    },
    // `process.env.X = v` on the real object (with the proxy as receiver, Node's env refuses the
    // plain descriptor the assignment would define: "only accepts a ... data descriptor").
    set(target, key, value) {
      return Reflect.set(target, key, value)
    },
  })
}
