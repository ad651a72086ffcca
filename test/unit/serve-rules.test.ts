/** serve: a fetch whose Sigma rules cannot be loaded answers 422 with the problem, before any request to Okta. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { dispatch } from '../../entry/index.js';
import { fetchIncidents } from '../../integration/fetch/index.js';
import { startServer, type Server } from '../../integration/faces/serve/server.js';
import { MemoryStore } from '../../integration/state/store.js';
import { ORG, TOKEN } from '../helpers/fixtures.js';

const SERVE_TOKEN = 'serve-token-0123456789abcdef';
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-serve-rules-'));
let server: Server;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  writeFileSync(path.join(dir, 'bad.yml'), 'title: Unknown modifier\nid: r-bad\nlevel: high\nlogsource:\n  product: okta\ndetection:\n  sel:\n    eventType|base64: x\n  condition: sel\n');
  server = await startServer({ dispatch, token: SERVE_TOKEN, params: { url: ORG, apitoken: TOKEN, fetch_rules: dir }, state: new MemoryStore(), port: 0, fetchIncidents: fetchIncidents as never });
});
afterAll(async () => {
  await server.close();
  nock.cleanAll();
  nock.enableNetConnect();
  rmSync(dir, { recursive: true, force: true });
});

test('422 with the file, the rule and the construct; no stack trace, no token; nothing sent to Okta', async () => {
  const okta = nock(ORG).get(/.*/).reply(200, []);
  const res = await fetch(server.url + '/v1/fetch-incidents', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVE_TOKEN}` } });
  expect(res.status).toBe(422);
  const text = await res.text();
  const body = JSON.parse(text) as Array<{ Contents: string }>;
  expect(body[0]!.Contents).toBe(
    `fetch-incidents: fetch_rules: a Sigma rule problem, so no rule is used: ${path.join(dir, 'bad.yml')} rule "r-bad" detection.sel: modifier 'base64': is not supported: it searches Base64-encoded text (Windows command lines); Okta events hold none`,
  );
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|RuleLoadError/);
  expect(text).not.toContain(TOKEN);
  expect(okta.isDone()).toBe(false);
});
