/**
 * The redaction gate on JSON text (issue 21): a page the gate passes is sealed without a walk, so
 * the gate must never pass a page the walk would change. Real-shaped System Log pages (the
 * sandbox's seeded events) get secrets of every kind planted at random places (values, keys,
 * nested debugContext fields, first and last events, string edges, unicode around them), are
 * written as JSON with random white space and random escapes (\uXXXX, \/), and the gated result is
 * compared with the full walk's. A seeded generator: every run tries the same cases.
 */
import { addSecret, clearSecrets, holdSecrets, jsonTextIsClean, MASK, redact, redactParsed, redactParsedSealed } from '../../integration/base/redact.js';
import { SandboxOrg } from '../../sandbox/index.js';
import { rng } from '../helpers/rng.js';

const NOW = Date.parse('2026-11-21T12:00:00.000Z');


type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const TOKEN = '00aB-cD_eF0123456789ghIJklMNopQRst';
const PEM_LINES = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDu'];
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_LINES.join('\n')}\n-----END PRIVATE KEY-----`;
const HELD_PLAIN = 'hunter2hunter2';
const HELD_QUOTED = 'Pa55"w\\rd!';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMHUxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const KEY_NAMES = ['authorization', 'proxyAuthorization', 'cookie', 'set-cookie', 'dpop', 'apiToken', 'private_key', 'client_assertion', 'clientSecret', 'access_token', 'refreshToken', 'id_token', 'password', 'newPassword', 'old_password', 'tempPassword', 'passwordAnswer', 'recoveryAnswer', 'answer', 'passCode', 'sharedSecret', 'salt', 'resetPasswordUrl', 'activationUrl', 'activationToken', 'recoveryToken', 'sessionToken', 'stateToken'];
const JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const UNICODE = ['é', '日本', '\u{1F600}', '\u2028', 'Ω', '\u00a0', 'ı', 'ſ', '\uFEFF'];

/** Text secrets, each a function of the generator (some cases and separators vary). */
const TEXT_SECRETS: Array<(r: () => number) => string> = [
  () => TOKEN,
  () => encodeURIComponent(TOKEN),
  () => PEM_LINES[0]!,
  () => PEM_LINES[1]!,
  () => PEM,
  () => HELD_PLAIN,
  () => HELD_QUOTED,
  () => JWT,
  () => `eyJ${'x'.repeat(8)}.${'y'.repeat(8)}.sig`,
  (r) => `${pick(r, ['SSWS', 'ssws', 'Bearer', 'bEaReR', 'DPoP', 'Basic', 'BASIC'])} ${pick(r, ['00abc-DEF_123456789', 'dXNlcjpwYXNzd29yZA==', JWT, 'abcdefghijklmnopqrstuvwxyz'])}`,
  (r) => `${pick(r, ['password', 'Password', 'PASS_WORD', 'client_secret', 'api_token', 'passcode', 'session_token'])}${pick(r, ['=', ': ', ' = ', '":"'])}s3cr3tValue9`,
  () => '{"password":"s3cr3t-x"}',
  () => `{"d":"${'A'.repeat(24)}"}`,
  (r) => `https://acme.okta.com${pick(r, ['/welcome/', '/signin/reset-password/', '/reset_password/', '/tokens/'])}AbCdEf0123456789`,
];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

/** A key named like a secret, in a random case, with random `-` / `_` inside, sometimes with a Kelvin sign for a k. */
function secretKey(r: () => number): string {
  let out = '';
  for (const ch of pick(r, KEY_NAMES)) {
    let c = r() < 0.5 ? ch.toUpperCase() : ch.toLowerCase();
    if (c.toLowerCase() === 'k' && r() < 0.3) c = '\u212A';
    if (c !== '-' && c !== '_') out += c;
    if (r() < 0.08) out += pick(r, ['-', '_']);
  }
  return out;
}

/** JSON text with random white space and random escapes of ordinary characters. */
function toJsonText(v: Json, r: () => number, escapeRate: number, spaceRate: number): string {
  const ws = () => (r() < spaceRate ? pick(r, [' ', '\n', '\t', '\r\n', '  ']) : '');
  const str = (s: string) => {
    let out = '"';
    for (const ch of s) {
      const c = ch.charCodeAt(0);
      if (ch === '"') out += '\\"';
      else if (ch === '\\') out += '\\\\';
      else if (c < 32) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else if (r() < escapeRate) {
        if (ch === '/' && r() < 0.5) out += '\\/';
        else for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
      } else out += ch;
    }
    return out + '"';
  };
  const walk = (x: Json): string => {
    if (typeof x === 'string') return str(x);
    if (x === null || typeof x !== 'object') return JSON.stringify(x);
    if (Array.isArray(x)) return `[${ws()}${x.map((y) => walk(y)).join(`${ws()},${ws()}`)}${ws()}]`;
    return `{${ws()}${Object.entries(x)
      .map(([k, y]) => `${str(k)}${ws()}:${ws()}${walk(y)}`)
      .join(`${ws()},${ws()}`)}${ws()}}`;
  };
  return walk(v);
}

/** Every object in a value (the places a key can be added), and every string's holder. */
function places(v: Json, objects: Array<{ [k: string]: Json }>, strings: Array<[Json[] | { [k: string]: Json }, string | number]>): void {
  if (Array.isArray(v)) v.forEach((x, i) => (typeof x === 'string' ? strings.push([v, i]) : places(x, objects, strings)));
  else if (v !== null && typeof v === 'object') {
    objects.push(v);
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') strings.push([v, k]);
    else places(x, objects, strings);
  }
}

/** Plants one secret somewhere in the page; says where, for the failure message. */
function plant(page: Json[], r: () => number): string {
  const event = r() < 0.3 ? (r() < 0.5 ? page[0]! : page[page.length - 1]!) : pick(r, page);
  const objects: Array<{ [k: string]: Json }> = [];
  const strings: Array<[Json[] | { [k: string]: Json }, string | number]> = [];
  places(event, objects, strings);
  const around = (s: string) => (r() < 0.3 ? pick(r, UNICODE) : '') + s + (r() < 0.3 ? pick(r, UNICODE) : '');
  const kind = r();
  if (kind < 0.45 && strings.length) {
    // Into an existing string value, at its start, its end or anywhere in it.
    const [holder, k] = pick(r, strings);
    const old = (holder as Record<string | number, Json>)[k] as string;
    const at = r() < 0.3 ? 0 : r() < 0.5 ? old.length : Math.floor(r() * old.length);
    const s = around(pick(r, TEXT_SECRETS)(r));
    (holder as Record<string | number, Json>)[k] = old.slice(0, at) + s + old.slice(at);
    return `value ${JSON.stringify(s)}`;
  }
  const obj = r() < 0.4 ? debugData(event) : pick(r, objects);
  if (kind < 0.7) {
    const key = secretKey(r);
    const values: Json[] = ['anything', 12345, { nested: 'x', n: 1 }, '', null, ['a', 'b'], {}, [], true, false, { '': '' }, [[]], 0];
    const value = JSON.parse(JSON.stringify(pick(r, values))) as Json;
    obj[key] = value;
    return `key ${JSON.stringify(key)}`;
  }
  if (kind < 0.8) {
    const m = pick(r, JWK_MEMBERS);
    obj[m] = r() < 0.7 ? 'Q'.repeat(16 + Math.floor(r() * 20)) : 'short';
    return `jwk ${m}`;
  }
  if (kind < 0.9) {
    // A secret as a key's name (the walk keeps key names as they are: the gate must agree).
    const s = pick(r, TEXT_SECRETS)(r);
    obj[s] = 'x';
    return `in a key ${JSON.stringify(s)}`;
  }
  const s = around(pick(r, TEXT_SECRETS)(r));
  obj[`field${Math.floor(r() * 100)}`] = s;
  return `new value ${JSON.stringify(s)}`;
}

function debugData(event: Json): { [k: string]: Json } {
  const e = event as { [k: string]: Json };
  const dc = (e.debugContext ??= {}) as { [k: string]: Json };
  return (dc.debugData ??= {}) as { [k: string]: Json };
}

let base: Json[];
let release: () => void;

beforeAll(() => {
  const org = new SandboxOrg({ seed: 21, users: 30, logEvents: 400, now: () => NOW, clientId: '0oasandboxclient0001' });
  base = org.logs.events.map((s) => JSON.parse(JSON.stringify(s.event)) as Json);
});

beforeEach(() => {
  clearSecrets();
  addSecret(TOKEN);
  addSecret(PEM);
  addSecret(JWT);
  release = holdSecrets([HELD_PLAIN, HELD_QUOTED]);
});

afterEach(() => {
  release();
  clearSecrets();
});

describe('the redaction gate on JSON text', () => {
  test('seeded pages of System Log events with secrets planted: the gated result is the walk’s, and no planted value survives', () => {
    const r = rng(2121);
    let passed = 0;
    let walked = 0;
    for (let run = 0; run < 400; run++) {
      const size = 1 + Math.floor(r() * 25);
      const startAt = Math.floor(r() * (base.length - size));
      const page = JSON.parse(JSON.stringify(base.slice(startAt, startAt + size))) as Json[];
      const planted: string[] = [];
      const count = r() < 0.25 ? 0 : 1 + Math.floor(r() * 3);
      for (let i = 0; i < count; i++) planted.push(plant(page, r));
      const text = toJsonText(page, r, r() < 0.3 ? 0.02 : 0, r() < 0.3 ? 0.1 : 0);
      const full = redact(JSON.parse(text) as Json[]);
      const gated = redactParsed(JSON.parse(text) as Json[], text);
      const sealed = redactParsedSealed(JSON.parse(text) as Json[], text);
      const why = `run ${run}: ${planted.join('; ') || 'nothing planted'}`;
      expect({ why, out: JSON.stringify(gated) }).toEqual({ why, out: JSON.stringify(full) });
      expect({ why, out: JSON.stringify(sealed) }).toEqual({ why, out: JSON.stringify(full) });
      // The property the gate stands on: when it passes a page, the walk changes nothing in it.
      const parsed = JSON.parse(text) as Json[];
      if (jsonTextIsClean(text)) {
        passed++;
        expect({ why, same: redact(parsed) === parsed }).toEqual({ why, same: true });
      } else walked++;
      const out = JSON.stringify(full);
      // Values masked wherever they stand (a `password=…` pair glued to a word before it is not one, by design).
      for (const secret of [TOKEN, HELD_PLAIN, PEM_LINES[0]!, JWT, 'AbCdEf0123456789']) {
        // Key names are never rewritten: a secret planted as a key's name is out of scope here.
        if (!planted.some((p) => p.startsWith('in a key'))) expect({ why, leaked: out.includes(secret) && secret }).toEqual({ why, leaked: false });
      }
    }
    // Both ways were taken, many times each.
    expect(passed).toBeGreaterThan(60);
    expect(walked).toBeGreaterThan(200);
  });

  test('clean pages are handed back as they are (no copy), sealed by redactParsedSealed', () => {
    const text = JSON.stringify(base.slice(0, 50));
    expect(jsonTextIsClean(text)).toBe(true);
    const items = JSON.parse(text) as Json[];
    expect(redactParsed(items, text)).toBe(items);
    expect(Object.isFrozen(items)).toBe(false);
    const sealed = JSON.parse(text) as Json[];
    expect(redactParsedSealed(sealed, text)).toBe(sealed);
    expect(Object.isFrozen(sealed[0])).toBe(true);
    // A later pass (the entry's) recognises them as clean.
    expect(redact(sealed)).toBe(sealed);
  });

  test('a secret straddling the places where the text is split for the parallel pass is found', () => {
    // The pass reads eight parts of the text side by side; a word must be found wherever it falls.
    for (const secret of ['Bearer 00abc-DEF_123456', TOKEN, 'password=abcdefgh', HELD_PLAIN]) {
      const n = 8 * 700 + 5;
      const before = 'x '.repeat(n);
      for (let at = 1; at < n - 40; at += 1) {
        const len = Math.floor((n + 6) / 8);
        // Only positions near a boundary: that is where a word could be lost.
        if (Math.min(...[1, 2, 3, 4, 5, 6, 7].map((k) => Math.abs(at + 2 - k * len))) > secret.length + 2) continue;
        const s = before.slice(0, at) + ` ${secret} ` + before.slice(at + secret.length + 2, n);
        const text = JSON.stringify([s]);
        expect({ at, secret, clean: jsonTextIsClean(text) }).toEqual({ at, secret, clean: false });
        expect(redactParsed(JSON.parse(text) as string[], text)[0]).toContain(MASK);
      }
    }
  });

  test('escaped text: a secret written with \\u escapes, \\/ or inside a string of JSON is found', () => {
    const esc = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const cases = [
      `[{"a":"${esc(TOKEN)}"}]`,
      `[{"a":"${esc('Bearer')} 00abc-DEF_123456"}]`,
      `[{"${esc('password')}":"x"}]`,
      `[{"a":"https:\\/\\/acme.okta.com\\/welcome\\/AbCdEf0123456789"}]`,
      `[{"a":"{\\"password\\":\\"s3cr3t-x\\"}"}]`,
      `[{"a":"${JSON.stringify(HELD_QUOTED).slice(1, -1)}"}]`,
      `[{"to\u212Aen":"x","accessTo\u212Aen":"y"}]`,
    ];
    for (const text of cases) {
      const full = redact(JSON.parse(text) as unknown[]);
      expect({ text, clean: jsonTextIsClean(text) }).toEqual({ text, clean: false });
      expect(redactParsed(JSON.parse(text) as unknown[], text)).toEqual(full);
    }
  });

  test('a secret registered after a page passed is looked for in the next page', () => {
    const text = JSON.stringify([{ note: 'late-registered-secret-42' }]);
    expect(jsonTextIsClean(text)).toBe(true);
    addSecret('late-registered-secret-42');
    expect(jsonTextIsClean(text)).toBe(false);
    expect(redactParsed(JSON.parse(text) as Array<{ note: string }>, text)[0]!.note).toBe(MASK);
  });
});
