/**
 * serve for platforms and agents (contract §9, issue 19) against the sandbox org: named callers
 * (read-only or allowed to change Okta) from a file of hashed tokens, the OpenAPI documents, the
 * Prometheus metrics of a bulk suspend with its 429s and waits, one redacted JSON log line per
 * request, bad input answered with a status and an error entry and nothing sent to Okta, and MCP
 * over streamable HTTP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { dispatch } from '../../entry/index.js';
import { fetchIncidents } from '../../integration/fetch/index.js';
import { callersFromEnv, tokenHash } from '../../integration/faces/serve/callers.js';
import { apiDocuments } from '../../integration/faces/serve/openapi.js';
import { startServer, type Server } from '../../integration/faces/serve/server.js';
import type { Instances } from '../../integration/faces/instances.js';
import { ConfigError } from '../../integration/base/errors.js';
import { MemoryStore } from '../../integration/state/store.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxParams } from './helpers.js';

const WRITER = 'writer-token-5b1e0c8f7a9d4e2b8c6f';
const READER = 'reader-token-93a7d1c4e8b2f6a0d5c9';
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-serve-'));
let sb: Sandbox;
let server: Server;
const logs: string[] = [];

beforeAll(async () => {
  sb = await startSandbox({ users: 30, logEvents: 300, quiet: true, rateLimits: { 'user-write': { limit: 3, windowMs: 1500 } } });
  const file = path.join(dir, 'callers.yml');
  writeFileSync(
    file,
    `callers:\n  - name: soar-writer\n    sha256: ${tokenHash(WRITER)}\n    changes: true\n  - name: dashboard\n    sha256: ${tokenHash(READER)}\n`,
  );
  server = await startServer({
    dispatch,
    callers: callersFromEnv({ OKTA_SOAR_SERVE_TOKENS_FILE: file }),
    params: sandboxParams(sb, 'ssws'),
    state: new MemoryStore(),
    port: 0,
    maxBodyBytes: 64 * 1024,
    fetchIncidents,
    mcpChanges: true,
    version: '0.0.0-test',
    log: (l) => logs.push(l),
  });
});
afterAll(async () => {
  await server.close();
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (p: string, body: unknown, token = WRITER) =>
  fetch(server.url + p, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const get = (p: string, token: string | null = WRITER) => fetch(server.url + p, { headers: token ? { authorization: `Bearer ${token}` } : {} });
type Entries = Array<{ Type: number; Contents: unknown; HumanReadable: string }>;

describe('callers', () => {
  test('a read-only caller reads, plans (dry run) and is refused a change with 403 and an error entry; nothing is sent', async () => {
    const ok = await post('/v1/commands/okta-get-user', { username: 'alice@example.com' }, READER);
    expect(ok.status).toBe(200);
    const before = sb.stats.requests;
    const refused = await post('/v1/commands/okta-suspend-user', { username: 'alice@example.com' }, READER);
    expect(refused.status).toBe(403);
    const [e] = (await refused.json()) as Entries;
    expect(e!.Type).toBe(4);
    expect(e!.Contents).toMatch(/okta-suspend-user changes Okta, and caller dashboard may only read/);
    expect(sb.stats.requests).toBe(before);
    // A dry run, in any spelling the engine reads as true, changes nothing: allowed, and counted as planned.
    for (const dryRun of [true, 'yes']) {
      const dry = await post('/v1/commands/okta-suspend-user', { username: 'alice@example.com', dry_run: dryRun }, READER);
      expect(dry.status).toBe(200);
      expect(((await dry.json()) as Entries)[0]!.HumanReadable).toMatch(/Dry run of okta-suspend-user: 1 change request would be sent, none was/);
    }
    expect(sb.org.requireUser('alice@example.com').status).toBe('ACTIVE');
    const text = await (await get('/metrics', READER)).text();
    expect(text).toMatch(/^okta_soar_commands_total\{command="okta-suspend-user",outcome="planned",caller="dashboard"\} 2$/m);
    expect(text).not.toMatch(/^okta_soar_commands_total\{command="okta-suspend-user",outcome="ok",caller="dashboard"\}/m);
  });

  test('no token or an unknown one: 401 with an error entry', async () => {
    for (const t of [null, 'not-a-caller-token-at-all']) {
      const r = await get('/v1/commands', t);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect(((await r.json()) as Entries)[0]!.Type).toBe(4);
    }
  });
});

describe('bad input: a status and an error entry that names the problem, nothing sent to Okta', () => {
  test.each([
    ['malformed JSON', '/v1/commands/okta-get-user', '{"username": ', 400, /not valid JSON/],
    ['not an object', '/v1/commands/okta-get-user', '["alice"]', 400, /must be a JSON object/],
    ['oversize', '/v1/commands/okta-get-user', JSON.stringify({ username: 'x'.repeat(70_000) }), 413, /larger than 65536 bytes/],
    ['unknown command', '/v1/commands/okta-get-usr', '{}', 404, /unknown command okta-get-usr \(did you mean okta-get-user\?\)/],
    ['fails the schema', '/v1/commands/okta-list-users', JSON.stringify({ limit: 'many' }), 422, /argument limit must be a whole number/],
    ['unknown argument', '/v1/commands/okta-get-user', JSON.stringify({ usernme: 'a' }), 422, /unknown argument usernme \(did you mean username\?\)/],
  ])('%s', async (_what, p, body, status, message) => {
    const before = sb.stats.requests;
    const r = await post(p, body);
    expect(r.status).toBe(status);
    const entries = (await r.json()) as Entries;
    expect(entries[0]!.Type).toBe(4);
    expect(String(entries[0]!.Contents)).toMatch(message);
    expect(sb.stats.requests).toBe(before);
  });

  test('a wrong method is 405 with Allow', async () => {
    const r = await get('/v1/commands/okta-get-user');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
  });
});

describe('the documents', () => {
  test('GET /v1/openapi.json and /v1/swagger.json are the generated documents', async () => {
    const docs = apiDocuments();
    const a = (await (await get('/v1/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    const b = (await (await get('/v1/swagger.json')).json()) as { swagger: string };
    expect(a).toEqual(docs.openapi);
    expect(b).toEqual(docs.swagger);
    expect(a.openapi).toBe('3.1.0');
    expect(b.swagger).toBe('2.0');
    expect((await get('/v1/openapi.json', null)).status).toBe(401);
  });
});

describe('metrics and logs', () => {
  test('/metrics shows the requests of a bulk suspend with its 429s and waits, by bucket and caller; never a token', async () => {
    const logins = ['m1', 'm2', 'm3', 'm4', 'm5'].map((n) => sb.org.addUser({ login: `${n}.bulk@example.com`, status: 'ACTIVE' }).profile.login as string);
    // Another integration spends the org's suspend bucket first: our first suspend meets a 429.
    for (let i = 0; i < 3; i++)
      await fetch(`${sb.url}/api/v1/users/${sb.org.requireUser('admin@example.com').id}/lifecycle/suspend`, { method: 'POST', headers: { authorization: `SSWS ${sb.apiToken}` } });
    const r = await post('/v1/commands/okta-suspend-user', { username: logins.join(',') });
    expect(r.status).toBe(200);
    for (const l of logins) expect(sb.org.requireUser(l).status).toBe('SUSPENDED');
    const text = await (await get('/metrics', READER)).text();
    const bucket = 'POST /api/v1/users/{id}/lifecycle/suspend';
    const value = (metric: string, labels: string) => Number(new RegExp(`^${metric}\\{${labels.replace(/[{}()/]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('okta_soar_okta_requests_total', `instance="default",bucket="${bucket}",status="200"`)).toBe(5);
    expect(value('okta_soar_okta_requests_total', `instance="default",bucket="${bucket}",status="429"`)).toBeGreaterThanOrEqual(1);
    expect(value('okta_soar_okta_rate_limited_total', `instance="default",bucket="${bucket}",kind="rate"`)).toBeGreaterThanOrEqual(1);
    expect(value('okta_soar_okta_wait_seconds_count', `instance="default",bucket="${bucket}",reason="rate_limit"`)).toBeGreaterThanOrEqual(1);
    expect(value('okta_soar_okta_wait_seconds_sum', `instance="default",bucket="${bucket}",reason="rate_limit"`)).toBeGreaterThan(0);
    // Five suspends through a window of three: the budget held some back before sending.
    expect(value('okta_soar_okta_wait_seconds_count', `instance="default",bucket="${bucket}",reason="budget"`)).toBeGreaterThanOrEqual(1);
    const ratio = value('okta_soar_okta_rate_limit_remaining_ratio', `instance="default",bucket="${bucket}"`);
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThan(1);
    expect(value('okta_soar_commands_total', 'command="okta-suspend-user",outcome="ok",caller="soar-writer"')).toBe(1);
    expect(value('okta_soar_commands_total', 'command="okta-suspend-user",outcome="denied",caller="dashboard"')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^okta_soar_process_resident_memory_bytes /m);
    for (const secret of [WRITER, READER, sb.apiToken]) expect(text).not.toContain(secret);
  }, 60_000);

  test('fetch lag per instance after a fetch, and one redacted JSON log line per request naming the caller', async () => {
    const r = await post('/v1/fetch-incidents', {});
    expect(r.status).toBe(200);
    const { incidents } = (await r.json()) as { incidents: Array<{ occurred: string }> };
    expect(incidents.length).toBeGreaterThan(0);
    const newest = Math.max(...incidents.map((i) => Date.parse(i.occurred)));
    const before = Date.now();
    const text = await (await get('/metrics')).text();
    const after = Date.now();
    // now − published of the newest incident, read while /metrics answered.
    const lag = Number(/^okta_soar_fetch_lag_seconds\{instance="default"\} (\S+)$/m.exec(text)?.[1]);
    expect(lag).toBeGreaterThanOrEqual((before - newest) / 1000);
    expect(lag).toBeLessThanOrEqual((after - newest) / 1000);

    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => typeof l.time === 'string' && typeof l.status === 'number' && typeof l.route === 'string')).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ route: '/v1/commands/{name}', command: 'okta-suspend-user', outcome: 'denied', caller: 'dashboard', status: 403 }));
    expect(lines).toContainEqual(expect.objectContaining({ route: '/v1/fetch-incidents', caller: 'soar-writer', status: 200 }));
    const all = logs.join('\n');
    for (const secret of [WRITER, READER, sb.apiToken]) expect(all).not.toContain(secret);
  });
});

describe('MCP over streamable HTTP at /mcp', () => {
  async function mcpClient(token: string): Promise<Client> {
    const client = new Client({ name: 'okta-soar-http-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  }

  test('a caller allowed to change gets every tool, plan-then-confirm works; a read-only caller only reads', async () => {
    const writer = await mcpClient(WRITER);
    const reader = await mcpClient(READER);
    try {
      expect((await writer.listTools()).tools.map((t) => t.name)).toContain('okta-suspend-user');
      expect((await reader.listTools()).tools.some((t) => t.annotations?.readOnlyHint === false)).toBe(false);
      const got = (await reader.callTool({ name: 'okta-get-user', arguments: { username: 'bob@example.com' } })) as CallToolResult;
      expect((got.structuredContent as { Account: { Username: string } }).Account.Username).toBe('bob@example.com');
      const login = sb.org.addUser({ login: 'mcp.http@example.com', status: 'ACTIVE' }).profile.login as string;
      const plan = (await writer.callTool({ name: 'okta-suspend-user', arguments: { username: login } })) as CallToolResult;
      const token = (plan.structuredContent as { confirmation: { token: string } }).confirmation.token;
      expect(sb.org.requireUser(login).status).toBe('ACTIVE');
      // The reader cannot spend the writer's token.
      const stolen = (await reader.callTool({ name: 'okta-suspend-user', arguments: { username: login, confirm: token } })) as CallToolResult;
      expect(stolen.isError).toBe(true);
      expect(sb.org.requireUser(login).status).toBe('ACTIVE');
      const done = (await writer.callTool({ name: 'okta-suspend-user', arguments: { username: login, confirm: token } })) as CallToolResult;
      expect(done.isError).toBeFalsy();
      expect(sb.org.requireUser(login).status).toBe('SUSPENDED');
    } finally {
      await writer.close();
      await reader.close();
    }
  }, 30_000);

  test("a tool name the manifest does not know is a tool error, counted as unknown: a client's made-up names never become metric labels", async () => {
    const writer = await mcpClient(WRITER);
    try {
      const r = (await writer.callTool({ name: 'okta-exfiltrate-7f3a9c', arguments: {} })) as CallToolResult;
      expect(r.isError).toBe(true);
      const text = await (await get('/metrics')).text();
      expect(text).toMatch(/^okta_soar_commands_total\{command="unknown",outcome="usage_error",caller="soar-writer"\} [1-9]/m);
      expect(text).not.toContain('okta-exfiltrate-7f3a9c');
    } finally {
      await writer.close();
    }
  });

  test('a session id of another caller is unknown; no token is 401', async () => {
    const writer = await mcpClient(WRITER);
    try {
      const sid = (writer.transport as StreamableHTTPClientTransport).sessionId!;
      const r = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${READER}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(r.status).toBe(404);
      expect((await fetch(`${server.url}/mcp`, { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      await writer.close();
    }
  });
});

describe('instances', () => {
  test('a request runs on the instance its `using` names, labelled so in the metrics; a name that is none is 400 naming the problem, nothing sent', async () => {
    const params = sandboxParams(sb, 'ssws');
    const instances: Instances = {
      resolve: (using) => {
        if (using === undefined || using === 'acme-eu') return { name: 'acme-eu', params };
        throw new ConfigError(`unknown instance ${JSON.stringify(using)} (using=); the instances are: acme-eu`, 'using');
      },
      all: () => [{ name: 'acme-eu', params }],
    };
    const one = await startServer({ dispatch, token: WRITER, instances, state: new MemoryStore(), port: 0 });
    try {
      const call = (body: unknown) => fetch(`${one.url}/v1/commands/okta-get-user`, { method: 'POST', headers: { authorization: `Bearer ${WRITER}` }, body: JSON.stringify(body) });
      expect((await call({ username: 'alice@example.com', using: 'acme-eu' })).status).toBe(200);
      const before = sb.stats.requests;
      const r = await call({ username: 'alice@example.com', using: 'acme-us' });
      expect(r.status).toBe(400);
      const [e] = (await r.json()) as Entries;
      expect(e!.Type).toBe(4);
      expect(e!.Contents).toMatch(/unknown instance "acme-us".*acme-eu/);
      expect(sb.stats.requests).toBe(before);
      const text = await (await fetch(`${one.url}/metrics`, { headers: { authorization: `Bearer ${WRITER}` } })).text();
      expect(text).toMatch(/^okta_soar_okta_requests_total\{instance="acme-eu",bucket="GET \/api\/v1\/users\/\{id\}",status="200"\} [1-9]/m);
    } finally {
      await one.close();
    }
  });
});
