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
      const r = maskedWhole(k, v) ? maskAll(v, reveal, new WeakMap()) : redactShared(v, reveal, seen, depth + 1);
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
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  if (depth <= 1) clean.set(value, gen);
  if (Array.isArray(value)) for (const v of value) seal(v, gen, depth + 1);
  else for (const k of Object.keys(value)) seal((value as Record<string, unknown>)[k], gen, depth + 1);
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
