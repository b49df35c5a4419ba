/**
 * The local database's file (npm start): a line-format snapshot (a line of collection specs, then
 * an EJSON line per document) and an append-only journal beside it of what changed since, written
 * at most every PERSIST_DEBOUNCE_MS (and on flush, close and process exit); loading replays the
 * journal over the snapshot (a torn last line is skipped) and folds it in. Files are read and
 * written a batch at a time: at 100k users the database is no longer one string.
 */
import { EJSON } from 'bson'
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  renameSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { walk, type CollectionSpec, type Doc } from './db-values'
import type { Store } from './db-store'

/** Writes within this many ms share one file write. */
export const PERSIST_DEBOUNCE_MS = 200

/** Files with unwritten changes are flushed when the process exits. */
const openFiles = new Set<DbFile>()
let exitHook = false

export class DbFile {
  /** How many times the file was written (tests check that writes are batched). */
  fileWrites = 0
  private persistTimer: ReturnType<typeof setTimeout> | undefined
  private dirty = false
  private changed = new Map<string, Set<string>>()
  /** The collection specs changed since the last write (a journal line of specs). */
  specsChanged = false
  /** Every collection was emptied since the last write (the next write is a snapshot). */
  clearedAll = false

  /** `readOnly`: load the file and never write it (npm run recordings:pull reads npm start's database while it runs). */
  constructor(
    private readonly store: Store,
    private readonly opts: { file?: string; readOnly?: boolean },
  ) {
    if (opts.file && !opts.readOnly) {
      openFiles.add(this)
      if (!exitHook) {
        exitHook = true
        process.on('exit', () => {
          for (const f of openFiles) f.flush()
        })
      }
    }
  }

  /** Loads the file into the store when there is one. */
  open(): void {
    if (this.opts.file && existsSync(this.opts.file)) this.load(this.opts.file)
  }

  /** Marks the file stale and writes it within PERSIST_DEBOUNCE_MS (one write for a burst). */
  persist(): void {
    if (!this.opts.file || this.opts.readOnly) return
    this.dirty = true
    if (this.persistTimer) return
    this.persistTimer = setTimeout(() => this.flush(), PERSIST_DEBOUNCE_MS)
    this.persistTimer.unref?.()
  }

  /**
   * Writes what changed since the last write. Usually an append to the journal (`<file>.journal`,
   * one EJSON line per changed document, so a write at 100k documents costs what changed, not
   * the 90 MB of the whole database); the whole snapshot when there is none yet, after a reset
   * (clear), or when more than a fifth of the documents changed (a seed). Loading replays the
   * journal over the snapshot and folds it in.
   */
  flush(): void {
    if (this.persistTimer) clearTimeout(this.persistTimer)
    this.persistTimer = undefined
    const file = this.opts.file
    if (!file || !this.dirty) return
    this.dirty = false
    this.fileWrites += 1
    mkdirSync(dirname(file), { recursive: true })
    let changedDocs = 0
    for (const ids of this.changed.values()) changedDocs += ids.size
    let total = 0
    for (const coll of this.store.collections.values()) total += coll.size
    if (!existsSync(file) || this.clearedAll || changedDocs > total / 5) {
      this.writeSnapshot(file)
      return
    }
    const lines: string[] = []
    if (this.specsChanged) lines.push(EJSON.stringify({ specs: [...this.store.specs.values()] }, { relaxed: false }))
    for (const [name, ids] of this.changed) {
      const coll = this.store.collections.get(name)
      for (const id of ids) {
        const doc = coll?.get(id)
        lines.push(EJSON.stringify(doc ? { c: name, put: doc } : { c: name, del: id }, { relaxed: false }))
      }
    }
    this.forgetChanges()
    if (lines.length) appendFileSync(file + JOURNAL, lines.join('\n') + '\n')
  }

  /** The journal's file beside the snapshot (tests look at both). */
  get journalFile(): string | undefined {
    return this.opts.file ? this.opts.file + JOURNAL : undefined
  }

  noteChange(name: string, id: string): void {
    if (!this.opts.file) return
    let ids = this.changed.get(name)
    if (!ids) this.changed.set(name, (ids = new Set()))
    ids.add(id)
  }

  private forgetChanges(): void {
    this.changed.clear()
    this.specsChanged = false
    this.clearedAll = false
  }

  /**
   * The snapshot, in the journal's format (a line of specs, then a line per document), written a
   * batch of lines at a time: one string of a large database would not fit in memory.
   */
  private writeSnapshot(file: string): void {
    const fd = openSync(file + '.tmp', 'w')
    try {
      writeSync(fd, EJSON.stringify({ specs: [...this.store.specs.values()] }, { relaxed: false }) + '\n')
      let batch: string[] = []
      for (const [name, coll] of this.store.collections) {
        if (!coll.size) batch.push(EJSON.stringify({ c: name }, { relaxed: false }))
        for (const doc of coll.values()) {
          batch.push(EJSON.stringify({ c: name, put: doc }, { relaxed: false }))
          if (batch.length >= SNAPSHOT_BATCH) {
            writeSync(fd, batch.join('\n') + '\n')
            batch = []
          }
        }
      }
      if (batch.length) writeSync(fd, batch.join('\n') + '\n')
    } finally {
      closeSync(fd)
    }
    renameSync(file + '.tmp', file)
    rmSync(file + JOURNAL, { force: true })
    this.forgetChanges()
  }

  load(file: string): void {
    let firstLine = true
    let legacy = false
    eachLine(file, (line) => {
      // A snapshot written before the line format: one JSON object { collections, specs }.
      if (firstLine && line.startsWith('{"collections"')) legacy = true
      firstLine = false
      if (!legacy) this.replay(line, false)
    })
    if (legacy) {
      const parsed = EJSON.parse(readFileSync(file, 'utf8'), { relaxed: true }) as {
        collections: Record<string, Doc[]>
        specs: CollectionSpec[]
      }
      for (const spec of parsed.specs ?? []) this.store.specs.set(spec.name, spec)
      for (const [name, docs] of Object.entries(parsed.collections ?? {}))
        this.store.collections.set(name, new Map(docs.map((d) => [d._id, walk(d, 0) as Doc])))
    }
    const journal = file + JOURNAL
    const replayed = existsSync(journal)
    if (replayed) {
      const lines: string[] = []
      eachLine(journal, (line) => void lines.push(line))
      for (const [i, line] of lines.entries()) {
        // The last line may be cut short: the process stopped in the middle of writing it.
        if (!this.replay(line, i === lines.length - 1)) break
      }
    }
    for (const name of this.store.collections.keys()) this.store.reindex(name)
    // The journal (or an older format) folded into the snapshot, at start, before anything is served.
    if ((replayed || legacy) && !this.opts.readOnly) this.writeSnapshot(file)
  }

  /** Applies one line of the snapshot or the journal; false for a torn line that may be skipped. */
  private replay(line: string, mayBeTorn: boolean): boolean {
    let entry: { specs?: CollectionSpec[]; c?: string; put?: Doc; del?: string }
    try {
      entry = EJSON.parse(line, { relaxed: true }) as typeof entry
    } catch (e) {
      if (mayBeTorn) return false
      throw e
    }
    for (const spec of entry.specs ?? []) {
      this.store.specs.set(spec.name, spec)
      if (!this.store.collections.has(spec.name)) this.store.collections.set(spec.name, new Map())
    }
    if (!entry.c) return true
    let coll = this.store.collections.get(entry.c)
    if (!coll) this.store.collections.set(entry.c, (coll = new Map()))
    if (entry.put) coll.set(entry.put._id, walk(entry.put, 0) as Doc)
    else if (entry.del !== undefined) coll.delete(entry.del)
    return true
  }
}

/** Lines per write of the snapshot. */
const SNAPSHOT_BATCH = 2000

/** Calls `f` with each non-empty line of a file, read a megabyte at a time (a large file is no one string). */
function eachLine(file: string, f: (line: string) => void): void {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(1 << 20)
    const utf8 = new StringDecoder('utf8') // a character cut by the megabyte's edge is completed by the next
    let rest = ''
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      const text = rest + utf8.write(buf.subarray(0, n))
      const lines = text.split('\n')
      rest = lines.pop()!
      for (const line of lines) if (line) f(line)
    }
    if (rest) f(rest)
  } finally {
    closeSync(fd)
  }
}

/** The journal's suffix: `.localcloud/db.json.journal`. */
const JOURNAL = '.journal'
