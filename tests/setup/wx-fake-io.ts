/**
 * The fake `wx`'s input and output (tests/setup/wx-fake.ts):
 * - wx.request (network/request/wx.request.html): real HTTP (node:http); `success` for every HTTP
 *   status with { data, statusCode, header }, data parsed as JSON when it is JSON (dataType
 *   'json'); object data is sent as JSON; `fail` with 'request:fail ...' when nothing answers,
 *   'request:fail timeout' after `timeout` ms.
 * - wx.getFileSystemManager().readFileSync(path, encoding): throws 'readFileSync:fail no such file
 *   or directory' for a missing file.
 */
import { existsSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'

export interface RequestOptions {
  url: string
  method?: string
  data?: unknown
  header?: Record<string, string>
  timeout?: number
  success?: (r: { data: unknown; statusCode: number; header: Record<string, unknown>; errMsg: string }) => void
  fail?: (e: { errMsg: string; errno?: number }) => void
}

/** wx.request; each request is noted in `requests` as "METHOD url". */
export function wxRequest(
  requests: string[],
  { url, method = 'GET', data, header = {}, timeout = 60_000, success, fail }: RequestOptions,
): { abort(): void } {
  requests.push(`${method} ${url}`)
  const body = data === undefined ? undefined : typeof data === 'string' ? data : JSON.stringify(data)
  const req = httpRequest(
    url,
    { method, headers: { 'content-type': 'application/json', ...header }, timeout },
    (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: unknown = text
        try {
          parsed = JSON.parse(text)
        } catch {
          // not JSON: data stays the string, as with dataType 'json' in WeChat
        }
        success?.({ data: parsed, statusCode: res.statusCode ?? 0, header: res.headers, errMsg: 'request:ok' })
      })
    },
  )
  req.on('timeout', () => req.destroy(new Error('timeout')))
  req.on('error', (e) =>
    fail?.({
      errMsg: e.message === 'timeout' ? 'request:fail timeout' : `request:fail ${e.message}`,
      errno: 600001,
    }),
  )
  if (body !== undefined) req.write(body)
  req.end()
  return { abort: () => req.destroy() }
}

/** wx.getFileSystemManager(). */
export function fileSystemManager() {
  return {
    readFileSync(filePath: string, encoding?: BufferEncoding) {
      if (!existsSync(filePath)) throw new Error(`readFileSync:fail no such file or directory, open ${filePath}`)
      const buf = readFileSync(filePath)
      return encoding ? buf.toString(encoding) : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
    },
  }
}
