/**
 * How the sandbox's WeChat Pay notifications reach a function, as CloudBase delivers them: a
 * cloudPay callback is a function call answered `{ errcode: 0 }`, an APIv3 notification an HTTP
 * access request answered with a 2xx status (payment-callback.html; APIv3 支付通知 and HTTP
 * access). Anything else is re-delivered (WeChat keeps trying for up to two days; here
 * `maxAttempts`, immediately), then given up and marked `lost`; a notification for another
 * environment goes nowhere. Tests can add duplicates, hold a notification until flush() or delay it.
 */

export interface DeliveryOptions {
  /** Extra copies delivered at the same time (WeChat's duplicates). */
  duplicates?: number
  /** Keep the notification until flush() (a late callback). */
  hold?: boolean
  /** Deliver after this many ms (not awaited by the caller; idle() waits for it). */
  delayMs?: number
}

export interface Delivery {
  kind: 'payment' | 'refund'
  fn: string
  envId: string
  event: Record<string, unknown>
  attempts: Array<{ result?: unknown; error?: string }>
  acked: boolean
  /** An APIv3 notification: an HTTP request, acknowledged by a 2xx status (not { errcode: 0 }). */
  http?: boolean
  /** Why it never reached a function (wrong env id), or gave up after maxAttempts. */
  lost?: string
}

/** Invokes a function; `http`: as CloudBase's HTTP access does (an APIv3 notification), else as cloudPay's callback. */
export type Invoke = (fn: string, event: Record<string, unknown>, http?: boolean) => Promise<unknown>

export class Deliveries {
  /** Every notification sent, in order, with its attempts. */
  readonly list: Delivery[] = []
  /** Re-deliveries until acknowledged, then the notification is given up (and `lost`). */
  maxAttempts = 8
  private held: Array<{ d: Delivery; copies: number }> = []
  private pending = new Set<Promise<void>>()

  constructor(
    /** The environment whose functions the notifications are for. */
    readonly env: string,
    private readonly invoke: Invoke,
    /** HTTP access paths → functions, for APIv3 notify URLs. */
    readonly routes: Map<string, string>,
  ) {}

  /** Forgets every notification (reset). */
  forget(): void {
    this.list.length = 0
    this.held = []
  }

  /** An APIv3 notification as CloudBase's HTTP access hands it to the notify URL's function. */
  http(kind: 'payment' | 'refund', url: string, n: { headers: Record<string, string>; body: string }): Delivery {
    const path = new URL(url).pathname
    const fn = this.routes.get(path)
    const event = {
      path,
      httpMethod: 'POST',
      headers: {
        host: new URL(url).host,
        ...Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v])),
      },
      queryStringParameters: {},
      isBase64Encoded: false,
      body: n.body,
    }
    return {
      kind,
      fn: fn ?? '',
      envId: fn ? this.env : `(no HTTP access path ${path})`,
      event,
      attempts: [],
      acked: false,
      http: true,
    }
  }

  send(d: Delivery, opts: DeliveryOptions): Promise<void> {
    this.list.push(d)
    const copies = 1 + (opts.duplicates ?? 0)
    if (opts.hold) {
      this.held.push({ d, copies })
      return Promise.resolve()
    }
    if (opts.delayMs) {
      this.track(new Promise<void>((r) => setTimeout(r, opts.delayMs)).then(() => this.deliverCopies(d, copies)))
      return Promise.resolve()
    }
    return this.deliverCopies(d, copies)
  }

  private async deliverCopies(d: Delivery, copies: number): Promise<void> {
    await Promise.all(Array.from({ length: copies }, () => this.deliver(d)))
  }

  /** One notification, re-delivered until the function answers `{ errcode: 0 }` (bounded). */
  private async deliver(d: Delivery): Promise<void> {
    if (d.envId !== this.env) {
      d.lost = `env_id "${d.envId}" is not this environment ("${this.env}"): the notification goes nowhere`
      return
    }
    for (let i = 0; i < this.maxAttempts && !d.acked; i++) {
      try {
        const result = await this.invoke(d.fn, JSON.parse(JSON.stringify(d.event)) as Record<string, unknown>, d.http)
        d.attempts.push({ result })
        const status = (result as { statusCode?: unknown } | null)?.statusCode
        if (
          d.http
            ? typeof status === 'number' && status >= 200 && status < 300
            : typeof result === 'object' && result !== null && (result as { errcode?: unknown }).errcode === 0
        )
          d.acked = true
      } catch (e) {
        d.attempts.push({ error: e instanceof Error ? e.message : String(e) })
      }
    }
    if (!d.acked && !d.lost) d.lost = `no { errcode: 0 } after ${d.attempts.length} attempts`
  }

  /** Delivers the held notifications (in the order they were held, or reversed). */
  async flush(opts: { reverse?: boolean } = {}): Promise<void> {
    const batch = this.held.splice(0)
    if (opts.reverse) batch.reverse()
    for (const { d, copies } of batch) await this.deliverCopies(d, copies)
  }

  track(p: Promise<void>): void {
    this.pending.add(p)
    void p.finally(() => this.pending.delete(p))
  }

  /** Waits for delayed deliveries and automatic refund settlements. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending])
  }
}
