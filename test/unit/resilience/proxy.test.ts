/**
 * Proxy and TLS, for real, on loopback: a recording CONNECT proxy, a TLS "Okta" with a
 * certificate made at test time, and the sandbox org. The OAuth token request and the API
 * requests must take the same way out (okta-sdk-nodejs#383: the SDK's token request bypasses
 * its proxy).
 *
 * The requests are made by the real CLI in a child process (the build `npm test` makes first):
 * nock, loaded by other test files in the same Jest worker, patches Node's http module for good,
 * and its pass-through cannot drive a proxy agent. A child process is also the only place where
 * NODE_EXTRA_CA_CERTS (read at start-up) can be shown to work.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dispatch } from '../../../entry/index.js';
import { bypassesProxy, proxyFor } from '../../../integration/okta/transport.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { createSandboxOAuth } from '../../../sandbox/oauth-server.js';
import { startSandbox, SANDBOX_API_TOKEN, type Sandbox } from '../../../sandbox/index.js';
import { runCli, type CliResult } from '../../e2e/helpers.js';
import { fixture } from '../../helpers/fixtures.js';
import { selfSignedCert, startConnectProxy, type RecordingProxy } from './helpers.js';

const OKTA = 'https://acme.okta.example';
const CLIENT_ID = '0oaProxyTest';
const SCOPES = ['okta.users.read'];
const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-proxy-test-'));

interface TlsOkta {
  port: number;
  /** `METHOD /path` of every request that reached it. */
  requests: string[];
  /** The app's private key (PEM file) and the server certificate (PEM file, for NODE_EXTRA_CA_CERTS). */
  keyFile: string;
  certFile: string;
  close(): Promise<void>;
}

/** An Okta org over TLS on 127.0.0.1 for `acme.okta.example`: the token endpoint (private_key_jwt) and GET /api/v1/users. */
async function startTlsOkta(): Promise<TlsOkta> {
  const { key, cert } = selfSignedCert(['acme.okta.example']);
  const app = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = { ...app.publicKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'ES256' };
  const oauth = createSandboxOAuth({ origin: OKTA, apps: [{ clientId: CLIENT_ID, publicJwks: [jwk], grantedScopes: SCOPES, requireDpop: false }], now: () => Date.now() });
  const requests: string[] = [];
  const user = fixture('users/get-user-alice.json');
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        requests.push(`${req.method} ${req.url}`);
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
        const sreq = { method: req.method ?? 'GET', url: OKTA + (req.url ?? '/'), headers, body: Buffer.concat(chunks).toString('utf8') };
        let out: { status: number; headers: Record<string, string>; body: unknown };
        if (req.url === '/oauth2/v1/token') out = await oauth.handleToken(sreq);
        else if (headers.authorization === 'SSWS tls-test-token') out = { status: 200, headers: {}, body: [user] };
        else {
          const a = await oauth.authenticate(sreq);
          out = a.ok ? { status: 200, headers: {}, body: [user] } : a.response;
        }
        res.writeHead(out.status, { 'Content-Type': 'application/json', ...out.headers });
        res.end(out.body === undefined ? '' : JSON.stringify(out.body));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const keyFile = path.join(dir, 'app-key.pem');
  const certFile = path.join(dir, 'okta-cert.pem');
  writeFileSync(keyFile, app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  writeFileSync(certFile, cert);
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    keyFile,
    certFile,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let okta: TlsOkta;
let proxy: RecordingProxy;
let sandbox: Sandbox;

beforeAll(async () => {
  okta = await startTlsOkta();
  // The proxy resolves names itself: acme.okta.example is the TLS Okta above.
  proxy = await startConnectProxy((host, port) => (host === 'acme.okta.example' && port === 443 ? { host: '127.0.0.1', port: okta.port } : { host, port }));
  sandbox = await startSandbox({ users: 5, logEvents: 10, quiet: true });
});
afterAll(async () => {
  await proxy.close();
  await okta.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  proxy.connects.length = 0;
  proxy.requests.length = 0;
  okta.requests.length = 0;
});

let n = 0;
/** `okta-soar run okta-list-users limit=2 --json` in a child process, with exactly `env` (plus PATH and HOME). */
function listUsers(env: Record<string, string>): Promise<CliResult> {
  const stateDir = path.join(dir, `state-${++n}`);
  return runCli(['run', 'okta-list-users', 'limit=2', '--json'], { OKTA_STATE_DIR: stateDir, OKTA_MAX_RETRIES: '0', ...env });
}

const tlsOAuth = (): Record<string, string> => ({
  OKTA_URL: OKTA,
  OKTA_CLIENT_ID: CLIENT_ID,
  OKTA_PRIVATE_KEY_FILE: okta.keyFile,
  OKTA_KEY_ID: 'test-key',
  OKTA_SCOPES: SCOPES.join(' '),
  OKTA_DPOP: 'false',
});
const tlsSsws = (): Record<string, string> => ({ OKTA_URL: OKTA, OKTA_API_TOKEN: 'tls-test-token' });
const sandboxOAuth = (): Record<string, string> => ({
  OKTA_URL: sandbox.url,
  OKTA_CLIENT_ID: sandbox.clientId,
  OKTA_PRIVATE_KEY_FILE: sandbox.privateKeyFile,
  OKTA_KEY_ID: sandbox.keyId,
  OKTA_SCOPES: 'okta.users.read',
});
const sandboxSsws = (): Record<string, string> => ({ OKTA_URL: sandbox.url, OKTA_API_TOKEN: SANDBOX_API_TOKEN });

describe('HTTPS_PROXY (environment), TLS org', () => {
  test('the OAuth token request and the API request both go through the proxy; insecure=true warns on stderr', async () => {
    const r = await listUsers({ ...tlsOAuth(), HTTPS_PROXY: proxy.url, OKTA_INSECURE: 'true' });
    expect([r.code, r.stdout.slice(0, 300)]).toEqual([0, expect.stringMatching(/^\[\{"Type":1/)]);
    expect(okta.requests).toEqual(['POST /oauth2/v1/token', 'GET /api/v1/users?limit=2']);
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
    expect(new Set(proxy.connects)).toEqual(new Set(['acme.okta.example:443']));
    expect(r.stderr).toMatch(/^warning: insecure=true: TLS certificates are not verified.*NODE_EXTRA_CA_CERTS/m);
  });

  test('NODE_EXTRA_CA_CERTS makes a private CA trusted without insecure (the documented way)', async () => {
    const r = await listUsers({ ...tlsOAuth(), HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: okta.certFile });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(okta.requests).toEqual(['POST /oauth2/v1/token', 'GET /api/v1/users?limit=2']);
    expect(new Set(proxy.connects)).toEqual(new Set(['acme.okta.example:443']));
  });

  test('without either, the certificate is refused once (never retried) with a pointer to NODE_EXTRA_CA_CERTS', async () => {
    const r = await listUsers({ ...tlsSsws(), HTTPS_PROXY: proxy.url, OKTA_MAX_RETRIES: '4' });
    expect(r.code).toBe(1);
    const [entry] = JSON.parse(r.stdout) as Array<{ Type: number; Contents: string }>;
    expect(entry!.Type).toBe(4);
    expect(entry!.Contents).toMatch(
      /^okta-list-users: GET https:\/\/acme\.okta\.example\/api\/v1\/users failed: the TLS certificate was not accepted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)\. .*NODE_EXTRA_CA_CERTS.* \(through the proxy http:\/\/127\.0\.0\.1:\d+\)$/,
    );
    expect(proxy.connects).toEqual(['acme.okta.example:443']);
    expect(okta.requests).toEqual([]);
  });

  test('the OAuth token request is refused the same way', async () => {
    const r = await listUsers({ ...tlsOAuth(), HTTPS_PROXY: proxy.url });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/oauth2\/v1\/token failed: the TLS certificate was not accepted/);
    expect(proxy.connects).toEqual(['acme.okta.example:443']);
  });

  test('NO_PROXY is honoured: the request goes direct (and finds no such host); the proxy sees nothing', async () => {
    const r = await listUsers({ ...tlsSsws(), HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,.okta.example', OKTA_INSECURE: 'true' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/GET https:\/\/acme\.okta\.example\/api\/v1\/users failed: (the host name does not resolve \(ENOTFOUND\)|DNS lookup failed temporarily \(EAI_AGAIN\))/);
    expect(proxy.connects).toEqual([]);
  });

  test('proxy=false ignores HTTPS_PROXY', async () => {
    const r = await listUsers({ ...tlsSsws(), HTTPS_PROXY: proxy.url, https_proxy: proxy.url, OKTA_PROXY: 'false', OKTA_INSECURE: 'true' });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('through the proxy');
    expect(proxy.connects).toEqual([]);
  });

  test('proxy credentials never appear in any output', async () => {
    const r = await listUsers({ ...tlsSsws(), OKTA_PROXY: 'http://alice:pr0xy-s3cret@127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('failed: the connection was refused (ECONNREFUSED) (through the proxy http://127.0.0.1:1)');
    expect(r.stdout + r.stderr).not.toMatch(/pr0xy-s3cret|alice:/);
  });
});

describe('the proxy parameter, loopback sandbox org', () => {
  test('proxy=<url>: in OAuth mode the token request and the API request go through the proxy', async () => {
    const r = await listUsers({ ...sandboxOAuth(), OKTA_PROXY: proxy.url });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(new Set(proxy.connects)).toEqual(new Set([`127.0.0.1:${new URL(sandbox.url).port}`]));
    expect(proxy.requests).toEqual(['POST /oauth2/v1/token', 'GET /api/v1/users?limit=2']);
  });

  test('NO_PROXY applies to the proxy parameter too', async () => {
    const r = await listUsers({ ...sandboxSsws(), OKTA_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(r.code).toBe(0);
    expect(proxy.connects).toEqual([]);
  });

  test('a proxy from the environment is never used for a loopback org', async () => {
    const r = await listUsers({ ...sandboxSsws(), HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url });
    expect(r.code).toBe(0);
    expect(proxy.connects).toEqual([]);
  });
});

describe('insecure in the library', () => {
  test('warns through the warn hook, else through process.emitWarning; without insecure nothing is said', async () => {
    const params = { url: sandbox.url, apitoken: SANDBOX_API_TOKEN };
    const warnings: string[] = [];
    await dispatch('okta-list-users', { limit: '1' }, { ...params, insecure: true }, { state: new MemoryStore(), warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/^insecure=true: TLS certificates are not verified.*NODE_EXTRA_CA_CERTS/)]);
    const emitted: unknown[][] = [];
    const original = process.emitWarning;
    process.emitWarning = ((...a: unknown[]) => void emitted.push(a)) as typeof process.emitWarning;
    try {
      await dispatch('okta-list-users', { limit: '1' }, { ...params, insecure: true }, { state: new MemoryStore() });
      await dispatch('okta-list-users', { limit: '1' }, params, { state: new MemoryStore() });
    } finally {
      process.emitWarning = original;
    }
    expect(emitted).toEqual([[expect.stringMatching(/^insecure=true/), { code: 'OKTA_SOAR_INSECURE' }]]);
  });
});

describe('proxy selection', () => {
  const u = (s: string) => new URL(s);
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://proxy.corp:8080' };

  test.each([
    ['https://acme.okta.com', true, env, 'http://proxy.corp:3128'],
    ['https://acme.okta.com', true, { https_proxy: 'http://lower:1' }, 'http://lower:1'],
    ['https://acme.okta.com', true, { HTTP_PROXY: 'http://only-http:1' }, 'http://only-http:1'],
    ['https://acme.okta.com', false, env, undefined],
    ['https://acme.okta.com', true, { ...env, NO_PROXY: 'okta.com' }, undefined],
    ['https://acme.okta.com', true, { ...env, NO_PROXY: '.okta.com' }, undefined],
    ['https://acme.okta.com', true, { ...env, NO_PROXY: '*.okta.com' }, undefined],
    ['https://acme.okta.com', true, { ...env, no_proxy: '*' }, undefined],
    ['https://acme.okta.com', true, { ...env, NO_PROXY: 'acme.okta.com:8443' }, 'http://proxy.corp:3128'],
    ['https://acme.okta.com', true, { ...env, NO_PROXY: 'notokta.com' }, 'http://proxy.corp:3128'],
    ['https://acme.okta.com', 'http://explicit:3128', env, 'http://explicit:3128'],
    ['https://acme.okta.com', 'http://explicit:3128', { NO_PROXY: 'acme.okta.com' }, undefined],
    ['http://127.0.0.1:8080', true, env, undefined],
    ['http://localhost:8080', true, env, undefined],
    ['http://[::1]:8080', true, env, undefined],
    ['http://127.0.0.1:8080', 'http://explicit:3128', env, 'http://explicit:3128'],
  ] as const)('%s with proxy=%s and %j → %s', (target, p, e, want) => {
    expect(proxyFor(u(target), { proxy: p, insecure: false, env: { ...e } })).toBe(want);
  });

  test('NO_PROXY entries: IPv6 and ports', () => {
    expect(bypassesProxy(u('http://[::1]:80/'), '[::1]')).toBe(true);
    expect(bypassesProxy(u('http://[::1]:80/'), '::1')).toBe(true);
    expect(bypassesProxy(u('https://a.example:443/'), 'a.example:443')).toBe(true);
    expect(bypassesProxy(u('https://a.example:443/'), 'a.example:80')).toBe(false);
    expect(bypassesProxy(u('https://xa.example/'), 'a.example')).toBe(false);
  });
});
