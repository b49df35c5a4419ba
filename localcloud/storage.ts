/** Cloud storage of the local cloud: files under a local folder, fileIDs shaped like CloudBase's. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'

export class LocalStorage {
  constructor(
    readonly dir: string,
    readonly env: string,
    public baseUrl = 'http://127.0.0.1:3900/storage',
  ) {}

  get bucketPrefix(): string {
    return `cloud://${this.env}.local-${this.env}/`
  }

  fileIdFor(cloudPath: string): string {
    return this.bucketPrefix + cloudPath.replace(/^\/+/, '')
  }

  /** cloudPath of a fileID of this environment, or undefined. */
  pathOf(fileId: string): string | undefined {
    if (!fileId.startsWith(this.bucketPrefix)) return undefined
    const p = fileId.slice(this.bucketPrefix.length)
    return p && !normalize(p).startsWith('..') ? p : undefined
  }

  private fsPath(cloudPath: string): string {
    return join(this.dir, normalize(cloudPath).replace(/^(\.\.(\/|\\|$))+/, ''))
  }

  put(cloudPath: string, content: Buffer): string {
    if (!cloudPath || cloudPath.endsWith('/')) throw new Error('cloudPath must name a file')
    const file = this.fsPath(cloudPath)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, content)
    return this.fileIdFor(cloudPath)
  }

  get(fileId: string): Buffer | undefined {
    const p = this.pathOf(fileId)
    if (!p) return undefined
    const file = this.fsPath(p)
    return existsSync(file) ? readFileSync(file) : undefined
  }

  exists(fileId: string): boolean {
    return this.get(fileId) !== undefined
  }

  remove(fileId: string): boolean {
    const p = this.pathOf(fileId)
    if (!p || !this.exists(fileId)) return false
    rmSync(this.fsPath(p))
    return true
  }

  /** Removes every file. */
  clear(): void {
    rmSync(this.dir, { recursive: true, force: true })
    mkdirSync(this.dir, { recursive: true })
  }

  tempUrl(fileId: string): string {
    return `${this.baseUrl}/${encodeURI(this.pathOf(fileId) ?? '')}`
  }
}
