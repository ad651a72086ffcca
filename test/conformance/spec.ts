/**
 * Okta's official OpenAPI spec (`management.yaml`, `oauth.yaml` in ../shared/okta-openapi),
 * indexed for conformance checks: operations by method + path template, their declared
 * parameters, and ajv validators for their responses (compiled lazily, cached).
 *
 * The spec is read from outside the repository at test time and never copied into it.
 * Parsing both files takes about 1.5 s, so `loadOktaSpec()` caches the index per process.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { parse as parseYaml } from 'yaml';
import { bareDiscriminators, convertSchema, dispatchSchema, findRefCycles, type ConvertContext } from './oas-schema.js';
import { repoRoot } from './paths.js';
import { EMPTY_BODY_OK, SPEC_DEFECTS, type SpecDefect } from './spec-defects.js';
import type { OpenApiDoc, SpecName } from './spec-doc.js';

export type { OpenApiDoc, SpecName } from './spec-doc.js';

export interface SpecSource {
  name: SpecName;
  doc: OpenApiDoc;
}

export interface QueryParam {
  name: string;
  required: boolean;
  /** The parameter's schema (OAS), for value checks. */
  schema?: unknown;
}

export interface ResponseSpec {
  /** `200`, `4XX`, `default` … as the spec writes it. */
  key: string;
  /** Media type → OAS schema (undefined when the spec gives a media type but no schema). */
  content: Map<string, unknown>;
  /** An empty body is fine too (a defect workaround). */
  emptyOk?: boolean;
}

export interface Operation {
  spec: SpecName;
  operationId: string;
  /** Upper-case HTTP method. */
  method: string;
  template: string;
  regex: RegExp;
  /** Segment kinds, for "most literal template wins": 2 literal, 1 mixed, 0 `{param}`. */
  specificity: number[];
  pathParams: string[];
  queryParams: Map<string, QueryParam>;
  responses: Map<string, ResponseSpec>;
}

export interface OperationMatch {
  op: Operation;
  pathParams: Record<string, string>;
}

export type ResponseCheck =
  | { ok: true; used: 'declared' | 'range' | 'default' | 'fallback'; key: string }
  | { ok: false; reason: string; errors?: string[] };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
/** Formats validated (ajv-formats "full"); any other format in the spec is accepted as-is. */
const CHECKED_FORMATS = ['date-time', 'date', 'time', 'uri', 'url', 'email', 'uuid', 'hostname', 'ipv4', 'ipv6', 'int32', 'int64', 'float', 'double', 'byte'] as const;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Follows a local `$ref` (`#/components/...`) in a document. */
export function resolveLocal<T = unknown>(doc: OpenApiDoc, node: unknown): T {
  let cur = node;
  for (let i = 0; i < 10 && isObject(cur) && typeof cur.$ref === 'string'; i++) cur = pointer(doc, cur.$ref);
  return cur as T;
}

export function pointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let cur: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const t = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(cur) && !Array.isArray(cur)) throw new Error(`$ref ${ref}: nothing at ${t}`);
    cur = (cur as Record<string, unknown>)[t];
    if (cur === undefined) throw new Error(`$ref ${ref}: nothing at ${t}`);
  }
  return cur;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `/api/v1/users/{id}` → regex with one capture per parameter, plus its specificity. */
export function compileTemplate(template: string): { regex: RegExp; params: string[]; specificity: number[] } {
  const params: string[] = [];
  const specificity: number[] = [];
  const parts = template.split('/').map((seg) => {
    const pieces = seg.split(/(\{[^}]+\})/).filter((p) => p !== '');
    const hasParam = pieces.some((p) => p.startsWith('{'));
    const allParam = pieces.length === 1 && hasParam;
    specificity.push(allParam ? 0 : hasParam ? 1 : 2);
    return pieces
      .map((p) => {
        if (p.startsWith('{') && p.endsWith('}')) {
          params.push(p.slice(1, -1));
          return '([^/]+)';
        }
        return escapeRegex(p);
      })
      .join('');
  });
  return { regex: new RegExp('^' + parts.join('/') + '$'), params, specificity };
}

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (b[i] ?? -1) - (a[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function mediaBase(ct: string): string {
  return ct.split(';')[0]!.trim().toLowerCase();
}

function docId(name: SpecName): string {
  return `okta-${name}.json`;
}

export interface SpecIndexStats {
  /** Wall-clock ms to read and parse the YAML (0 for inline specs). */
  parseMs: number;
  /** Wall-clock ms to convert schemas and index operations. */
  indexMs: number;
  operations: number;
  schemas: number;
  /** Patterns JavaScript cannot compile (dropped from validation). */
  badPatterns: { spec: SpecName; pattern: string; error: string }[];
  /** `$ref` cycles that consume no data: validating through them would overflow the stack. */
  refCycles: string[][];
}

export class SpecIndex {
  readonly operations: Operation[] = [];
  readonly defects: readonly SpecDefect[];
  readonly stats: SpecIndexStats;
  private readonly byMethod = new Map<string, Operation[]>();
  private readonly ajv: Ajv;
  private readonly validators = new Map<unknown, ValidateFunction>();
  private readonly docs = new Map<SpecName, OpenApiDoc>();
  /** Per spec: the schema an undeclared error status is checked against (a defect workaround). */
  private readonly errorFallback = new Map<SpecName, { statuses: (s: number) => boolean; schema: unknown; defect: string }>();

  constructor(sources: SpecSource[], opts: { defects?: readonly SpecDefect[]; parseMs?: number } = {}) {
    const t0 = performance.now();
    this.defects = opts.defects ?? [];
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, unicodeRegExp: true });
    for (const f of CHECKED_FORMATS) this.ajv.addFormat(f, fullFormats[f]);
    const badPatterns: SpecIndexStats['badPatterns'] = [];
    const refCycles: string[][] = [];
    let schemaCount = 0;

    for (const { name, doc } of sources) {
      for (const d of this.defects) if (d.spec === name) d.apply?.(doc);
      this.docs.set(name, doc);
      const schemas = doc.components?.schemas ?? {};
      schemaCount += Object.keys(schemas).length;
      const ctx: ConvertContext = { docId: docId(name), dispatchable: bareDiscriminators(schemas), formats: new Set(), badPatterns: [] };
      const converted: Record<string, unknown> = {};
      for (const [n, s] of Object.entries(schemas)) converted[n] = convertSchema(s, ctx);
      const dispatch: Record<string, unknown> = {};
      for (const n of ctx.dispatchable) dispatch[n] = dispatchSchema(n, schemas[n] as Record<string, unknown>, ctx);
      const byTarget = new Map<string, unknown>();
      const ptr = (n: string) => n.replace(/~/g, '~0').replace(/\//g, '~1');
      for (const [n, c] of Object.entries(converted)) byTarget.set(`${ctx.docId}#/components/schemas/${ptr(n)}`, c);
      for (const [n, c] of Object.entries(dispatch)) byTarget.set(`${ctx.docId}#/dispatch/${ptr(n)}`, c);
      for (const cycle of findRefCycles(byTarget)) refCycles.push(cycle.map((t) => t.replace(/^.*#\/components\/schemas\//, '').replace(/^.*#\/dispatch\//, 'dispatch:')));
      this.indexOperations(name, doc);
      // Response schemas are converted now too, so every format is known before the first compile.
      const responseSchemas = new Map<unknown, unknown>();
      for (const op of this.operations.filter((o) => o.spec === name)) {
        for (const r of op.responses.values()) {
          for (const [ct, s] of r.content) {
            if (s !== undefined && !responseSchemas.has(s)) responseSchemas.set(s, convertSchema(s, ctx));
            r.content.set(ct, s === undefined ? undefined : responseSchemas.get(s));
          }
        }
      }
      this.ajv.addSchema({ $id: ctx.docId, components: { schemas: converted }, dispatch }, undefined, undefined, false);
      for (const f of ctx.formats) if (!(CHECKED_FORMATS as readonly string[]).includes(f)) this.ajv.addFormat(f, true);
      for (const b of ctx.badPatterns) badPatterns.push({ spec: name, ...b });
      for (const d of this.defects) {
        if (d.spec === name && d.undeclaredErrorStatuses) {
          const ref = d.undeclaredErrorStatuses.schema;
          this.errorFallback.set(name, { statuses: d.undeclaredErrorStatuses.statuses, schema: { $ref: `${ctx.docId}#/components/schemas/${ref}` }, defect: d.id });
        }
      }
    }
    for (const ops of this.byMethod.values()) ops.sort((a, b) => compareSpecificity(a.specificity, b.specificity));
    this.stats = {
      parseMs: opts.parseMs ?? 0,
      indexMs: performance.now() - t0,
      operations: this.operations.length,
      schemas: schemaCount,
      badPatterns,
      refCycles,
    };
  }

  private indexOperations(spec: SpecName, doc: OpenApiDoc): void {
    const extraQuery = new Map<string, string[]>();
    for (const d of this.defects) {
      if (d.spec !== spec || !d.extraQueryParams) continue;
      const key = `${d.extraQueryParams.method.toUpperCase()} ${d.extraQueryParams.path}`;
      extraQuery.set(key, [...(extraQuery.get(key) ?? []), ...d.extraQueryParams.names]);
    }
    for (const [template, itemRaw] of Object.entries(doc.paths)) {
      const item = resolveLocal<Record<string, unknown>>(doc, itemRaw);
      const shared = Array.isArray(item.parameters) ? item.parameters : [];
      const { regex, params, specificity } = compileTemplate(template);
      for (const m of METHODS) {
        const opRaw = item[m];
        if (!isObject(opRaw)) continue;
        const method = m.toUpperCase();
        const queryParams = new Map<string, QueryParam>();
        const own = Array.isArray(opRaw.parameters) ? opRaw.parameters : [];
        for (const p of [...shared, ...own]) {
          const prm = resolveLocal<Record<string, unknown>>(doc, p);
          if (prm.in === 'query' && typeof prm.name === 'string') {
            queryParams.set(prm.name, { name: prm.name, required: prm.required === true, schema: prm.schema });
          }
        }
        for (const n of extraQuery.get(`${method} ${template}`) ?? []) queryParams.set(n, { name: n, required: false });
        const responses = new Map<string, ResponseSpec>();
        for (const [key, rRaw] of Object.entries(isObject(opRaw.responses) ? opRaw.responses : {})) {
          const r = resolveLocal<Record<string, unknown>>(doc, rRaw);
          const content = new Map<string, unknown>();
          for (const [ct, media] of Object.entries(isObject(r.content) ? r.content : {})) {
            content.set(mediaBase(ct), isObject(media) ? media.schema : undefined);
          }
          responses.set(key.toUpperCase(), { key, content, ...(r[EMPTY_BODY_OK] === true ? { emptyOk: true } : {}) });
        }
        const op: Operation = {
          spec,
          operationId: typeof opRaw.operationId === 'string' ? opRaw.operationId : `${method} ${template}`,
          method,
          template,
          regex,
          specificity,
          pathParams: params,
          queryParams,
          responses,
        };
        this.operations.push(op);
        const list = this.byMethod.get(method) ?? [];
        list.push(op);
        this.byMethod.set(method, list);
      }
    }
  }

  /** The operation for a request path (no origin, no query); literal templates win over `{param}` ones. */
  match(method: string, urlPath: string): OperationMatch | undefined {
    for (const op of this.byMethod.get(method.toUpperCase()) ?? []) {
      const m = op.regex.exec(urlPath);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      op.pathParams.forEach((n, i) => (pathParams[n] = m[i + 1]!));
      return { op, pathParams };
    }
    return undefined;
  }

  /** Every operation whose template matches the path, with any method (for "did you mean"). */
  methodsFor(urlPath: string): string[] {
    return this.operations.filter((o) => o.regex.test(urlPath)).map((o) => o.method);
  }

  private validator(schema: unknown): ValidateFunction {
    let v = this.validators.get(schema);
    if (!v) {
      v = this.ajv.compile(schema as object);
      this.validators.set(schema, v);
    }
    return v;
  }

  /**
   * Checks one response against the operation: the status must be declared (exactly, as a range
   * like `4XX`, or `default`); its body must match the declared media type and schema. An empty
   * body is fine only where the spec declares no content.
   */
  checkResponse(op: Operation, status: number, contentType: string | undefined, body: unknown): ResponseCheck {
    const statusKey = String(status);
    let used: 'declared' | 'range' | 'default' | 'fallback' = 'declared';
    let r = op.responses.get(statusKey);
    if (!r) {
      r = op.responses.get(`${statusKey[0]}XX`);
      used = 'range';
    }
    if (!r) {
      r = op.responses.get('DEFAULT');
      used = 'default';
    }
    let fallbackSchema: unknown;
    if (!r) {
      const fb = this.errorFallback.get(op.spec);
      if (!fb || !fb.statuses(status)) {
        return { ok: false, reason: `status ${status} is not declared (declared: ${[...op.responses.values()].map((x) => x.key).join(', ')})` };
      }
      used = 'fallback';
      fallbackSchema = fb.schema;
      r = { key: `${status} (undeclared; ${fb.defect})`, content: new Map([['application/json', fallbackSchema]]) };
    }

    const empty = body === undefined || body === '' || body === null;
    if (r.content.size === 0) {
      return empty ? { ok: true, used, key: r.key } : { ok: false, reason: `the spec declares no body for ${r.key}, but the response has one (${contentType ?? 'no content type'})` };
    }
    if (empty) {
      if (r.emptyOk) return { ok: true, used, key: r.key };
      return { ok: false, reason: `the spec declares a body for ${r.key} (${[...r.content.keys()].join(', ')}), but the response is empty` };
    }
    const base = contentType ? mediaBase(contentType) : 'application/json';
    let schema: unknown;
    let found = false;
    for (const [ct, s] of r.content) {
      if (ct === base || ct === '*/*' || (ct.endsWith('/*') && base.startsWith(ct.slice(0, -1)))) {
        schema = s;
        found = true;
        break;
      }
    }
    if (!found) return { ok: false, reason: `content type ${base} is not declared for ${r.key} (declared: ${[...r.content.keys()].join(', ')})` };
    if (schema === undefined) return { ok: true, used, key: r.key };

    let data = body;
    if (typeof body === 'string' && /json/.test(base)) {
      try {
        data = JSON.parse(body);
      } catch {
        return { ok: false, reason: `body declared as ${base} is not JSON` };
      }
    }
    const validate = this.validator(schema);
    if (validate(data)) return { ok: true, used, key: r.key };
    return { ok: false, reason: `body does not match the schema for ${r.key}`, errors: formatErrors(validate.errors ?? [], data) };
  }

  /** Validates a query parameter value (a string, or repeated strings) against its declared schema. */
  checkQueryValue(op: Operation, p: QueryParam, value: string | string[]): string | undefined {
    const values = Array.isArray(value) ? value : [value];
    const s = isObject(p.schema) ? resolveLocal<Record<string, unknown>>(this.docs.get(op.spec)!, p.schema) : undefined;
    if (!s || typeof s.type !== 'string') return undefined;
    for (const v of values) {
      let ok = true;
      if (s.type === 'integer') ok = /^-?\d+$/.test(v);
      else if (s.type === 'number') ok = v.trim() !== '' && !Number.isNaN(Number(v));
      else if (s.type === 'boolean') ok = v === 'true' || v === 'false';
      if (!ok) return `${p.name}=${JSON.stringify(v)} is not of type ${s.type}`;
      if (Array.isArray(s.enum) && s.type === 'string' && !s.enum.includes(v)) return `${p.name}=${JSON.stringify(v)} is not one of ${s.enum.join(', ')}`;
      if (s.type === 'integer' || s.type === 'number') {
        const n = Number(v);
        if (typeof s.minimum === 'number' && n < s.minimum) return `${p.name}=${v} is below the minimum ${s.minimum}`;
        if (typeof s.maximum === 'number' && n > s.maximum) return `${p.name}=${v} is above the maximum ${s.maximum}`;
      }
    }
    return undefined;
  }
}

function valueAt(data: unknown, instancePath: string): unknown {
  let cur = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const t = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

/** ajv errors, trimmed: the deepest first, without the if/then bookkeeping, at most 8. */
export function formatErrors(errors: ErrorObject[], data: unknown, max = 8): string[] {
  const useful = errors.filter((e) => e.keyword !== 'if' && !(e.keyword === 'anyOf' && errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath))));
  const sorted = [...(useful.length ? useful : errors)].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of sorted) {
    let value = JSON.stringify(valueAt(data, e.instancePath));
    if (value !== undefined && value.length > 80) value = value.slice(0, 77) + '...';
    const extra = e.keyword === 'enum' ? ` ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}` : e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
    const line = `${e.instancePath || '/'} ${e.message}${extra} (got ${value ?? 'nothing'})`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(line);
    if (out.length >= max) break;
  }
  return out;
}

/** `$OKTA_OPENAPI_DIR`, else `../shared/okta-openapi` next to the repository. */
export function resolveSpecDir(root?: string): string {
  const fromEnv = process.env.OKTA_OPENAPI_DIR;
  const dir = fromEnv ? path.resolve(fromEnv) : path.resolve(root ?? repoRoot(), '..', 'shared', 'okta-openapi');
  for (const f of ['management.yaml', 'oauth.yaml']) {
    const p = path.join(dir, f);
    if (!existsSync(p) || !statSync(p).isFile()) {
      throw new Error(
        `conformance: Okta's OpenAPI spec not found: ${p} is missing. ` +
          (fromEnv ? 'OKTA_OPENAPI_DIR points to a directory without it.' : 'Set OKTA_OPENAPI_DIR to the directory holding management.yaml and oauth.yaml (from okta/okta-management-openapi-spec, dist/current/).'),
      );
    }
  }
  return dir;
}

export function parseSpecFile(file: string): OpenApiDoc {
  const doc = parseYaml(readFileSync(file, 'utf8'), { maxAliasCount: -1 }) as OpenApiDoc;
  if (!isObject(doc) || !isObject(doc.paths)) throw new Error(`conformance: ${file} is not an OpenAPI document (no paths)`);
  return doc;
}

let cached: SpecIndex | undefined;

/** Okta's spec, parsed and indexed once per process, with the documented defects worked around. */
export function loadOktaSpec(): SpecIndex {
  if (cached) return cached;
  const dir = resolveSpecDir();
  const t0 = performance.now();
  const sources: SpecSource[] = [
    { name: 'management', doc: parseSpecFile(path.join(dir, 'management.yaml')) },
    { name: 'oauth', doc: parseSpecFile(path.join(dir, 'oauth.yaml')) },
  ];
  cached = new SpecIndex(sources, { defects: SPEC_DEFECTS, parseMs: performance.now() - t0 });
  return cached;
}
