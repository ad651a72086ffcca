/**
 * Deterministic randomness for the sandbox org: the same seed gives the same users, ids and
 * System Log, so tests and benchmarks can name things. Separate streams per purpose keep one
 * kind of data stable when another changes size (more log events never renumber the users).
 */
import { randomBytes } from 'node:crypto';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ALNUM_CODES = Array.from(ALNUM, (c) => c.charCodeAt(0));

function hashString(s: string): number {
  // FNV-1a, 32 bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** sfc32: small, fast, good enough for fixtures. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `index` gives independent sub-streams (e.g. one per log event, so events can be built lazily in any order). */
  constructor(seed: number, stream = '', index = 0) {
    this.a = hashString(`a:${stream}`) ^ (seed >>> 0);
    this.b = hashString(`b:${stream}`) ^ Math.imul(seed >>> 0, 0x9e3779b1);
    this.c = hashString(`c:${stream}`) ^ Math.imul(index >>> 0, 0x85ebca6b);
    this.d = 1 + (Math.floor(index / 4294967296) >>> 0);
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 2^32). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  bool(p = 0.5): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Picks by weight: `[[item, weight], …]`. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.float() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** `n` characters of [0-9A-Za-z], as a flat string (char codes, not repeated concatenation). */
  alnum(n: number): string {
    const codes = new Array<number>(n);
    let bits = 0;
    let pool = 0;
    for (let i = 0; i < n; i++) {
      if (bits < 6) {
        pool = this.next();
        bits = 32;
      }
      // 6 bits → 0..63; re-draw the rare 62/63 to stay uniform.
      let v = pool & 63;
      pool >>>= 6;
      bits -= 6;
      while (v >= 62) v = this.next() & 63;
      codes[i] = ALNUM_CODES[v]!;
    }
    return String.fromCharCode(...codes);
  }

  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.next().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }

  /** An RFC 4122 version 4 UUID. */
  uuid(): string {
    const a = this.next().toString(16).padStart(8, '0');
    const b = this.next().toString(16).padStart(8, '0');
    const c = this.next().toString(16).padStart(8, '0');
    const d = this.next().toString(16).padStart(8, '0');
    const variant = '89ab'[this.next() & 3]!;
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  /** An Okta object id: a three-character prefix and 17 alphanumerics (20 in all). */
  oktaId(prefix: string): string {
    return prefix + this.alnum(20 - prefix.length);
  }
}

/** Non-deterministic ids for things created at run time (request ids, error ids). */
export function randomAlnum(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[bytes[i]! % 62];
  return s;
}
