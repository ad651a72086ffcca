/**
 * Shared fixtures for the auth tests: keys generated at test time (never committed), an
 * in-process sandbox authorization server wired as a Transport, and a secret-leak checker.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { createSandboxOAuth, type SandboxOAuthServer, type SandboxOAuthServerOptions } from '../../../sandbox/oauth-server.js';
import type { SandboxOAuthApp } from '../../../sandbox/oauth-types.js';
import type { AuthProvider, HttpMethod, Transport, WireRequest, WireResponse } from '../../../integration/okta/types.js';

export const ORIGIN = 'https://acme.okta.example';
export const CLIENT_ID = '0oa1testclient';
export const SCOPES = ['okta.users.read', 'okta.users.manage', 'okta.groups.read'];

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  pkcs8: string;
  /** PKCS#1 (RSA) or SEC1 (EC) PEM. */
  traditional: string;
  privateJwk: JWK;
  publicJwk: JWK & { kid: string };
  kid: string;
}

export async function makeKey(kind: 'EC' | 'RSA' = 'EC', curve: 'P-256' | 'P-384' | 'P-521' = 'P-256', bits = 2048): Promise<TestKey> {
  const { privateKey, publicKey } =
    kind === 'EC' ? generateKeyPairSync('ec', { namedCurve: curve }) : generateKeyPairSync('rsa', { modulusLength: bits });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const traditional = privateKey.export({ type: kind === 'EC' ? 'sec1' : 'pkcs1', format: 'pem' }) as string;
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const privateJwk = { ...(await exportJWK(privateKey)), kid };
  return { privateKey, publicKey, pkcs8, traditional, privateJwk, publicJwk: { ...pub, kid }, kid };
}

export interface Exchange {
  req: WireRequest;
  res: WireResponse;
}

export interface Harness {
  server: SandboxOAuthServer;
  transport: Transport;
  exchanges: Exchange[];
  tokenRequests(): Exchange[];
}

/** The sandbox AS behind a Transport: /oauth2/v1/token goes to handleToken, the rest to authenticate. */
export function sandboxHarness(opts: {
  now: () => number;
  apps: SandboxOAuthApp[];
  origin?: string;
  requireApiNonce?: boolean;
  tokenLifetimeSeconds?: number;
}): Harness {
  const origin = opts.origin ?? ORIGIN;
  const serverOpts: SandboxOAuthServerOptions = { origin, apps: opts.apps, now: opts.now };
  if (opts.requireApiNonce) serverOpts.requireApiNonce = true;
  if (opts.tokenLifetimeSeconds) serverOpts.tokenLifetimeSeconds = opts.tokenLifetimeSeconds;
  const server = createSandboxOAuth(serverOpts);
  const exchanges: Exchange[] = [];
  const transport: Transport = async (req) => {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const sreq = { method: req.method, url: req.url, headers, body: req.data ?? '' };
    const u = new URL(req.url);
    let status: number;
    let resHeaders: Record<string, string>;
    let body: unknown;
    if (u.pathname === '/oauth2/v1/token') {
      ({ status, headers: resHeaders, body } = await server.handleToken(sreq));
    } else {
      const r = await server.authenticate(sreq);
      if (r.ok) {
        status = 200;
        resHeaders = {};
        body = { ok: true, principal: r.principal };
      } else {
        ({ status, headers: resHeaders, body } = r.response);
      }
    }
    const res: WireResponse = {
      status,
      headers: { 'content-type': 'application/json', ...resHeaders },
      body: body === undefined ? '' : JSON.stringify(body),
    };
    exchanges.push({ req, res });
    return res;
  };
  return { server, transport, exchanges, tokenRequests: () => exchanges.filter((e) => e.req.url.endsWith('/oauth2/v1/token')) };
}

/** What the lead's Okta client does with an AuthProvider: authorize, send, on failure ask once. */
export async function callApi(auth: AuthProvider, transport: Transport, method: HttpMethod, url: string): Promise<WireResponse> {
  let res = await transport({ method, url, headers: await auth.authorize(method, url) });
  if (res.status === 401 || res.status === 400) {
    if ((await auth.onAuthFailure(res, { method, url })) === 'retry') {
      res = await transport({ method, url, headers: await auth.authorize(method, url) });
    }
  }
  return res;
}

/** Collects every secret a provider reports, plus the key material given to it. */
export class SecretLog {
  values = new Set<string>();
  add = (v: string) => {
    this.values.add(v);
  };
  addKey(k: TestKey): void {
    for (const pem of [k.pkcs8, k.traditional]) {
      for (const line of pem.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) this.values.add(line);
    }
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      const v = (k.privateJwk as Record<string, unknown>)[m];
      if (typeof v === 'string') this.values.add(v);
    }
  }
  /** Every rendering of an error we can think of, checked against every secret. */
  assertClean(err: unknown): void {
    const e = err as Error;
    const renderings = [String(e?.message), String(e?.stack), JSON.stringify(e), JSON.stringify(Object.assign({}, e)), String(e)];
    for (const r of renderings) {
      for (const s of this.values) {
        if (r.includes(s)) throw new Error(`secret leaked into an error rendering (${s.slice(0, 6)}…)`);
      }
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(r)) throw new Error('a PEM block leaked into an error');
      if (/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(r)) throw new Error('a JWT leaked into an error');
    }
  }
}

export function decodeSegment(jwt: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[i]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function form(data: string | undefined): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(data ?? ''));
}
