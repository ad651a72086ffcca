import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { activateDeviceOverHttp, signInOverHttp, startSandbox, type Sandbox, type SignInResult } from '../../sandbox/index.js';
import { childEnv } from '../child-env.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { Redis } from 'ioredis';
import { BIN, runCli, tempStateDir, type CliResult } from './helpers.js';

/**
 * Issue #16, Done when: `okta-soar login --no-browser` prints the authorize URL; a person (here
 * sandbox/sign-in-client.ts) signs in as a sandbox user; `whoami` names them; `run
 * okta-suspend-user` succeeds with the analyst as the System Log actor; an hour later (sandbox
 * clock) the next command refreshes once, also with four processes at once; `logout` revokes;
 * every failure is answered with a clear message, exit 1, no stack trace and no secret.
 */

const SCOPES = 'okta.users.read okta.users.manage okta.logs.read okta.groups.read';

async function freePort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface LoginRun extends CliResult {
  signIn?: SignInResult;
  url?: string;
}

/**
 * Runs `okta-soar login --no-browser` and, once it prints the authorize URL on a line of its own,
 * lets `drive` play the browser (sign in over HTTP and follow the redirect to the CLI).
 */
function login(env: Record<string, string>, drive: (url: string) => Promise<SignInResult | undefined>, extra: string[] = []): Promise<LoginRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'login', '--no-browser', ...extra], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let driven: Promise<SignInResult | undefined> | undefined;
    let url: string | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /^(http:\/\/\S+\/oauth2\/v1\/authorize\?\S+)$/m.exec(stderr);
      if (m && !driven) {
        url = m[1]!;
        driven = drive(url).catch(() => undefined);
      }
    });
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', async (code, signal) => {
      clearTimeout(t);
      const signIn = await driven;
      resolve({ code, signal, stdout, stderr, ...(signIn ? { signIn } : {}), ...(url ? { url } : {}) });
    });
  });
}

/** The browser: sign in on the sandbox's page, then follow the redirect to the CLI's listener. */
function as(username: string, password = `sandbox-${username.split('@')[0]}`) {
  return async (url: string): Promise<SignInResult> => {
    const r = await signInOverHttp(url, { username, password });
    if (r.location) await fetch(r.location).then((x) => x.text());
    return r;
  };
}

function stored(stateDir: string): Array<{ access_token: string; refresh_token?: string; user: string }> {
  return readdirSync(stateDir)
    .filter((f) => /^signin-[0-9a-f]{40}$/.test(f))
    .map((f) => JSON.parse(readFileSync(path.join(stateDir, f), 'utf8')) as { access_token: string; refresh_token?: string; user: string });
}

function expectClean(r: CliResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  expect(r.stderr + r.stdout).not.toMatch(/internal error/);
}

describe('okta-soar login, whoami, run as the analyst, refresh, logout (Native app, PKCE)', () => {
  let sb: Sandbox;
  let t: number;
  let env: Record<string, string>;
  let stateDir: string;
  const outputs: string[] = [];
  const keep = (r: CliResult) => {
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    t = Date.now();
    sb = await startSandbox({ users: 40, logEvents: 50, quiet: true, now: () => t });
    const redirect = `http://127.0.0.1:${await freePort()}/callback`;
    sb.oidc.setRedirectUris([redirect]);
    stateDir = tempStateDir();
    env = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.oidc.nativeClientId, OKTA_REDIRECT_URI: redirect, OKTA_SCOPES: SCOPES, OKTA_STATE_DIR: stateDir };
  });
  afterAll(() => sb?.close());

  test('login --no-browser prints the URL on its own stderr line, signs in, and prints who (--json)', async () => {
    const r = await login(env, as('alice@example.com'), ['--json', '--debug']);
    keep(r);
    expect(r.code).toBe(0);
    const u = new URL(r.url!);
    expect(u.pathname).toBe('/oauth2/v1/authorize');
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('scope')).toBe(`openid profile offline_access ${SCOPES}`);
    expect(u.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(r.signIn?.code).toBeDefined();
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(['expiresAt', 'org', 'scopes', 'user']);
    expect(out).toMatchObject({ org: sb.url, user: 'alice@example.com', scopes: SCOPES.split(' ') });
    // The code is used once and never printed.
    expect(r.stdout + r.stderr).not.toContain(r.signIn!.code!);
    // Stored 0600, keyed by org, client and user.
    const [rec] = stored(stateDir);
    expect(rec!.user).toBe('alice@example.com');
    const file = readdirSync(stateDir).find((f) => /^signin-[0-9a-f]{40}$/.test(f))!;
    const { statSync } = await import('node:fs');
    expect(statSync(path.join(stateDir, file)).mode & 0o777).toBe(0o600);
  });

  test('whoami names the analyst, the org and the scopes', async () => {
    const r = keep(await runCli(['whoami'], env));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Signed in to ${sb.url} as alice@example.com`);
    expect(r.stdout).toContain(`Scopes: ${SCOPES}`);
    const j = keep(await runCli(['whoami', '--json'], env));
    expect(JSON.parse(j.stdout)).toMatchObject({ org: sb.url, user: 'alice@example.com', scopes: SCOPES.split(' '), refreshable: true });
  });

  test('run okta-suspend-user succeeds, and the System Log names the analyst as the actor', async () => {
    const before = sb.org.events.length;
    const r = keep(await runCli(['run', 'okta-suspend-user', 'username=bob@example.com', '--json', '--debug'], env));
    expect(r.code).toBe(0);
    const suspend = sb.org.events.slice(before).map((e) => e.event).find((e) => e.eventType === 'user.lifecycle.suspend');
    expect(suspend?.actor).toMatchObject({ type: 'User', alternateId: 'alice@example.com' });
    await runCli(['run', 'okta-unsuspend-user', 'username=bob@example.com'], env);
  });

  test('an hour later the next command refreshes once, also with four processes at once', async () => {
    t += 3600_000 + 60_000;
    const before = sb.oidc.stats.refreshes;
    const runs = await Promise.all([0, 1, 2, 3].map(() => runCli(['run', 'okta-get-user', 'username=alice@example.com', '--json'], env)));
    for (const r of runs) {
      keep(r);
      expect([r.code, r.stderr]).toEqual([0, '']);
    }
    expect(sb.oidc.stats.refreshes - before).toBe(1);
    expect(sb.oidc.stats.reuseDetected).toBe(0);
    // Another hour, one process: one more refresh, with the rotated refresh token.
    t += 3600_000 + 60_000;
    const r = keep(await runCli(['run', 'okta-get-user', 'username=alice@example.com'], env));
    expect(r.code).toBe(0);
    expect(sb.oidc.stats.refreshes - before).toBe(2);
  });

  test('the library uses the same sign-in (auth_method user, options.state) and acts as the analyst', async () => {
    const { runCommand, FileStore } = await import('../../entry/index.js');
    const params = { url: sb.url, client_id: sb.oidc.nativeClientId, redirect_uri: env.OKTA_REDIRECT_URI!, scopes: SCOPES };
    const entries = await runCommand('okta-get-user', { username: 'alice@example.com' }, params, { state: new FileStore(stateDir) });
    expect(entries[0]!.Type).toBe(1);
    // Without a store the library touches no files: nobody is signed in there.
    const none = await runCommand('okta-get-user', { username: 'alice@example.com' }, params);
    expect(none[0]!.Type).toBe(4);
    expect(String(none[0]!.Contents)).toContain('run `okta-soar login`');
  });

  test('with instances, login using=NAME keeps the sign-in in that instance, where run using=NAME finds it', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = tempStateDir();
    const file = path.join(dir, 'instances.yml');
    writeFileSync(
      file,
      `instances:\n  soc:\n    url: ${sb.url}\n    client_id: ${sb.oidc.nativeClientId}\n    redirect_uri: ${env.OKTA_REDIRECT_URI}\n    scopes: ${SCOPES}\n  svc:\n    url: ${sb.url}\n    apitoken: ${sb.apiToken}\n`,
      { mode: 0o600 },
    );
    const ienv = { OKTA_INSTANCES_FILE: file, OKTA_STATE_DIR: path.join(dir, 'state') };
    const l = await login(ienv, as('alice@example.com'), ['using=soc']);
    expect([l.code, l.stdout]).toEqual([0, `Signed in to ${sb.url} as alice@example.com\n`]);
    expect((await runCli(['whoami', 'using=soc'], ienv)).stdout).toContain('as alice@example.com');
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', 'using=soc'], ienv);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const svc = await runCli(['whoami', 'using=svc'], ienv);
    expect(svc.code).toBe(1);
    expect(svc.stderr).toContain('instance svc uses api_token');
  });

  test('the shell greets the signed-in analyst by login', async () => {
    const r = keep(await runCli(['shell'], env, { input: 'exit\n' }));
    expect(r.stderr).toContain('Hello alice@example.com');
  });

  test('a 403 under the analyst says their own admin permissions do not allow it', async () => {
    const bobState = tempStateDir();
    const bobEnv = { ...env, OKTA_STATE_DIR: bobState };
    expect((await login(bobEnv, as('bob@example.com'))).code).toBe(0);
    const r = keep(await runCli(['run', 'okta-unsuspend-user', 'username=carol@example.com'], bobEnv));
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/HTTP 403 to .*E0000006.*the analyst's own Okta admin permissions/);
    expectClean(r);
  });

  test('a stored sign-in for another org: whoami and run say so and to run login', async () => {
    const other = { ...env, OKTA_URL: sb.url.replace('127.0.0.1', 'localhost') };
    const w = keep(await runCli(['whoami'], other));
    expect(w.code).toBe(1);
    expect(w.stderr).toContain(`for another org, ${sb.url} (as alice@example.com)`);
    expect(w.stderr).toContain('run `okta-soar login`');
    const r = keep(await runCli(['run', 'okta-get-user', 'username=alice@example.com'], other));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('another org');
    expectClean(r);
  });

  test('logout revokes at Okta and forgets; the next command says to run login', async () => {
    const before = sb.oidc.stats.revocations;
    const [rec] = stored(stateDir);
    const r = keep(await runCli(['logout'], env));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Signed out');
    expect(sb.oidc.stats.revocations - before).toBeGreaterThanOrEqual(1);
    expect(stored(stateDir)).toEqual([]);
    // Okta no longer takes the refresh token.
    const refresh = await fetch(`${sb.url}/oauth2/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rec!.refresh_token!, client_id: sb.oidc.nativeClientId }),
    });
    expect(refresh.status).toBe(400);
    const next = keep(await runCli(['run', 'okta-get-user', 'username=alice@example.com'], env));
    expect(next.code).toBe(1);
    expect(next.stderr).toContain('run `okta-soar login`');
    const who = keep(await runCli(['whoami'], env));
    expect(who.code).toBe(1);
  });

  test('no token, code, verifier or refresh token was printed by any of it', () => {
    const text = outputs.join('\n');
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    for (const rec of stored(stateDir)) {
      expect(text).not.toContain(rec.access_token);
      if (rec.refresh_token) expect(text).not.toContain(rec.refresh_token);
    }
  });
});

describe('okta-soar login failures: a clear message, exit 1, no stack trace', () => {
  let sb: Sandbox;
  let t: number;
  let base: Record<string, string>;
  let redirect: string;
  beforeAll(async () => {
    t = Date.now();
    sb = await startSandbox({ users: 40, logEvents: 20, quiet: true, now: () => t });
    redirect = `http://127.0.0.1:${await freePort()}/callback`;
    sb.oidc.setRedirectUris([redirect]);
    base = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.oidc.nativeClientId, OKTA_REDIRECT_URI: redirect, OKTA_SCOPES: SCOPES, OKTA_LOGIN_TIMEOUT_SECONDS: '3' };
  });
  afterAll(() => sb?.close());

  test('a user not assigned to the app: access_denied, and what to check', async () => {
    const r = await login({ ...base, OKTA_STATE_DIR: tempStateDir() }, as('mallory@example.com'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Okta ended the sign-in with access_denied: User is not assigned to the client application');
    expect(r.stderr).toMatch(/assigned to the OIDC app/);
    expectClean(r);
  });

  test('a redirect with another state is refused', async () => {
    const r = await login({ ...base, OKTA_STATE_DIR: tempStateDir() }, async () => {
      await fetch(`${redirect}?code=forged-code-value&state=not-this-one`).then((x) => x.text());
      return undefined;
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did not carry the state of this sign-in.*refused/);
    expect(r.stderr).not.toContain('forged-code-value');
    expectClean(r);
  });

  test('nobody comes back (closed browser, or a wrong client id: Okta shows its own error page): a timeout saying what to check', async () => {
    const r = await login({ ...base, OKTA_STATE_DIR: tempStateDir(), OKTA_CLIENT_ID: '0oaWrongClientId000' }, as('alice@example.com'));
    expect(r.signIn?.pageError).toMatch(/invalid_client/);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no sign-in came back to .* within 3 s/);
    expect(r.stderr).toContain('client_id (0oaWrongClientId000)');
    expect(r.stderr).toContain('registered on that app as a Sign-in redirect URI');
    expectClean(r);
  });

  test('the redirect port is already in use', async () => {
    const port = Number(new URL(redirect).port);
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await runCli(['login', '--no-browser'], { ...base, OKTA_STATE_DIR: tempStateDir() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+ .*the port is in use/);
      expect(r.stderr).not.toContain('/oauth2/v1/authorize');
      expectClean(r);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });

  test('a redirect URI that is not loopback http is refused before anything starts', async () => {
    const r = await runCli(['login', '--no-browser'], { ...base, OKTA_STATE_DIR: tempStateDir(), OKTA_REDIRECT_URI: 'https://example.com/callback' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/redirect_uri \(OKTA_REDIRECT_URI\) must be an http:\/\/ address on this machine's loopback/);
  });

  test('a refresh token Okta refuses ends the sign-in: the message says to run login, and nothing is left', async () => {
    const stateDir = tempStateDir();
    const env = { ...base, OKTA_STATE_DIR: stateDir };
    expect((await login(env, as('alice@example.com'))).code).toBe(0);
    const [rec] = stored(stateDir);
    // An admin (or a reuse) revoked the sign-in at Okta.
    await fetch(`${sb.url}/oauth2/v1/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: rec!.refresh_token!, token_type_hint: 'refresh_token', client_id: sb.oidc.nativeClientId }),
    });
    const r = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--debug'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused the stored sign-in's refresh token \(HTTP 400 invalid_grant\).*run `okta-soar login`/);
    expect(r.stderr).not.toContain(rec!.refresh_token!);
    expect(r.stderr).not.toContain(rec!.access_token);
    expectClean(r);
    expect(stored(stateDir)).toEqual([]);
    expect((await runCli(['whoami'], env)).code).toBe(1);
  });

  test('login with a service-app configuration says login is for analysts', async () => {
    const r = await runCli(['login', '--no-browser'], { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: tempStateDir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/login is for analysts who sign in as themselves \(auth_method user\), but this configuration uses api_token/);
  });
});

describe('okta-soar login with a Web app (client secret) and with DPoP', () => {
  let sb: Sandbox;
  let t: number;
  let redirect: string;
  beforeAll(async () => {
    t = Date.now();
    sb = await startSandbox({ users: 40, logEvents: 20, quiet: true, now: () => t });
    redirect = `http://127.0.0.1:${await freePort()}/callback`;
    sb.oidc.setRedirectUris([redirect]);
  });
  afterAll(() => sb?.close());

  test('DPoP: the tokens and the refresh token are bound to the sign-in key, and a refresh keeps it', async () => {
    const stateDir = tempStateDir();
    const env = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.oidc.nativeClientId, OKTA_REDIRECT_URI: redirect, OKTA_SCOPES: SCOPES, OKTA_STATE_DIR: stateDir, OKTA_DPOP: 'true' };
    expect((await login(env, as('alice@example.com'))).code).toBe(0);
    const who = JSON.parse((await runCli(['whoami', '--json'], env)).stdout) as { tokenType: string };
    expect(who.tokenType).toBe('DPoP');
    const before = sb.oidc.stats.refreshes;
    // The access token ends early (revoked; the sandbox's clock cannot jump here: DPoP proofs carry this machine's time).
    const [rec] = stored(stateDir);
    await fetch(`${sb.url}/oauth2/v1/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: rec!.access_token, token_type_hint: 'access_token', client_id: sb.oidc.nativeClientId }),
    });
    const run = await runCli(['run', 'okta-get-user', 'username=alice@example.com'], env);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(sb.oidc.stats.refreshes - before).toBe(1);
    const [after] = stored(stateDir) as unknown as Array<{ dpop_key?: string; token_type: string }>;
    expect(after!.token_type).toBe('DPoP');
    expect(after!.dpop_key).toBe((rec as { dpop_key?: string }).dpop_key);
  });

  test('another analyst signing in with the same app and state ends the previous sign-in at Okta', async () => {
    const stateDir = tempStateDir();
    const env = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.oidc.nativeClientId, OKTA_REDIRECT_URI: redirect, OKTA_SCOPES: SCOPES, OKTA_STATE_DIR: stateDir };
    expect((await login(env, as('alice@example.com'))).code).toBe(0);
    const before = sb.oidc.stats.revocations;
    const bob = await login(env, as('bob@example.com'));
    expect(bob.code).toBe(0);
    expect(bob.stderr).toContain(`signed alice@example.com out of ${sb.url}: bob@example.com signed in`);
    expect(sb.oidc.stats.revocations - before).toBe(1);
    expect(stored(stateDir).map((r) => r.user)).toEqual(['bob@example.com']);
    expect((await runCli(['whoami'], env)).stdout).toContain('as bob@example.com');
  });

  test('the Web app signs in with its secret, which is never printed', async () => {
    const stateDir = tempStateDir();
    const env = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.oidc.webClientId, OKTA_CLIENT_SECRET: sb.oidc.webClientSecret, OKTA_REDIRECT_URI: redirect, OKTA_SCOPES: SCOPES, OKTA_STATE_DIR: stateDir };
    const r = await login(env, as('alice@example.com'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Signed in to ${sb.url} as alice@example.com\n`);
    t += 3600_000 + 60_000;
    const run = await runCli(['run', 'okta-get-user', 'username=alice@example.com', '--debug'], env);
    expect(run.code).toBe(0);
    for (const out of [r.stdout, r.stderr, run.stdout, run.stderr]) expect(out).not.toContain(sb.oidc.webClientSecret);
  });


  test('--device: the verification URL and user code on stderr, then the poll ends with the sign-in', async () => {
    const stateDir = tempStateDir();
    const env = { OKTA_URL: sb.url, OKTA_CLIENT_ID: sb.oidc.nativeClientId, OKTA_REDIRECT_URI: redirect, OKTA_SCOPES: SCOPES, OKTA_STATE_DIR: stateDir };
    const r = await new Promise<CliResult & { activated?: boolean }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'login', '--device', '--json'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let activation: Promise<boolean> | undefined;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /open (\S+) on any device and enter the code ([A-Z]+)\n/.exec(stderr);
        if (m && !activation)
          activation = activateDeviceOverHttp(m[1]!, { userCode: m[2]!, username: 'alice@example.com', password: 'sandbox-alice' }).then((a) => a.activated);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', async (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, activated: await activation });
      });
    });
    expect(r.activated).toBe(true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ org: sb.url, user: 'alice@example.com' });
    expect((await runCli(['whoami'], env)).stdout).toContain('as alice@example.com');
  }, 40_000);
});

describe('the sign-in in Redis (OKTA_STATE_URL): sealed, and four processes refresh once', () => {
  let sb: Sandbox;
  let t: number;
  let redis: RedisServer;
  beforeAll(async () => {
    t = Date.now();
    sb = await startSandbox({ users: 40, logEvents: 20, quiet: true, now: () => t });
    redis = await startRedis();
  }, 60_000);
  afterAll(async () => {
    await sb?.close();
    await redis?.close();
  });

  test('login stores it in Redis, encrypted; an hour later four processes refresh once between them', async () => {
    const redirect = `http://127.0.0.1:${await freePort()}/callback`;
    sb.oidc.setRedirectUris([redirect]);
    const env = {
      OKTA_URL: sb.url,
      OKTA_CLIENT_ID: sb.oidc.nativeClientId,
      OKTA_REDIRECT_URI: redirect,
      OKTA_SCOPES: SCOPES,
      OKTA_STATE_URL: `${redis.url}/5`,
      OKTA_STATE_KEY: 'a'.repeat(64),
    };
    const l = await login(env, as('alice@example.com'));
    expect(l.code).toBe(0);
    // What Redis holds is sealed: no token, no login in clear.
    const r = new Redis(`${redis.url}/5`);
    const keys = await r.keys('okta-soar:signin-*');
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const k of keys) expect(await r.get(k)).not.toMatch(/alice|access_token|refresh_token/);
    await r.quit();
    t += 3600_000 + 60_000;
    const before = sb.oidc.stats.refreshes;
    const runs = await Promise.all([0, 1, 2, 3].map(() => runCli(['run', 'okta-get-user', 'username=alice@example.com'], env)));
    for (const run of runs) expect([run.code, run.stderr]).toEqual([0, '']);
    expect(sb.oidc.stats.refreshes - before).toBe(1);
    expect(sb.oidc.stats.reuseDetected).toBe(0);
    expect((await runCli(['whoami'], env)).stdout).toContain('as alice@example.com');
  }, 60_000);
});
