/** One serve process for every instance: a request's `using` picks the org (contract §8). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { dispatch } from '../../entry/index.js';
import { fetchIncidents } from '../../integration/fetch/index.js';
import { loadInstances } from '../../integration/engine/instances.js';
import { fileInstances } from '../../integration/faces/instances.js';
import { startServer, type Server } from '../../integration/faces/serve/server.js';
import { MemoryStore } from '../../integration/state/store.js';
import { fixture, ORG, TOKEN } from '../helpers/fixtures.js';

const SERVE_TOKEN = 'serve-token-0123456789abcdef';
const OTHER = 'https://other.okta.com';
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-serve-instances-'));
let server: Server;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const file = path.join(dir, 'instances.yml');
  writeFileSync(file, `instances:\n  acme:\n    url: ${ORG}\n    apitoken: ${TOKEN}\n  other:\n    url: ${OTHER}\n    apitoken: other-token-value\n`, { mode: 0o600 });
  const state = new MemoryStore();
  server = await startServer({ dispatch, token: SERVE_TOKEN, params: {}, state, port: 0, instances: fileInstances(loadInstances(file), state), fetchIncidents: fetchIncidents as never });
});
afterAll(async () => {
  await server.close();
  nock.cleanAll();
  nock.enableNetConnect();
  rmSync(dir, { recursive: true, force: true });
});

const post = (route: string, body: unknown) =>
  fetch(server.url + route, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVE_TOKEN}` } });

test('"using" in the body sends the command to that instance’s org with its credentials', async () => {
  const a = nock(ORG, { reqheaders: { authorization: `SSWS ${TOKEN}` } }).get('/api/v1/users/alice@example.com').reply(200, fixture('users/get-user-alice.json'));
  const b = nock(OTHER, { reqheaders: { authorization: 'SSWS other-token-value' } }).get('/api/v1/users/alice@example.com').reply(200, fixture('users/get-user-alice.json'));
  expect((await post('/v1/commands/okta-get-user', { username: 'alice@example.com', using: 'acme' })).status).toBe(200);
  expect((await post('/v1/commands/okta-get-user', { username: 'alice@example.com', using: 'other' })).status).toBe(200);
  a.done();
  b.done();
});

test('an unknown or missing "using" is an error entry naming the instances; nothing is sent', async () => {
  const unknown = await post('/v1/commands/okta-get-user', { username: 'alice@example.com', using: 'nope' });
  expect(unknown.status).toBe(400);
  expect(((await unknown.json()) as Array<{ Contents: string }>)[0]!.Contents).toMatch(/unknown instance "nope".*acme, other/);
  const missing = await post('/v1/fetch-incidents', {});
  expect(missing.status).toBe(400);
  expect(((await missing.json()) as Array<{ Contents: string }>)[0]!.Contents).toMatch(/using=NAME is needed/);
});
