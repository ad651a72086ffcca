/**
 * Reading Sigma field names out of an Okta event. Sigma's Okta rules write field names in any
 * case (`eventtype`, `securityContext.isProxy`, `debugcontext.debugdata.behaviors`) as dotted
 * paths; a list on the way (`target`, `request.ipChain`) is walked element by element, so
 * `target.alternateId` reads the alternateId of every target.
 */
import type { OktaEvent } from './types.js';

export interface FieldPath {
  /** As the rule wrote it. */
  readonly raw: string;
  readonly segments: readonly string[];
  readonly lower: readonly string[];
}

export function fieldPath(raw: string): FieldPath {
  const segments = raw.split('.');
  return { raw, segments, lower: segments.map((s) => s.toLowerCase()) };
}

/** The value of `key` in `obj`: the exact key first, else the first key equal ignoring case. */
function member(obj: Record<string, unknown>, key: string, lower: string): unknown {
  const exact = obj[key];
  if (exact !== undefined || Object.prototype.hasOwnProperty.call(obj, key)) return exact;
  for (const k in obj) if (k.length === lower.length && k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function collect(node: unknown, path: FieldPath, i: number, out: unknown[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, path, i, out);
    return;
  }
  if (i === path.segments.length) {
    if (node !== undefined) out.push(node);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  const v = member(obj, path.segments[i]!, path.lower[i]!);
  if (v !== undefined) {
    collect(v, path, i + 1, out);
    return;
  }
  // A key that itself holds dots (`"a.b": …`): try the following segments joined.
  for (let j = i + 2; j <= path.segments.length; j++) {
    const key = path.segments.slice(i, j).join('.');
    const w = member(obj, key, key.toLowerCase());
    if (w !== undefined) {
      collect(w, path, j, out);
      return;
    }
  }
}

/** Every value at `path` (lists flattened); empty when the path is not there. */
export function resolve(event: OktaEvent, path: FieldPath): unknown[] {
  const out: unknown[] = [];
  collect(event, path, 0, out);
  return out;
}

/** A value as Sigma compares it: strings as they are, numbers and booleans as text; else undefined. */
export function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** The values at one path, with their text forms (computed once per event and path). */
export interface FieldValues {
  readonly raw: readonly unknown[];
  /** asText of each value (undefined for objects). */
  readonly text: readonly (string | undefined)[];
  readonly lower: readonly (string | undefined)[];
}

const NONE: FieldValues = Object.freeze({ raw: [], text: [], lower: [] });

function valuesOf(raw: unknown[]): FieldValues {
  if (!raw.length) return NONE;
  const text = raw.map(asText);
  return { raw, text, lower: text.map((t) => t?.toLowerCase()) };
}

/**
 * One event under evaluation: field values are looked up once however many rules ask, and the
 * event's text values (for keywords) are gathered on first use.
 */
export class EventView {
  private fields: Map<string, FieldValues> | undefined;
  private leafValues: FieldValues | undefined;
  private leafText: string | undefined;

  constructor(readonly event: OktaEvent) {}

  /** The values at `path`, or (null) every string, number and boolean anywhere in the event. */
  get(path: FieldPath | null): FieldValues {
    if (!path) return (this.leafValues ??= valuesOf(leaves(this.event)));
    const fields = (this.fields ??= new Map());
    let v = fields.get(path.raw);
    if (!v) {
      v = valuesOf(resolve(this.event, path));
      fields.set(path.raw, v);
    }
    return v;
  }

  /**
   * Every value of the event as one lower-case text, values separated by VALUE_SEPARATOR: a
   * plain keyword is one substring search instead of one per value.
   */
  text(): string {
    return (this.leafText ??= (this.leafValues?.text ?? leaves(this.event).map(asText)).join(VALUE_SEPARATOR).toLowerCase());
  }
}

/** Separates values in EventView.text(): a keyword holding it is searched value by value instead. */
export const VALUE_SEPARATOR = '\u0000';

function leaves(event: OktaEvent): unknown[] {
  const out: unknown[] = [];
  const walk = (n: unknown): void => {
    if (asText(n) !== undefined) out.push(n);
    else if (Array.isArray(n)) for (const x of n) walk(x);
    else if (n && typeof n === 'object') for (const k in n as Record<string, unknown>) walk((n as Record<string, unknown>)[k]);
  };
  walk(event);
  return out;
}
