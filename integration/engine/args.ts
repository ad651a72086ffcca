import type { ErrorObject, ValidateFunction } from 'ajv';
import { ArgumentError, showValue, UsageError } from '../base/errors.js';
import { loadManifest, type ManifestArgument, type ManifestCommand } from './manifest.js';
import { getValidator } from './validators.js';
import type { Args } from './types.js';

/** XSOAR platform arguments: accepted on any command and left to the platform. */
export const PLATFORM_ARGS = new Set([
  'extend-context',
  'ignore-outputs',
  'retry-count',
  'retry-interval',
  'execution-timeout',
  'using',
  'raw-response',
]);

/** Arguments every command understands, beyond its manifest entry. */
export const DRY_RUN_ARG = 'dry_run';

/** The longest string value accepted unless an argument's schema says otherwise. */
export const DEFAULT_MAX_LENGTH = 4096;

/** The longest raw value of any argument, before coercion (JSON objects and lists included). */
export const MAX_RAW_LENGTH = 1024 * 1024;

export interface ParsedLine {
  command: string;
  args: Record<string, string>;
  positional: string[];
}

/**
 * Splits a war-room line (`!okta-get-user username="a b" filter=\`x eq "y"\``) into words with
 * XSOAR's quoting: "double quotes" with backslash escapes, `backticks` taken literally.
 */
export function tokenizeWarRoom(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '"') {
      inWord = true;
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        cur += line[i];
        i++;
      }
      if (i >= line.length) throw new UsageError('unterminated "double quote" in the command line');
      i++;
    } else if (ch === '`') {
      inWord = true;
      const end = line.indexOf('`', i + 1);
      if (end < 0) throw new UsageError('unterminated `backtick` in the command line');
      cur += line.slice(i + 1, end);
      i = end + 1;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      inWord = true;
      cur += ch;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Splits `name=value` words; a word without `=` (or starting with `=`) is positional. */
export function splitArgWords(words: string[]): { args: Record<string, string>; positional: string[] } {
  const args: Record<string, string> = {};
  const positional: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0 && /^[A-Za-z][A-Za-z0-9_-]*$/.test(w.slice(0, eq))) {
      const name = w.slice(0, eq);
      if (Object.hasOwn(args, name)) throw new UsageError(`argument ${name} is given twice`);
      args[name] = w.slice(eq + 1);
    } else positional.push(w);
  }
  return { args, positional };
}

export function parseWarRoomLine(line: string): ParsedLine {
  const words = tokenizeWarRoom(line.trim());
  if (!words.length) throw new UsageError('empty command line');
  const command = words[0]!.replace(/^!/, '');
  return { command, ...splitArgWords(words.slice(1)) };
}

function levenshtein(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= n; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[n]!;
}

/** The known name closest to `name`, when it is close enough to be a likely typo. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = k.toLowerCase() === name.toLowerCase() ? 0 : levenshtein(name, k);
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

type JsonSchema = Record<string, unknown>;

function isBooleanPredefined(a: ManifestArgument): boolean {
  const p = a.predefined?.map((v) => v.toLowerCase()).sort();
  return !!p && p.length === 2 && p[0] === 'false' && p[1] === 'true';
}

/** The JSON Schema of one argument's value after coercion. */
export function argumentSchema(a: ManifestArgument): JsonSchema {
  let s: JsonSchema;
  if (a.schema) s = { ...a.schema };
  else if (isBooleanPredefined(a)) s = { type: 'boolean' };
  else if (a.predefined?.length) s = { type: 'string', enum: a.predefined };
  else s = { type: 'string' };
  if (s.type === 'string' && s.maxLength === undefined && s.enum === undefined) s.maxLength = DEFAULT_MAX_LENGTH;
  if (a.isArray) return { type: 'array', items: s, minItems: 1, maxItems: 1000 };
  return s;
}

/** The JSON Schema of a command's whole argument object. */
export function commandSchema(c: ManifestCommand, opts: { extraArgs?: Record<string, JsonSchema> } = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const a of c.arguments) {
    properties[a.name] = argumentSchema(a);
    if (a.required) required.push(a.name);
  }
  Object.assign(properties, opts.extraArgs ?? {});
  const schema: JsonSchema = { type: 'object', properties, required, additionalProperties: false };
  if (c.requireOneOf?.length) schema.allOf = c.requireOneOf.map((g) => ({ anyOf: g.map((n) => ({ required: [n] })) }));
  return schema;
}

/** The full argument schema the dispatcher validates against (dry_run added where it applies). */
export function validatedSchema(c: ManifestCommand): JsonSchema {
  return commandSchema(c, { extraArgs: c.changes ? { [DRY_RUN_ARG]: { type: 'boolean' } } : {} });
}

function validatorFor(c: ManifestCommand): ValidateFunction {
  // Built-ins (test-module) are not in the manifest: compile their (empty) schema at run time.
  const hash = loadManifest().commands.has(c.name) ? loadManifest().hash : 'builtin';
  return getValidator(`cmd:${c.name}`, hash, () => validatedSchema(c));
}

const TRUE = new Set(['true', 'yes', '1', 'on']);
const FALSE = new Set(['false', 'no', '0', 'off']);

/** Whether a raw boolean argument reads as true, by the same words the coercion below accepts (faces that must know before dispatch, e.g. a dry run). */
export function readsTrue(raw: unknown): boolean {
  return raw === true || (typeof raw === 'string' && TRUE.has(raw.trim().toLowerCase()));
}

function schemaType(s: JsonSchema): string | undefined {
  return typeof s.type === 'string' ? s.type : undefined;
}

/** Coerces one war-room string to what the schema expects; leaves it alone when it can't (ajv then names the rule). */
function coerceValue(raw: unknown, s: JsonSchema, argName: string, command: string): unknown {
  const t = schemaType(s);
  if (t === 'array') {
    let list: unknown[];
    if (Array.isArray(raw)) list = raw;
    else if (typeof raw === 'string') {
      const text = raw.trim();
      if (text.startsWith('[')) {
        try {
          const parsed = JSON.parse(text) as unknown;
          list = Array.isArray(parsed) ? parsed : [text];
        } catch {
          list = text.split(',');
        }
      } else list = text.split(',');
    } else list = [raw];
    const items = (s.items as JsonSchema | undefined) ?? { type: 'string' };
    return list
      .map((v) => (typeof v === 'string' ? v.trim() : v))
      .filter((v) => v !== '' && v !== null && v !== undefined)
      .map((v) => coerceValue(v, items, argName, command));
  }
  if (typeof raw !== 'string') return raw;
  if (t === 'integer' || t === 'number') {
    const text = raw.trim();
    if (/^-?\d+$/.test(text) || (t === 'number' && /^-?\d+(\.\d+)?$/.test(text))) return Number(text);
    return raw;
  }
  if (t === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    return raw;
  }
  if (t === 'object') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new ArgumentError(`${command}: argument ${argName} must be a JSON object (it is not valid JSON)`, argName, 'json');
    }
  }
  if (Array.isArray(s.enum)) {
    const hit = (s.enum as unknown[]).find((e) => typeof e === 'string' && e.toLowerCase() === raw.trim().toLowerCase());
    if (hit !== undefined) return hit;
  }
  return raw;
}

function describeError(command: string, e: ErrorObject, c: ManifestCommand): ArgumentError {
  const argName = e.instancePath.split('/')[1] ?? (e.params as { missingProperty?: string }).missingProperty ?? '';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return new ArgumentError(`${command}: argument ${String(p.missingProperty)} is required`, String(p.missingProperty), 'required');
    case 'anyOf': {
      const idx = Number(/allOf\/(\d+)/.exec(e.schemaPath)?.[1] ?? 0);
      const names = c.requireOneOf?.[idx] ?? [];
      return new ArgumentError(`${command}: one of ${names.join(', ')} is required`, names[0], 'requireOneOf');
    }
    case 'type':
      return new ArgumentError(`${command}: argument ${argName} must be ${p.type === 'integer' ? 'a whole number' : `of type ${String(p.type)}`}`, argName, 'type');
    case 'enum':
      return new ArgumentError(`${command}: argument ${argName} must be one of ${(p.allowedValues as unknown[]).join(', ')}`, argName, 'enum');
    case 'maxLength':
      return new ArgumentError(`${command}: argument ${argName} is longer than ${String(p.limit)} characters`, argName, 'maxLength');
    case 'minLength':
      return new ArgumentError(`${command}: argument ${argName} must not be empty`, argName, 'minLength');
    case 'pattern':
      return new ArgumentError(`${command}: argument ${argName} does not have the expected form (${String(p.pattern)})`, argName, 'pattern');
    case 'format':
      return new ArgumentError(`${command}: argument ${argName} must be a valid ${String(p.format)}`, argName, 'format');
    case 'minimum':
    case 'exclusiveMinimum':
      return new ArgumentError(`${command}: argument ${argName} must be ${e.keyword === 'minimum' ? 'at least' : 'greater than'} ${String(p.limit)}`, argName, e.keyword);
    case 'maximum':
    case 'exclusiveMaximum':
      return new ArgumentError(`${command}: argument ${argName} must be ${e.keyword === 'maximum' ? 'at most' : 'less than'} ${String(p.limit)}`, argName, e.keyword);
    case 'maxItems':
      return new ArgumentError(`${command}: argument ${argName} has more than ${String(p.limit)} items`, argName, 'maxItems');
    case 'minItems':
      return new ArgumentError(`${command}: argument ${argName} must not be empty`, argName, 'minItems');
    default:
      return new ArgumentError(`${command}: argument ${argName || '(arguments)'} ${e.message ?? 'is invalid'}`, argName, e.keyword);
  }
}

/**
 * Turns raw war-room arguments into validated values: platform arguments dropped, the positional
 * default argument placed, strings coerced, manifest defaults applied, the JSON Schema checked.
 */
export function prepareArgs(c: ManifestCommand, raw: Record<string, unknown>, positional: string[] = []): Args {
  const known = new Map(c.arguments.map((a) => [a.name, a]));
  // No prototype: an argument named __proto__ or constructor is just an unknown argument.
  const input: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (PLATFORM_ARGS.has(k)) continue;
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string' && v.length > MAX_RAW_LENGTH) throw new ArgumentError(`${c.name}: argument ${showValue(k)} is longer than ${MAX_RAW_LENGTH} characters`, k, 'maxLength');
    input[k] = v;
  }
  if (positional.length) {
    const def = c.arguments.find((a) => a.default);
    if (!def) throw new ArgumentError(`${c.name}: takes no positional argument (got ${showValue(positional[0], 32)}); use name=value`, undefined, 'positional');
    if (positional.length > 1) throw new ArgumentError(`${c.name}: only one positional argument (${def.name}) is accepted`, def.name, 'positional');
    if (def.name in input) throw new ArgumentError(`${c.name}: argument ${def.name} is given twice`, def.name, 'duplicate');
    if (typeof positional[0] === 'string' && positional[0].length > MAX_RAW_LENGTH) throw new ArgumentError(`${c.name}: argument ${def.name} is longer than ${MAX_RAW_LENGTH} characters`, def.name, 'maxLength');
    input[def.name] = positional[0];
  }
  for (const k of Object.keys(input)) {
    if (known.has(k) || (k === DRY_RUN_ARG && c.changes)) continue;
    const names = [...known.keys(), ...(c.changes ? [DRY_RUN_ARG] : [])];
    const hint = k.length <= 64 ? closest(k, names) : undefined;
    throw new ArgumentError(
      `${c.name}: unknown argument ${/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(k) ? k : showValue(k)}${hint ? ` (did you mean ${hint}?)` : names.length ? ` (known: ${names.join(', ')})` : ' (this command takes no arguments)'}`,
      k,
      'unknown',
    );
  }
  const out: Record<string, unknown> = {};
  for (const a of c.arguments) {
    let v = input[a.name];
    if (v === undefined && a.defaultValue !== undefined) v = a.defaultValue;
    if (v === undefined) continue;
    out[a.name] = coerceValue(typeof v === 'number' || typeof v === 'boolean' ? (schemaType(argumentSchema(a)) === 'string' ? String(v) : v) : v, argumentSchema(a), a.name, c.name);
  }
  if (DRY_RUN_ARG in input) out[DRY_RUN_ARG] = coerceValue(input[DRY_RUN_ARG], { type: 'boolean' }, DRY_RUN_ARG, c.name);
  const validate = validatorFor(c);
  if (!validate(out)) {
    // Branch errors inside requireOneOf's anyOf say nothing on their own; the anyOf error says it.
    const errs = (validate.errors ?? []).filter((e) => !(e.keyword === 'required' && e.schemaPath.includes('anyOf')));
    // Prefer the most specific error: a bad value before a missing one.
    const first = errs.find((e) => e.keyword !== 'required' && e.keyword !== 'anyOf') ?? errs.find((e) => e.keyword === 'required') ?? errs[0]!;
    throw describeError(c.name, first, c);
  }
  for (const a of c.arguments) {
    const v = out[a.name];
    const schema = argumentSchema(a);
    const itemSchema = (schema.items as JsonSchema | undefined) ?? {};
    const own = typeof schema.pattern === 'string' || typeof itemSchema.pattern === 'string';
    for (const s of Array.isArray(v) ? v : [v]) {
      // A value stays one line: no line break, NUL or other control character can reach Okta, a
      // log or a readable line (tab excepted). A schema with its own pattern decides for itself.
      // eslint-disable-next-line no-control-regex
      if (!own && typeof s === 'string' && /[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/.test(s))
        throw new ArgumentError(`${c.name}: argument ${a.name} contains a line break or another control character`, a.name, 'controlCharacters');
    }
  }
  return out;
}
