/**
 * OpenAPI 3.0 Schema Object → JSON Schema (draft-07, as ajv runs it), for validating responses.
 *
 * Only validation keywords survive; annotations (`description`, `example`, `x-okta-*` …) are
 * dropped, which also keeps ajv away from the spec's properties literally named `$ref`/`$schema`.
 * - `nullable: true` allows null (added to `type` and `enum`, or an `anyOf` with null).
 * - `$ref` siblings: OAS 3.0 ignores them; we keep `nullable` and drop annotations.
 * - `discriminator` (with `oneOf`/`anyOf`, or bare on a base schema that subtypes extend with
 *   `allOf`): dispatched on the property value with an if/then chain to the mapped schema; a
 *   value outside the mapping validates against the union (or the base). A `$ref` to a base that
 *   carries a bare discriminator dispatches too, except from inside an `allOf` (inheritance),
 *   where it must mean the base itself, or validation would loop.
 * - `writeOnly` properties are dropped from `required` (we only validate responses).
 */

export type OasSchema = { [k: string]: unknown };

/** Keywords copied as they are (their values are not schemas). */
const VALUE_KEYWORDS = new Set([
  'type', 'enum', 'const', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
  'multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties',
]);

export interface ConvertContext {
  /** `$id` of the document this schema lives in: local refs become `<docId>#/components/schemas/X`. */
  docId: string;
  /** Components whose schema carries a bare discriminator (they get a `#/dispatch/X` variant). */
  dispatchable: ReadonlySet<string>;
  /** Formats seen (so the caller can declare the unknown ones to ajv). */
  formats: Set<string>;
  /** Patterns that JavaScript cannot compile; they are dropped, and reported here. */
  badPatterns: { pattern: string; error: string }[];
}

const SCHEMA_REF = /^#\/components\/schemas\/([^/]+)$/;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function decodePointerToken(t: string): string {
  return decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The component name a local `$ref` points to, or undefined. */
export function schemaRefName(ref: string): string | undefined {
  const m = SCHEMA_REF.exec(ref);
  return m ? decodePointerToken(m[1]!) : undefined;
}

function rewriteRef(ref: string, ctx: ConvertContext, inAllOf: boolean): string {
  if (!ref.startsWith('#')) throw new Error(`unsupported external $ref ${ref}`);
  const name = schemaRefName(ref);
  if (name !== undefined && !inAllOf && ctx.dispatchable.has(name)) {
    return `${ctx.docId}#/dispatch/${ref.slice('#/components/schemas/'.length)}`;
  }
  return ctx.docId + ref;
}

function allowNull(out: Record<string, unknown>): Record<string, unknown> {
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: 'null' }, out] };
}

interface Discriminator { propertyName: string; mapping?: Record<string, string> }

/** if (prop === k1) then $ref m1 else if … else `fallback`. */
function dispatchChain(d: Discriminator, mapping: [string, string][], ctx: ConvertContext, fallback: unknown): unknown {
  let node: unknown = fallback;
  for (const [value, target] of [...mapping].reverse()) {
    // A mapping value is a reference or, per OAS 3.0, a bare schema name.
    const ref = target.startsWith('#') ? target : `#/components/schemas/${target}`;
    node = {
      if: { properties: { [d.propertyName]: { const: value } }, required: [d.propertyName] },
      then: { $ref: rewriteRef(ref, ctx, true) },
      else: node,
    };
  }
  return node;
}

function implicitMapping(members: unknown[]): [string, string][] {
  const out: [string, string][] = [];
  for (const m of members) {
    if (isObject(m) && typeof m.$ref === 'string') {
      const name = schemaRefName(m.$ref);
      if (name !== undefined) out.push([name, m.$ref]);
    }
  }
  return out;
}

/** Converts one OAS schema. `inAllOf`: this schema is a direct member of an `allOf`. */
export function convertSchema(s: unknown, ctx: ConvertContext, inAllOf = false): unknown {
  if (typeof s === 'boolean') return s;
  if (!isObject(s)) return {};

  if (typeof s.$ref === 'string') {
    const ref: Record<string, unknown> = { $ref: rewriteRef(s.$ref, ctx, inAllOf) };
    return s.nullable === true ? { anyOf: [{ type: 'null' }, ref] } : ref;
  }

  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (VALUE_KEYWORDS.has(k)) {
      if (k === 'format' && typeof v === 'string') ctx.formats.add(v);
      if (k === 'pattern' && typeof v === 'string') {
        try {
          new RegExp(v, 'u');
        } catch (e) {
          ctx.badPatterns.push({ pattern: v, error: (e as Error).message });
          continue;
        }
      }
      out[k] = v;
    }
  }
  // OAS 3.0 (draft-04 style) boolean exclusive bounds.
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }

  if (isObject(s.properties)) {
    const props: Record<string, unknown> = {};
    for (const [name, ps] of Object.entries(s.properties)) props[name] = convertSchema(ps, ctx);
    out.properties = props;
  }
  if (Array.isArray(s.required)) {
    const props = isObject(s.properties) ? s.properties : {};
    const req = s.required.filter((n) => !(typeof n === 'string' && isObject(props[n]) && props[n].writeOnly === true));
    if (req.length) out.required = req;
  }
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = typeof s.additionalProperties === 'boolean' ? s.additionalProperties : convertSchema(s.additionalProperties, ctx);
  }
  if (s.items !== undefined) out.items = convertSchema(s.items, ctx);
  if (s.not !== undefined) out.not = convertSchema(s.not, ctx);
  if (Array.isArray(s.allOf)) out.allOf = s.allOf.map((m) => convertSchema(m, ctx, true));

  const d = isObject(s.discriminator) && typeof s.discriminator.propertyName === 'string' ? (s.discriminator as unknown as Discriminator) : undefined;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const members = s[key];
    if (!Array.isArray(members)) continue;
    const converted = members.map((m) => convertSchema(m, ctx));
    if (d) {
      const mapping = d.mapping ? Object.entries(d.mapping) : implicitMapping(members);
      const chain = dispatchChain(d, mapping, ctx, { anyOf: converted });
      out.allOf = [...((out.allOf as unknown[]) ?? []), chain];
    } else {
      out[key] = converted;
    }
  }

  return s.nullable === true ? allowNull(out) : out;
}

/** The `#/dispatch/X` variant of a base schema with a bare discriminator. */
export function dispatchSchema(name: string, s: OasSchema, ctx: ConvertContext): unknown {
  const d = s.discriminator as Discriminator;
  const mapping = Object.entries(d.mapping ?? {});
  const base = { $ref: `${ctx.docId}#/components/schemas/${name.replace(/~/g, '~0').replace(/\//g, '~1')}` };
  return dispatchChain(d, mapping, ctx, base);
}

/**
 * `$ref` cycles that consume no data (A allOf B, B oneOf A …): ajv compiles them, then
 * overflows the stack on the first value. `schemas` are converted; keys are ref targets
 * (`<docId>#/components/schemas/X`). Returns each cycle as a list of targets.
 */
export function findRefCycles(schemas: Map<string, unknown>): string[][] {
  const edges = new Map<string, string[]>();
  const collect = (s: unknown, out: string[]): void => {
    if (!isObject(s)) return;
    if (typeof s.$ref === 'string') out.push(s.$ref);
    for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) for (const m of s[k] as unknown[]) collect(m, out);
    for (const k of ['not', 'if', 'then', 'else']) collect(s[k], out);
  };
  for (const [id, s] of schemas) {
    const out: string[] = [];
    collect(s, out);
    edges.set(id, out);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 1);
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      const st = state.get(next);
      if (st === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (st === undefined && edges.has(next)) visit(next);
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const id of edges.keys()) if (!state.has(id)) visit(id);
  return cycles;
}

/** Names of component schemas with a discriminator but no oneOf/anyOf (inheritance bases). */
export function bareDiscriminators(schemas: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const [name, s] of Object.entries(schemas)) {
    if (isObject(s) && isObject(s.discriminator) && !Array.isArray(s.oneOf) && !Array.isArray(s.anyOf)) out.add(name);
  }
  return out;
}
