/**
 * The signed-in state, shared by every page: launch logs in once (concurrent callers share
 * the same attempt), retries network/timeout/busy failures with backoff, and tells
 * subscribers each state change so pages can show "signing in", "failed, retry" or the profile.
 */
import type { UserProfile } from '../../typings/user'
import type { ErrorBody } from '../../typings/contract'
import { call } from './call'
import { isRetryable } from './transport'
import { locale } from './i18n'

export type SessionState = 'IDLE' | 'LOGGING_IN' | 'READY' | 'FAILED' | 'NOT_CONFIGURED'

export interface SessionSnapshot {
  state: SessionState
  profile: UserProfile | null
  isNew: boolean
  error: ErrorBody<string> | null
  attempts: number
}

type Listener = (s: SessionSnapshot) => void

const INITIAL: SessionSnapshot = { state: 'IDLE', profile: null, isNew: false, error: null, attempts: 0 }

export class Session {
  private snap: SessionSnapshot = { ...INITIAL }
  private listeners = new Set<Listener>()
  private pending: Promise<SessionSnapshot> | null = null

  /** Delays before each attempt (ms): first immediately, then backoff. */
  constructor(private delays: number[] = [0, 800, 2000]) {}

  get snapshot(): SessionSnapshot {
    return this.snap
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private set(patch: Partial<SessionSnapshot>): void {
    this.snap = { ...this.snap, ...patch }
    this.listeners.forEach((fn) => fn(this.snap))
  }

  notConfigured(message: string): void {
    this.set({ state: 'NOT_CONFIGURED', error: { code: 'CLOUD_NOT_CONFIGURED', message } })
  }

  /**
   * Logs in unless already signed in; every caller gets the same attempt. After a failure it
   * answers the failed state: only the user's "retry" (retry()) starts again.
   */
  ensure(): Promise<SessionSnapshot> {
    if (this.snap.state === 'READY' || this.snap.state === 'NOT_CONFIGURED' || this.snap.state === 'FAILED')
      return Promise.resolve(this.snap)
    if (!this.pending) {
      this.pending = this.run().finally(() => {
        this.pending = null
      })
    }
    return this.pending
  }

  /** After a failure: the user taps "retry". */
  retry(): Promise<SessionSnapshot> {
    if (this.snap.state === 'FAILED') this.set({ state: 'IDLE', error: null, attempts: 0 })
    return this.ensure()
  }

  /** Pages that change the profile (updateProfile, bindPhone) store the server's answer here. */
  setProfile(profile: UserProfile): void {
    this.set({ profile })
  }

  private async run(): Promise<SessionSnapshot> {
    this.set({ state: 'LOGGING_IN', error: null, attempts: 0 })
    for (let i = 0; i < this.delays.length; i++) {
      const delay = this.delays[i] ?? 0
      if (delay > 0) await new Promise((r) => setTimeout(r, delay))
      this.set({ attempts: i + 1 })
      const res = await call('user', 'login', { language: locale() })
      if (res.ok) {
        this.set({ state: 'READY', profile: res.data.profile, isNew: res.data.isNew, error: null })
        return this.snap
      }
      if (!isRetryable(res.error.code) || i === this.delays.length - 1) {
        this.set({ state: 'FAILED', error: res.error })
        return this.snap
      }
    }
    return this.snap
  }
}

export const session = new Session()

/**
 * Page glue shared by every page that shows the session: renders the current state, every
 * change after it, and starts the login if needed. Returns the unsubscribe for onUnload.
 */
export function followSession(render: (s: SessionSnapshot) => void): () => void {
  const off = session.subscribe(render)
  render(session.snapshot)
  void session.ensure()
  return off
}
