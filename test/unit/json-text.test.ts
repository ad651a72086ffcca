/**
 * Lists collected for a JSON face keep the text Okta sent (json-text.ts): the CLI's --json writes it
 * instead of serialising the list again. The text must parse to the list, and it must never be
 * written when it could say something the list does not (a secret masked, a list changed since).
 */
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { dispatch } from '../../entry/index.js';
import { ManualClock } from '../../integration/base/clock.js';
import { jsonTextOf } from '../../integration/base/json-text.js';
import { addSecret, clearSecrets, jsonTextIsClean, MASK, redact } from '../../integration/base/redact.js';
import type { CommandContext } from '../../integration/engine/command.js';
import { collect } from '../../integration/okta/paging.js';
import { MemoryStore } from '../../integration/state/store.js';
import { entriesJson } from '../../integration/faces/cli/shared.js';
import { closeClients, makeClient } from './resilience/helpers.js';
import { ORG, sswsParams } from '../helpers/fixtures.js';

const SINCE = '2026-11-21T00:00:00.000Z';
type Ev = Record<string, unknown>;

/** A page's text as Okta might send it: white space between tokens, escapes JSON.stringify would not write. */
function pageText(from: number, n: number): string {
  const items = Array.from(
    { length: n },
    (_, i) =>
      `{ "uuid" : "e-${from + i}", "displayMessage": "caf\\u00e9 \\/ ${from + i}", "request": {"ipChain": [ {"ip": "192.0.2.${i % 250}", "geolocation": {"lat": 1.50, "lon": -0.0} } ]} }`,
  );
  return `[\n  ${items.join(',\n  ')}\n]`;
}

function pages(texts: string[]): nock.Scope {
  const scope = nock(ORG);
  texts.forEach((text, i) => {
    scope
      .get('/api/v1/logs')
      .query((q) => (i === 0 ? q.after === undefined : q.after === `c${i}`))
      .reply(200, text, {
        'Content-Type': 'application/json',
        link: `<${ORG}/api/v1/logs?since=${encodeURIComponent(SINCE)}&limit=1000&after=c${i + 1}>; rel="next"`,
      });
  });
  return scope;
}

const ctxFor = (okta: CommandContext['okta'], keepJsonText = true): CommandContext =>
  ({ okta, progress: () => undefined, warn: () => undefined, keepJsonText }) as unknown as CommandContext;

const read = async (limit: number, keep = true) => {
  const { client } = makeClient();
  return collect<Ev>(ctxFor(client, keep), { method: 'GET', path: '/api/v1/logs', query: { since: SINCE } }, limit, 3);
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  clearSecrets();
  closeClients();
});
afterAll(() => nock.enableNetConnect());

describe('the JSON text a list was read from', () => {
  test('is kept for a JSON face: its pieces are the pages as sent, and parse to the list', async () => {
    const texts = [pageText(0, 3), pageText(3, 3), pageText(6, 2)];
    const scope = pages(texts);
    const got = await read(8);
    scope.done();
    expect(got.items).toHaveLength(8);
    const pieces = jsonTextOf(got.items)!;
    expect(pieces).toBeDefined();
    const text = pieces.join('');
    expect(text).toContain('caf\\u00e9 \\/ 0');
    expect(text).not.toBe(JSON.stringify(got.items));
    // It says what the list holds, to the letter (`-0.0` stays -0, where JSON.stringify writes 0).
    expect(JSON.parse(text)).toEqual(got.items);
    // Sealed all the way down: what the text says cannot be changed behind it.
    const first = got.items[0] as { request: { ipChain: Array<{ geolocation: object }> } };
    expect(Object.isFrozen(first.request.ipChain)).toBe(true);
    expect(Object.isFrozen(first.request.ipChain[0]!.geolocation)).toBe(true);
  });

  test('is not kept unless a JSON face asks, nor for a page cut short (a server that ignored limit)', async () => {
    let scope = pages([pageText(0, 3), pageText(3, 3)]);
    let got = await read(6, false);
    scope.done();
    expect(jsonTextOf(got.items)).toBeUndefined();
    // The second page holds 3 items where 2 were wanted: its text says more than the list.
    scope = pages([pageText(0, 3), pageText(3, 3)]);
    got = await read(5);
    scope.done();
    expect(got.items).toHaveLength(5);
    expect(jsonTextOf(got.items)).toBeUndefined();
  });

  test('a page with something to mask is walked, and the list has no text', async () => {
    const secretPage = pageText(3, 3).replace('"caf\\u00e9 \\/ 4"', '"Authorization: Bearer abcdefghijklmnop12345"');
    const scope = pages([pageText(0, 3), secretPage]);
    const got = await read(6);
    scope.done();
    expect(got.items[4]!.displayMessage).toBe(`Authorization: Bearer ${MASK}`);
    expect(jsonTextOf(got.items)).toBeUndefined();
  });

  test('is not used once the list was changed, or a secret registered since', async () => {
    let scope = pages([pageText(0, 3)]);
    let got = await read(3);
    scope.done();
    expect(jsonTextOf(got.items)).toBeDefined();
    got.items.reverse();
    expect(jsonTextOf(got.items)).toBeUndefined();
    got.items.reverse();
    expect(jsonTextOf(got.items)).toBeDefined();
    got.items.pop();
    expect(jsonTextOf(got.items)).toBeUndefined();

    scope = pages([pageText(0, 3)]);
    got = await read(3);
    scope.done();
    addSecret('192.0.2.1-not-in-it');
    expect(jsonTextOf(got.items)).toBeUndefined();
  });

  test('is not used while a known secret holds a quote or a backslash (the text could hold it where the list does not)', async () => {
    addSecret('pa\\/ss-word-1');
    const scope = pages([pageText(0, 3)]);
    const got = await read(3);
    scope.done();
    expect(jsonTextOf(got.items)).toBeUndefined();
  });
});

describe("the CLI's --json document", () => {
  test("okta-get-logs writes the pages' text, which parses to the entry", async () => {
    const texts = [pageText(0, 3), pageText(3, 3)];
    const scope = nock(ORG);
    texts.forEach((text, i) =>
      scope
        .get('/api/v1/logs')
        .query((q) => (i === 0 ? q.after === undefined : q.after === `c${i}`))
        .reply(200, text, { 'Content-Type': 'application/json', link: `<${ORG}/api/v1/logs?limit=1000&after=c${i + 1}>; rel="next"` }),
    );
    const opts = { clock: new ManualClock(Date.UTC(2026, 10, 22, 12)), state: new MemoryStore() };
    const kept = await dispatch('okta-get-logs', { since: SINCE, limit: 6 }, sswsParams(), { ...opts, keepJsonText: true });
    scope.done();
    const doc = entriesJson(kept.entries).join('');
    // The events twice (Contents and context), as Okta sent them.
    expect(doc.split('caf\\u00e9 \\/ 5').length - 1).toBe(2);
    expect(JSON.parse(doc)).toEqual(kept.entries);
  });
});

describe("Okta's users (credentials.password is {})", () => {
  const alice = readFileSync(new URL('../../test_data/users/get-user-alice.json', import.meta.url), 'utf8');

  test('pass the redaction gate and are left as they are: a password key with nothing under it masks nothing', () => {
    const page = `[${alice},${alice}]`;
    expect(page).toMatch(/"password": \{\}/);
    expect(jsonTextIsClean(page)).toBe(true);
    const users = JSON.parse(page) as unknown[];
    expect(redact(users)).toBe(users);
  });

  test('a password key with anything under it is still masked, and the gate says so', () => {
    for (const value of ['{ "value": "hunter2hunter2" }', '"hunter2hunter2"', '0', '[ "x" ]', '{"hash":{"value":"abc"}}']) {
      const page = `[${alice.replace('"password": {}', `"password": ${value}`)}]`;
      expect(jsonTextIsClean(page)).toBe(false);
      expect(JSON.stringify(redact(JSON.parse(page)))).not.toMatch(/hunter2|"x"|"abc"|"password":0/);
    }
  });
});
