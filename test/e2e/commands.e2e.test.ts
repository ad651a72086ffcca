import { dispatch } from '../../entry/index.js';
import { loadManifest } from '../../integration/engine/manifest.js';
import { MemoryStore } from '../../integration/state/store.js';
import type { Entry } from '../../integration/engine/types.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxParams, type AuthMode } from './helpers.js';
import { RESPONSE_COMMANDS } from './response-steps.js';

/**
 * Every command of the manifest against the sandbox org, with SSWS, OAuth (Bearer) and
 * OAuth + DPoP. Steps run in order, as a responder would: look, change, undo. The sandbox
 * records every exchange for the conformance check against Okta's OpenAPI spec.
 */
interface Step {
  command: string;
  args: (s: State) => Record<string, unknown>;
  check?: (entries: Entry[], s: State) => void;
}

interface State {
  sb: Sandbox;
  mode: AuthMode;
  login: string;
  group: string;
  zoneId?: string;
  pollingUrl?: string;
}

/** The first context value whose key starts with `path`. */
function ctx<T = unknown>(entries: Entry[], path: string): T {
  for (const e of entries)
    for (const [k, v] of Object.entries(e.EntryContext ?? {})) if (k === path || k.startsWith(`${path}(`)) return v as T;
  throw new Error(`no context ${path} in ${JSON.stringify(entries).slice(0, 400)}`);
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

const factorId = (s: State, login: string, type: string) => s.sb.org.factors.get(s.sb.org.findUser(login)!.id)!.find((f) => f.factorType === type)!.id;
const zoneIdByName = (s: State, name: string) => [...s.sb.org.zones.values()].find((z) => z.name === name)!.id;

const STEPS: Step[] = [
  { command: 'test-module', args: () => ({}), check: (e) => expect(e[0]!.HumanReadable).toMatch(/^ok\n/) },
  { command: 'okta-get-user', args: () => ({ username: 'alice@example.com', verbose: 'true' }), check: (e) => expect(ctx<{ DisplayName: string }>(e, 'Account').DisplayName).toBe('Alice Example') },
  { command: 'okta-list-users', args: () => ({ limit: '5', filter: 'status eq "ACTIVE"' }), check: (e) => expect(list(ctx(e, 'Account'))).toHaveLength(5) },
  { command: 'okta-search', args: () => ({ term: 'alice' }), check: (e) => expect(JSON.stringify(ctx(e, 'Account'))).toContain('alice@example.com') },
  { command: 'okta-list-user-roles', args: () => ({ username: 'alice@example.com' }), check: (e) => expect(JSON.stringify(e[0]!.Contents)).toContain('ORG_ADMIN') },
  { command: 'okta-get-user-factors', args: () => ({ username: 'alice@example.com' }), check: (e) => expect(JSON.stringify(e[0]!.Contents)).toContain('push') },
  { command: 'okta-get-groups', args: () => ({ username: 'alice@example.com' }), check: (e) => expect(JSON.stringify(e[0]!.Contents)).toContain('VPN Users') },
  { command: 'okta-list-groups', args: () => ({ query: 'Engineering' }), check: (e) => expect(list(ctx(e, 'Okta.Group')).length).toBeGreaterThanOrEqual(3) },
  { command: 'okta-get-group-members', args: () => ({ groupName: 'Engineering', limit: '5' }) },
  { command: 'okta-list-apps', args: () => ({ limit: '50' }), check: (e) => expect(JSON.stringify(e[0]!.Contents)).toContain('Slack') },
  { command: 'okta-list-app-users', args: () => ({ appName: 'Slack', limit: '5' }) },
  { command: 'okta-list-zones', args: () => ({}) , check: (e) => expect(JSON.stringify(e[0]!.Contents)).toContain('Corporate HQ') },
  { command: 'okta-get-zone', args: (s) => ({ zoneID: zoneIdByName(s, 'Corporate HQ') }) },
  { command: 'okta-get-logs', args: () => ({ limit: '5', since: '7 days' }) },
  { command: 'okta-get-failed-logins', args: () => ({ limit: '5', since: '30 days' }) },
  { command: 'okta-get-group-assignments', args: () => ({ limit: '5', since: '30 days' }) },
  { command: 'okta-get-application-assignments', args: () => ({ limit: '5', since: '30 days' }) },
  { command: 'okta-get-application-authentication', args: () => ({ limit: '5', since: '30 days' }) },
  {
    command: 'okta-create-user',
    args: (s) => ({ firstName: 'Eve', lastName: 'Tester', email: s.login, login: s.login, password: 'Corr3ct-H0rse-Battery!', activate: 'true', profile: '{"department":"SOC"}' }),
    check: (e, s) => expect(ctx<{ Username: string }>(e, 'Account').Username).toBe(s.login),
  },
  { command: 'okta-update-user', args: (s) => ({ username: s.login, title: 'Analyst' }) },
  { command: 'okta-suspend-user', args: (s) => ({ username: s.login }), check: (_e, s) => expect(s.sb.org.findUser(s.login)!.status).toBe('SUSPENDED') },
  { command: 'okta-unsuspend-user', args: (s) => ({ username: s.login }), check: (_e, s) => expect(s.sb.org.findUser(s.login)!.status).toBe('ACTIVE') },
  { command: 'okta-unlock-user', args: () => ({ username: 'dave@example.com' }) },
  { command: 'okta-activate-user', args: () => ({ username: 'erin@example.com' }) },
  { command: 'okta-clear-user-sessions', args: (s) => ({ username: s.login }) },
  { command: 'okta-set-password', args: (s) => ({ username: s.login, password: 'An0ther-G00d-Passw0rd!' }) },
  { command: 'okta-expire-password', args: (s) => ({ username: s.login, temporary_password: 'true' }), check: (e) => expect(JSON.stringify(e)).not.toMatch(/"tempPassword":"(?!Output removed)[^"]{6,}/) },
  { command: 'okta-reset-password', args: () => ({ username: 'grace@example.com', sendEmail: 'false' }) },
  { command: 'okta-reset-factor', args: (s) => ({ username: 'alice@example.com', factorId: factorId(s, 'alice@example.com', 'sms') }) },
  { command: 'okta-reset-factors', args: () => ({ username: 'heidi@example.com' }) },
  {
    command: 'okta-verify-push-factor',
    args: (s) => ({ username: 'alice@example.com', factorId: factorId(s, 'alice@example.com', 'push'), polling_time: '1', max_polling_calls: '5' }),
    check: (e) => expect(JSON.stringify(e)).toContain('SUCCESS'),
  },
  {
    command: 'okta-verify-push-factor',
    args: (s) => ({ username: 'bob@example.com', factorId: factorId(s, 'bob@example.com', 'push'), polling: 'false' }),
    check: (e, s) => {
      s.pollingUrl = ctx<string>(e, 'Okta.PollingStatusURL');
    },
  },
  { command: 'okta-verify-mfa-status', args: (s) => ({ polling_url: s.pollingUrl }) },
  { command: 'okta-create-group', args: (s) => ({ name: s.group, description: 'created by the end-to-end test' }), check: (e, s) => expect(ctx<{ Name: string }>(e, 'OktaGroup').Name).toBe(s.group) },
  { command: 'okta-update-group', args: (s) => ({ groupName: s.group, description: 'quarantine' }) },
  { command: 'okta-add-to-group', args: (s) => ({ groupName: s.group, username: s.login }) },
  { command: 'okta-remove-from-group', args: (s) => ({ groupName: s.group, username: s.login }) },
  { command: 'okta-assign-group-to-app', args: (s) => ({ groupName: s.group, appName: 'Zoom' }) },
  { command: 'okta-assign-user-to-app', args: (s) => ({ username: s.login, appName: 'Slack' }) },
  { command: 'okta-unassign-user-from-app', args: (s) => ({ username: s.login, appName: 'Slack' }) },
  { command: 'okta-delete-group', args: (s) => ({ groupName: s.group }) },
  {
    command: 'okta-create-zone',
    args: (s) => ({ name: `Block ${s.mode}`, gateway_ips: '192.0.2.66,2001:db8::1', usage: 'BLOCKLIST' }),
    check: (e, s) => {
      const z = ctx<{ id: string; gateways: Array<{ value: string }> }>(e, 'Okta.Zone');
      s.zoneId = z.id;
      expect(z.gateways.map((g) => g.value)).toEqual(['192.0.2.66/32', '2001:db8::1/128']);
    },
  },
  { command: 'okta-update-zone', args: (s) => ({ zoneID: s.zoneId, gatewayIPs: '192.0.2.67', updateType: 'APPEND' }) },
  { command: 'okta-deactivate-zone', args: (s) => ({ zoneID: s.zoneId }) },
  { command: 'okta-activate-zone', args: (s) => ({ zoneID: s.zoneId }) },
  { command: 'okta-deactivate-zone', args: (s) => ({ zoneID: s.zoneId }) },
  { command: 'okta-delete-zone', args: (s) => ({ zoneID: s.zoneId }) },
  { command: 'okta-deactivate-user', args: (s) => ({ username: s.login }) },
  { command: 'okta-delete-user', args: (s) => ({ username: s.login }), check: (_e, s) => expect(s.sb.org.findUser(s.login)).toBeUndefined() },
  { command: 'okta-auth-reset', args: () => ({}) },
];

test('the steps exercise every command of the manifest', () => {
  // The incident-response commands are swept by response-commands.e2e.test.ts.
  const exercised = new Set([...STEPS.map((s) => s.command), ...RESPONSE_COMMANDS]);
  expect([...loadManifest().commands.keys()].filter((c) => !exercised.has(c))).toEqual([]);
});

describe.each<[AuthMode, boolean]>([
  ['ssws', false],
  ['oauth', false],
  ['dpop', true],
])('every command against the sandbox org with %s', (mode, dpop) => {
  let state: State;
  const store = new MemoryStore();
  beforeAll(async () => {
    const sb = await startSandbox({ users: 60, logEvents: 2000, dpop, quiet: true });
    state = { sb, mode, login: `eve.${mode}@example.com`, group: `Quarantine-${mode}` };
  });
  afterAll(() => state?.sb.close());

  test.each(STEPS.map((s, i) => [`${String(i + 1).padStart(2, '0')} ${s.command}`, s] as const))('%s', async (_name, step) => {
    const { entries, exitCode } = await dispatch(step.command, step.args(state), sandboxParams(state.sb, mode), { state: store });
    if (exitCode !== 0) throw new Error(`${step.command} failed: ${entries.map((e) => e.HumanReadable).join(' | ')}`);
    step.check?.(entries, state);
  });

  if (dpop) test('tokens were DPoP-bound', () => expect(state.sb.stats.oauth.tokensMinted).toBeGreaterThanOrEqual(1));
});
