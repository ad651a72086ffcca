/** Sigma value matching: modifiers, wildcards, lists, null, types, regular expressions, CIDR. */
import fc from 'fast-check';
import { globMatch, toGlob } from '../../../integration/fetch/rules/values.js';
import { detects, oktaEvent } from './helpers.js';

const alice = oktaEvent();

describe('plain values', () => {
  test('compare case-insensitively, whole value', () => {
    expect(detects('sel:\n  eventType: USER.Session.START\ncondition: sel', alice)).toBe(true);
    expect(detects('sel:\n  eventType: user.session\ncondition: sel', alice)).toBe(false);
  });

  test('cased compares exactly', () => {
    expect(detects('sel:\n  actor.alternateId|cased: alice@example.com\ncondition: sel', alice)).toBe(true);
    expect(detects('sel:\n  actor.alternateId|cased: Alice@example.com\ncondition: sel', alice)).toBe(false);
  });

  test('a list is any of its values; every entry of a map must match', () => {
    expect(detects('sel:\n  eventType: [user.account.lock, user.session.start]\ncondition: sel', alice)).toBe(true);
    expect(detects('sel:\n  eventType: user.session.start\n  outcome.result: FAILURE\ncondition: sel', alice)).toBe(false);
    expect(detects('sel:\n  - outcome.result: FAILURE\n  - actor.alternateId: alice@example.com\ncondition: sel', alice)).toBe(true);
  });

  test('booleans and numbers match their text in the event, and text matches them', () => {
    const proxied = oktaEvent({ securityContext: { isProxy: true, asNumber: 208323 } });
    // SigmaHQ's Okta rules write 'true' as a string; Okta sends a JSON boolean.
    expect(detects("sel:\n  securityContext.isProxy: 'true'\ncondition: sel", proxied)).toBe(true);
    expect(detects('sel:\n  securityContext.isProxy: true\ncondition: sel', proxied)).toBe(true);
    expect(detects('sel:\n  securityContext.isProxy: true\ncondition: sel', alice)).toBe(false);
    expect(detects('sel:\n  securityContext.asNumber: 208323\ncondition: sel', proxied)).toBe(true);
    expect(detects("sel:\n  securityContext.asNumber: '208323'\ncondition: sel", proxied)).toBe(true);
    expect(detects('sel:\n  debugContext.debugData.threshold: 120\ncondition: sel', oktaEvent({ debugContext: { debugData: { threshold: '120' } } }))).toBe(true);
  });

  test('an object never equals a string', () => {
    expect(detects("sel:\n  client: '*'\ncondition: sel", alice)).toBe(false);
  });
});

describe('wildcards', () => {
  test('* is any run of characters, ? one character; \\* and \\? are literal', () => {
    expect(detects("sel:\n  actor.alternateId: '*@example.com'\ncondition: sel", alice)).toBe(true);
    expect(detects("sel:\n  actor.alternateId: 'al?ce@*'\ncondition: sel", alice)).toBe(true);
    expect(detects("sel:\n  actor.alternateId: 'al?e@*'\ncondition: sel", alice)).toBe(false);
    const star = oktaEvent({ displayMessage: 'a*b?c' });
    expect(detects("sel:\n  displayMessage: 'a\\*b\\?c'\ncondition: sel", star)).toBe(true);
    expect(detects("sel:\n  displayMessage: 'a\\*b\\?c'\ncondition: sel", oktaEvent({ displayMessage: 'aXbYc' }))).toBe(false);
    expect(detects("sel:\n  displayMessage: 'a*b?c'\ncondition: sel", oktaEvent({ displayMessage: 'aXXbYc' }))).toBe(true);
  });

  test('\\\\ is one backslash; a lone backslash before another character stays', () => {
    const path = oktaEvent({ displayMessage: 'C:\\Windows\\x*' });
    expect(detects("sel:\n  displayMessage: 'C:\\Windows\\\\x\\*'\ncondition: sel", path)).toBe(true);
  });

  test('property: matches exactly what a reference matcher says', () => {
    const reference = (pattern: string, text: string): boolean => {
      let re = '^';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1]!)) re += `\\${pattern[++i]}`;
        else if (c === '*') re += '[\\s\\S]*';
        else if (c === '?') re += '[\\s\\S]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return new RegExp(`${re}$`).test(text);
    };
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*?\\]{0,10}$/), fc.stringMatching(/^[ab?*\\]{0,12}$/), (pattern, text) => {
        expect(globMatch(toGlob(pattern, false), text)).toBe(reference(pattern, text));
      }),
      { numRuns: 3000 },
    );
  });

  test('a pattern of many stars costs no backtracking (100 stars on 100 kB of text)', () => {
    const e = oktaEvent({ displayMessage: 'a'.repeat(100_000) });
    expect(detects(`sel:\n  displayMessage: '${'a*'.repeat(100)}b*'\ncondition: sel`, e)).toBe(false);
  });
});

describe('modifiers', () => {
  test('contains, startswith, endswith (case-insensitive), and all', () => {
    const e = oktaEvent({ debugContext: { debugData: { behaviors: '{New Geo-Location=NEGATIVE, New Device=POSITIVE, New IP=POSITIVE}' } } });
    expect(detects('sel:\n  debugContext.debugData.behaviors|contains: new device=positive\ncondition: sel', e)).toBe(true);
    expect(detects('sel:\n  debugContext.debugData.behaviors|contains|all: [New Device=POSITIVE, New IP=POSITIVE]\ncondition: sel', e)).toBe(true);
    expect(detects('sel:\n  debugContext.debugData.behaviors|contains|all: [New Device=POSITIVE, New Geo-Location=POSITIVE]\ncondition: sel', e)).toBe(false);
    expect(detects("sel:\n  actor.alternateId|startswith: ALICE@\ncondition: sel", alice)).toBe(true);
    expect(detects("sel:\n  actor.alternateId|endswith: '@example.com'\ncondition: sel", alice)).toBe(true);
    expect(detects("sel:\n  actor.alternateId|endswith: '@example'\ncondition: sel", alice)).toBe(false);
  });

  test('property: contains is a case-insensitive substring test', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 =.-]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9 =.-]{0,30}$/), (needle, hay) => {
        const e = oktaEvent({ displayMessage: hay });
        expect(detects(`sel:\n  displayMessage|contains: ${JSON.stringify(needle)}\ncondition: sel`, e)).toBe(hay.toLowerCase().includes(needle.toLowerCase()));
      }),
      { numRuns: 300 },
    );
  });

  test('re: searches, case-sensitive unless i; m and s flags', () => {
    expect(detects("sel:\n  actor.alternateId|re: '^al.ce@'\ncondition: sel", alice)).toBe(true);
    expect(detects("sel:\n  actor.alternateId|re: 'ALICE'\ncondition: sel", alice)).toBe(false);
    expect(detects("sel:\n  actor.alternateId|re|i: 'ALICE'\ncondition: sel", alice)).toBe(true);
    const lines = oktaEvent({ displayMessage: 'first\nsecond' });
    expect(detects("sel:\n  displayMessage|re: '^second$'\ncondition: sel", lines)).toBe(false);
    expect(detects("sel:\n  displayMessage|re|m: '^second$'\ncondition: sel", lines)).toBe(true);
    expect(detects("sel:\n  displayMessage|re: 'first.second'\ncondition: sel", lines)).toBe(false);
    expect(detects("sel:\n  displayMessage|re|s: 'first.second'\ncondition: sel", lines)).toBe(true);
  });

  test('re: a pattern that backtracks for ever elsewhere is answered at once (RE2, linear time)', () => {
    // (a+)+$ on "aaaa…!" takes exponential time in a backtracking engine (V8's RegExp).
    const e = oktaEvent({ displayMessage: `${'a'.repeat(50_000)}!` });
    expect(detects("sel:\n  displayMessage|re: '(a+)+$'\ncondition: sel", e)).toBe(false);
    expect(detects("sel:\n  displayMessage|re: '(a|aa)+!$'\ncondition: sel", e)).toBe(true);
  });

  test('cidr: IPv4, IPv6 and IPv4-mapped addresses; anything not an address never matches', () => {
    const at = (ip: string) => oktaEvent({ client: { ipAddress: ip } });
    const rule = "sel:\n  client.ipAddress|cidr: ['192.0.2.0/24', '2001:db8::/32', '203.0.113.9']\ncondition: sel";
    expect(detects(rule, at('192.0.2.77'))).toBe(true);
    expect(detects(rule, at('192.0.3.1'))).toBe(false);
    expect(detects(rule, at('2001:db8:1::5'))).toBe(true);
    expect(detects(rule, at('::ffff:192.0.2.8'))).toBe(true);
    expect(detects(rule, at('203.0.113.9'))).toBe(true);
    expect(detects(rule, at('203.0.113.10'))).toBe(false);
    expect(detects(rule, at('not an ip'))).toBe(false);
    expect(detects(rule, oktaEvent({ client: { ipAddress: null } }))).toBe(false);
  });

  test('exists and null: a field that is absent or null', () => {
    expect(detects('sel:\n  client.ipAddress|exists: true\ncondition: sel', alice)).toBe(true);
    expect(detects('sel:\n  client.device|exists: true\ncondition: sel', alice)).toBe(false);
    expect(detects('sel:\n  client.device|exists: false\ncondition: sel', alice)).toBe(true);
    expect(detects('sel:\n  target: null\ncondition: sel', alice)).toBe(true);
    expect(detects('sel:\n  outcome.reason: null\ncondition: sel', alice)).toBe(true);
    expect(detects('sel:\n  outcome.result: null\ncondition: sel', alice)).toBe(false);
    expect(detects('sel:\n  target.id|exists: true\ncondition: sel', alice)).toBe(false);
    expect(detects("sel:\n  outcome.reason: [null, 'LOCKED_OUT']\ncondition: sel", oktaEvent({ outcome: { result: 'FAILURE', reason: 'LOCKED_OUT' } }))).toBe(true);
  });

  test('gt, gte, lt, lte compare numbers, also numbers written as text', () => {
    const e = oktaEvent({ debugContext: { debugData: { operationRateLimitThreshold: '120' } } });
    expect(detects('sel:\n  debugContext.debugData.operationRateLimitThreshold|gte: 120\ncondition: sel', e)).toBe(true);
    expect(detects('sel:\n  debugContext.debugData.operationRateLimitThreshold|gt: 120\ncondition: sel', e)).toBe(false);
    expect(detects('sel:\n  debugContext.debugData.operationRateLimitThreshold|lt: 121\ncondition: sel', e)).toBe(true);
    expect(detects('sel:\n  debugContext.debugData.operationRateLimitThreshold|lte: 119\ncondition: sel', e)).toBe(false);
    expect(detects('sel:\n  actor.alternateId|gt: 1\ncondition: sel', e)).toBe(false);
  });

  test('fieldref: one field equals another', () => {
    const self = oktaEvent({ target: [{ id: '00u1', type: 'User', alternateId: 'alice@example.com' }] });
    const other = oktaEvent({ target: [{ id: '00u2', type: 'User', alternateId: 'bob@example.com' }] });
    const rule = 'sel:\n  target.alternateId|fieldref: actor.alternateId\ncondition: sel';
    expect(detects(rule, self)).toBe(true);
    expect(detects(rule, other)).toBe(false);
  });
});

describe('keywords', () => {
  test('a keyword list matches text anywhere in the event, ignoring case', () => {
    expect(detects('keywords:\n  - ALICE@EXAMPLE\n  - nothing-like-this\ncondition: keywords', alice)).toBe(true);
    expect(detects('keywords:\n  - nothing-like-this\ncondition: keywords', alice)).toBe(false);
    expect(detects("keywords:\n  - 'New*NEGATIVE'\ncondition: keywords", alice)).toBe(true);
  });

  test('a keyword never matches across two values, and numbers and booleans are values too', () => {
    const e = oktaEvent({ displayMessage: 'first half', outcome: { result: 'second half' } });
    expect(detects('keywords:\n  - half second\ncondition: keywords', e)).toBe(false);
    expect(detects('keywords:\n  - 7018\ncondition: keywords', alice)).toBe(true);
    expect(detects("keywords:\n  - 'false'\ncondition: keywords", alice)).toBe(true);
  });

  test('a map entry without a field name is a keyword with modifiers', () => {
    expect(detects("kw:\n  '|all': [alice, austin]\ncondition: kw", alice)).toBe(true);
    expect(detects("kw:\n  '|all': [alice, berlin]\ncondition: kw", alice)).toBe(false);
    expect(detects("kw:\n  '|re': '^198\\.51\\.100\\.'\ncondition: kw", alice)).toBe(true);
  });
});
