/**
 * The System Log as Okta keeps it: events in persistence order (what polling queries walk, by
 * an opaque cursor that is just a position), plus an index by `published` (what bounded
 * queries walk). An event can be persisted after events that were published later than it.
 */

/** A System Log event (shape of Okta's LogEvent); loosely typed because tests append their own. */
export type LogEvent = Record<string, unknown> & {
  uuid: string;
  published: string;
  eventType: string;
};

/** Builds seeded event bodies on demand. */
export interface EventSource {
  make(n: number): LogEvent;
}

export class StoredEvent {
  private built: LogEvent | undefined;

  constructor(
    /** Position in persistence order (0-based, never changes). */
    readonly seq: number,
    readonly persistedMs: number,
    readonly publishedMs: number,
    event: LogEvent | undefined,
    private readonly source?: EventSource,
    private readonly index = 0,
  ) {
    this.built = event;
  }

  /** Whether the body exists yet (a seeded event's is built on first access). */
  get materialised(): boolean {
    return this.built !== undefined;
  }

  /** The event body (seeded events are built on first access, then kept). */
  get event(): LogEvent {
    return (this.built ??= this.source!.make(this.index));
  }
}

export class LogStore {
  /** Persistence order. */
  readonly events: StoredEvent[] = [];
  /** Sequence numbers ordered by (publishedMs, seq). */
  private byPublished: number[] = [];
  private sortedDirty = false;

  get size(): number {
    return this.events.length;
  }

  get lastPersistedMs(): number {
    return this.events.length ? this.events[this.events.length - 1]!.persistedMs : -Infinity;
  }

  /** Appends one event persisted at `persistedMs` (clamped so persistence time never goes back). */
  append(event: LogEvent, persistedMs: number): StoredEvent {
    const publishedMs = Date.parse(event.published);
    if (Number.isNaN(publishedMs)) throw new Error(`LogEvent ${event.uuid} has an invalid published time: ${event.published}`);
    const stored = new StoredEvent(this.events.length, Math.max(persistedMs, this.lastPersistedMs), publishedMs, event);
    this.events.push(stored);
    if (this.sortedDirty) {
      this.byPublished.push(stored.seq);
    } else {
      // Usually the newest event is also the latest published: append; otherwise insert in place.
      const idx = this.upperBound(publishedMs, stored.seq);
      if (idx === this.byPublished.length) this.byPublished.push(stored.seq);
      else this.byPublished.splice(idx, 0, stored.seq);
    }
    return stored;
  }

  /** Bulk load (seeding): event `index` of `source`, built lazily; the published index is sorted once later. */
  appendBulk(source: EventSource, index: number, persistedMs: number, publishedMs: number): void {
    this.events.push(new StoredEvent(this.events.length, Math.max(persistedMs, this.lastPersistedMs), publishedMs, undefined, source, index));
    this.byPublished.push(this.events.length - 1);
    this.sortedDirty = true;
  }

  private ensureSorted(): void {
    if (!this.sortedDirty) return;
    const ev = this.events;
    this.byPublished.sort((a, b) => ev[a]!.publishedMs - ev[b]!.publishedMs || a - b);
    this.sortedDirty = false;
  }

  private cmpKey(seq: number, publishedMs: number, seqKey: number): number {
    const e = this.events[seq]!;
    return e.publishedMs - publishedMs || seq - seqKey;
  }

  /** First index in byPublished whose key is > (publishedMs, seq). */
  private upperBound(publishedMs: number, seq: number): number {
    let lo = 0;
    let hi = this.byPublished.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpKey(this.byPublished[mid]!, publishedMs, seq) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index in persistence order with persistedMs >= ms. */
  firstPersistedAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.persistedMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The published index (sorted), for bounded queries. */
  publishedOrder(): readonly number[] {
    this.ensureSorted();
    return this.byPublished;
  }

  /** First position in the published order whose key is >= (publishedMs, seq). */
  lowerBoundPublished(publishedMs: number, seq: number): number {
    this.ensureSorted();
    let lo = 0;
    let hi = this.byPublished.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpKey(this.byPublished[mid]!, publishedMs, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
