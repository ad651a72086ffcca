/**
 * Every incident-response command (issue 17) against the sandbox org, with SSWS, OAuth (Bearer)
 * and OAuth + DPoP: the steps of response-steps.ts in order, dry runs and self-lockout refusals
 * included; then fetch-incidents sees every change in the System Log. The sandbox records each
 * exchange for the conformance check against Okta's OpenAPI spec.
 */
import { dispatch } from '../../entry/index.js';
import { fetchIncidents } from '../../integration/fetch/index.js';
import { everyEventRuleFile } from '../helpers/every-event-rule.js';
import { createTransport } from '../../integration/okta/transport.js';
import type { Transport } from '../../integration/okta/types.js';
import { MemoryStore } from '../../integration/state/store.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxParams, SCOPES, type AuthMode } from './helpers.js';
import { ALL_SCOPES, RESPONSE_EVENT_TYPES, RESPONSE_SCOPES, RESPONSE_STEPS, type ResponseState } from './response-steps.js';

describe.each<[AuthMode, boolean]>([
  ['ssws', false],
  ['oauth', false],
  ['dpop', true],
])('incident-response commands against the sandbox org with %s', (mode, dpop) => {
  let state: ResponseState;
  const store = new MemoryStore();
  const params = () => sandboxParams(state.sb, mode, mode === 'ssws' ? {} : { scopes: ALL_SCOPES.join(' ') });
  beforeAll(async () => {
    const sb = await startSandbox({ users: 40, logEvents: 500, dpop, quiet: true, grantedScopes: ALL_SCOPES });
    state = { sb, mode };
  });
  afterAll(() => state?.sb.close());

  test.each(RESPONSE_STEPS.map((s, i) => [`${String(i + 1).padStart(2, '0')} ${s.command}`, s] as const))('%s', async (_name, step) => {
    const { entries, exitCode } = await dispatch(step.command, step.args(state), params(), { state: store });
    const want = step.exit?.(mode) ?? 0;
    if (exitCode !== want) throw new Error(`${step.command} exited ${exitCode}, not ${want}: ${entries.map((e) => e.HumanReadable ?? e.Contents).join(' | ')}`);
    step.check?.(entries, state);
  });

  test('fetch-incidents sees every change the commands made, under Okta event types', async () => {
    const filter = RESPONSE_EVENT_TYPES.map((t) => `eventType eq "${t}"`).join(' or ');
    // Every event of these types (a rule that matches every event), not only what the default rules raise.
    const { incidents } = await fetchIncidents({ ...params(), fetch_query_filter: filter, fetch_rules: everyEventRuleFile(), first_fetch: '1 hour' }, undefined, { state: store });
    const types = new Set(incidents.map((i) => (JSON.parse(i.rawJSON) as { eventType: string }).eventType));
    expect([...types].sort()).toEqual([...RESPONSE_EVENT_TYPES].sort());
    const actor = (JSON.parse(incidents[0]!.rawJSON) as { actor: { type: string } }).actor.type;
    expect(actor).toBe(mode === 'ssws' ? 'User' : 'PublicClientApp');
  });

  if (dpop) test('tokens were DPoP-bound', () => expect(state.sb.stats.oauth.tokensMinted).toBeGreaterThanOrEqual(1));
});

describe('least privilege: the new scopes are asked for only when configured', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 12, logEvents: 0, quiet: true, grantedScopes: ALL_SCOPES });
  });
  afterAll(() => sb.close());

  /** A command of each new manage scope, with arguments that would pass validation. */
  const BY_SCOPE: Record<string, [string, Record<string, string>]> = {
    'okta.apiTokens.manage': ['okta-revoke-api-token', { tokenId: '00T1234567890abcdefg' }],
    'okta.roles.manage': ['okta-remove-user-role', { username: 'mallory@example.com', roleType: 'SUPER_ADMIN' }],
    'okta.idps.manage': ['okta-deactivate-idp', { idpName: 'Partner Federation' }],
    'okta.userRisk.manage': ['okta-set-user-risk', { username: 'mallory@example.com', riskLevel: 'HIGH' }],
    'okta.universalLogout.manage': ['okta-universal-logout', { username: 'mallory@example.com' }],
    'okta.devices.manage': ['okta-suspend-device', { deviceId: 'guo1234567890abcdefg' }],
    'okta.policies.manage': ['okta-deactivate-policy-rule', { policyName: 'Contractors', ruleName: 'Temporary access - no MFA' }],
  };

  test('every new scope has a command here', () => expect(Object.keys(BY_SCOPE).sort()).toEqual([...RESPONSE_SCOPES].sort()));

  test.each(Object.entries(BY_SCOPE))('a command needing %s fails before any request when OKTA_SCOPES leaves it out', async (scope, [name, args]) => {
    const before = sb.stats.requests;
    const { entries, exitCode } = await dispatch(name, args, sandboxParams(sb, 'oauth', { scopes: SCOPES }), { state: new MemoryStore() });
    expect(exitCode).toBe(1);
    expect(String(entries[0]!.Contents)).toContain(`needs the Okta API scope ${scope}`);
    expect(sb.stats.requests).toBe(before);
  });

  test('with the default scopes, the token request names none of the new ones', async () => {
    const bodies: string[] = [];
    const real = createTransport({ proxy: false, insecure: false });
    const transport: Transport = (req) => {
      if (req.url.endsWith('/oauth2/v1/token')) bodies.push(req.data ?? '');
      return real(req);
    };
    try {
      const { exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, { url: sb.url, client_id: sb.clientId, private_key: sb.privateKeyPem, key_id: sb.keyId }, { state: new MemoryStore(), transport });
      expect(exitCode).toBe(0);
    } finally {
      real.close();
    }
    const requested = new URLSearchParams(bodies[0]!).get('scope')!.split(' ');
    expect(requested).toHaveLength(11);
    for (const s of RESPONSE_SCOPES) expect(requested).not.toContain(s);
  });
});
