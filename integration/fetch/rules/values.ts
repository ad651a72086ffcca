/**
 * One entry of a Sigma selection (`field|modifier|…: value or list`) compiled into a test on an
 * event. Sigma's semantics: strings compare case-insensitively (unless `cased`), `*` and `?` are
 * wildcards (`\*`, `\?`, `\\` escape them), a list is "any of" (`all`: "every one of"), `null`
 * means the field is absent or null, and a field holding a list matches when any element does.
 *
 * Regular expressions (`re`) run on RE2 (re2js, linear time): a pattern that would backtrack for
 * ever in a backtracking engine (`(a+)+$`) is bounded by construction, and what RE2 cannot do in
 * linear time (backreferences, lookaround) is refused when the rule loads.
 * CIDR ranges (`cidr`) are matched with node:net's BlockList (IPv4, IPv6, IPv4-mapped IPv6).
 */
import { BlockList, isIP } from 'node:net';
import { RE2JS } from 're2js';
import { showValue } from '../../base/errors.js';
import { fieldPath, VALUE_SEPARATOR, type EventView, type FieldPath, type FieldValues } from './fields.js';
import { RuleSyntaxError } from './rule-error.js';

/** Tests one value (`text` is its text form, `lower` the same in lower case). */
type Pattern = (text: string, lower: string, raw: unknown) => boolean;

/** Modifiers Sigma defines that make no sense for Okta's JSON events; named so the refusal says why. */
const NOT_FOR_OKTA: Readonly<Record<string, string>> = {
  base64: 'it searches Base64-encoded text (Windows command lines); Okta events hold none',
  base64offset: 'it searches Base64-encoded text (Windows command lines); Okta events hold none',
  utf16: 'it searches UTF-16 encoded text (Windows); Okta events are JSON text',
  utf16le: 'it searches UTF-16 encoded text (Windows); Okta events are JSON text',
  utf16be: 'it searches UTF-16 encoded text (Windows); Okta events are JSON text',
  wide: 'it searches UTF-16 encoded text (Windows); Okta events are JSON text',
  windash: 'it varies Windows command-line dashes; Okta events have no command lines',
  expand: 'its placeholders are filled by a conversion pipeline, which okta-soar does not have',
};

const STRING_FORMS = ['contains', 'startswith', 'endswith'] as const;
const COMPARISONS = ['gt', 'gte', 'lt', 'lte'] as const;
const RE_FLAGS = ['i', 'm', 's'] as const;
/** Addresses remembered per `cidr` entry. */
const CIDR_CACHE = 4096;
const KNOWN = new Set<string>([...STRING_FORMS, ...COMPARISONS, ...RE_FLAGS, 'all', 're', 'cidr', 'exists', 'cased', 'fieldref']);

/** Literal values an entry requires (for the System Log filter): exact values and prefixes, lower case. */
export interface Literals {
  eq: string[];
  sw: string[];
}

export interface FieldTest {
  /** The field as written; '' for a keyword (every value of the event). */
  readonly field: string;
  readonly modifiers: readonly string[];
  /** When the entry can only match these literal values (plain or startswith, no other wildcard). */
  readonly literals: Literals | null;
  test(view: EventView): boolean;
}

// ---------------------------------------------------------------- wildcards

/** A Sigma string split at its unescaped `*`; `?` positions kept per piece. */
export interface Glob {
  pieces: { text: string; any: boolean[] | null }[];
  /** No `*` at all: the whole value must match. */
  exact: boolean;
  startsWithStar: boolean;
  endsWithStar: boolean;
}

/** Parses Sigma's escapes: `\*`, `\?` and `\\` are literal; a lone `\` before anything else stays. */
export function parseWildcards(s: string): { pieces: { text: string; any: boolean[] }[]; stars: number[] } {
  const pieces: { text: string; any: boolean[] }[] = [];
  let text = '';
  let any: boolean[] = [];
  const stars: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && (s[i + 1] === '*' || s[i + 1] === '?' || s[i + 1] === '\\')) {
      text += s[++i];
      any.push(false);
    } else if (c === '*') {
      pieces.push({ text, any });
      stars.push(i);
      text = '';
      any = [];
    } else if (c === '?') {
      text += '?';
      any.push(true);
    } else {
      text += c;
      any.push(false);
    }
  }
  pieces.push({ text, any });
  return { pieces, stars };
}

/** A Sigma string as a glob (`lower`: for case-insensitive matching of lower-cased text). */
export function toGlob(s: string, lower: boolean): Glob {
  const { pieces, stars } = parseWildcards(s);
  return {
    pieces: pieces.map((p) => ({ text: lower ? p.text.toLowerCase() : p.text, any: p.any.some(Boolean) ? p.any : null })),
    exact: stars.length === 0,
    startsWithStar: pieces[0]!.text === '' && stars.length > 0,
    endsWithStar: pieces[pieces.length - 1]!.text === '' && stars.length > 0,
  };
}

function pieceAt(piece: { text: string; any: boolean[] | null }, s: string, at: number): boolean {
  const t = piece.text;
  if (at < 0 || at + t.length > s.length) return false;
  if (!piece.any) return s.startsWith(t, at);
  for (let i = 0; i < t.length; i++) if (!piece.any[i] && s[at + i] !== t[i]) return false;
  return true;
}

function pieceFrom(piece: { text: string; any: boolean[] | null }, s: string, from: number): number {
  if (!piece.any) return s.indexOf(piece.text, from);
  for (let at = from; at + piece.text.length <= s.length; at++) if (pieceAt(piece, s, at)) return at;
  return -1;
}

/**
 * Glob match without backtracking: pieces between stars are found leftmost, one after the other
 * (leftmost is always a safe choice when only `*` separates them), so a match costs at most
 * O(pattern × text), whatever the pattern.
 */
export function globMatch(g: Glob, s: string): boolean {
  const ps = g.pieces;
  if (g.exact) return ps[0]!.text.length === s.length && pieceAt(ps[0]!, s, 0);
  const first = ps[0]!;
  const last = ps[ps.length - 1]!;
  if (first.text.length + last.text.length > s.length) return false;
  if (!pieceAt(first, s, 0) || !pieceAt(last, s, s.length - last.text.length)) return false;
  let pos = first.text.length;
  const end = s.length - last.text.length;
  for (let k = 1; k < ps.length - 1; k++) {
    const p = ps[k]!;
    if (!p.text) continue;
    const at = pieceFrom(p, s, pos);
    if (at < 0 || at + p.text.length > end) return false;
    pos = at + p.text.length;
  }
  return true;
}

/** A Sigma wildcard string as a test (`cased`: case matters). */
export function wildcardTest(pattern: string, cased = false): (s: string) => boolean {
  const g = toGlob(pattern, !cased);
  return cased ? (s) => globMatch(g, s) : (s) => globMatch(g, s.toLowerCase());
}

// ---------------------------------------------------------------- one value

function stringPattern(value: string, form: (typeof STRING_FORMS)[number] | undefined, cased: boolean): { pattern: Pattern; literal: { eq?: string; sw?: string } | null } {
  const body = form === 'contains' ? `*${value}*` : form === 'startswith' ? `${value}*` : form === 'endswith' ? `*${value}` : value;
  const g = toGlob(body, !cased);
  const ps = g.pieces;
  const noQ = ps.every((p) => !p.any);
  let literal: { eq?: string; sw?: string } | null = null;
  if (noQ && g.exact) literal = { eq: ps[0]!.text.toLowerCase() };
  else if (noQ && ps.length === 2 && !g.startsWithStar && g.endsWithStar) literal = { sw: ps[0]!.text.toLowerCase() };
  const pick = cased ? (text: string) => text : (_t: string, lower: string) => lower;
  let test: (s: string) => boolean;
  if (noQ && g.exact) {
    const t = ps[0]!.text;
    test = (s) => s === t;
  } else if (noQ && ps.length === 2 && g.endsWithStar) {
    const t = ps[0]!.text;
    test = (s) => s.startsWith(t);
  } else if (noQ && ps.length === 2 && g.startsWithStar) {
    const t = ps[1]!.text;
    test = (s) => s.endsWith(t);
  } else if (noQ && ps.length === 3 && g.startsWithStar && g.endsWithStar) {
    const t = ps[1]!.text;
    test = (s) => s.includes(t);
  } else {
    test = (s) => globMatch(g, s);
  }
  return { pattern: (text, lower) => test(pick(text, lower)), literal };
}

function numberPattern(n: number): Pattern {
  const asString = String(n);
  return (text, lower, raw) => (typeof raw === 'number' ? raw === n : lower === asString || (text.trim() !== '' && Number(text) === n));
}

function regexPattern(source: unknown, flags: readonly string[]): Pattern {
  if (typeof source !== 'string') throw new RuleSyntaxError("modifier 're'", `a regular expression must be a string, not ${showValue(JSON.stringify(source))}`);
  let f = 0;
  if (flags.includes('i')) f |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) f |= RE2JS.MULTILINE;
  if (flags.includes('s')) f |= RE2JS.DOTALL;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, f);
  } catch (e) {
    const why = (e as Error).message;
    const hint = /\\[1-9]|\(\?[=!<]/.test(source) ? ' (backreferences and lookaround need a backtracking engine, which can take exponential time; RE2 refuses them)' : '';
    throw new RuleSyntaxError("modifier 're'", `the regular expression ${showValue(source, 120)} cannot be used: ${why}${hint}`);
  }
  return (text) => re.test(text);
}

function cidrPatterns(values: readonly unknown[]): Pattern {
  const list = new BlockList();
  for (const v of values) {
    if (typeof v !== 'string') throw new RuleSyntaxError("modifier 'cidr'", `a CIDR range must be a string like "192.0.2.0/24", not ${showValue(JSON.stringify(v))}`);
    const [addr, bits, extra] = v.trim().split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!family || extra !== undefined || !(prefix >= 0 && prefix <= max))
      throw new RuleSyntaxError("modifier 'cidr'", `${showValue(v)} is not a CIDR range (e.g. "192.0.2.0/24" or "2001:db8::/32")`);
    list.addSubnet(addr!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  // BlockList.check builds a SocketAddress per call; the same few addresses recur in a log.
  const seen = new Map<string, boolean>();
  return (text) => {
    let hit = seen.get(text);
    if (hit === undefined) {
      const t = text.trim();
      const family = isIP(t);
      hit = family !== 0 && list.check(t, family === 6 ? 'ipv6' : 'ipv4');
      if (seen.size >= CIDR_CACHE) seen.clear();
      seen.set(text, hit);
    }
    return hit;
  };
}

function comparison(op: (typeof COMPARISONS)[number], v: unknown): Pattern {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new RuleSyntaxError(`modifier '${op}'`, `compares numbers: ${showValue(JSON.stringify(v))} is not one`);
  const cmp = { gt: (x: number) => x > n, gte: (x: number) => x >= n, lt: (x: number) => x < n, lte: (x: number) => x <= n }[op];
  return (text, _l, raw) => {
    const x = typeof raw === 'number' ? raw : text.trim() !== '' ? Number(text) : NaN;
    return Number.isFinite(x) && cmp(x);
  };
}

// ---------------------------------------------------------------- one entry

function checkModifiers(mods: readonly string[]): void {
  const seen = new Set<string>();
  for (const m of mods) {
    if (NOT_FOR_OKTA[m]) throw new RuleSyntaxError(`modifier '${m}'`, `is not supported: ${NOT_FOR_OKTA[m]}`);
    if (!KNOWN.has(m)) throw new RuleSyntaxError(`modifier ${showValue(m)}`, `is not a Sigma modifier okta-soar knows (known: ${[...KNOWN].sort().join(', ')})`);
    if (seen.has(m)) throw new RuleSyntaxError(`modifier '${m}'`, 'is given twice');
    seen.add(m);
  }
  const forms = mods.filter((m) => (STRING_FORMS as readonly string[]).includes(m));
  if (forms.length > 1) throw new RuleSyntaxError(`modifiers '${forms.join("' and '")}'`, 'cannot be combined: choose one of contains, startswith, endswith');
  const flags = mods.filter((m) => (RE_FLAGS as readonly string[]).includes(m));
  if (flags.length && !seen.has('re')) throw new RuleSyntaxError(`modifier '${flags[0]}'`, "is a flag of 're' and needs it");
  const alone = (m: string, allowed: readonly string[]) => {
    if (!seen.has(m)) return;
    const other = mods.find((x) => x !== m && !allowed.includes(x));
    if (other) throw new RuleSyntaxError(`modifiers '${m}' and '${other}'`, 'cannot be combined');
  };
  alone('exists', []);
  alone('cidr', []);
  alone('fieldref', []);
  alone('re', [...RE_FLAGS, 'all']);
  for (const c of COMPARISONS) alone(c, []);
}

/** Compiles `key: value` of a selection map. `key` is `field|mod|…`; '' or `|mod` is a keyword search. */
export function compileEntry(key: string, value: unknown): FieldTest {
  const [fieldName = '', ...mods] = key.split('|');
  const field = fieldName.trim();
  if (field !== fieldName || /\s/.test(field)) throw new RuleSyntaxError(`field ${showValue(fieldName)}`, 'a field name cannot hold spaces');
  checkModifiers(mods);
  const path: FieldPath | null = field ? fieldPath(field) : null;
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new RuleSyntaxError(`field ${showValue(key)}`, 'has an empty list of values, which can never match');
  for (const v of list)
    if (v !== null && typeof v === 'object') throw new RuleSyntaxError(`field ${showValue(key)}`, 'a value must be a string, number, boolean or null, not a map or a nested list');

  const all = mods.includes('all');

  if (mods.includes('exists')) {
    if (!path) throw new RuleSyntaxError("modifier 'exists'", 'needs a field');
    if (list.length !== 1 || typeof list[0] !== 'boolean') throw new RuleSyntaxError("modifier 'exists'", 'takes true or false');
    const want = list[0];
    return { field, modifiers: mods, literals: null, test: (view) => view.get(path).raw.some((v) => v !== null) === want };
  }
  const hasNull = list.includes(null);
  if (hasNull && mods.some((m) => m !== 'all' && m !== 'cased')) throw new RuleSyntaxError(`field ${showValue(key)}`, 'null cannot take a modifier (it means: the field is absent or null)');
  if (hasNull && !path) throw new RuleSyntaxError('keywords', 'a keyword cannot be null');
  const nonNull = list.filter((v) => v !== null);

  let patterns: Pattern[];
  let literals: Literals | null = null;
  if (mods.includes('fieldref')) {
    if (!path) throw new RuleSyntaxError("modifier 'fieldref'", 'needs a field');
    const refs = nonNull.map((v) => {
      if (typeof v !== 'string' || !v.trim()) throw new RuleSyntaxError("modifier 'fieldref'", 'takes the name of another field');
      return fieldPath(v.trim());
    });
    const test = (view: EventView): boolean => {
      const mine = new Set(view.get(path).lower);
      mine.delete(undefined);
      return refs.some((r) => view.get(r).lower.some((v) => v !== undefined && mine.has(v)));
    };
    return { field, modifiers: mods, literals: null, test };
  } else if (mods.includes('re')) {
    patterns = nonNull.map((v) => regexPattern(v, mods));
  } else if (mods.includes('cidr')) {
    patterns = [cidrPatterns(nonNull)];
  } else if (mods.some((m) => (COMPARISONS as readonly string[]).includes(m))) {
    const op = mods[0] as (typeof COMPARISONS)[number];
    patterns = nonNull.map((v) => comparison(op, v));
  } else {
    const form = (STRING_FORMS as readonly string[]).find((m) => mods.includes(m)) as (typeof STRING_FORMS)[number] | undefined;
    const cased = mods.includes('cased');
    // A keyword is a full-text search: a plain keyword matches inside any value.
    const implicit = !path && !form ? 'contains' : form;
    const eq: string[] = [];
    const sw: string[] = [];
    let literal = !hasNull && !all;
    patterns = nonNull.map((v) => {
      if (typeof v === 'string' || form || !path) {
        const s = stringPattern(String(v), implicit, cased);
        if (s.literal?.eq !== undefined) eq.push(s.literal.eq);
        else if (s.literal?.sw !== undefined) sw.push(s.literal.sw);
        else literal = false;
        return s.pattern;
      }
      literal = false;
      if (typeof v === 'number') return numberPattern(v);
      const b = String(v);
      return (_t: string, lower: string, raw: unknown) => raw === v || lower === b;
    });
    if (literal && path) literals = { eq, sw };
  }

  // Plain keywords (no wildcard, no escape): one search in the event's joined text.
  const plain = (v: unknown) => typeof v === 'number' || (typeof v === 'string' && !['*', '?', '\\', VALUE_SEPARATOR].some((c) => v.includes(c)));
  if (!path && !mods.length && nonNull.every(plain)) {
    const needles = nonNull.map((v) => String(v).toLowerCase());
    return { field, modifiers: mods, literals: null, test: (view) => needles.some((n) => view.text().includes(n)) };
  }

  const one = (p: Pattern, values: FieldValues): boolean => {
    const { raw, text, lower } = values;
    for (let i = 0; i < raw.length; i++) {
      const t = text[i];
      if (t !== undefined && p(t, lower[i]!, raw[i])) return true;
    }
    return false;
  };
  const test = (view: EventView): boolean => {
    const values = view.get(path);
    const absent = hasNull && !values.raw.some((v) => v !== null);
    if (all) return (!hasNull || absent) && patterns.every((p) => one(p, values));
    return absent || patterns.some((p) => one(p, values));
  };
  return { field, modifiers: mods, literals, test };
}
