/**
 * Every failure path, through dispatch() and through the CLI's main() with --debug: wrong token,
 * wrong key (invalid_client), invalid_scope, DPoP failures (token endpoint and API), network
 * errors, Okta 4xx/5xx, a redirect. Okta is played by nock, sometimes a hostile one that echoes
 * what it was sent. Asserted: no API token, access token, client assertion, DPoP proof, private
 * key fragment (any 16+ character line of the PEM, any private JWK member) or password appears
 * anywhere: entries, stdout, stderr, debug and warning lines, error messages and stacks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import nock from 'nock';
import { main } from '../../../entry/cli.js';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch, type DispatchOutcome } from '../../../entry/index.js';
import { createOAuthAuth } from '../../../integration/okta/auth/oauth.js';
import { createTransport } from '../../../integration/okta/transport.js';
import { clearSecrets } from '../../../integration/base/redact.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { assertNoLeak, credentialsIn, fakeIO, ORG, pemLines, resettingServer, strings } from './helpers.js';

const TOKEN = '00LeakTest-apiToken-0123456789abcdefghijklmnop';
const SCOPES = 'okta.users.read okta.users.manage okta.logs.read';
const USER_PATH = '/api/v1/users/alice@example.com';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const PKCS1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
const JWK = rsa.privateKey.export({ format: 'jwk' }) as Record<string, string>;
const KEY_SECRETS = [...pemLines(PEM), ...pemLines(PKCS1), ...['d', 'p', 'q', 'dp', 'dq', 'qi'].map((m) => JWK[m]!)];

/** What the fake Okta saw: every assertion, proof and token that went out. */
let captured: Set<string>;
/** Access tokens handed out by the fake token endpoint (each unique, so a leak names its source). */
let mint = 0;
const accessToken = (kind: 'jwt' | 'opaque') =>
  kind === 'jwt' ? `eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiIwb2ExIiwibiI6${++mint}fQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ${mint}` : `opaque-access-token-${++mint}-0123456789ABCDEF`;

function secrets(extra: string[] = []): string[] {
  return [TOKEN, ...KEY_SECRETS, ...captured, ...extra];
}

beforeAll(() => {
  nock.disableNetConnect();
  // Network failures are real ones, from a loopback server that resets connections.
  nock.enableNetConnect('127.0.0.1');
});
beforeEach(() => {
  captured = new Set();
});
afterEach(() => {
  nock.cleanAll();
  clearSecrets();
});
afterAll(() => {
  nock.enableNetConnect();
  // Unpatch Node's http module: later test files in this Jest worker may need real sockets.
  nock.restore();
});

/** Records the credentials of every request that reaches the fake Okta. */
function capture(headers: Record<string, string | string[] | undefined>, body?: unknown): void {
  for (const h of ['authorization', 'dpop']) {
    const v = headers[h];
    if (typeof v === 'string') for (const part of v.split(/\s+/)) if (part.length >= 16) captured.add(part);
  }
  if (typeof body === 'string') {
    const form = new URLSearchParams(body);
    const a = form.get('client_assertion');
    if (a) captured.add(a);
  }
}

type Reply = [number, unknown, Record<string, string>?];

/** The org authorization server: `answer` decides, after the request is captured. */
function tokenEndpoint(answer: (form: URLSearchParams) => Reply, times = 5): void {
  nock(ORG)
    .post('/oauth2/v1/token')
    .times(times)
    .reply(function (_uri, body) {
      capture(this.req.headers, body);
      return answer(new URLSearchParams(String(body)));
    });
}

function api(method: 'get' | 'post', p: string, answer: () => Reply, times = 5): void {
  const scope = nock(ORG);
  scope[method](p)
    .times(times)
    .reply(function () {
      capture(this.req.headers);
      return answer();
    });
}

const issued = (type: 'Bearer' | 'DPoP', kind: 'jwt' | 'opaque' = 'jwt'): Reply => {
  const t = accessToken(kind);
  captured.add(t);
  return [200, { token_type: type, access_token: t, expires_in: 3600, scope: SCOPES }];
};

interface Scenario {
  name: string;
  auth: 'ssws' | 'oauth' | 'oauth-dpop';
  /** Sets up nock. */
  setup(): void;
  /** Instead of nock: the org is a loopback server that resets every connection (a real ECONNRESET). */
  reset?: true;
  /** Exit status expected from the CLI. */
  exit: number;
  /** The error entry names what went wrong. */
  message: RegExp;
  /** Okta echoed a secret: the entry shows the mask where it was. */
  masked?: boolean;
}

const okta401 = { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorId: 'oae401', errorCauses: [] };

const SCENARIOS: Scenario[] = [
  {
    name: 'wrong API token (401 E0000011)',
    auth: 'ssws',
    setup: () => api('get', USER_PATH, () => [401, okta401]),
    exit: 1,
    message: /HTTP 401 .*E0000011 Invalid token provided/,
  },
  {
    name: 'wrong API token, Okta (or a proxy) echoing the Authorization header back',
    auth: 'ssws',
    setup: () => api('get', USER_PATH, () => [401, { ...okta401, errorSummary: `Invalid token provided: SSWS ${TOKEN}`, errorCauses: [{ errorSummary: `header was Authorization: SSWS ${TOKEN}` }] }]),
    exit: 1,
    message: /HTTP 401 .*E0000011/,
    masked: true,
  },
  {
    name: 'Okta 403 E0000006',
    auth: 'ssws',
    setup: () => api('get', USER_PATH, () => [403, { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action', errorId: 'oae403', errorCauses: [] }]),
    exit: 1,
    message: /HTTP 403 .*E0000006/,
  },
  {
    name: 'Okta 500 E0000009 (retried, then reported)',
    auth: 'ssws',
    setup: () => api('get', USER_PATH, () => [500, { errorCode: 'E0000009', errorSummary: `Internal Server Error (request had SSWS ${TOKEN})`, errorId: 'oae500', errorCauses: [] }], 10),
    exit: 1,
    message: /HTTP 500 .*E0000009/,
    masked: true,
  },
  {
    name: 'network error: the connection is reset (after the request, credentials included, was sent)',
    auth: 'ssws',
    setup: () => undefined,
    reset: true,
    exit: 1,
    message: /failed.*ECONNRESET/,
  },
  {
    name: 'a redirect to another host (credentials never follow)',
    auth: 'ssws',
    setup: () => api('get', USER_PATH, () => [302, '', { Location: `https://evil.example/collect?t=${TOKEN}` }]),
    exit: 1,
    message: /redirect \(302\); redirects are never followed/,
  },
  {
    name: 'wrong key: invalid_client, the description echoing the assertion',
    auth: 'oauth',
    setup: () => tokenEndpoint((f) => [401, { error: 'invalid_client', error_description: `The client_assertion signature is invalid: ${f.get('client_assertion')}` }]),
    exit: 1,
    message: /refused to issue an access token \(HTTP 401 invalid_client\)/,
    masked: true,
  },
  {
    name: 'invalid_scope',
    auth: 'oauth',
    setup: () => tokenEndpoint(() => [400, { error: 'invalid_scope', error_description: 'The following scopes are not allowed: [okta.users.manage].' }]),
    exit: 1,
    message: /invalid_scope.*okta\.users\.manage/,
  },
  {
    name: 'DPoP failure at the token endpoint: invalid_dpop_proof, the description echoing the proof',
    auth: 'oauth-dpop',
    setup: () => tokenEndpoint(() => [400, { error: 'invalid_dpop_proof', error_description: `DPoP proof signature is invalid` }]),
    exit: 1,
    message: /invalid_dpop_proof/,
  },
  {
    name: 'DPoP failure at the API: WWW-Authenticate invalid_dpop_proof',
    auth: 'oauth-dpop',
    setup: () => {
      tokenEndpoint(() => issued('DPoP'));
      api('get', USER_PATH, () => [401, '', { 'WWW-Authenticate': 'DPoP error="invalid_dpop_proof", error_description="The DPoP proof JWT has an invalid iat"' }]);
    },
    exit: 1,
    message: /HTTP 401 .*invalid_dpop_proof/,
  },
  {
    name: 'network error at the token endpoint (reset after the assertion was sent)',
    auth: 'oauth',
    setup: () => undefined,
    reset: true,
    exit: 1,
    message: /token request to .* failed.*ECONNRESET|ECONNRESET/,
  },
  {
    name: 'OAuth token accepted, then the API says invalid_token (re-minted once, still refused)',
    auth: 'oauth',
    setup: () => {
      tokenEndpoint(() => issued('Bearer', 'opaque'));
      api('get', USER_PATH, () => [401, okta401, { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The access token is invalid."' }]);
    },
    exit: 1,
    message: /HTTP 401/,
  },
  {
    name: 'OAuth, Okta 500 echoing the bearer token',
    auth: 'oauth',
    setup: () => {
      tokenEndpoint(() => issued('Bearer', 'opaque'));
      api('get', USER_PATH, () => [500, { errorCode: 'E0000009', errorSummary: `Internal Server Error for ${[...captured].pop()}`, errorCauses: [] }], 10);
    },
    exit: 1,
    message: /HTTP 500/,
    masked: true,
  },
];

/** Sets the scenario up; `finish` records what a resetting server received before the checks. */
async function prepare(s: Scenario): Promise<{ url: string; finish(): Promise<void> }> {
  if (!s.reset) {
    s.setup();
    return { url: ORG, finish: async () => undefined };
  }
  const server = await resettingServer();
  return {
    url: server.url,
    finish: async () => {
      expect(server.requests.length).toBeGreaterThan(0);
      for (const r of server.requests) for (const c of credentialsIn(r)) captured.add(c);
      await server.close();
    },
  };
}

function libParams(auth: Scenario['auth'], url = ORG): Record<string, unknown> {
  if (auth === 'ssws') return { url, apitoken: TOKEN };
  return { url, client_id: '0oaLeakTest', private_key: PEM, scopes: SCOPES, dpop: auth === 'oauth-dpop' ? 'true' : 'false' };
}

function cliEnv(auth: Scenario['auth'], stateDir: string, url = ORG): Record<string, string> {
  const base = { OKTA_URL: url, OKTA_STATE_DIR: stateDir, OKTA_MAX_RETRIES: '0', OKTA_PROXY: 'false' };
  if (auth === 'ssws') return { ...base, OKTA_API_TOKEN: TOKEN };
  return { ...base, OKTA_CLIENT_ID: '0oaLeakTest', OKTA_PRIVATE_KEY: PEM, OKTA_SCOPES: SCOPES, OKTA_DPOP: auth === 'oauth-dpop' ? 'true' : 'false' };
}

function outcomeTexts(o: DispatchOutcome, logs: string[]): Record<string, string> {
  return { entries: JSON.stringify(o.entries), 'entry strings': strings(o.entries).join('\n--\n'), 'debug and warnings': logs.join('\n') };
}

describe.each(SCENARIOS)('$name', (s) => {
  test('dispatch(): one error entry naming the failure, no secret anywhere', async () => {
    const org = await prepare(s);
    const logs: string[] = [];
    const o = await dispatch('okta-get-user', { username: 'alice@example.com' }, libParams(s.auth, org.url), {
      clock: new ManualClock(),
      state: new MemoryStore(),
      debug: (l) => logs.push(`debug: ${l}`),
      warn: (l) => logs.push(`warning: ${l}`),
    });
    await org.finish();
    expect(o.exitCode).toBe(1);
    expect(o.entries).toHaveLength(1);
    expect(o.entries[0]).toMatchObject({ Type: 4, ContentsFormat: 'text' });
    expect(o.entries[0]!.Contents).toMatch(/^okta-get-user: /);
    expect(o.entries[0]!.Contents).toMatch(s.message);
    if (s.auth !== 'ssws') expect(captured.size).toBeGreaterThan(0);
    if (s.auth === 'oauth-dpop') expect([...captured].some((c) => JSON.parse(Buffer.from(c.split('.')[0]!, 'base64url').toString()).typ === 'dpop+jwt')).toBe(true);
    if (s.masked) expect(o.entries[0]!.Contents).toContain('[REDACTED]');
    assertNoLeak(outcomeTexts(o, logs), secrets());
  });

  test('CLI main() with --json --debug: exit status, one JSON document, no secret on stdout or stderr', async () => {
    const org = await prepare(s);
    const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-leak-'));
    try {
      const f = fakeIO(cliEnv(s.auth, dir, org.url));
      const code = await main(['run', 'okta-get-user', 'username=alice@example.com', '--json', '--debug'], f.io);
      await org.finish();
      expect(code).toBe(s.exit);
      const entries = JSON.parse(f.stdout()) as Array<{ Type: number; Contents: string }>;
      expect(entries).toHaveLength(1);
      expect(entries[0]!.Type).toBe(4);
      expect(entries[0]!.Contents).toMatch(s.message);
      assertNoLeak({ stdout: f.stdout(), stderr: f.stderr() }, secrets());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('CLI main() without --json: the readable error on stderr, no secret', async () => {
    const org = await prepare(s);
    const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-leak-'));
    try {
      const f = fakeIO({ ...cliEnv(s.auth, dir, org.url), OKTA_DEBUG: '1' });
      const code = await main(['run', 'okta-get-user', 'username=alice@example.com'], f.io);
      await org.finish();
      expect(code).toBe(s.exit);
      expect(f.stderr()).toMatch(/Error: okta-get-user: /);
      assertNoLeak({ stdout: f.stdout(), stderr: f.stderr() }, secrets());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the OAuth provider on its own (createOAuthAuth): thrown errors carry no secret in any rendering', () => {
  const cases: Array<[string, () => void]> = [
    ['invalid_client', () => tokenEndpoint(() => [401, { error: 'invalid_client', error_description: 'The client_assertion signature is invalid.' }])],
    ['invalid_scope', () => tokenEndpoint(() => [400, { error: 'invalid_scope', error_description: 'The following scopes are not allowed: [okta.logs.read]' }])],
    ['invalid_dpop_proof', () => tokenEndpoint(() => [400, { error: 'invalid_dpop_proof', error_description: 'DPoP proof is invalid' }])],
    ['HTML from a captive portal', () => tokenEndpoint(() => [200, '<html>login</html>'])],
  ];
  async function provoke(setup: () => void): Promise<void> {
    setup();
    const transport = createTransport({ proxy: false, insecure: false });
    const seen = new Set<string>();
    const auth = createOAuthAuth({
      origin: ORG,
      clientId: '0oaLeakTest',
      privateKey: PEM,
      scopes: SCOPES.split(' '),
      dpop: 'true',
      transport,
      state: new MemoryStore(),
      clock: new ManualClock(),
      onSecret: (v) => seen.add(v),
    });
    let err: unknown;
    try {
      await auth.authorize('GET', `${ORG}/api/v1/users`);
    } catch (e) {
      err = e;
    } finally {
      transport.close();
    }
    expect(err).toBeInstanceOf(Error);
    const e = err as Error;
    // Everything the provider itself reported as secret, and everything that went out.
    const all = [...secrets(), ...seen];
    expect(seen.size).toBeGreaterThan(0);
    assertNoLeak(
      { message: e.message, stack: String(e.stack).replace(/\n\s+at .*/g, ''), json: JSON.stringify(e), inspect: inspect(e, { depth: 10 }).replace(/\n\s+at .*/g, '') },
      all,
    );
  }

  test.each(cases)('%s', async (_name, setup) => provoke(setup));

  test('a connection reset after the token request (assertion and proof) was sent', async () => {
    const server = await resettingServer();
    const transport = createTransport({ proxy: false, insecure: false });
    const seen = new Set<string>();
    const auth = createOAuthAuth({
      origin: server.url,
      clientId: '0oaLeakTest',
      privateKey: PEM,
      scopes: SCOPES.split(' '),
      dpop: 'true',
      transport,
      state: new MemoryStore(),
      clock: new ManualClock(),
      onSecret: (v) => seen.add(v),
    });
    const err = await auth.authorize('GET', `${server.url}/api/v1/users`).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    transport.close();
    for (const r of server.requests) for (const c of credentialsIn(r)) captured.add(c);
    await server.close();
    expect(err?.name).toBe('NetworkError');
    expect(err?.message).toMatch(/ECONNRESET/);
    expect(captured.size).toBeGreaterThan(1);
    assertNoLeak({ message: err!.message, json: JSON.stringify(err), inspect: inspect(err, { depth: 10 }).replace(/\n\s+at .*/g, '') }, [...secrets(), ...seen]);
  });

  // A direct user of createOAuthAuth (no dispatcher redaction around it) is protected too:
  // the token error is scrubbed with the assertion and proof that request sent.
  test('invalid_client whose description echoes the assertion', async () =>
    provoke(() => tokenEndpoint((f) => [401, { error: 'invalid_client', error_description: `bad assertion ${f.get('client_assertion')}` }])),
  );
});

describe('axios errors never escape the transport', () => {
  test('a failed request becomes a NetworkError without config, headers or body', async () => {
    // A real refused connection on loopback (axios builds its own error, config and all).
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    nock.enableNetConnect('127.0.0.1');
    const transport = createTransport({ proxy: false, insecure: false });
    let err: unknown;
    try {
      await transport({ method: 'POST', url: `http://127.0.0.1:${port}/api/v1/users/00u1`, headers: { Authorization: `SSWS ${TOKEN}` }, data: JSON.stringify({ credentials: { password: { value: 'Sup3r-Secret-Pw' } } }) });
    } catch (e) {
      err = e;
    } finally {
      transport.close();
      nock.disableNetConnect();
    }
    expect((err as Error).name).toBe('NetworkError');
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    const rendered = [inspect(err, { depth: 20, showHidden: true }), JSON.stringify(err), String((err as Error).stack)].join('\n');
    expect(rendered).not.toContain(TOKEN);
    expect(rendered).not.toContain('Sup3r-Secret-Pw');
    expect(rendered).not.toMatch(/config|headers/i);
  });
});
