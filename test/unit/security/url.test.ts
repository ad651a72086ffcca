/**
 * Arguments are values, never addresses: a path value is one segment, whatever its encoding,
 * and a URL that Okta (or an argument) hands us is used only on the configured origin and API.
 */
import fc from 'fast-check';
import { ArgumentError, SecurityError } from '../../../integration/base/errors.js';
import { buildQuery, checkOwnUrl, encodePathSegment, fillPath } from '../../../integration/okta/url.js';

const ORIGIN = 'https://acme.okta.com';
const T = '/api/v1/users/{id}/lifecycle/suspend';

describe('fillPath: one value, one segment', () => {
  test.each([
    ['..'],
    ['.'],
    [' .. '],
    ['../groups'],
    ['a/../../groups'],
    ['a/b'],
    ['a\\b'],
    ['%2e%2e'],
    ['.%2e'],
    ['%2E.'],
    ['%2f'],
    ['a%2Fb'],
    ['a%5cb'],
    ['%2e'],
    ['a\u0000b'],
    ['a\nb'],
    ['a%0Ab'],
    ['a\u0085b'],
    ['\uD800'],
  ])('%j is refused before any request exists', (v) => {
    expect(() => fillPath(T, { id: v })).toThrow(ArgumentError);
  });

  test('an over-long value is refused', () => {
    expect(() => fillPath(T, { id: 'a'.repeat(1025) })).toThrow(/longer than 1024/);
  });

  test('logins keep @ and : (DPoP htu compares the decoded path), everything else reserved is encoded', () => {
    expect(fillPath(T, { id: 'alice@acme.com' })).toBe('/api/v1/users/alice@acme.com/lifecycle/suspend');
    expect(fillPath(T, { id: 'a?b#c&d=e f' })).toBe('/api/v1/users/a%3Fb%23c%26d%3De%20f/lifecycle/suspend');
    expect(fillPath(T, { id: 'a%41' })).toBe('/api/v1/users/a%2541/lifecycle/suspend');
    expect(encodePathSegment('x:y@z')).toBe('x:y@z');
  });

  test('property: whatever the value, the filled path has the template\'s segments and none is a dot segment', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('..', '%2e%2e', 'a/b', '\\', '%252e%252e')), (v) => {
        let path: string;
        try {
          path = fillPath(T, { id: v });
        } catch (e) {
          expect(e).toBeInstanceOf(ArgumentError);
          return;
        }
        const u = new URL(ORIGIN + path);
        // The URL parser agrees: same number of segments, in the same places.
        const segs = u.pathname.split('/');
        expect(segs).toHaveLength(7);
        expect([segs[1], segs[2], segs[3], segs[5], segs[6]]).toEqual(['api', 'v1', 'users', 'lifecycle', 'suspend']);
        expect(segs[4]).not.toMatch(/^(\.|\.\.|%2e|%2e%2e|\.%2e|%2e\.)$/i);
        // Decoded once (a lenient server or proxy), it is still one segment.
        expect(decodeURIComponent(segs[4]!)).toBe(v);
        expect(v).not.toMatch(/[/\\]/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('buildQuery', () => {
  test('values are encoded whole: & = # cannot add parameters', () => {
    expect(buildQuery({ filter: 'a eq "b"&limit=1#x', q: 'a b' })).toBe('?filter=a%20eq%20%22b%22%26limit%3D1%23x&q=a%20b');
  });
  test('an unpaired surrogate is an argument error, not a crash', () => {
    expect(() => buildQuery({ q: 'a\uD800' })).toThrow(ArgumentError);
  });
});

describe('checkOwnUrl: next links and polling URLs stay on the org and in the API', () => {
  test.each([
    ['https://evil.example/api/v1/users?after=x', /refused to send credentials to https:\/\/evil.example/],
    ['http://acme.okta.com/api/v1/users', /refused to send credentials/],
    ['https://acme.okta.com:8443/api/v1/users', /refused to send credentials/],
    ['https://acme.okta.com.evil.example/api/v1/users', /refused to send credentials/],
    ['https://acme.okta.com@evil.example/api/v1/users', /refused to send credentials/],
    ['https://evil.example\\@acme.okta.com/api/v1/users', /refused/],
    ['https://user:pw@acme.okta.com/api/v1/users', /credentials or a fragment/],
    ['https://acme.okta.com/api/v1/users#x', /credentials or a fragment/],
    ['https://acme.okta.com/oauth2/v1/token', /outside the Okta API/],
    ['https://acme.okta.com/api/v1/../../oauth2/v1/token', /outside the Okta API/],
    ['https://acme.okta.com/api/v1/%2e%2e/%2e%2e/oauth2/v1/token', /outside the Okta API/],
    ['https://acme.okta.com/api/v1/users/a%2f..%2f..%2fgroups', /outside the Okta API/],
    ['//evil.example/api/v1/users', /does not parse/],
    ['/api/v1/users', /does not parse/],
    ['javascript:alert(1)', /refused/],
  ])('%s is refused', (url, message) => {
    expect(() => checkOwnUrl(ORIGIN, url)).toThrow(SecurityError);
    expect(() => checkOwnUrl(ORIGIN, url)).toThrow(message);
  });

  test('an own API URL is accepted; a polling URL must also have the shape of its operation', () => {
    expect(checkOwnUrl(ORIGIN, 'https://acme.okta.com/api/v1/users?after=00u1&limit=200').pathname).toBe('/api/v1/users');
    expect(checkOwnUrl(ORIGIN, 'https://ACME.okta.com/api/v1/users').origin).toBe(ORIGIN);
    const poll = /^\/api\/v1\/users\/[A-Za-z0-9]+\/factors\/[A-Za-z0-9]+\/transactions\/[A-Za-z0-9]+$/;
    expect(() => checkOwnUrl(ORIGIN, 'https://acme.okta.com/api/v1/users/00u1/factors/opf1/transactions/v2mst1', poll)).not.toThrow();
    expect(() => checkOwnUrl(ORIGIN, 'https://acme.okta.com/api/v1/users/00u1/lifecycle/deactivate', poll)).toThrow(/not of the expected operation/);
  });
});
