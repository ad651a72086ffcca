/**
 * A developer's tour of the sandbox for the conformance check: starts sandboxes (SSWS, OAuth,
 * OAuth + DPoP), calls every route they serve, success and error paths, and records the
 * exchanges to `<record dir>/tour-*.jsonl`. It is not part of `npm test` (the end-to-end tests
 * record there); run it on its own, then phase 2, on a directory of its own (any `npm test`
 * running meanwhile empties the default one):
 *
 *   export OKTA_CONFORMANCE_RECORD_DIR=/tmp/okta-soar-tour NODE_OPTIONS=--experimental-vm-modules
 *   npx jest -c jest.conformance.config.js --testMatch '**\/*.tour.ts' && npx jest -c jest.conformance.config.js
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { recordDir } from './paths.js';

type Json = Record<string, unknown>;

interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

class Client {
  constructor(
    private readonly sb: Sandbox,
    private auth: () => Promise<Record<string, string>>,
  ) {}

  async call(method: string, pathAndQuery: string, body?: unknown): Promise<Reply> {
    const url = pathAndQuery.startsWith('http') ? pathAndQuery : this.sb.url + pathAndQuery;
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'okta-soar-conformance-tour', ...(await this.auth()) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* leave text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get = (p: string) => this.call('GET', p);
}

function nextLink(r: Reply): string | undefined {
  const link = r.headers.get('link') ?? '';
  return /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
}

const q = (params: Record<string, string | number>) => '?' + new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

async function sswsTour(sb: Sandbox): Promise<void> {
  const c = new Client(sb, async () => ({ Authorization: `SSWS ${sb.apiToken}` }));
  const users = (await c.get('/api/v1/users' + q({ limit: 200 }))).body as Json[];
  const page1 = await c.get('/api/v1/users' + q({ limit: 5 }));
  const next = nextLink(page1);
  if (next) await c.get(next);
  await c.get('/api/v1/users' + q({ search: 'status eq "ACTIVE"', limit: 3 }));
  await c.get('/api/v1/users' + q({ search: 'profile.department eq "Engineering"', sortBy: 'profile.lastName', sortOrder: 'desc' }));
  await c.get('/api/v1/users' + q({ filter: 'status eq "SUSPENDED"' }));
  await c.get('/api/v1/users' + q({ q: 'a', limit: 3 }));
  await c.get('/api/v1/users' + q({ filter: 'status eq ' })); // 400
  await c.get('/api/v1/users/me');
  const byStatus = new Map<string, Json>();
  for (const u of users) if (!byStatus.has(u.status as string)) byStatus.set(u.status as string, u);
  const deprovisioned = (await c.get('/api/v1/users' + q({ search: 'status eq "DEPROVISIONED"' }))).body as Json[];
  if (deprovisioned[0]) byStatus.set('DEPROVISIONED', deprovisioned[0]);
  for (const u of byStatus.values()) {
    const id = u.id as string;
    await c.get(`/api/v1/users/${id}`);
    await c.get(`/api/v1/users/${encodeURIComponent((u.profile as Json).login as string)}`);
    await c.get(`/api/v1/users/${id}/groups`);
    await c.get(`/api/v1/users/${id}/appLinks`);
    await c.get(`/api/v1/users/${id}/roles`);
    const factors = await c.get(`/api/v1/users/${id}/factors`);
    for (const f of (Array.isArray(factors.body) ? factors.body : []) as Json[]) {
      await c.get(`/api/v1/users/${id}/factors/${f.id as string}`);
      if (f.factorType === 'push') {
        const tx = await c.call('POST', `/api/v1/users/${id}/factors/${f.id as string}/verify`);
        const poll = ((tx.body as Json)?._links as Json | undefined)?.poll as Json | undefined;
        if (poll?.href) await c.get(poll.href as string);
      }
    }
  }
  await c.get('/api/v1/users/nobody@example.invalid'); // 404
  // Lifecycle on an ACTIVE user, and a refused transition.
  const active = byStatus.get('ACTIVE')!;
  const aid = active.id as string;
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/suspend`);
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/suspend`); // 400 not ACTIVE
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/unsuspend`);
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/reset_password` + q({ sendEmail: 'false' }));
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/expire_password`);
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/expire_password_with_temp_password` + q({ revokeSessions: 'true' }));
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/reset_factors`);
  await c.call('POST', `/api/v1/users/${aid}/lifecycle/unlock`); // 400 unless locked
  const locked = byStatus.get('LOCKED_OUT');
  if (locked) await c.call('POST', `/api/v1/users/${locked.id as string}/lifecycle/unlock`);
  await c.call('DELETE', `/api/v1/users/${aid}/sessions` + q({ oauthTokens: 'true' }));
  await c.call('POST', `/api/v1/users/${aid}`, { profile: { title: 'Tour guide' } });
  // Create, deactivate, delete.
  const created = await c.call('POST', '/api/v1/users' + q({ activate: 'false' }), {
    profile: { firstName: 'Tour', lastName: 'Guest', email: 'tour.guest@example.com', login: 'tour.guest@example.com' },
  });
  const nid = (created.body as Json)?.id as string | undefined;
  if (nid) {
    await c.call('POST', `/api/v1/users/${nid}/lifecycle/activate` + q({ sendEmail: 'false' }));
    await c.call('POST', `/api/v1/users/${nid}/lifecycle/deactivate`);
    await c.call('POST', `/api/v1/users/${nid}/lifecycle/reactivate` + q({ sendEmail: 'false' }));
    await c.call('DELETE', `/api/v1/users/${nid}`);
    await c.call('DELETE', `/api/v1/users/${nid}`);
    await c.call('DELETE', `/api/v1/users/${nid}`); // 404
  }

  // Groups.
  const groups = (await c.get('/api/v1/groups' + q({ limit: 50 }))).body as Json[];
  await c.get('/api/v1/groups' + q({ q: 'Eng' }));
  await c.get('/api/v1/groups' + q({ search: 'type eq "OKTA_GROUP"' }));
  await c.get('/api/v1/groups' + q({ filter: 'type eq "APP_GROUP"', expand: 'stats' }));
  for (const g of groups.slice(0, 3)) {
    await c.get(`/api/v1/groups/${g.id as string}`);
    const members = await c.get(`/api/v1/groups/${g.id as string}/users` + q({ limit: 2 }));
    const more = nextLink(members);
    if (more) await c.get(more);
  }
  const g = await c.call('POST', '/api/v1/groups', { profile: { name: 'Tour group', description: 'conformance tour' } });
  const gid = (g.body as Json)?.id as string | undefined;
  if (gid) {
    await c.call('PUT', `/api/v1/groups/${gid}`, { profile: { name: 'Tour group 2', description: 'renamed' } });
    await c.call('PUT', `/api/v1/groups/${gid}/users/${aid}`);
    await c.get(`/api/v1/groups/${gid}/users`);
    await c.call('DELETE', `/api/v1/groups/${gid}/users/${aid}`);
    await c.call('DELETE', `/api/v1/groups/${gid}`);
  }
  await c.get('/api/v1/groups/00gnothere000000000'); // 404

  // Apps.
  const apps = (await c.get('/api/v1/apps' + q({ limit: 20 }))).body as Json[];
  await c.get('/api/v1/apps' + q({ q: 'S' }));
  await c.get('/api/v1/apps' + q({ filter: 'status eq "ACTIVE"' }));
  for (const a of apps) {
    await c.get(`/api/v1/apps/${a.id as string}`);
    const au = await c.get(`/api/v1/apps/${a.id as string}/users` + q({ limit: 2 }));
    for (const x of ((Array.isArray(au.body) ? au.body : []) as Json[]).slice(0, 1)) await c.get(`/api/v1/apps/${a.id as string}/users/${x.id as string}`);
    await c.get(`/api/v1/apps/${a.id as string}/groups`);
  }
  const app = apps[0];
  if (app) {
    await c.call('POST', `/api/v1/apps/${app.id as string}/users`, { id: aid, scope: 'USER', credentials: { userName: (active.profile as Json).login } });
    await c.call('DELETE', `/api/v1/apps/${app.id as string}/users/${aid}`);
    if (gid === undefined && groups[0]) await c.call('PUT', `/api/v1/apps/${app.id as string}/groups/${groups[0].id as string}`, { priority: 0 });
    else if (groups[1]) await c.call('PUT', `/api/v1/apps/${app.id as string}/groups/${groups[1].id as string}`, {});
  }

  // Zones.
  const zones = (await c.get('/api/v1/zones')).body as Json[];
  await c.get('/api/v1/zones' + q({ filter: 'usage eq "BLOCKLIST"' }));
  for (const z of zones) await c.get(`/api/v1/zones/${z.id as string}`);
  const z = await c.call('POST', '/api/v1/zones', { type: 'IP', name: 'Tour blocklist', usage: 'BLOCKLIST', gateways: [{ type: 'CIDR', value: '198.51.100.0/24' }] });
  const zid = (z.body as Json)?.id as string | undefined;
  if (zid) {
    await c.call('PUT', `/api/v1/zones/${zid}`, { type: 'IP', name: 'Tour blocklist', usage: 'BLOCKLIST', gateways: [{ type: 'RANGE', value: '198.51.100.1-198.51.100.9' }] });
    await c.call('POST', `/api/v1/zones/${zid}/lifecycle/deactivate`);
    await c.call('POST', `/api/v1/zones/${zid}/lifecycle/activate`);
    await c.call('POST', `/api/v1/zones/${zid}/lifecycle/deactivate`);
    await c.call('DELETE', `/api/v1/zones/${zid}`);
  }
  await c.call('POST', '/api/v1/zones', { type: 'IP', name: 'bad' }); // 400

  // System Log: bounded, polling (follow next links), filter, q, errors.
  const now = Date.now();
  const since = new Date(now - 2 * 24 * 3600_000).toISOString();
  await c.get('/api/v1/logs' + q({ since, until: new Date(now).toISOString(), limit: 1000 }));
  let page = await c.get('/api/v1/logs' + q({ since: new Date(now - 7 * 24 * 3600_000).toISOString(), limit: 1000, sortOrder: 'ASCENDING' }));
  for (let i = 0; i < 30; i++) {
    const n = nextLink(page);
    if (!n || (Array.isArray(page.body) && page.body.length === 0)) break;
    page = await c.get(n);
  }
  await c.get('/api/v1/logs' + q({ filter: 'eventType eq "user.session.start"', limit: 50 }));
  await c.get('/api/v1/logs' + q({ q: 'suspend', sortOrder: 'DESCENDING', limit: 20 }));
  await c.get('/api/v1/logs' + q({ filter: 'eventType eq', limit: 5 })); // 400
  await c.get('/api/v1/logs' + q({ since: 'yesterday' })); // 400

  // Authentication errors.
  await new Client(sb, async () => ({ Authorization: 'SSWS wrong' })).get('/api/v1/users/me');
  await new Client(sb, async () => ({})).get('/api/v1/users');
}

async function oauthTour(sb: Sandbox, dpop: boolean): Promise<void> {
  const key = await importPKCS8(sb.privateKeyPem, 'RS256');
  const tokenUrl = `${sb.url}/oauth2/v1/token`;
  const dpopKeys = await generateKeyPair('ES256');
  const dpopJwk = await exportJWK(dpopKeys.publicKey);
  await calculateJwkThumbprint(dpopJwk);
  let nonce: string | undefined;
  const assertion = () =>
    new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: sb.keyId }).setIssuer(sb.clientId).setSubject(sb.clientId).setAudience(tokenUrl).setIssuedAt().setExpirationTime('5m').setJti(randomUUID()).sign(key);
  const proof = async (htm: string, htu: string, ath?: string) =>
    new SignJWT({ htm, htu, ...(nonce ? { nonce } : {}), ...(ath ? { ath } : {}) }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpopJwk }).setIssuedAt().setJti(randomUUID()).sign(dpopKeys.privateKey);
  const token = async (scope: string, withProof: boolean): Promise<Reply> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion() });
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (withProof) headers.DPoP = await proof('POST', tokenUrl);
    const res = await fetch(tokenUrl, { method: 'POST', headers, body: form.toString() });
    nonce = res.headers.get('dpop-nonce') ?? nonce;
    return { status: res.status, body: await res.json().catch(() => undefined), headers: res.headers };
  };
  await token('', dpop); // invalid_scope
  await token('okta.users.read okta.factors.manage', dpop); // scope not granted
  const bad = await fetch(tokenUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=okta.users.read&client_id=x&client_secret=y' });
  await bad.text();
  let t = await token('okta.users.read okta.logs.read okta.groups.read', dpop);
  if (dpop) {
    await token('okta.users.read', false); // a DPoP app without a proof
    if (t.status === 400) t = await token('okta.users.read okta.logs.read okta.groups.read', true);
  }
  const at = (t.body as Json | undefined)?.access_token as string | undefined;
  if (!at) return;
  const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(at))).toString('base64url');
  const auth = (method: string, url: string) => async (): Promise<Record<string, string>> =>
    dpop ? { Authorization: `DPoP ${at}`, DPoP: await proof(method, url.split('?')[0]!, ath) } : { Authorization: `Bearer ${at}` };
  const call = (method: string, p: string) => new Client(sb, auth(method, sb.url + p)).call(method, p);
  await call('GET', '/api/v1/users?limit=2');
  await call('GET', '/api/v1/logs?limit=5');
  await call('GET', '/api/v1/groups?limit=2');
  await call('GET', '/api/v1/zones'); // 403 insufficient scope
  await call('GET', '/api/v1/users/me'); // 404 for a service app
  await new Client(sb, async () => ({ Authorization: 'Bearer not-a-token' })).get('/api/v1/users');
  if (dpop) await new Client(sb, async () => ({ Authorization: `Bearer ${at}` })).get('/api/v1/users'); // DPoP token as Bearer
}

describe('sandbox tour (records exchanges for the conformance check)', () => {
  const dir = recordDir();
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    for (const f of ['tour-ssws.jsonl', 'tour-oauth.jsonl', 'tour-dpop.jsonl']) rmSync(path.join(dir, f), { force: true });
  });

  it('SSWS: every route, success and error paths', async () => {
    const sb = await startSandbox({ quiet: true, recordFile: path.join(dir, 'tour-ssws.jsonl') });
    try {
      await sswsTour(sb);
    } finally {
      await sb.close();
    }
  });

  it('OAuth and OAuth + DPoP', async () => {
    for (const dpop of [false, true]) {
      const sb = await startSandbox({ quiet: true, dpop, recordFile: path.join(dir, dpop ? 'tour-dpop.jsonl' : 'tour-oauth.jsonl') });
      try {
        await oauthTour(sb, dpop);
      } finally {
        await sb.close();
      }
    }
  });
});
