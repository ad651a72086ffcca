/**
 * The incident-response commands (issue 17) as a responder runs them against the sandbox org's
 * story (mallory's account taken over): look, contain with a dry run first, contain, and try
 * each self-lockout. Shared by response-commands.e2e.test.ts (which runs them with SSWS, OAuth
 * and OAuth + DPoP) and commands.e2e.test.ts (which checks every command is exercised somewhere).
 */
import type { Entry } from '../../integration/engine/types.js';
import type { Sandbox } from '../../sandbox/index.js';
import { SCOPE_LIST, type AuthMode } from './helpers.js';

/** The scopes the new commands need, beyond the sandbox's default grants. */
export const RESPONSE_SCOPES = [
  'okta.apiTokens.manage',
  'okta.roles.manage',
  'okta.idps.manage',
  'okta.userRisk.manage',
  'okta.universalLogout.manage',
  'okta.devices.manage',
  'okta.policies.manage',
];

export const ALL_SCOPES = [...SCOPE_LIST, ...RESPONSE_SCOPES];

export interface ResponseState {
  sb: Sandbox;
  mode: AuthMode;
  deviceId?: string;
}

export interface ResponseStep {
  command: string;
  args: (s: ResponseState) => Record<string, unknown>;
  /** Exit status expected (default 0), per auth mode where it differs. */
  exit?: (mode: AuthMode) => 0 | 1;
  check?: (entries: Entry[], s: ResponseState) => void;
}

/** The first context value whose key starts with `path`. */
export function ctx<T = unknown>(entries: Entry[], path: string): T {
  for (const e of entries) for (const [k, v] of Object.entries(e.EntryContext ?? {})) if (k === path || k.startsWith(`${path}(`)) return v as T;
  throw new Error(`no context ${path} in ${JSON.stringify(entries).slice(0, 400)}`);
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const text = (entries: Entry[]) => entries.map((e) => String(e.HumanReadable ?? e.Contents)).join('\n');
const plan = (entries: Entry[]) => (entries[0]!.Contents as { dryRun: boolean; requests: Array<{ method: string; path: string }> }).requests.map((r) => `${r.method} ${r.path}`);
const oauth = (m: AuthMode) => m !== 'ssws';
const tokenOf = (s: ResponseState, name: string) => [...s.sb.org.security.apiTokens.values()].find((t) => t.name === name);
const deviceStatus = (s: ResponseState) => s.sb.org.security.devices.get(s.deviceId!)!.status;
const rule = (s: ResponseState, name: string) => [...s.sb.org.security.rules.values()].flat().find((r) => r.name === name)!;
const roleTypes = (s: ResponseState, login: string) => s.sb.org.userRoles(login).map((r) => `${r.type}/${r.assignmentType}`);

export const RESPONSE_STEPS: ResponseStep[] = [
  // API tokens
  {
    command: 'okta-list-api-tokens',
    args: () => ({}),
    check: (e, s) => {
      const rows = list(ctx<Array<{ Name: string; Username: string; UsedByOktaSoar?: boolean }>>(e, 'Okta.ApiToken'));
      expect(rows.map((r) => `${r.Name}/${r.Username}`)).toEqual(['okta-soar sandbox/admin@example.com', 'Terraform CI/alice@example.com', 'backup-sync/mallory@example.com']);
      // Only an SSWS configuration has an API token of its own.
      expect(rows.filter((r) => r.UsedByOktaSoar).map((r) => r.Name)).toEqual(s.mode === 'ssws' ? ['okta-soar sandbox'] : []);
    },
  },
  {
    command: 'okta-revoke-api-token',
    args: () => ({ username: 'mallory@example.com', dry_run: 'true' }),
    check: (e, s) => {
      expect(plan(e)).toEqual([`DELETE /api/v1/api-tokens/${tokenOf(s, 'backup-sync')!.id}`]);
      expect(tokenOf(s, 'backup-sync')).toBeDefined();
    },
  },
  { command: 'okta-revoke-api-token', args: () => ({ username: 'mallory@example.com' }), check: (e, s) => expect([text(e), tokenOf(s, 'backup-sync')]).toEqual([expect.stringContaining('|backup-sync|mallory@example.com|'), undefined]) },
  {
    // The token the sandbox's SSWS configuration uses: refused there; under OAuth okta-soar uses none (dry run: nothing revoked).
    command: 'okta-revoke-api-token',
    args: (s) => ({ tokenId: s.sb.org.security.selfTokenId, dry_run: 'true' }),
    exit: (m) => (m === 'ssws' ? 1 : 0),
    check: (e, s) => {
      if (s.mode === 'ssws') expect(text(e)).toMatch(/refused, nothing was revoked: API token 00T\w+ is the one okta-soar itself uses/);
      else expect(plan(e)).toEqual([`DELETE /api/v1/api-tokens/${s.sb.org.security.selfTokenId}`]);
      expect(s.sb.org.security.selfTokenRevoked).toBe(false);
    },
  },
  { command: 'okta-revoke-api-token', args: () => ({ tokenId: '00Tnotatoken0000000' }), exit: () => 1, check: (e) => expect(text(e)).toMatch(/API token 00Tnotatoken0000000 was not found in Okta/) },
  // admin roles
  { command: 'okta-list-group-roles', args: () => ({ groupName: 'Security-Admins' }), check: (e) => expect(ctx<{ Role: Array<{ Type: string }> }>(e, 'Okta.Group').Role.map((r) => r.Type)).toEqual(['SUPER_ADMIN']) },
  {
    command: 'okta-remove-user-role',
    args: () => ({ username: 'mallory@example.com', roleType: 'SUPER_ADMIN', dry_run: 'true' }),
    check: (e, s) => {
      expect(plan(e)).toEqual([expect.stringMatching(new RegExp(`^DELETE /api/v1/users/${s.sb.org.findUser('mallory@example.com')!.id}/roles/ra1\\w+$`))]);
      expect(roleTypes(s, 'mallory@example.com')).toEqual(['SUPER_ADMIN/USER']);
    },
  },
  { command: 'okta-remove-user-role', args: () => ({ username: 'mallory@example.com', roleType: 'SUPER_ADMIN' }), check: (_e, s) => expect(roleTypes(s, 'mallory@example.com')).toEqual([]) },
  { command: 'okta-remove-user-role', args: () => ({ username: 'mallory@example.com', roleType: 'NOT_A_ROLE' }), exit: () => 1, check: (e) => expect(text(e)).toMatch(/roleType/) },
  { command: 'okta-remove-group-role', args: () => ({ groupName: 'HR', roleType: 'HELP_DESK_ADMIN' }), check: (e) => expect(list(ctx<Array<{ Result: string }>>(e, 'Okta.RoleRemoval')).map((r) => r.Result)).toEqual(['removed']) },
  {
    // admin@example.com keeps Super Administrator through Security-Admins: said, and exit 1 (not contained).
    command: 'okta-remove-user-role',
    args: () => ({ username: 'admin@example.com', roleType: 'SUPER_ADMIN' }),
    exit: () => 1,
    check: (e, s) => {
      expect(text(e)).toMatch(/removed the direct assignment; still SUPER_ADMIN through group/);
      expect(roleTypes(s, 'admin@example.com')).toEqual(['SUPER_ADMIN/GROUP']);
    },
  },
  {
    // Now the group's assignment is the org's last Super Administrator: refused before any change.
    command: 'okta-remove-group-role',
    args: () => ({ groupName: 'Security-Admins', roleType: 'SUPER_ADMIN' }),
    exit: () => 1,
    check: (e, s) => {
      expect(text(e)).toMatch(/refused, nothing was removed: this would leave the org without a Super Administrator who can sign in \(today: admin@example.com\)/);
      expect(roleTypes(s, 'admin@example.com')).toEqual(['SUPER_ADMIN/GROUP']);
    },
  },
  // identity providers
  { command: 'okta-list-idps', args: () => ({ type: 'OIDC' }), check: (e) => expect(list(ctx<Array<{ Name: string; AccountLink: string }>>(e, 'Okta.IdP')).map((i) => `${i.Name}/${i.AccountLink}`)).toEqual(['Partner Federation/AUTO']) },
  { command: 'okta-deactivate-idp', args: () => ({ idpName: 'Partner Federation', dry_run: 'true' }), check: (e) => expect(plan(e)).toEqual([expect.stringMatching(/^POST \/api\/v1\/idps\/0oa\w+\/lifecycle\/deactivate$/)]) },
  { command: 'okta-deactivate-idp', args: () => ({ idpName: 'Partner Federation' }), check: (e) => expect(ctx<{ Status: string }>(e, 'Okta.IdP').Status).toBe('INACTIVE') },
  { command: 'okta-deactivate-idp', args: () => ({ idpName: 'Corporate AD FS Stag' }), exit: () => 1, check: (e) => expect(text(e)).toMatch(/"Corporate AD FS Stag" was not found/) },
  // Identity Threat Protection
  { command: 'okta-get-user-risk', args: () => ({ username: 'mallory@example.com,carol@example.com' }), check: (e) => expect(list(ctx<Array<{ RiskLevel: string }>>(e, 'Okta.UserRisk')).map((r) => r.RiskLevel)).toEqual(['HIGH', 'NONE']) },
  { command: 'okta-set-user-risk', args: () => ({ username: 'carol@example.com', riskLevel: 'HIGH', dry_run: 'true' }), check: (e) => expect(plan(e)).toEqual([expect.stringMatching(/^PUT \/api\/v1\/users\/00u\w+\/risk$/)]) },
  { command: 'okta-set-user-risk', args: () => ({ username: 'carol@example.com', riskLevel: 'HIGH', riskReason: 'Phishing report, case 42' }), check: (_e, s) => expect(s.sb.org.security.risk.get(s.sb.org.findUser('carol@example.com')!.id)).toEqual({ riskLevel: 'HIGH', reason: 'Phishing report, case 42' }) },
  { command: 'okta-universal-logout', args: () => ({ username: 'mallory@example.com', dry_run: 'true' }), check: (e) => expect(plan(e)).toEqual(['POST /oauth2/v1/global-token-revocation']) },
  { command: 'okta-universal-logout', args: () => ({ username: 'mallory@example.com' }), check: (_e, s) => expect(s.sb.org.security.universalLogouts.get(s.sb.org.findUser('mallory@example.com')!.id)).toBe(1) },
  // devices
  {
    command: 'okta-list-user-devices',
    args: () => ({ username: 'mallory@example.com' }),
    check: (e, s) => {
      const rows = list(ctx<Array<{ ID: string; Name: string; Managed: boolean }>>(e, 'Okta.Device'));
      expect(rows.map((d) => `${d.Name}/${d.Managed}`)).toEqual(["Mallory's ThinkPad/true", 'DESKTOP-7F3K2QA/false']);
      s.deviceId = rows[1]!.ID;
    },
  },
  { command: 'okta-suspend-device', args: (s) => ({ deviceId: s.deviceId, dry_run: 'true' }), check: (e, s) => expect([plan(e), deviceStatus(s)]).toEqual([[`POST /api/v1/devices/${s.deviceId}/lifecycle/suspend`], 'ACTIVE']) },
  { command: 'okta-suspend-device', args: (s) => ({ deviceId: s.deviceId }), check: (_e, s) => expect(deviceStatus(s)).toBe('SUSPENDED') },
  { command: 'okta-deactivate-device', args: (s) => ({ deviceId: s.deviceId }), check: (_e, s) => expect(deviceStatus(s)).toBe('DEACTIVATED') },
  { command: 'okta-deactivate-device', args: (s) => ({ deviceId: s.deviceId }), exit: () => 1, check: (e) => expect(text(e)).toMatch(/already DEACTIVATED/) },
  // OAuth grants and clients of a user
  { command: 'okta-list-user-grants', args: () => ({ username: 'mallory@example.com' }), check: (e) => expect(list(ctx<Array<{ Client: string }>>(e, 'Okta.Grant')).filter((g) => g.Client === 'Mail Sync Pro')).toHaveLength(5) },
  { command: 'okta-list-user-clients', args: () => ({ username: 'mallory@example.com' }), check: (e) => expect(list(ctx<Array<{ ClientName: string }>>(e, 'Okta.UserClient')).map((c) => c.ClientName)).toEqual(['Slack Desktop', 'Mail Sync Pro']) },
  { command: 'okta-revoke-user-client-tokens', args: () => ({ username: 'alice@example.com', clientName: 'GitHub CLI', dry_run: 'true' }), check: (e) => expect(plan(e)).toEqual([expect.stringMatching(/^DELETE \/api\/v1\/users\/00u\w+\/clients\/0oa\w+\/tokens$/)]) },
  { command: 'okta-revoke-user-client-tokens', args: () => ({ username: 'alice@example.com', clientName: 'GitHub CLI' }), check: (e) => expect(text(e)).toMatch(/tokens of "GitHub CLI" \(0oa\w+\) revoked/) },
  { command: 'okta-revoke-user-grants', args: () => ({ username: 'mallory@example.com' }), check: (_e, s) => expect(s.sb.org.security.grants.get(s.sb.org.findUser('mallory@example.com')!.id)).toBeUndefined() },
  { command: 'okta-get-user-app-links', args: () => ({ username: 'mallory@example.com' }), check: (e) => expect(list(ctx<Array<{ Label: string }>>(e, 'Okta.AppLink')).map((l) => l.Label)).toContain('Slack') },
  // applications
  { command: 'okta-deactivate-app', args: () => ({ appName: 'Zoom', dry_run: 'true' }), check: (e) => expect(plan(e)).toEqual([expect.stringMatching(/^POST \/api\/v1\/apps\/0oa\w+\/lifecycle\/deactivate$/)]) },
  { command: 'okta-deactivate-app', args: () => ({ appName: 'Zoom' }), check: (e) => expect(ctx<{ Status: string }>(e, 'Okta.Application').Status).toBe('INACTIVE') },
  { command: 'okta-activate-app', args: () => ({ appName: 'Zoom' }), check: (e) => expect(ctx<{ Status: string }>(e, 'Okta.Application').Status).toBe('ACTIVE') },
  {
    // The app okta-soar signs in with: refused under OAuth, even as a dry run; with SSWS it is just an app.
    command: 'okta-deactivate-app',
    args: (s) => ({ appId: s.sb.clientId, dry_run: 'true' }),
    exit: (m) => (oauth(m) ? 1 : 0),
    check: (e, s) => {
      if (oauth(s.mode)) expect(text(e)).toMatch(/refused: "okta-soar sandbox service app" \(0oa\w+\) is the app okta-soar signs in with/);
      else expect(plan(e)).toEqual([`POST /api/v1/apps/${s.sb.clientId}/lifecycle/deactivate`]);
      expect(s.sb.org.apps.get(s.sb.clientId)!.status).toBe('ACTIVE');
    },
  },
  { command: 'okta-deactivate-app', args: () => ({ appName: 'Okta Admin Console' }), exit: () => 1, check: (e) => expect(text(e)).toMatch(/one of Okta's own apps \(saasure\)/) },
  // policies
  { command: 'okta-list-policies', args: () => ({ type: 'OKTA_SIGN_ON' }), check: (e) => expect(list(ctx<Array<{ Name: string }>>(e, 'Okta.Policy')).map((p) => p.Name)).toEqual(['Contractors', 'Default Policy']) },
  { command: 'okta-list-policy-rules', args: () => ({ policyName: 'Contractors' }), check: (e) => expect(list(ctx<Array<{ Name: string; MFA: string }>>(e, 'Okta.PolicyRule'))[0]).toMatchObject({ Name: 'Temporary access - no MFA', MFA: 'not required' }) },
  {
    command: 'okta-deactivate-policy-rule',
    args: () => ({ policyName: 'Contractors', ruleName: 'Temporary access - no MFA', dry_run: 'true' }),
    check: (e, s) => expect([plan(e), rule(s, 'Temporary access - no MFA').status]).toEqual([[expect.stringMatching(/\/rules\/0pr\w+\/lifecycle\/deactivate$/)], 'ACTIVE']),
  },
  { command: 'okta-deactivate-policy-rule', args: () => ({ policyName: 'Contractors', ruleName: 'Temporary access - no MFA' }), check: (_e, s) => expect(rule(s, 'Temporary access - no MFA').status).toBe('INACTIVE') },
  { command: 'okta-deactivate-policy-rule', args: () => ({ policyName: 'Default Policy', ruleName: 'Default Rule' }), exit: () => 1, check: (e) => expect(text(e)).toMatch(/is the policy's default rule/) },
];

/** The System Log event types the steps above cause (fetch-incidents must see each). */
export const RESPONSE_EVENT_TYPES = [
  'system.api_token.revoke',
  'user.account.privilege.revoke',
  'group.privilege.revoke',
  'system.idp.lifecycle.deactivate',
  'user.risk.change',
  'user.authentication.universal_logout',
  'device.lifecycle.suspend',
  'device.lifecycle.deactivate',
  'app.oauth2.as.token.revoke',
  'app.oauth2.as.consent.revoke',
  'application.lifecycle.deactivate',
  'application.lifecycle.activate',
  'policy.rule.deactivate',
];

export const RESPONSE_COMMANDS = [...new Set(RESPONSE_STEPS.map((s) => s.command))];
