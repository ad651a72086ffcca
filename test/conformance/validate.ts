/**
 * Checks recorded HTTP exchanges (the sandbox's, or any Okta client's) against Okta's spec:
 * (a) the request matches an operation (method + path template) and uses only query parameters
 *     that operation declares (required ones present; values valid when the call succeeded);
 * (b) the response validates against the operation's schema for its status.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { REPORT_FILE } from './paths.js';
import type { SpecIndex } from './spec.js';

/** One line of a recording, as the sandbox writes it. */
export interface Exchange {
  method: string;
  /** Path without origin or query, as sent (percent-encoding kept). */
  path: string;
  /** Decoded query: a name maps to its value, or to its values when repeated. */
  query?: Record<string, string | string[]>;
  status: number;
  requestBody?: unknown;
  responseBody?: unknown;
  responseContentType?: string;
}

export interface RecordedExchange extends Exchange {
  /** `file:line` it came from. */
  source?: string;
}

export type FailureKind = 'malformed' | 'unknown-operation' | 'query' | 'response';

export interface Failure {
  kind: FailureKind;
  /** `file:line` of the first exchange with this failure. */
  source?: string;
  method?: string;
  path?: string;
  status?: number;
  /** `operationId (METHOD template)` when the request matched one. */
  operation?: string;
  reason: string;
  /** ajv's errors, trimmed. */
  errors?: string[];
  /** How many exchanges failed the same way (same operation, status, reason and errors). */
  count: number;
}

export interface OperationTally {
  operation: string;
  responses: number;
  statuses: Record<string, number>;
}

export interface ConformanceReport {
  files: string[];
  exchanges: number;
  /** Distinct operations the exchanges matched. */
  operationsChecked: number;
  /** Responses validated against a schema, or found correctly empty. */
  responsesChecked: number;
  /** Exchanges without a response (status 0: the sandbox dropped the connection, a fault test). */
  noResponse: number;
  /** Responses with an undeclared error status, checked against the generic error schema. */
  undeclaredErrorStatuses: number;
  /** Which: `METHOD template → status` with counts. */
  undeclaredErrorStatusesBy: Record<string, number>;
  operations: OperationTally[];
  failures: Failure[];
  defects: { id: string; where: string; workaround: string }[];
}

function opLabel(op: { operationId: string; method: string; template: string }): string {
  return `${op.operationId} (${op.method} ${op.template})`;
}

/** Lines of a file, read in chunks (recordings of long log fetches can be large). */
export function* readLines(file: string, chunkBytes = 1 << 20): Generator<string> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null);
      if (n === 0) break;
      const parts = (rest + decoder.write(buf.subarray(0, n))).split('\n');
      rest = parts.pop()!;
      yield* parts;
    }
    rest += decoder.end();
    if (rest !== '') yield rest;
  } finally {
    closeSync(fd);
  }
}

export type RecordingItem = { exchange: RecordedExchange } | { malformed: Failure };

/** The recording files in `dir`: every regular file but the report and dot files, sorted. */
export function recordingFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .filter((name) => name !== REPORT_FILE && !name.startsWith('.'))
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile());
}

/** Streams the exchanges of recording files; malformed lines come out as failures. */
export function* readRecordings(files: string[]): Generator<RecordingItem> {
  for (const file of files) {
    const name = path.basename(file);
    let lineNo = 0;
    for (const line of readLines(file)) {
      lineNo++;
      if (line.trim() === '') continue;
      const source = `${name}:${lineNo}`;
      let x: unknown;
      try {
        x = JSON.parse(line);
      } catch (e) {
        yield { malformed: { kind: 'malformed', source, reason: `not JSON: ${(e as Error).message}`, count: 1 } };
        continue;
      }
      const problem = shapeProblem(x);
      if (problem) yield { malformed: { kind: 'malformed', source, reason: problem, count: 1 } };
      else yield { exchange: { ...(x as Exchange), source } };
    }
  }
}

/** All recordings in `dir` at once (small directories, tests). */
export function loadRecordings(dir: string): { files: string[]; exchanges: RecordedExchange[]; malformed: Failure[] } {
  const files = recordingFiles(dir);
  const exchanges: RecordedExchange[] = [];
  const malformed: Failure[] = [];
  for (const item of readRecordings(files)) {
    if ('exchange' in item) exchanges.push(item.exchange);
    else malformed.push(item.malformed);
  }
  return { files, exchanges, malformed };
}

function shapeProblem(x: unknown): string | undefined {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return 'not an object';
  const e = x as Record<string, unknown>;
  if (typeof e.method !== 'string') return 'no "method"';
  if (typeof e.path !== 'string' || !e.path.startsWith('/')) return 'no "path" (absolute, without origin)';
  if (typeof e.status !== 'number') return 'no numeric "status"';
  if (e.query !== undefined && (e.query === null || typeof e.query !== 'object' || Array.isArray(e.query))) return '"query" is not an object';
  return undefined;
}

/** Normalises array indices in ajv paths so the same defect on item 3 and item 57 counts once. */
function groupKey(f: Omit<Failure, 'count'>): string {
  const errs = (f.errors ?? []).map((e) => e.replace(/\/\d+(?=\/| )/g, '/*').replace(/ \(got .*\)$/, ''));
  return [f.kind, f.operation ?? `${f.method} ${f.path}`, f.status, f.reason.replace(/\/\d+(?=\/| )/g, '/*'), ...errs].join('\n');
}

/** Checks exchanges one at a time and keeps only tallies and (grouped) failures. */
export class ConformanceChecker {
  private readonly groups = new Map<string, Failure>();
  private readonly tallies = new Map<string, OperationTally>();
  private exchanges = 0;
  private responsesChecked = 0;
  private undeclared = 0;
  private noResponse = 0;
  private readonly undeclaredBy: Record<string, number> = {};

  constructor(private readonly spec: SpecIndex) {}

  fail(f: Omit<Failure, 'count'>): void {
    const key = groupKey(f);
    const g = this.groups.get(key);
    if (g) g.count++;
    else this.groups.set(key, { ...f, count: 1 });
  }

  add(item: RecordingItem): void {
    if ('malformed' in item) this.fail(item.malformed);
    else this.check(item.exchange);
  }

  check(ex: RecordedExchange): void {
    const spec = this.spec;
    this.exchanges++;
    const [rawPath, rawQuery] = ex.path.split('?', 2) as [string, string | undefined];
    const query: Record<string, string | string[]> = { ...(ex.query ?? {}) };
    if (rawQuery !== undefined) {
      for (const [k, v] of new URLSearchParams(rawQuery)) {
        const prev = query[k];
        query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
      }
    }
    const base = { source: ex.source, method: ex.method.toUpperCase(), path: ex.path, status: ex.status };
    const m = spec.match(ex.method, rawPath);
    if (!m) {
      const other = spec.methodsFor(rawPath);
      this.fail({
        ...base,
        kind: 'unknown-operation',
        reason: other.length ? `no ${base.method} operation for this path (the spec has ${[...new Set(other)].join(', ')})` : 'no operation in management.yaml or oauth.yaml matches this path',
      });
      return;
    }
    const { op } = m;
    const operation = opLabel(op);
    const t = this.tallies.get(operation) ?? { operation, responses: 0, statuses: {} };
    t.responses++;
    t.statuses[ex.status] = (t.statuses[ex.status] ?? 0) + 1;
    this.tallies.set(operation, t);

    // (a) query parameters
    const undeclaredNames = Object.keys(query).filter((n) => !op.queryParams.has(n));
    if (undeclaredNames.length) {
      this.fail({ ...base, operation, kind: 'query', reason: `undeclared query parameter(s): ${undeclaredNames.join(', ')} (declared: ${[...op.queryParams.keys()].join(', ') || 'none'})` });
    }
    if (ex.status >= 200 && ex.status < 300) {
      // Values are checked only where the request was accepted: error tests send bad ones on purpose.
      const missing = [...op.queryParams.values()].filter((p) => p.required && query[p.name] === undefined).map((p) => p.name);
      if (missing.length) this.fail({ ...base, operation, kind: 'query', reason: `required query parameter(s) missing: ${missing.join(', ')}` });
      for (const [n, v] of Object.entries(query)) {
        const p = op.queryParams.get(n);
        const problem = p && spec.checkQueryValue(op, p, v);
        if (problem) this.fail({ ...base, operation, kind: 'query', reason: `invalid query value accepted: ${problem}` });
      }
    }

    // (b) response
    if (ex.status === 0) {
      this.noResponse++;
      return;
    }
    let res;
    try {
      res = spec.checkResponse(op, ex.status, ex.responseContentType, ex.responseBody);
    } catch (e) {
      res = { ok: false as const, reason: `the validator failed: ${(e as Error).message}` };
    }
    this.responsesChecked++;
    if (res.ok) {
      if (res.used === 'fallback') {
        this.undeclared++;
        const k = `${op.method} ${op.template} → ${ex.status}`;
        this.undeclaredBy[k] = (this.undeclaredBy[k] ?? 0) + 1;
      }
    } else {
      this.fail({ ...base, operation, kind: 'response', reason: res.reason, ...(res.errors ? { errors: res.errors } : {}) });
    }
  }

  report(files: string[] = []): ConformanceReport {
    return {
      files,
      exchanges: this.exchanges,
      operationsChecked: this.tallies.size,
      responsesChecked: this.responsesChecked,
      noResponse: this.noResponse,
      undeclaredErrorStatuses: this.undeclared,
      undeclaredErrorStatusesBy: this.undeclaredBy,
      operations: [...this.tallies.values()].sort((a, b) => a.operation.localeCompare(b.operation)),
      failures: [...this.groups.values()].sort((a, b) => b.count - a.count),
      defects: this.spec.defects.map((d) => ({ id: d.id, where: d.where, workaround: d.workaround })),
    };
  }
}

/** Checks a batch of exchanges (see ConformanceChecker for streams). */
export function checkExchanges(spec: SpecIndex, exchanges: RecordedExchange[], opts: { files?: string[]; malformed?: Failure[] } = {}): ConformanceReport {
  const c = new ConformanceChecker(spec);
  for (const m of opts.malformed ?? []) c.fail(m);
  for (const ex of exchanges) c.check(ex);
  return c.report(opts.files);
}

export function summaryLine(r: ConformanceReport): string {
  const failed = r.failures.reduce((n, f) => n + f.count, 0);
  return (
    `conformance: ${r.operationsChecked} operations, ${r.responsesChecked} responses checked, ` +
    `${failed} failures${r.failures.length && failed !== r.failures.length ? ` (${r.failures.length} distinct)` : ''} ` +
    `(${r.defects.length} spec defects worked around; ${r.undeclaredErrorStatuses} responses with an undeclared error status)`
  );
}

/** Failures as readable text, one block per distinct failure. */
export function describeFailures(failures: Failure[], max = 40): string {
  const out = failures.slice(0, max).map((f) => {
    const head = `✗ [${f.kind}] ${f.method ?? ''} ${f.path ?? ''} → ${f.status ?? ''}${f.operation ? `  (${f.operation})` : ''}${f.count > 1 ? `  ×${f.count}` : ''}  at ${f.source ?? '?'}`;
    return [head, `    ${f.reason}`, ...(f.errors ?? []).map((e) => `      ${e}`)].join('\n');
  });
  if (failures.length > max) out.push(`… and ${failures.length - max} more distinct failures (see report.json)`);
  return out.join('\n');
}
