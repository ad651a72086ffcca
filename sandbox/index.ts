/**
 * The sandbox Okta org: an Okta-compatible HTTP server on loopback, seeded with realistic,
 * deterministic data. See sandbox/README.md for the fixed credentials and the seeded people.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createSandboxOAuth } from './oauth-server.js';
import type { SandboxExtraEndpoints, SandboxOAuth } from './oauth-types.js';
import { createSandboxOidc, oidcSigningKey } from './oidc.js';
import type { SandboxOidc, SandboxOidcOptions } from './oidc-types.js';
import { SandboxOrg, type SandboxFaults } from './org.js';
import { Rng, randomAlnum } from './random.js';
import type { RateLimitConfig } from './rate-limit.js';
import { Router } from './router.js';
import { registerLogRoutes } from './routes-logs.js';
import { registerUserRoutes } from './routes-users.js';
import { registerDirectoryRoutes } from './routes-directory.js';
import { registerSecurityRoutes } from './routes-security.js';
import { SandboxServer, type SandboxStats } from './server.js';

export { SandboxOrg } from './org.js';
export type { SandboxFaults, ActionContext } from './org.js';
export type { LogEvent } from './log-store.js';
export { StoredEvent } from './log-store.js';
export type { PushOutcome, SandboxUser, SandboxGroup, SandboxApp, SandboxZone, SandboxFactor, SandboxRole, UserStatus } from './model.js';
export type { RateLimitConfig } from './rate-limit.js';
export { SCENARIOS, type ScenarioName, type ScenarioOptions } from './scenarios.js';
export { BUCKETS } from './rate-limit.js';
export type { SandboxStats } from './server.js';
export type { SandboxSecurity, SandboxApiToken, SandboxIdp, SandboxDevice, SandboxGrant, SandboxOAuthClient, SandboxPolicy, SandboxPolicyRule, SandboxUserRisk } from './security-model.js';
export type { SandboxOidc, SandboxOidcApp, SandboxOidcOptions, SandboxOidcStats, SignInUser } from './oidc-types.js';
export { DEFAULT_REDIRECT_URI, SANDBOX_WEB_CLIENT_SECRET, defaultPassword } from './oidc-types.js';
export { signInOverHttp, activateDeviceOverHttp, type SignInResult } from './sign-in-client.js';

/** The fixed, documented API token of every sandbox org. Not a secret. */
export const SANDBOX_API_TOKEN = '00sandbox-api-token-not-a-secret';

export interface SandboxOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1; only loopback hosts are accepted. */
  host?: string;
  /** Deterministic data (default 1). */
  seed?: number;
  /** Users (default 60; the documented people are always there). */
  users?: number;
  /** Seeded System Log events (default 20000). */
  logEvents?: number;
  /** Per bucket: logs, users, user, user-write, groups, group, apps, app, zones, other, token. */
  rateLimits?: Record<string, RateLimitConfig>;
  /** Simultaneous requests allowed before a concurrency 429 (limit/remaining 0). */
  concurrencyLimit?: number;
  faults?: SandboxFaults;
  /** The OAuth app requires DPoP. */
  dpop?: boolean;
  /**
   * Scopes granted to the OAuth service app. Default: whatever it asks for (an org whose admin
   * granted every Okta API scope); the face or test that starts a sandbox narrows it.
   */
  grantedScopes?: string[];
  /** Delay before answering each request. */
  latencyMs?: number;
  /** Analyst sign-in: the OIDC apps' redirect URIs, grants, assignments, refresh token rotation. */
  oidc?: SandboxOidcOptions;
  /** Clock (epoch ms). */
  now?: () => number;
  /** Append one JSON line per exchange; env OKTA_SANDBOX_RECORD_DIR gives a file per instance; '' records nothing. */
  recordFile?: string;
  quiet?: boolean;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  url: string;
  apiToken: string;
  clientId: string;
  keyId: string;
  /** PKCS#8 PEM of the OAuth app's private key. */
  privateKeyPem: string;
  /** The same, written (mode 0600) to a temp dir; removed on close. */
  privateKeyFile: string;
  publicJwk: JWK;
  org: SandboxOrg;
  stats: SandboxStats;
  /** The authorization server (tests: revoke tokens, change the app's scopes or DPoP). */
  oauth: SandboxOAuth;
  /** Analyst sign-in: the Native and Web OIDC apps, their users and passwords (see sandbox/README.md). */
  oidc: SandboxOidc;
  close(): Promise<void>;
}

let keyPromise: Promise<{ privateKey: KeyObject; publicKey: KeyObject }> | undefined;

/** One RSA-2048 key per process: key generation is the slowest part of starting a sandbox. */
function appKey(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  keyPromise ??= new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey }))),
  );
  return keyPromise;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`The sandbox listens on loopback only (127.0.0.0/8, localhost, ::1), not ${host}.`);
  const seed = opts.seed ?? 1;
  const now = opts.now ?? (() => Date.now());
  const clientId = new Rng(seed, 'oauth-app').oktaId('0oa');
  void oidcSigningKey(); // generated alongside the service app's key

  const { privateKey, publicKey } = await appKey();
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const keyId = await calculateJwkThumbprint(jwk);
  const publicJwk: JWK = { ...jwk, kid: keyId, alg: 'RS256', use: 'sig' };
  const keyDir = mkdtempSync(path.join(tmpdir(), 'okta-soar-sandbox-'));
  const privateKeyFile = path.join(keyDir, 'sandbox-app-key.pem');
  writeFileSync(privateKeyFile, privateKeyPem, { mode: 0o600 });

  const org = new SandboxOrg({
    seed,
    users: opts.users ?? 60,
    logEvents: opts.logEvents ?? 20_000,
    now,
    clientId,
    rateLimits: opts.rateLimits,
    faults: opts.faults,
  });

  const router = new Router();
  registerUserRoutes(router);
  registerDirectoryRoutes(router);
  registerLogRoutes(router);
  registerSecurityRoutes(router);

  // recordFile '' turns recording off, also when OKTA_SANDBOX_RECORD_DIR is set.
  let recordFile = opts.recordFile || undefined;
  const recordDir = opts.recordFile === '' ? undefined : process.env.OKTA_SANDBOX_RECORD_DIR;
  const auth: { server?: SandboxOAuth; extra?: SandboxExtraEndpoints } = {};
  const server = new SandboxServer({
    org,
    router,
    apiToken: SANDBOX_API_TOKEN,
    clientId,
    oauth: () => auth.server,
    extra: () => auth.extra,
    latencyMs: opts.latencyMs ?? 0,
    concurrencyLimit: opts.concurrencyLimit,
    get recordFile() {
      return recordFile;
    },
    quiet: opts.quiet ?? false,
  });
  let url: string;
  try {
    url = await server.listen(opts.port ?? 0, host);
  } catch (e) {
    rmSync(keyDir, { recursive: true, force: true });
    throw e;
  }
  org.origin = url;
  if (!recordFile && recordDir) {
    const port = new URL(url).port;
    recordFile = path.join(recordDir, `sandbox-${process.pid}-${port}-${Date.now()}-${randomAlnum(6)}.jsonl`);
  }
  const oauth = createSandboxOAuth({
    origin: url,
    apps: [{ clientId, publicJwks: [publicJwk], grantedScopes: opts.grantedScopes ? [...opts.grantedScopes] : '*', requireDpop: opts.dpop ?? false }],
    now,
  });
  auth.server = oauth;
  let oidc;
  try {
    oidc = await createSandboxOidc({
      org,
      oauth,
      seed,
      serviceClientId: clientId,
      grantedScopes: opts.grantedScopes ? [...opts.grantedScopes] : '*',
      requireDpop: opts.dpop ?? false,
      ...(opts.oidc ? { options: opts.oidc } : {}),
    });
  } catch (e) {
    await server.close();
    rmSync(keyDir, { recursive: true, force: true });
    throw e;
  }
  auth.extra = oidc;

  let closed = false;
  return {
    url,
    apiToken: SANDBOX_API_TOKEN,
    clientId,
    keyId,
    privateKeyPem,
    privateKeyFile,
    publicJwk,
    org,
    stats: server.stats,
    oauth,
    oidc,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
