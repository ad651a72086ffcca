/** nock plumbing and helpers shared by the fetch-incidents unit tests. */
import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { fetchIncidents, type FetchOptions, type FetchResult } from '../../../integration/fetch/index.js';
import { NetworkError } from '../../../integration/base/errors.js';
import type { Transport } from '../../../integration/okta/types.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { LogModel } from './log-model.js';

export const ORG = 'https://example.okta.com';
export const TOKEN = '00abcdEFGHijklMNOPqrstuvWXyz0123456789-_SECRET';

export function params(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: ORG, apitoken: TOKEN, ...extra };
}

/** A model served by nock for every GET /api/v1/logs on ORG (persisting interceptor). */
export function serve(clock: ManualClock, origin = ORG): LogModel {
  const model = new LogModel(origin, () => clock.now());
  nock(origin)
    .persist()
    .get('/api/v1/logs')
    .query(true)
    .reply(function (uri, _body, cb) {
      const a = model.handle(new URL(origin + uri));
      // nock's emitted request errors go unhandled once other test files ran in the worker:
      // network faults are for world({ via: 'transport' }).
      if ('network' in a) throw new Error('network faults need world({ via: "transport" })');
      cb(null, [a.status, JSON.stringify(a.body), a.headers]);
    });
  return model;
}

/**
 * The same model as a Transport (no HTTP stack): the client's paging, link parsing, retries and
 * rate limiting all run, an order of magnitude faster than through nock. For the long property runs.
 */
export function modelTransport(model: LogModel): Transport {
  return async (req) => {
    const u = new URL(req.url);
    if (u.origin !== model.origin || u.pathname !== '/api/v1/logs') return { status: 404, headers: {}, body: '{"errorCode":"E0000022"}' };
    const a = model.handle(u);
    if ('network' in a) throw new NetworkError('socket hang up', 'ECONNRESET');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(a.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: a.status, headers, body: JSON.stringify(a.body) };
  };
}

export interface World {
  clock: ManualClock;
  model: LogModel;
  state: MemoryStore;
  /** Incidents of committed cycles, by uuid → how many times. */
  counts: Map<string, number>;
  /** Uuids returned by cycles whose lastRun was thrown away (printed, not committed). */
  uncommitted: Set<string>;
  lastRun: unknown;
  /**
   * Runs one cycle as a platform would: lastRun through JSON (it is stored as text), committed
   * unless `commit` is false (a crash between printing and committing). Rejects as fetchIncidents does.
   */
  cycle(extra?: Record<string, unknown>, opts?: FetchOptions & { commit?: boolean }): Promise<FetchResult>;
}

/** A fresh world: its own clock, System Log and token store (earlier interceptors are removed). */
export function world(opts: { via?: 'nock' | 'transport' } = {}): World {
  nock.cleanAll();
  const clock = new ManualClock();
  const model = opts.via === 'transport' ? new LogModel(ORG, () => clock.now()) : serve(clock);
  const transport = opts.via === 'transport' ? modelTransport(model) : undefined;
  const state = new MemoryStore();
  const w: World = {
    clock,
    model,
    state,
    counts: new Map(),
    uncommitted: new Set(),
    lastRun: {},
    async cycle(extra = {}, { commit = true, ...o } = {}) {
      const r = await fetchIncidents(params(extra), w.lastRun, { clock, state, transport, ...o });
      if (commit) {
        for (const i of r.incidents) w.counts.set(i.dbotMirrorId, (w.counts.get(i.dbotMirrorId) ?? 0) + 1);
        w.lastRun = JSON.parse(JSON.stringify(r.lastRun));
      } else for (const i of r.incidents) w.uncommitted.add(i.dbotMirrorId);
      return r;
    },
  };
  return w;
}

/** Cycles until one ends caught up (bounded). */
export async function drain(w: World, extra: Record<string, unknown> = {}, maxCycles = 1000): Promise<number> {
  for (let n = 1; n <= maxCycles; n++) {
    const r = await w.cycle(extra);
    if (r.stop === 'caught_up') return n;
  }
  throw new Error('did not catch up');
}

/** Every event of the model returned exactly once. */
export function expectExactlyOnce(w: World, events = w.model.events.map((s) => s.ev)): void {
  const missing = events.filter((e) => !w.counts.has(e.uuid)).map((e) => e.uuid);
  const repeated = [...w.counts].filter(([, n]) => n > 1);
  expect({ missing: missing.length, repeated: repeated.length, returned: w.counts.size }).toEqual({ missing: 0, repeated: 0, returned: events.length });
}

export function setupNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());
}
