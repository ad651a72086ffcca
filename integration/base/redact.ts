/**
 * One redaction layer for every way out (entries, stderr, thrown errors, debug lines, serve
 * responses). Three nets:
 *  1. the exact secret values this process knows: the API token and each line of the private
 *     key (kept for the process's life), the JWTs it mints and receives (access tokens, client
 *     assertions, DPoP proofs: the most recent ones, as the JWT shape below catches the rest),
 *     and the secret arguments of the commands in flight (passwords: held while the command runs);
 *  2. shapes that are secrets whatever their value: Authorization headers, JWTs, PEM private keys,
 *     private JWK members, `password=…`-style pairs, password-reset and activation links;
 *  3. object keys named like secrets (`password`, `tempPassword`, `resetPasswordUrl`,
 *     `authorization` …): their whole value is masked, nested objects included.
 * A value the analyst explicitly asked to see (`hide_password=false`) is passed in `reveal` and
 * left alone by all three nets; nothing else is.
 */
export const MASK = '[REDACTED]';

/** Process-lifetime secrets (API token, private key lines) and their encoded forms. */
const permanent = new Set<string>();
/** Recently seen JWT-shaped secrets, bounded: the JWT pattern masks older ones anyway. */
const recentJwts = new Map<string, true>();
const MAX_RECENT_JWTS = 512;
/** Secrets of the commands in flight (passwords), with a hold count each. */
const held = new Map<string, number>();
/** Every known non-JWT value, longest first; rebuilt lazily after a change. */
let ordered: string[] | undefined;
/** Known JWT values, longest first (checked only in text that contains "eyJ", as each of them does). */
let orderedJwts: string[] | undefined;
/** Bumped whenever a secret is added: text redacted under an older generation may need another look. */
let generation = 0;

function changed(): void {
  ordered = undefined;
  orderedJwts = undefined;
  generation++;
}

const JWT_WHOLE = /^eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*$/;

/** A value and the encodings it often travels in (percent, form and JSON escaping). */
function variants(v: string): string[] {
  const out = new Set([v]);
  const enc = encodeURIComponent(safeForUri(v));
  out.add(enc);
  out.add(new URLSearchParams({ x: v }).toString().slice(2));
  out.add(JSON.stringify(v).slice(1, -1));
  return [...out];
}

/** encodeURIComponent throws on lone surrogates; replace them first. */
function safeForUri(v: string): string {
  return v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Registers a secret value so it is masked wherever it appears. Short values are ignored (too likely to collide). */
export function addSecret(value: unknown): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < 6) return;
  changed();
  if (JWT_WHOLE.test(v)) {
    recentJwts.delete(v);
    recentJwts.set(v, true);
    if (recentJwts.size > MAX_RECENT_JWTS) recentJwts.delete(recentJwts.keys().next().value as string);
    return;
  }
  for (const x of variants(v)) permanent.add(x);
  // A PEM key: also mask each base64 line, in case it is printed split or partly. A PEM
  // pasted into an env var often has literal "\n" between its lines.
  if (v.includes('-----BEGIN')) {
    for (const line of v.split(/\r?\n|\\r\\n|\\n/)) {
      const l = line.trim();
      if (l.length >= 16 && !l.startsWith('-----')) permanent.add(l);
    }
  }
  // A JWK: its private members.
  if (v.startsWith('{')) {
    try {
      const j = JSON.parse(v) as Record<string, unknown>;
      for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) if (typeof j[m] === 'string' && (j[m] as string).length >= 16) permanent.add(j[m] as string);
    } catch {
      /* not JSON: the whole value is registered already */
    }
  }
}

/**
 * Registers secrets for as long as the caller holds them (a command's password arguments), and
 * returns the function that lets go. Values of 4+ characters count (a password may be short).
 */
export function holdSecrets(values: Iterable<unknown>, minLength = 4): () => void {
  const mine: string[] = [];
  for (const value of values) {
    if (typeof value !== 'string' || value.length < minLength) continue;
    for (const x of new Set([...variants(value), ...variants(value.trim())])) {
      if (x.length < minLength) continue;
      held.set(x, (held.get(x) ?? 0) + 1);
      mine.push(x);
    }
  }
  if (mine.length) changed();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const x of mine) {
      const n = (held.get(x) ?? 1) - 1;
      if (n <= 0) held.delete(x);
      else held.set(x, n);
    }
    // Fewer secrets: earlier redactions stay valid, only the list is rebuilt.
    if (mine.length) ordered = undefined;
  };
}

/** Test helper: forget registered secrets. */
export function clearSecrets(): void {
  permanent.clear();
  recentJwts.clear();
  held.clear();
  changed();
}

/** The length of the shortest known non-JWT value (Infinity when none): shorter text cannot hold one. */
let shortestKnown = Infinity;

function knownValues(): string[] {
  if (!ordered) {
    ordered = [...new Set([...permanent, ...held.keys()])].sort((a, b) => b.length - a.length);
    shortestKnown = ordered.length ? ordered[ordered.length - 1]!.length : Infinity;
  }
  return ordered;
}

/** True when the text holds a known non-JWT secret value. */
function holdsKnownValue(s: string): boolean {
  const known = knownValues();
  if (s.length < shortestKnown) return false;
  for (const v of known) if (s.length >= v.length && s.includes(v)) return true;
  return false;
}

function knownJwts(): string[] {
  orderedJwts ??= [...recentJwts.keys()].sort((a, b) => b.length - a.length);
  return orderedJwts;
}

/** Keys whose whole value is a secret (compared case-insensitively, `-` and `_` ignored). */
const SECRET_KEY_NAMES = new Set(
  [
    'authorization',
    'proxyauthorization',
    'cookie',
    'setcookie',
    'dpop',
    'apitoken',
    'privatekey',
    'clientassertion',
    'clientsecret',
    'accesstoken',
    'refreshtoken',
    'idtoken',
    'password',
    'newpassword',
    'oldpassword',
    'temppassword',
    'passwordanswer',
    'recoveryanswer',
    'answer',
    'passcode',
    'sharedsecret',
    'salt',
    'resetpasswordurl',
    'activationurl',
    'activationtoken',
    'recoverytoken',
    'sessiontoken',
    'statetoken',
  ],
);

const secretKeyMemo = new Map<string, boolean>();

export function isSecretKey(key: string): boolean {
  let v = secretKeyMemo.get(key);
  if (v === undefined) {
    v = SECRET_KEY_NAMES.has(key.toLowerCase().replace(/[-_]/g, ''));
    // Key names come from Okta's schemas and a few hundred custom attributes: bounded in practice.
    if (secretKeyMemo.size < 10_000) secretKeyMemo.set(key, v);
  }
  return v;
}

/** Private members of a JWK (RSA d p q dp dq qi, a symmetric k): masked when they hold key material. */
const JWK_PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']);
const KEY_MATERIAL = /^[A-Za-z0-9_-]{16,}$/;

/**
 * Whether a member of an object is masked whole rather than walked: its key is a secret's name, or
 * it is a private JWK member holding key material (the object form of the text pattern below).
 */
function maskedWhole(key: string, value: unknown): boolean {
  return isSecretKey(key) || (typeof value === 'string' && JWK_PRIVATE_MEMBERS.has(key) && KEY_MATERIAL.test(value));
}

/** Placeholder brackets for revealed values (Unicode private use: never in Okta data we mask). */
const P_OPEN = '\uE000';
const P_CLOSE = '\uE001';

/** Key spellings whose value is a secret, for the text patterns (objects use isSecretKey). */
const SECRET_KEY_RE =
  '(?:(?:(?:temp|new|old)_?)?password|passcode|client_assertion|client_secret|access_token|refresh_token|id_token|api_?token|private_?key|' +
  'reset_?password_?url|activation_?(?:url|token)|recovery_?token|session_?token|state_?token|shared_?secret)';

// A value that is a placeholder is never consumed by the patterns below.
const NOT_PLACEHOLDER = `(?!${P_OPEN})`;
const PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, `-----${MASK} PRIVATE KEY-----`],
  // Credentials after an auth scheme: a token has a digit or punctuation, or is long.
  [
    new RegExp(`\\b(SSWS|Bearer|DPoP|Basic)(\\s+)${NOT_PLACEHOLDER}(?:(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}|[A-Za-z]{20,})`, 'gi'),
    `$1$2${MASK}`,
  ],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK],
  // Private JWK members, in JSON or in JSON inside a JSON string.
  [/(\\?"(?:d|p|q|dp|dq|qi|k)\\?"\s*:\s*\\?")[A-Za-z0-9_-]{16,}(\\?")/g, `$1${MASK}$2`],
  // `"password": "…"` in JSON text, and in JSON inside a JSON string (`\"password\": \"…\"`).
  [new RegExp(`("${SECRET_KEY_RE}"\\s*:\\s*")${NOT_PLACEHOLDER}((?:[^"\\\\\\n]|\\\\.)+)"`, 'gi'), `$1${MASK}"`],
  [new RegExp(`(\\\\"${SECRET_KEY_RE}\\\\"\\s*:\\s*\\\\")${NOT_PLACEHOLDER}((?:(?!\\\\")[^\\n])+)\\\\"`, 'gi'), `$1${MASK}\\"`],
  // `password=…`, `client_assertion: …` in prose, forms and headers.
  [
    // Not after a letter, digit or "-": `okta-set-password: argument …` is a command name, not a pair.
    new RegExp(`((?<![A-Za-z0-9-])${SECRET_KEY_RE}["']?\\s*[=:]\\s*["']?)${NOT_PLACEHOLDER}[^\\s"'&,}\\\\${P_OPEN}]{6,}`, 'gi'),
    `$1${MASK}`,
  ],
  // Okta one-time links: password reset, activation, email verification.
  [/(\/(?:signin\/reset-password|reset_password|welcome|tokens))\/(?!\uE000)[A-Za-z0-9_-]{10,}/g, `$1/${MASK}`],
];

/**
 * Text every pattern above needs somewhere (case-insensitive, so a superset of each): a PEM
 * header, an auth scheme, a JWT head, a JWK member name, a secret key name, a one-time link.
 */
const PATTERN_TRIGGER = new RegExp(
  `PRIVATE KEY|ssws|bearer|dpop|basic|eyJ|"(?:d|p|q|dp|dq|qi|k)\\\\?"|${SECRET_KEY_RE}|reset-password|reset_password|welcome|tokens`,
  'i',
);

export interface RedactOptions {
  /** Values the analyst explicitly asked to see (a temporary password, a reset link): left as they are. */
  reveal?: Iterable<string>;
}

function revealList(opts: RedactOptions | undefined): string[] {
  if (!opts?.reveal) return [];
  return [...new Set([...opts.reveal].filter((v): v is string => typeof v === 'string' && v.length > 0))].sort((a, b) => b.length - a.length);
}

function redactText(s: string, reveal: string[]): string {
  // Nearly all text (ids, names, dates) holds no known value and nothing any pattern needs: one
  // length check and one cheap test return it as it is. Known JWTs all contain "eyJ", which the
  // trigger catches (case-insensitively, so a superset).
  if (!reveal.length && !holdsKnownValue(s) && !PATTERN_TRIGGER.test(s)) return s;
  let out = s;
  let nonce = '';
  if (reveal.length) {
    // Set revealed values aside, mask the rest, put them back.
    nonce = Math.random().toString(36).slice(2, 10);
    out = out.split(P_OPEN).join('\uFFFD').split(P_CLOSE).join('\uFFFD');
    reveal.forEach((v, i) => {
      if (out.includes(v)) out = out.split(v).join(`${P_OPEN}${nonce}${i}${P_CLOSE}`);
    });
  }
  if (out.includes('eyJ')) for (const v of knownJwts()) if (out.includes(v)) out = out.split(v).join(MASK);
  for (const v of knownValues()) if (out.includes(v)) out = out.split(v).join(MASK);
  // Most text (names, ids, dates) holds nothing any pattern needs: one cheap test skips them all.
  if (PATTERN_TRIGGER.test(out)) for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  if (reveal.length) out = out.replace(new RegExp(`${P_OPEN}${nonce}(\\d+)${P_CLOSE}`, 'g'), (_m, i: string) => reveal[Number(i)]!);
  return out;
}

export function redactString(s: string, opts?: RedactOptions): string {
  return redactText(s, revealList(opts));
}

/** Every string and number under a secret key, masked (revealed values kept). */
function maskAll(value: unknown, reveal: string[], seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return value === '' || reveal.includes(value) ? value : MASK;
  if (typeof value === 'number' || typeof value === 'bigint') return MASK;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const arr: unknown[] = [];
    seen.set(value, arr);
    for (const v of value) arr.push(maskAll(v, reveal, seen));
    return arr;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = maskAll(v, reveal, seen);
  return out;
}

function redactValue(value: unknown, reveal: string[], seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactText(value, reveal);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const arr: unknown[] = [];
    seen.set(value, arr);
    for (const v of value) arr.push(redactValue(v, reveal, seen));
    return arr;
  }
  // Errors: their own message and stack are not enumerable; keep them, redacted.
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  if (value instanceof Error) {
    out.name = value.name;
    out.message = redactText(value.message, reveal);
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = maskedWhole(k, v) ? maskAll(v, reveal, seen) : redactValue(v, reveal, seen);
  }
  return out;
}

/**
 * A value that masking whole leaves as it is: null, a boolean, "", [] or {} (Okta's users all have
 * `"credentials":{"password":{}}`). The sharing walk keeps it rather than copying it, so a page of
 * users is left as it is and the redaction gate can pass it (emptyValueAt).
 */
function nothingToMask(v: unknown): boolean {
  if (v === null || typeof v === 'boolean' || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v !== 'object' || !isPlain(v)) return false;
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return false;
  return true;
}

/** Thrown inside the sharing walk when a value needs the copying one (cycles, Errors, class instances). */
const NEEDS_COPY = Symbol('needs-copy');

function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The same redaction as redactValue, but anything in which nothing changed is returned as it is,
 * not copied: entries of 100k System Log events are mostly text no net catches.
 */
function redactShared(value: unknown, reveal: string[], seen: Map<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value, reveal);
  if (value === null || typeof value !== 'object') return value;
  // Sealed by redactSealed and no secret registered since: nothing in it can have changed.
  if (!reveal.length && Object.isFrozen(value) && clean.get(value) === generation) return value;
  const remember = depth <= SHARED_MEMO_DEPTH;
  if (remember) {
    const cached = seen.get(value);
    if (cached !== undefined) return cached;
  }
  // Data from JSON is never this deep; a cycle is, and goes to the copying walk.
  if (depth > MAX_SHARED_DEPTH || (!Array.isArray(value) && !isPlain(value))) throw NEEDS_COPY;
  let result: unknown = value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const r = redactShared(value[i], reveal, seen, depth + 1);
      if (!out && r !== value[i]) out = value.slice(0, i);
      out?.push(r);
    }
    if (out) result = out;
  } else {
    const obj = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    let i = 0;
    for (const k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      const v = obj[k];
      const r = maskedWhole(k, v) ? (nothingToMask(v) ? v : maskAll(v, reveal, new WeakMap())) : redactShared(v, reveal, seen, depth + 1);
      if (!out && r !== v) {
        out = Object.create(Object.getPrototypeOf(obj) as object | null) as Record<string, unknown>;
        let j = 0;
        for (const k2 in obj) {
          if (j++ >= i) break;
          if (Object.prototype.hasOwnProperty.call(obj, k2)) out[k2] = obj[k2];
        }
      }
      if (out) out[k] = r;
      i++;
    }
    if (out) result = out;
  }
  if (remember) seen.set(value, result);
  return result;
}

const MAX_SHARED_DEPTH = 200;
/**
 * How deep the sharing walk remembers what it has walked: only the top. Remembering every object
 * of 100,000 events is a million-entry map for nothing (data from JSON shares nothing), and the
 * lists results do share (an entry's Contents is its context's list) are sealed as they arrive,
 * so walking one a second time costs a frozen check per item. Anything else shared is walked once
 * per reference, to the same result.
 */
const SHARED_MEMO_DEPTH = 0;

/** Results of redact() without reveal, and the secret generation they were checked under. */
const clean = new WeakMap<object, number>();

/**
 * Every string redacted; keys named like secrets masked whole. Parts in which nothing changed are
 * shared with the input rather than copied, and a result redacted again (serve, the CLI's last
 * pass) is not walked twice unless a secret was registered since. Callers must not mutate a
 * result and redact it again expecting a new walk.
 */
export function redact<T>(value: T, opts?: RedactOptions): T {
  const reveal = revealList(opts);
  if (value !== null && typeof value === 'object') {
    if (!reveal.length && clean.get(value) === generation) return value;
    let out: unknown;
    try {
      out = redactShared(value, reveal, new Map(), 0);
    } catch (e) {
      if (e !== NEEDS_COPY) throw e;
      out = redactValue(value, reveal, new WeakMap());
    }
    if (!reveal.length && out !== null && typeof out === 'object') clean.set(out, generation);
    return out as T;
  }
  return redactValue(value, reveal, new WeakMap()) as T;
}

/** Freezes everything under `value`, marking the top and its direct members clean (generation `gen`). */
function seal(value: unknown, gen: number, depth: number): void {
  if (value !== null && typeof value === 'object') sealObject(value, gen, depth);
}

/**
 * seal() for an object. Strings and numbers (most of an event) are not passed down, and an object's
 * keys are walked with for-in rather than an Object.keys array each: 20,000 System Log events
 * sealed in ~50 ms instead of ~83 ms.
 */
function sealObject(value: object, gen: number, depth: number): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  if (depth <= 1) clean.set(value, gen);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') sealObject(v, gen, depth + 1);
    }
    return;
  }
  const o = value as Record<string, unknown>;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const v = o[k];
    if (v !== null && typeof v === 'object') sealObject(v, gen, depth + 1);
  }
}

/**
 * Redacts data as it arrives from Okta (a page of a list, while the next page is on its way) and
 * seals it: the result is frozen, all the way down, and it and its members are marked clean, so the
 * pass every entry still goes through on its way out returns them as they are instead of walking
 * them again (it walks them again if a secret was registered since). Frozen, because a "clean"
 * mark on data a command could still change would be a promise nobody keeps: code that tries to
 * write into sealed data throws instead of leaking.
 */
export function redactSealed<T>(value: T): T {
  const out = redact(value);
  seal(out, generation, 0);
  return out;
}

/*
 * The gate for JSON text: a page of a list is decided on the text it was parsed from, in one pass,
 * before any walk. Almost no page of the System Log holds a secret; a page the gate passes is the
 * walk's result already (the walk would return it as it is), so it is sealed without being walked.
 *
 * Why a string the walk would change is always found:
 *  - A string whose text holds no backslash appears in the page exactly as it is decoded. The walk
 *    changes it only if it holds a known value or something PATTERN_TRIGGER matches, and every such
 *    thing contains one of GATE_WORDS (case-insensitively, `-` and `_` aside) or a known value's
 *    first characters: the automaton below finds those in the page, and the string around each
 *    find is decoded and checked exactly as the walk would check it (a false alarm costs a lookup).
 *  - A key masks its value whole when it is named like a secret (any case, `-` and `_` ignored:
 *    each such name contains one of GATE_WORDS), when it is a private JWK member (`"d"` … quoted in
 *    GATE_WORDS), or when it holds a character whose lower case is an ASCII letter (the Kelvin sign
 *    K, found by its own search).
 *  - A string with a backslash in its text (JSON escapes: \", \\, \/, \n, \u00xx …) may hide any
 *    of these: every such string is decoded and checked, whatever it holds.
 * The automaton reads each UTF-16 unit's low byte, folds ASCII case and skips `-` and `_`: all of
 * which only find more, never less.
 */

/** Every trigger alternative, every secret key name and every private JWK member (quoted) contains one of these. */
const GATE_WORDS = ['pass', 'token', 'secret', 'assertion', 'private', 'activation', 'ssws', 'bearer', 'dpop', 'basic', 'eyj', 'welcome', 'authorization', 'cookie', 'answer', 'salt', ...[...JWK_PRIVATE_MEMBERS].map((m) => `"${m}"`)];
/** Enough of a known value to find it (any occurrence contains its start); keeps the automaton small. */
const GATE_PREFIX = 16;

for (const name of SECRET_KEY_NAMES) if (!GATE_WORDS.some((w) => name.includes(w))) throw new Error(`redact: the gate has no word for the key name ${name}`);

interface Gate {
  /** Next state × 256, by state × 256 + byte. */
  delta: Int32Array;
  /** States from here up (× 256) end a word. */
  accept: number;
  start: number;
  generation: number;
}
let gate: Gate | undefined;

/** The words the gate looks for, as it reads text: ASCII lower case, `-` and `_` left out, low bytes. */
function gateForm(word: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    let c = word.charCodeAt(i) & 255;
    if (c === 45 || c === 95) continue;
    if (c >= 65 && c <= 90) c += 32;
    out.push(c);
  }
  return out;
}

/** Whether JSON text must escape some character of `v` (a quote, a backslash, a control character). */
function escapedInJson(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92) return true;
  }
  return false;
}

/** An Aho-Corasick automaton over GATE_WORDS and the known values' starts, built when the secrets change. */
function buildGate(): Gate {
  const words: number[][] = GATE_WORDS.map(gateForm);
  for (const v of knownValues()) {
    // A value with a quote, a backslash or a control character appears escaped in JSON: found by the backslash search.
    if (escapedInJson(v)) continue;
    const w = gateForm(v.slice(0, GATE_PREFIX));
    if (w.length) words.push(w);
    else words.push([]); // only `-` and `_`: every page is walked
  }
  const next: Array<Map<number, number>> = [new Map()];
  const ends: boolean[] = [false];
  for (const w of words) {
    let s = 0;
    for (const c of w) {
      let n = next[s]!.get(c);
      if (n === undefined) {
        n = next.length;
        next.push(new Map());
        ends.push(false);
        next[s]!.set(c, n);
      }
      s = n;
    }
    ends[s] = true;
  }
  const n = next.length;
  const d = new Int32Array(n * 256);
  const fail = new Int32Array(n);
  const queue: number[] = [];
  for (let c = 0; c < 256; c++) {
    const t = next[0]!.get(c);
    d[c] = t ?? 0;
    if (t !== undefined) queue.push(t);
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]!;
    if (ends[fail[s]!]) ends[s] = true;
    for (let c = 0; c < 256; c++) {
      const t = next[s]!.get(c);
      if (t === undefined) d[s * 256 + c] = d[fail[s]! * 256 + c]!;
      else {
        fail[t] = d[fail[s]! * 256 + c]!;
        d[s * 256 + c] = t;
        queue.push(t);
      }
    }
  }
  for (let s = 0; s < n; s++) {
    for (let c = 65; c <= 90; c++) d[s * 256 + c] = d[s * 256 + c + 32]!;
    d[s * 256 + 45] = s;
    d[s * 256 + 95] = s;
  }
  // Renumber: the states ending a word from a power of two up, the others below it, so that one
  // comparison tells (of several lanes' states OR-ed together, too) whether a word ended.
  const id = new Int32Array(n);
  let inner = 0;
  for (let s = 0; s < n; s++) if (!ends[s]) id[s] = inner++;
  let firstEnd = 1;
  while (firstEnd < inner) firstEnd *= 2;
  let rows = firstEnd;
  for (let s = 0; s < n; s++) if (ends[s]) id[s] = rows++;
  const delta = new Int32Array(rows * 256);
  for (let s = 0; s < n; s++) for (let c = 0; c < 256; c++) delta[id[s]! * 256 + c] = id[d[s * 256 + c]!]! * 256;
  return { delta, accept: firstEnd * 256, start: id[0]! * 256, generation };
}

/** Whether the quote at `q` is escaped (an odd number of backslashes before it). */
function escapedAt(text: string, q: number): boolean {
  let k = 0;
  while (q - 1 - k >= 0 && text.charCodeAt(q - 1 - k) === 92) k++;
  return (k & 1) === 1;
}

/** Verdicts on strings of JSON text (the text itself, `:` appended for a key), for the current generation. */
const verdicts = new Map<string, boolean>();
let verdictsGeneration = -1;

/**
 * Whether the JSON string around position `at` of `text` is left alone by the walk: as a value,
 * redactText returns it unchanged; as a key, it masks nothing whole. `at` must be inside a string
 * (or on its closing quote) for the answer to be about that string; anywhere else the answer is
 * about some span between quotes, which only costs a look.
 */
function stringClean(text: string, at: number): { clean: boolean; close: number } {
  let open = at - 1;
  for (;;) {
    open = text.lastIndexOf('"', open);
    if (open < 0 || !escapedAt(text, open)) break;
    open--;
  }
  let close = text.charCodeAt(at) === 34 ? at : at + 1;
  if (close === at + 1) {
    for (;;) {
      close = text.indexOf('"', close);
      if (close < 0 || !escapedAt(text, close)) break;
      close++;
    }
  }
  if (open < 0 || close < 0) return { clean: false, close: text.length };
  let j = close + 1;
  while (j < text.length && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13 || text.charCodeAt(j) === 9)) j++;
  const isKey = text.charCodeAt(j) === 58;
  const raw = text.slice(open, close + 1);
  const memo = isKey ? raw + ':' : raw;
  let clean = verdicts.get(JSON.stringify(memo));
  if (clean === undefined) {
    let s: unknown;
    try {
      s = JSON.parse(raw);
    } catch {
      s = undefined;
    }
    if (typeof s !== 'string') clean = false;
    else if (isKey) clean = !isSecretKey(s) && !JWK_PRIVATE_MEMBERS.has(s);
    else clean = redactText(s, []) === s;
    if (verdicts.size >= 20_000) verdicts.clear();
    // A copy for the key: `raw` is a slice that would keep the whole page's text alive.
    verdicts.set(JSON.stringify(memo), clean);
  }
  // A key named like a secret whose value masking whole leaves as it is (nothingToMask).
  if (!clean && isKey && emptyValueAt(text, j + 1)) clean = true;
  return { clean, close };
}

/** White space in JSON text. */
function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** The JSON value starting at `from` (after white space) is null, true, false, "", [] or {}: what nothingToMask keeps. */
function emptyValueAt(text: string, from: number): boolean {
  let i = from;
  while (isJsonSpace(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  if (c === 123 || c === 91) {
    let k = i + 1;
    while (isJsonSpace(text.charCodeAt(k))) k++;
    return text.charCodeAt(k) === (c === 123 ? 125 : 93);
  }
  if (c === 34) return text.charCodeAt(i + 1) === 34;
  return text.startsWith('null', i) || text.startsWith('true', i) || text.startsWith('false', i);
}

/**
 * True when redacting JSON.parse(text) would change nothing: no string in it that the walk would
 * mask, no key that masks its value whole. Decided on the text, in one pass; see above for why a
 * true answer can be trusted.
 */
export function jsonTextIsClean(text: string): boolean {
  if (verdictsGeneration !== generation) {
    verdicts.clear();
    verdictsGeneration = generation;
  }
  // Strings with escapes: each one decoded and checked.
  for (let b = text.indexOf('\\'); b >= 0; ) {
    const r = stringClean(text, b);
    if (!r.clean) return false;
    b = text.indexOf('\\', r.close + 1);
  }
  // A character whose lower case is an ASCII letter without being one (isSecretKey lower-cases).
  for (let k = text.indexOf('\u212A'); k >= 0; k = text.indexOf('\u212A', k + 1)) if (!stringClean(text, k).clean) return false;
  if (!gate || gate.generation !== generation) gate = buildGate();
  return scanGate(text, gate);
}

/** Where the automaton's pass writes its finds (ends of words); more than this many and the page is walked. */
const finds = new Int32Array(16_384);

/**
 * The automaton's pass over `text`, then a look at the string around
 * each find; false at the first one that is not clean. The pass only notes where words end: its
 * loop stays a table step per character, with nothing in it for the compiler to give up on.
 */
function scanGate(text: string, g: Gate): boolean {
  const found = gatePass(text, g);
  if (found > finds.length) return false;
  for (let f = 0; f < found; f++) if (!stringClean(text, finds[f]!).clean) return false;
  return true;
}

/** Notes the ends of words in `finds`; returns how many there were (more than finds.length: it stopped noting). */
function gatePass(text: string, { delta, accept, start }: Gate): number {
  // The low byte of each UTF-16 unit (all of it for ASCII text), read as eight streams side by side:
  // a table step per character is bound by its load, and eight independent chains keep the CPU busy.
  const cap = finds.length;
  const n = text.length;
  const lanes = n >= 4096 ? 8 : 1;
  const len = Math.floor(n / lanes);
  const state = new Int32Array(lanes).fill(start);
  let found = 0;
  if (lanes === 8) {
    let s0 = start, s1 = start, s2 = start, s3 = start, s4 = start, s5 = start, s6 = start, s7 = start;
    const b1 = len, b2 = 2 * len, b3 = 3 * len, b4 = 4 * len, b5 = 5 * len, b6 = 6 * len, b7 = 7 * len;
    for (let i = 0; i < len; i++) {
      s0 = delta[s0 + (text.charCodeAt(i) & 255)]!;
      s1 = delta[s1 + (text.charCodeAt(b1 + i) & 255)]!;
      s2 = delta[s2 + (text.charCodeAt(b2 + i) & 255)]!;
      s3 = delta[s3 + (text.charCodeAt(b3 + i) & 255)]!;
      s4 = delta[s4 + (text.charCodeAt(b4 + i) & 255)]!;
      s5 = delta[s5 + (text.charCodeAt(b5 + i) & 255)]!;
      s6 = delta[s6 + (text.charCodeAt(b6 + i) & 255)]!;
      s7 = delta[s7 + (text.charCodeAt(b7 + i) & 255)]!;
      if ((s0 | s1 | s2 | s3 | s4 | s5 | s6 | s7) >= accept) {
        if (found + 8 > cap) return cap + 1;
        if (s0 >= accept) finds[found++] = i;
        if (s1 >= accept) finds[found++] = b1 + i;
        if (s2 >= accept) finds[found++] = b2 + i;
        if (s3 >= accept) finds[found++] = b3 + i;
        if (s4 >= accept) finds[found++] = b4 + i;
        if (s5 >= accept) finds[found++] = b5 + i;
        if (s6 >= accept) finds[found++] = b6 + i;
        if (s7 >= accept) finds[found++] = b7 + i;
      }
    }
    state[0] = s0;
    state[1] = s1;
    state[2] = s2;
    state[3] = s3;
    state[4] = s4;
    state[5] = s5;
    state[6] = s6;
    state[7] = s7;
  }
  // Each lane reads on past its end until it is back at the root (no word under way): a word that
  // straddles two lanes is found by the lane it started in. The last lane (or the only one) reads
  // to the end of the text.
  for (let k = 0; k < lanes; k++) {
    let s = state[k]!;
    const last = k === lanes - 1;
    for (let i = lanes === 1 ? 0 : (k + 1) * len; i < n; i++) {
      if (!last && s === start) break;
      s = delta[s + (text.charCodeAt(i) & 255)]!;
      if (s >= accept) {
        if (found >= cap) return cap + 1;
        finds[found++] = i;
      }
    }
  }
  return found;
}

/**
 * redact() for a value parsed from JSON text (`value` is JSON.parse(text), or a slice of the list
 * it parsed to): when the text passes the gate the value is returned as it is, marked clean,
 * without a walk; otherwise it is walked as redact() walks it. The result is the same either way.
 */
export function redactParsed<T>(value: T, text: string): T {
  if (value !== null && typeof value === 'object' && jsonTextIsClean(text)) {
    clean.set(value, generation);
    return value;
  }
  return redact(value);
}

/** redactSealed() for a value parsed from JSON text: the gate of redactParsed, then sealed. */
export function redactParsedSealed<T>(value: T, text: string): T {
  return sealParsed(value, text).value;
}

/**
 * redactParsedSealed(), also saying when the text passed the gate: `gated` is then the generation
 * of secrets it was judged under, and `value` is, sealed, exactly what the text parses to.
 */
export function sealParsed<T>(value: T, text: string): { value: T; gated?: number } {
  if (value !== null && typeof value === 'object' && jsonTextIsClean(text)) {
    seal(value, generation, 0);
    return { value, gated: generation };
  }
  return { value: redactSealed(value) };
}

/** The generation of known secrets now: bumped whenever one is added (or all are cleared). */
export function secretsGeneration(): number {
  return generation;
}

let quotableGeneration = -1;
let quotable = true;

/**
 * True when no known secret value holds a quote or a backslash (a JWT never does). The text of
 * JSON that passed the gate can then be written as it is: it differs from JSON.stringify's text of
 * what it parses to only in escapes (each has a backslash) and in white space between tokens (a
 * value spanning tokens has a quote), so it holds a known value only where JSON.stringify's does.
 */
export function knownValuesQuotable(): boolean {
  if (quotableGeneration !== generation) {
    quotable = !knownValues().some((v) => v.includes('"') || v.includes('\\'));
    quotableGeneration = generation;
  }
  return quotable;
}
