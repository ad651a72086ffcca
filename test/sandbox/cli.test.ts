import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { parseSandboxArgs, sandboxMain } from '../../sandbox/cli.js';

function sink(): { stream: PassThrough; text: () => string; firstLine: () => Promise<string> } {
  const stream = new PassThrough();
  let buf = '';
  const waiters: (() => void)[] = [];
  stream.on('data', (c: Buffer) => {
    buf += c.toString();
    waiters.splice(0).forEach((w) => w());
  });
  return {
    stream,
    text: () => buf,
    firstLine: () =>
      new Promise((resolve) => {
        const check = () => (buf.includes('\n') ? resolve(buf.slice(0, buf.indexOf('\n'))) : waiters.push(check));
        check();
      }),
  };
}

describe('okta-soar sandbox', () => {
  it('--json prints the facts as the first line, serves until SIGTERM, then exits 0 and cleans up', async () => {
    const out = sink();
    const err = sink();
    const done = sandboxMain(['--json', '--log-events', '10', '--users', '12'], { stdout: out.stream, stderr: err.stream });
    const facts = JSON.parse(await out.firstLine());
    expect(Object.keys(facts).sort()).toEqual(['apiToken', 'clientId', 'keyId', 'nativeClientId', 'privateKeyFile', 'redirectUri', 'signInUsers', 'url', 'webClientId', 'webClientSecret']);
    expect(facts).toMatchObject({ redirectUri: 'http://127.0.0.1:8400/callback', webClientSecret: 'sandbox-web-app-client-secret-not-a-secret', nativeClientId: expect.stringMatching(/^0oa/) });
    expect(facts.signInUsers.slice(0, 3)).toEqual([
      { login: 'admin@example.com', password: 'sandbox-admin', roles: ['SUPER_ADMIN'], status: 'ACTIVE', assigned: true },
      { login: 'alice@example.com', password: 'sandbox-alice', roles: ['ORG_ADMIN'], status: 'ACTIVE', assigned: true },
      { login: 'bob@example.com', password: 'sandbox-bob', roles: [], status: 'ACTIVE', assigned: true },
    ]);
    expect(facts.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${facts.url}/api/v1/users/alice@example.com`, { headers: { Authorization: `SSWS ${facts.apiToken}` } });
    expect(r.status).toBe(200);
    await r.text();
    expect(existsSync(facts.privateKeyFile)).toBe(true);
    process.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(existsSync(facts.privateKeyFile)).toBe(false);
    await expect(fetch(`${facts.url}/api/v1/users`)).rejects.toThrow();
  });

  it('without --json prints a readable block with the same facts', async () => {
    const out = sink();
    const done = sandboxMain(['--log-events', '0', '--users', '12'], { stdout: out.stream, stderr: sink().stream });
    await out.firstLine();
    await new Promise((r) => setTimeout(r, 20));
    expect(out.text()).toMatch(/API token\s+00sandbox-api-token-not-a-secret/);
    expect(out.text()).toMatch(/Org URL\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out.text()).toMatch(/Redirect URI\s+http:\/\/127\.0\.0\.1:8400\/callback/);
    expect(out.text()).toMatch(/alice@example\.com\s+sandbox-alice\s+ORG_ADMIN/);
    expect(out.text()).toMatch(/mallory@example\.com\s+sandbox-mallory\s+not assigned: error=access_denied/);
    process.emit('SIGINT');
    expect(await done).toBe(0);
  });

  it('rejects unknown options with exit 2', async () => {
    const err = sink();
    expect(await sandboxMain(['--bogus'], { stdout: sink().stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toContain('unknown option --bogus');
    expect(parseSandboxArgs(['--port', '0', '--seed=7']).opts).toEqual({ port: 0, seed: 7 });
    expect(parseSandboxArgs(['--redirect-uri', 'http://localhost:9000/cb', '--redirect-uri=http://127.0.0.1:8400/callback']).opts).toEqual({
      oidc: { redirectUris: ['http://localhost:9000/cb', 'http://127.0.0.1:8400/callback'] },
    });
    const bad = sink();
    expect(await sandboxMain(['--redirect-uri', '/callback'], { stdout: sink().stream, stderr: bad.stream })).toBe(2);
    expect(bad.text()).toContain('--redirect-uri needs an absolute URL');
  });
});
