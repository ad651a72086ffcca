import { addSecret, clearSecrets, MASK, redact } from '../../integration/base/redact.js';

afterEach(() => clearSecrets());

describe('redaction without copying what it does not change', () => {
  test('the input is never changed; untouched parts are shared, changed ones copied', () => {
    addSecret('tok-1234567890-secret');
    const clean = { a: 'Chrome on Windows', n: 1, list: [{ x: 'y' }] };
    const dirty = { msg: 'Authorization: SSWS tok-1234567890-secret', password: 'hunter2hunter2' };
    const input = { clean, dirty };
    const snapshot = JSON.stringify(input);
    const out = redact(input);
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(out.clean).toBe(clean);
    expect(out.dirty).not.toBe(dirty);
    expect(out.dirty).toEqual({ msg: `Authorization: SSWS ${MASK}`, password: MASK });
  });

  test('a result is not walked twice, unless a secret was registered since', () => {
    const entry = { HumanReadable: 'user: alice, key abcdef-0123456789' };
    const first = redact(entry);
    expect(redact(first)).toBe(first);
    addSecret('abcdef-0123456789');
    expect(redact(first).HumanReadable).toBe(`user: alice, key ${MASK}`);
  });

  test('cycles, Errors and class instances still work (the copying walk)', () => {
    addSecret('cycle-secret-0000');
    const a: Record<string, unknown> = { s: 'has cycle-secret-0000' };
    a.self = a;
    const out = redact(a) as Record<string, unknown>;
    expect(out.s).toBe(`has ${MASK}`);
    expect((out.self as Record<string, unknown>).s).toBe(`has ${MASK}`);
    const err = redact({ e: new Error('failed with cycle-secret-0000') }) as { e: { message: string } };
    expect(err.e.message).toBe(`failed with ${MASK}`);
  });

  test('text with nothing a pattern needs is returned unchanged; text with a trigger is masked', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const out = redact({ plain: 'user.session.start', keyed: `{"d":"${'A'.repeat(20)}"}`, bearer: `bearer ${jwt}` });
    expect(out.plain).toBe('user.session.start');
    expect(out.keyed).toBe(`{"d":"${MASK}"}`);
    expect(out.bearer).not.toContain(jwt);
  });

  test('an object shared deep in a result (past the levels the walk remembers) is masked wherever it appears', () => {
    addSecret('deep-secret-000111');
    const shared = { note: 'key deep-secret-000111', safe: 'ok' };
    const deep = (n: number): Record<string, unknown> => (n === 0 ? { shared } : { next: deep(n - 1) });
    const input = { a: deep(6), b: deep(9), c: [shared, shared] };
    const out = JSON.stringify(redact(input));
    expect(out).not.toContain('deep-secret-000111');
    expect(out.split(`key ${MASK}`)).toHaveLength(5);
    expect(shared.note).toBe('key deep-secret-000111');
  });

  test('a private JWK member in object form is masked as it is in JSON text; public members and short values stay', () => {
    const key = { kty: 'RSA', kid: 'k1', n: 'n'.repeat(40), e: 'AQAB', d: 'd'.repeat(40), qi: 'q'.repeat(16), p: 'short' };
    const out = redact({ key });
    expect(out.key).toEqual({ ...key, d: MASK, qi: MASK });
    expect(out.key.p).toBe('short');
  });
});
