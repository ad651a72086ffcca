/**
 * One redaction layer for every way out (entries, stderr, thrown errors, debug lines).
 * Two nets: the exact secret values this process knows (API token, private key lines,
 * access tokens, assertions, proofs, passwords), and shapes that are secrets whatever
 * their value (Authorization headers, JWTs, PEM blocks).
 */
const MASK = '[REDACTED]';
const known = new Set<string>();

/** Registers a secret value so it is masked wherever it appears. Short values are ignored (too likely to collide). */
export function addSecret(value: unknown): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < 6) return;
  known.add(v);
  // A PEM key: also mask each base64 line, in case it is printed split or partly.
  if (v.includes('-----BEGIN')) {
    for (const line of v.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) known.add(line.trim());
  }
  // Values often travel percent- or JSON-encoded.
  const enc = encodeURIComponent(v);
  if (enc !== v) known.add(enc);
  const json = JSON.stringify(v).slice(1, -1);
  if (json !== v) known.add(json);
}

/** Test helper: forget registered secrets. */
export function clearSecrets(): void {
  known.clear();
}

const PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, `-----${MASK} PRIVATE KEY-----`],
  [/\b(SSWS|Bearer|DPoP)(\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1$2${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK],
  [/("(?:d|p|q|dp|dq|qi|k)"\s*:\s*")[A-Za-z0-9_-]{16,}"/g, `$1${MASK}"`],
  [/((?:client_assertion|access_token|apitoken|api_token|password|private_key)["']?\s*[=:]\s*["']?)[^\s"'&,}]{6,}/gi, `$1${MASK}`],
];

export function redactString(s: string): string {
  let out = s;
  if (known.size) {
    // Longest first, so a secret containing another is masked whole.
    for (const v of [...known].sort((a, b) => b.length - a.length)) if (out.includes(v)) out = out.split(v).join(MASK);
  }
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** Deep copy with every string redacted. Keys named like secrets are masked whole. */
export function redact<T>(value: T, seen = new WeakMap<object, unknown>()): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value) as T;
  if (Array.isArray(value)) {
    const arr: unknown[] = [];
    seen.set(value, arr);
    for (const v of value) arr.push(redact(v, seen));
    return arr as T;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.test(k) && typeof v === 'string' && v !== '' ? MASK : redact(v, seen);
  }
  return out as T;
}

const SECRET_KEYS = /^(authorization|dpop|apitoken|api_token|private_key|privatekey|client_assertion|access_token|password|passwordanswer|recovery_answer)$/i;
