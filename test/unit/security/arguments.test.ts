/**
 * Every argument of every command in integration.yml, checked from the manifest itself so that
 * commands added later are covered too: string values are bounded, ids have a shape, a traversal
 * attempt in any argument never reaches a URL path, and a value stays one line.
 */
import { argumentSchema, MAX_RAW_LENGTH, prepareArgs } from '../../../integration/engine/args.js';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch } from '../../../entry/index.js';
import { ArgumentError } from '../../../integration/base/errors.js';
import { loadManifest, type ManifestArgument, type ManifestCommand } from '../../../integration/engine/manifest.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { decodeLoosely, ORG, otherArgs, quietOrgTransport, STACK_LINE, strings } from './helpers.js';

const TOKEN = '00sec-test-token-0123456789abcdefghijklmn';
const params = { url: ORG, apitoken: TOKEN, max_retries: 0 };
const commands = [...loadManifest().commands.values()];


/** Every schema node of a JSON Schema (items, properties, combinators). */
function nodes(s: Record<string, unknown>, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  out.push(s);
  const sub = (v: unknown) => v && typeof v === 'object' && !Array.isArray(v) && nodes(v as Record<string, unknown>, out);
  sub(s.items);
  sub(s.additionalProperties);
  for (const v of Object.values((s.properties as Record<string, unknown>) ?? {})) sub(v);
  for (const k of ['anyOf', 'oneOf', 'allOf']) for (const v of (s[k] as unknown[]) ?? []) sub(v);
  return out;
}

const isString = (n: Record<string, unknown>) => n.type === 'string' || (Array.isArray(n.type) && n.type.includes('string'));

const stringArgs: Array<[string, string, ManifestCommand, ManifestArgument]> = commands.flatMap((c) =>
  c.arguments.filter((a) => nodes(argumentSchema(a)).some(isString)).map((a) => [c.name, a.name, c, a] as [string, string, ManifestCommand, ManifestArgument]),
);

describe('size bounds', () => {
  test('the manifest has commands with string arguments to check', () => {
    expect(stringArgs.length).toBeGreaterThan(10);
  });

  test.each(stringArgs)('%s %s: every string in its schema has a maxLength (or is an enum)', (_c, _a, _cmd, a) => {
    for (const n of nodes(argumentSchema(a)).filter(isString)) {
      const bounded = typeof n.maxLength === 'number' || Array.isArray(n.enum) || n.const !== undefined;
      expect({ argument: a.name, schema: n, bounded }).toEqual({ argument: a.name, schema: n, bounded: true });
      if (typeof n.maxLength === 'number') expect(n.maxLength).toBeLessThanOrEqual(MAX_RAW_LENGTH);
    }
  });

  test.each(stringArgs)('%s %s: a value one character over the bound is refused before anything is sent', (_c, _a, c, a) => {
    const s = argumentSchema(a);
    const item = (s.items as Record<string, unknown> | undefined) ?? s;
    const max = typeof item.maxLength === 'number' ? item.maxLength : 64;
    // Letters only, so a pattern cannot be the reason for the refusal of a short value.
    const value = 'a'.repeat(max + 1);
    expect(() => prepareArgs(c, { ...otherArgs(c, a.name), [a.name]: value })).toThrow(ArgumentError);
  });

  test('any argument, known or not, of any command: a raw value over 1 MiB is refused without being parsed', () => {
    for (const c of commands) {
      const name = c.arguments[0]?.name ?? 'x';
      expect(() => prepareArgs(c, { [name]: `[${'1,'.repeat(MAX_RAW_LENGTH / 2)}1]` })).toThrow(/longer than|unknown argument/);
    }
  });
});

describe('ids have a shape', () => {
  // userId, groupId, factorId, zoneId, appId, zoneID …: what Okta calls an id is short and alphanumeric.
  // managerId is an Okta profile attribute (free text from HR), not the id of an Okta object.
  const PROFILE_ATTRIBUTES = new Set(['managerId']);
  const idArgs = commands.flatMap((c) =>
    c.arguments.filter((a) => /(?:^id|Id|ID)$/.test(a.name) && !PROFILE_ATTRIBUTES.has(a.name)).map((a) => [c.name, a.name, c, a] as const),
  );

  test.each(idArgs)('%s %s has a pattern (or is a bulk list checked per id by the handler)', (_c, _a, c, a) => {
    const s = argumentSchema(a);
    const item = (s.items as Record<string, unknown> | undefined) ?? s;
    if (c.bulk) return; // comma lists: userRefsFromArgs checks each id (tested below through dispatch)
    expect({ argument: a.name, pattern: typeof item.pattern === 'string' || Array.isArray(item.enum) }).toEqual({ argument: a.name, pattern: true });
  });
});

/**
 * Values that would move a request elsewhere if they reached a URL path unencoded or decoded
 * once. The sentinel marks where the traversal would land.
 */
const TRAVERSALS = [
  '../../../sentinelxyz',
  '..',
  '.',
  '..%2fsentinelxyz',
  '%2e%2e%2f%2e%2e%2fsentinelxyz',
  '.%2e/sentinelxyz',
  'a\\..\\..\\sentinelxyz',
  'sentinelxyz/..',
  'a/sentinelxyz',
  'a%2Fsentinelxyz',
  'a?x=1#sentinelxyz',
];

describe('a traversal attempt in any argument never reaches a URL path', () => {
  // The sweep means something only if many of its values did reach Okta (in queries and bodies).
  let sent = 0;
  afterAll(() => expect(sent).toBeGreaterThan(20));
  const cases = stringArgs.filter(([, , , a]) => !Array.isArray(argumentSchema(a).enum));
  test.each(cases)('%s %s', async (_c, _a, c, a) => {
    // The path as the client builds it, before any socket: an in-memory org (the property test
    // and the origin tests use nock and real sockets).
    const stub = quietOrgTransport();
    for (const value of TRAVERSALS) {
      stub.seen.length = 0;
      const { entries } = await dispatch(c.name, { ...otherArgs(c, a.name), [a.name]: value }, params, { clock: new ManualClock(), state: new MemoryStore(), transport: stub.transport });
      expect(entries.length).toBeGreaterThan(0);
      for (const s of strings(entries)) expect(s).not.toMatch(STACK_LINE);
      sent += stub.seen.length;
      for (const r of stub.seen) {
        const pathname = r.path.split('?')[0]!;
        for (const seg of pathname.split('/').slice(1)) {
          const once = decodeLoosely(seg);
          expect({ value, path: pathname, segment: seg, bad: seg.toLowerCase() === 'sentinelxyz' || /[/\\]/.test(once) || once === '.' || once === '..' }).toEqual({
            value,
            path: pathname,
            segment: seg,
            bad: false,
          });
        }
        // The org's API, and only it.
        expect(pathname.startsWith('/api/v1/')).toBe(true);
      }
    }
    expect(stub.foreign).toEqual([]);
  });
});

describe('a value stays one line', () => {
  test.each(stringArgs.filter(([, , , a]) => !Array.isArray(argumentSchema(a).enum) && typeof argumentSchema(a).pattern !== 'string'))(
    '%s %s: a line break or NUL is refused before anything is sent',
    (_c, _a, c, a) => {
      for (const bad of ['alice@example.com\nadmin@example.com', 'a\u0000b', 'a\r\n    at Object.<anonymous> (x.js:1:1)']) {
        expect(() => prepareArgs(c, { ...otherArgs(c, a.name), [a.name]: bad })).toThrow(ArgumentError);
      }
    },
  );
});

describe('argument names', () => {
  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('%s is an unknown argument, not a prototype member', (name) => {
    const c = loadManifest().commands.get('okta-get-user')!;
    expect(() => prepareArgs(c, JSON.parse(`{"${name}": "x", "username": "a"}`) as Record<string, unknown>)).toThrow(/unknown argument/);
  });

  test('a hostile unknown argument name is quoted and cut in the message', () => {
    const c = loadManifest().commands.get('okta-get-user')!;
    let msg = '';
    try {
      prepareArgs(c, { ['x\n    at evil (/x.js:1:1)' + 'y'.repeat(5000)]: '1' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^okta-get-user: unknown argument "x\\n {4}at evil/);
    expect(msg.length).toBeLessThan(400);
  });
});
