import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { runCli, sandboxEnv, tempStateDir } from './helpers.js';

/**
 * Issue "OAuth 2.0 service-app auth", Done when: three separate CLI processes in a row against
 * one org mint one token between them, with Bearer and with DPoP; no secret is ever printed.
 */
describe.each([
  ['Bearer', false],
  ['DPoP', true],
])('OAuth 2.0 with %s tokens, three CLI processes', (tokenType, dpop) => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 60, logEvents: 500, dpop, quiet: true });
  });
  afterAll(() => sb?.close());

  test('mint one token between them, and the token type is reported', async () => {
    const env = sandboxEnv(sb, 'oauth', tempStateDir());
    const outputs: string[] = [];
    for (const args of [
      ['run', 'okta-get-user', 'username=alice@example.com', '--json'],
      ['run', 'okta-get-logs', 'limit=5', '--json'],
      ['test-module'],
    ]) {
      const r = await runCli(args, env);
      outputs.push(r.stdout + r.stderr);
      expect([args[1], r.code]).toEqual([args[1], 0]);
      // Only the one-time notice that auto mode switched to DPoP may appear.
      expect(r.stderr.replace(/^warning: .*DPoP.*\n/m, '')).toBe('');
    }
    expect(sb.stats.oauth.tokensMinted).toBe(1);
    expect(outputs[2]).toMatch(/^ok\n/);
    expect(outputs[2]).toContain(`token type ${tokenType}`);
    const key = sb.privateKeyPem.split('\n').filter((l) => l.length > 40);
    for (const out of outputs) {
      for (const line of key) expect(out).not.toContain(line);
      expect(out).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    }
  });
});

describe('OAuth errors tell the admin what to fix', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 60, logEvents: 100, grantedScopes: ['okta.users.read', 'okta.logs.read'], quiet: true });
  });
  afterAll(() => sb?.close());

  test('a scope outside the configured set fails before any request, naming the scope', async () => {
    const env = { ...sandboxEnv(sb, 'oauth', tempStateDir()), OKTA_SCOPES: 'okta.users.read' };
    const before = sb.stats.requests;
    const r = await runCli(['run', 'okta-get-logs', 'limit=1', '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)[0].Contents).toMatch(/needs the Okta API scope okta.logs.read.*OKTA_SCOPES.*Okta API Scopes/);
    expect(sb.stats.requests).toBe(before);
  });

  test('a scope the app was not granted: invalid_scope, with where to grant it', async () => {
    const env = { ...sandboxEnv(sb, 'oauth', tempStateDir()), OKTA_SCOPES: 'okta.users.read okta.groups.read' };
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--json'], env);
    expect(r.code).toBe(1);
    const msg = JSON.parse(r.stdout)[0].Contents as string;
    expect(msg).toMatch(/invalid_scope/);
    expect(msg).toMatch(/okta\.groups\.read/);
  });

  test('a wrong client id: invalid_client, with what to check', async () => {
    const env = { ...sandboxEnv(sb, 'oauth', tempStateDir()), OKTA_CLIENT_ID: '0oaWRONGWRONGWRONG123' };
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)[0].Contents).toMatch(/invalid_client/);
  });
});
