/**
 * The protobuf messages wx-server-sdk 4.0.2 exchanges with the cloud for `cloud.openapi.*`
 * and `cloud.getOpenData` (field numbers read from its bundled src/protobuf/openapi.js).
 */
import * as protobuf from 'protobufjs'

const root = protobuf.Root.fromJSON({
  nested: {
    KeyValuePair: {
      fields: {
        key: { type: 'string', id: 1 },
        value: { type: 'bytes', id: 2 },
        contenttype: { type: 'string', id: 3 },
        filename: { type: 'string', id: 4 },
      },
    },
    OpenApiData: { fields: { pairs: { rule: 'repeated', type: 'KeyValuePair', id: 1 } } },
    SvrkitApiData: { fields: { apiName: { type: 'string', id: 1 }, reqData: { type: 'bytes', id: 2 } } },
    CommApiData: {
      fields: {
        apiType: { type: 'int32', id: 1 },
        openapiData: { type: 'OpenApiData', id: 2 },
        svrkitData: { type: 'SvrkitApiData', id: 4 },
        appid: { type: 'string', id: 6 },
      },
    },
    HttpHeader: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    CommOpenApiResp: {
      fields: {
        respData: { type: 'bytes', id: 1 },
        contentType: { type: 'string', id: 2 },
        errorCode: { type: 'int32', id: 3 },
        httpCode: { type: 'uint32', id: 4 },
        headers: { rule: 'repeated', type: 'HttpHeader', id: 5 },
        svrkitErrorCode: { type: 'int32', id: 6 },
      },
    },
    ApiGetOpenDataByCloudIdReq: {
      fields: { cloudidList: { rule: 'repeated', type: 'string', id: 2 }, appid: { type: 'string', id: 3 } },
    },
    OpDataItem: { fields: { cloudId: { type: 'string', id: 1 }, json: { type: 'string', id: 2 } } },
    ApiGetOpenDataByCloudIdResp: { fields: { dataList: { rule: 'repeated', type: 'OpDataItem', id: 1 } } },
  },
})

const T = (name: string) => root.lookupType(name)

export const API_TYPE = { OPEN_API: 0, INNER_API: 1, SVRKIT_API: 2, TOKEN_API: 3 } as const

export interface DecodedCall {
  apiType: number
  appid?: string
  /** OPEN_API: the params, each value JSON-decoded (media values stay Buffers). */
  params: Record<string, unknown>
  svrkit?: { apiName: string; reqData: Uint8Array }
}

export function decodeCommApiData(buf: Uint8Array): DecodedCall {
  const msg = T('CommApiData').toObject(T('CommApiData').decode(buf), { defaults: false }) as {
    apiType?: number
    appid?: string
    openapiData?: { pairs?: Array<{ key: string; value: Uint8Array; contenttype?: string; filename?: string }> }
    svrkitData?: { apiName: string; reqData: Uint8Array }
  }
  const params: Record<string, unknown> = {}
  for (const pair of msg.openapiData?.pairs ?? []) {
    if (pair.contenttype || pair.filename) {
      // wx-server-sdk 4.0.2's media converter names the field `contentType`, which its protobuf
      // encoder (field `contenttype`) drops: only the file name (media.<ext>) tells the type.
      params[pair.key] = {
        contentType: pair.contenttype || contentTypeOf(pair.filename ?? ''),
        value: Buffer.from(pair.value),
        fileName: pair.filename,
      }
    } else {
      params[pair.key] = JSON.parse(Buffer.from(pair.value).toString('utf8'))
    }
  }
  return {
    apiType: msg.apiType ?? 0,
    ...(msg.appid ? { appid: msg.appid } : {}),
    params,
    ...(msg.svrkitData ? { svrkit: msg.svrkitData } : {}),
  }
}

const EXT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  amr: 'audio/amr',
}

function contentTypeOf(fileName: string): string {
  return EXT_TYPES[(/\.([a-z0-9]+)$/i.exec(fileName)?.[1] ?? '').toLowerCase()] ?? 'application/octet-stream'
}

export function encodeResp(r: {
  respData?: Uint8Array
  contentType?: string
  errorCode?: number
  svrkitErrorCode?: number
}): Buffer {
  const t = T('CommOpenApiResp')
  return Buffer.from(t.encode(t.create({ httpCode: 200, svrkitErrorCode: 0, errorCode: 0, ...r })).finish())
}

export function decodeGetOpenDataReq(buf: Uint8Array): string[] {
  const t = T('ApiGetOpenDataByCloudIdReq')
  return (t.toObject(t.decode(buf)) as { cloudidList?: string[] }).cloudidList ?? []
}

export function encodeGetOpenDataResp(items: Array<{ cloudId: string; json: string }>): Uint8Array {
  const t = T('ApiGetOpenDataByCloudIdResp')
  return t.encode(t.create({ dataList: items })).finish()
}
