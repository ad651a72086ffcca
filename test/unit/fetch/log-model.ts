/**
 * A System Log for tests, with Okta's polling semantics (reference/okta-api.md §2.3): events in
 * persistence order; `since` on persistence time; `after` an opaque position; a `next` link on
 * every page, the empty one included; `published` plays no part in the order, so an event
 * persisted late (published earlier than events already returned) comes after them.
 *
 * `handle(url)` answers one GET /api/v1/logs; tests plug it into nock or a node:http server.
 */
import { randomUUID } from 'node:crypto';

export interface ModelEvent {
  uuid: string;
  published: string;
  eventType: string;
  severity: string;
  displayMessage: string;
  actor: { id: string; type: string; alternateId: string; displayName: string };
  outcome: { result: string; reason: string | null };
  [k: string]: unknown;
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[]>;
}

interface Stored {
  ev: ModelEvent;
  persistedMs: number;
}

/** A fault to answer instead of a page: once for `times` requests, then pages again. */
export interface Fault {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  times?: number;
  /** Pages answered normally before the fault starts. */
  after?: number;
  /** Answer the page but drop the connection (network error) — handled by the caller. */
  network?: boolean;
}

export class LogModel {
  readonly events: Stored[] = [];
  /** Every request's URL, in order. */
  readonly requests: URL[] = [];
  private faults: Fault[] = [];
  /** Cursors for positions below this are refused with 400 E0000053 (past retention). */
  expiredBelow = 0;
  private n = 0;

  constructor(
    readonly origin: string,
    private now: () => number,
  ) {}

  /** Builds an event; `publishedMs` defaults to now. */
  event(over: Partial<ModelEvent> & { publishedMs?: number } = {}): ModelEvent {
    const { publishedMs, ...rest } = over;
    const k = this.n++;
    return {
      uuid: randomUUID(),
      published: new Date(publishedMs ?? this.now()).toISOString(),
      eventType: 'user.account.lock',
      severity: 'WARN',
      displayMessage: `Max sign in attempts exceeded #${k}`,
      actor: { id: `00u${String(k).padStart(17, '0')}`, type: 'User', alternateId: `user${k}@example.com`, displayName: `User ${k}` },
      outcome: { result: 'FAILURE', reason: 'LOCKED_OUT' },
      ...rest,
    };
  }

  /** Persists events now (in the given order). */
  append(evs: ModelEvent[], persistedMs = this.now()): ModelEvent[] {
    const last = this.events.length ? this.events[this.events.length - 1]!.persistedMs : -Infinity;
    for (const ev of evs) this.events.push({ ev, persistedMs: Math.max(persistedMs, last) });
    return evs;
  }

  /** `n` new events published and persisted now. */
  add(n: number, over: Partial<ModelEvent> & { publishedMs?: number } = {}): ModelEvent[] {
    return this.append(Array.from({ length: n }, () => this.event(over)));
  }

  fail(f: Fault): void {
    this.faults.push({ times: 1, after: 0, ...f });
  }

  /** `pages` requests answered normally, then the fault. */
  failAfter(pages: number, f: Fault): void {
    this.fail({ ...f, after: pages });
  }

  clearFaults(): void {
    this.faults = [];
  }

  private nextFault(): Fault | undefined {
    const f = this.faults[0];
    if (!f) return undefined;
    if (f.after! > 0) {
      f.after!--;
      return undefined;
    }
    if (--f.times! <= 0) this.faults.shift();
    return f;
  }

  /**
   * Does `filter` select `ev`? Clauses of the form eventType eq "x" or sw "x" (enough for these
   * tests), and `(A) and (B)` as fetch combines the rules' filter with fetch_query_filter.
   */
  static matches(filter: string | null, ev: ModelEvent): boolean {
    if (!filter || filter === 'uuid pr') return true;
    const both = /^\((.*)\) and \((.*)\)$/.exec(filter);
    if (both) return LogModel.matches(both[1]!, ev) && LogModel.matches(both[2]!, ev);
    if (filter.includes(`"${ev.eventType}"`)) return true;
    return [...filter.matchAll(/eventType sw "([^"]+)"/g)].some((m) => ev.eventType.startsWith(m[1]!));
  }

  handle(url: URL): Answer | { network: true } {
    this.requests.push(url);
    const fault = this.nextFault();
    if (fault?.network) return { network: true };
    if (fault) return { status: fault.status, body: fault.body ?? { errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorCauses: [] }, headers: { 'content-type': 'application/json', ...fault.headers } };
    const q = url.searchParams;
    if (q.has('until') || (q.get('sortOrder') ?? 'ASCENDING') !== 'ASCENDING') throw new Error(`not a polling query: ${url.toString()}`);
    const limit = Number(q.get('limit') ?? 100);
    let pos: number;
    const after = q.get('after');
    if (after !== null) {
      pos = Number(Buffer.from(after, 'base64url').toString('utf8').replace(/^p/, ''));
      if (!Number.isInteger(pos) || pos < this.expiredBelow)
        return { status: 400, body: { errorCode: 'E0000053', errorSummary: 'Invalid value for after parameter', errorLink: 'E0000053', errorId: 'oaeExpired', errorCauses: [] }, headers: { 'content-type': 'application/json' } };
    } else {
      const since = Date.parse(q.get('since') ?? '');
      if (Number.isNaN(since)) throw new Error('polling query without since');
      pos = this.events.findIndex((s) => s.persistedMs >= since);
      if (pos < 0) pos = this.events.length;
    }
    const filter = q.get('filter');
    const page: ModelEvent[] = [];
    while (pos < this.events.length && page.length < limit) {
      const s = this.events[pos++]!;
      if (LogModel.matches(filter, s.ev)) page.push(s.ev);
    }
    const next = new URLSearchParams();
    next.set('limit', String(limit));
    next.set('sortOrder', 'ASCENDING');
    if (filter !== null) next.set('filter', filter);
    next.set('after', Buffer.from(`p${pos}`).toString('base64url'));
    return {
      status: 200,
      body: page,
      headers: {
        'content-type': 'application/json',
        link: [`<${url.toString()}>; rel="self"`, `<${this.origin}/api/v1/logs?${next.toString()}>; rel="next"`],
      },
    };
  }
}
