/**
 * The sandbox org's security objects, the ones incident response acts on: API tokens, group admin
 * roles, identity providers, devices, OAuth clients with their grants and tokens, policies with
 * rules, user risk. Okta's rules for changing them live here; every change appends the System Log
 * event Okta writes for it (so fetch-incidents sees it). The HTTP layer is routes-security.ts.
 */
import { notFound, oktaError, validationFailed } from './errors.js';
import type { SandboxRole, SandboxUser } from './model.js';
import { Rng } from './random.js';
import { appTarget, groupTarget, userTarget, type ActionContext, type LogTarget } from './seed-logs.js';
import { seedSecurity } from './seed-security.js';
import {
  RISK_LEVELS,
  type DeviceEnrollment,
  type DeviceStatus,
  type SandboxApiToken,
  type SandboxDevice,
  type SandboxGrant,
  type SandboxIdp,
  type SandboxOAuthClient,
  type SandboxPolicy,
  type SandboxPolicyRule,
  type SandboxUserRisk,
  type SecurityHost,
} from './security-types.js';

export * from './security-types.js';

/** Okta's pattern for a risk reason (UserRiskRequest.riskReason). */
const RISK_REASON = /^[a-zA-Z0-9\s\-,.]*$/;

/** Statuses in which a user can still sign in and administer the org. */
const CAN_SIGN_IN = new Set(['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class SandboxSecurity {
  readonly apiTokens = new Map<string, SandboxApiToken>();
  /** The API token the sandbox's fixed SSWS token is (listed like any other). */
  readonly selfTokenId: string;
  /** Set once that token is revoked: SSWS requests then answer 401, as Okta does. */
  selfTokenRevoked = false;
  readonly groupRoles = new Map<string, SandboxRole[]>();
  readonly idps = new Map<string, SandboxIdp>();
  readonly devices = new Map<string, SandboxDevice>();
  readonly enrollments = new Map<string, DeviceEnrollment[]>();
  readonly clients = new Map<string, SandboxOAuthClient>();
  /** userId → grants, in creation order. */
  readonly grants = new Map<string, SandboxGrant[]>();
  readonly tokens = new Map<string, Map<string, number>>();
  readonly policies = new Map<string, SandboxPolicy>();
  readonly rules = new Map<string, SandboxPolicyRule[]>();
  readonly risk = new Map<string, SandboxUserRisk>();
  /** Universal Logouts per user (observable by tests). */
  readonly universalLogouts = new Map<string, number>();
  private readonly rng: Rng;
  /** Creation positions, so paging cursors survive deletions. */
  private readonly ordinal = new Map<string, number>();

  constructor(
    private readonly org: SecurityHost,
    seed: number,
    clientId: string,
  ) {
    this.rng = new Rng(seed, 'security-runtime');
    const s = seedSecurity(seed, org, clientId, org.now());
    org.addApp(s.serviceApp);
    for (const t of s.apiTokens) this.apiTokens.set(this.register(t.id), t);
    this.selfTokenId = s.selfTokenId;
    for (const [uid, roles] of s.userRoles) org.roles.set(uid, [...(org.roles.get(uid) ?? []), ...roles]);
    for (const [gid, roles] of s.groupRoles) this.groupRoles.set(gid, roles);
    for (const i of s.idps) this.idps.set(this.register(i.id), i);
    for (const d of s.devices) this.devices.set(this.register(d.id), d);
    for (const [k, v] of s.enrollments) this.enrollments.set(k, v);
    for (const c of s.clients) this.clients.set(c.client_id, c);
    for (const g of s.grants) {
      this.register(g.id);
      this.grants.set(g.userId, [...(this.grants.get(g.userId) ?? []), g]);
    }
    for (const [k, v] of s.tokens) this.tokens.set(k, v);
    for (const p of s.policies) this.policies.set(this.register(p.id), p);
    for (const r of s.rules) this.rules.set(r.policyId, [...(this.rules.get(r.policyId) ?? []), r]);
    for (const [k, v] of s.risk) this.risk.set(k, v);
  }

  private register(id: string): string {
    if (!this.ordinal.has(id)) this.ordinal.set(id, this.ordinal.size);
    return id;
  }

  ordinalOf(id: string): number | undefined {
    return this.ordinal.get(id);
  }

  // ---------------------------------------------------------------- test helpers

  /** Adds an API token for a user (id or login), as if they created it now (no event). */
  addApiToken(userIdOrLogin: string, name: string): SandboxApiToken {
    const u = this.org.requireUser(userIdOrLogin);
    const now = this.org.now();
    const t: SandboxApiToken = {
      id: this.rng.oktaId('00T'),
      name,
      userId: u.id,
      clientName: 'Okta API',
      created: iso(now),
      lastUpdated: iso(now),
      expiresAt: iso(now + 30 * 86_400_000),
      tokenWindow: 'P30D',
      network: { connection: 'ANYWHERE' },
    };
    this.apiTokens.set(this.register(t.id), t);
    return t;
  }

  /** Assigns a standard admin role to a group (no event). */
  assignGroupRole(groupId: string, type: string, label = type): SandboxRole {
    this.org.requireGroup(groupId);
    const now = iso(this.org.now());
    const role: SandboxRole = { id: this.rng.oktaId('irb'), label, type, status: 'ACTIVE', created: now, lastUpdated: now, assignmentType: 'GROUP', groupId };
    this.groupRoles.set(groupId, [...(this.groupRoles.get(groupId) ?? []), role]);
    return role;
  }

  // ---------------------------------------------------------------- API tokens

  requireApiToken(id: string): SandboxApiToken {
    const t = this.apiTokens.get(id);
    if (!t) throw notFound(id, 'ApiToken');
    return t;
  }

  revokeApiToken(id: string, ctx: ActionContext): void {
    const t = this.requireApiToken(id);
    this.apiTokens.delete(id);
    if (id === this.selfTokenId) this.selfTokenRevoked = true;
    this.log(ctx, 'system.api_token.revoke', [{ id: t.id, type: 'Token', alternateId: 'unknown', displayName: t.name, detailEntry: null }]);
  }

  // ---------------------------------------------------------------- admin roles

  /** Roles a user has through groups (each with the group it comes from). */
  rolesThroughGroups(userId: string): SandboxRole[] {
    const out: SandboxRole[] = [];
    for (const [gid, roles] of this.groupRoles) if (this.org.groupMembers.get(gid)?.has(userId)) out.push(...roles);
    return out;
  }

  /** Users with an admin role, directly or through a group, in creation order. */
  usersWithRoles(): SandboxUser[] {
    const ids = new Set<string>();
    for (const [uid, roles] of this.org.roles) if (roles.length) ids.add(uid);
    for (const [gid, roles] of this.groupRoles) if (roles.length) for (const uid of this.org.groupMembers.get(gid) ?? []) ids.add(uid);
    return [...this.org.users.values()].filter((u) => ids.has(u.id));
  }

  /**
   * Okta keeps at least one Super Administrator who can sign in: a change that would leave none
   * is refused. `without` says which assignment the change removes (from one user, or from a group).
   */
  private keepLastSuperAdmin(without: { userId?: string; roleId: string }): void {
    for (const u of this.org.users.values()) {
      if (!CAN_SIGN_IN.has(u.status)) continue;
      const all = [...(this.org.roles.get(u.id) ?? []), ...this.rolesThroughGroups(u.id)];
      if (all.some((r) => r.type === 'SUPER_ADMIN' && !(r.id === without.roleId && (without.userId === undefined || without.userId === u.id)))) return;
    }
    throw oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', ['The last Super Administrator of the org cannot be removed.']);
  }

  unassignUserRole(userId: string, roleId: string, ctx: ActionContext): void {
    const u = this.org.requireUser(userId);
    const roles = this.org.roles.get(u.id) ?? [];
    const role = roles.find((r) => r.id === roleId);
    if (!role) throw notFound(roleId, 'RoleAssignment');
    if (role.type === 'SUPER_ADMIN') this.keepLastSuperAdmin({ userId: u.id, roleId });
    this.org.roles.set(
      u.id,
      roles.filter((r) => r.id !== roleId),
    );
    this.log(ctx, 'user.account.privilege.revoke', [userTarget(u)], { privilegeRevoked: role.label });
  }

  unassignGroupRole(groupId: string, roleId: string, ctx: ActionContext): void {
    const g = this.org.requireGroup(groupId);
    const roles = this.groupRoles.get(g.id) ?? [];
    const role = roles.find((r) => r.id === roleId);
    if (!role) throw notFound(roleId, 'RoleAssignment');
    if (role.type === 'SUPER_ADMIN') this.keepLastSuperAdmin({ roleId });
    this.groupRoles.set(
      g.id,
      roles.filter((r) => r.id !== roleId),
    );
    this.log(ctx, 'group.privilege.revoke', [groupTarget(g)], { privilegeRevoked: role.label });
  }

  // ---------------------------------------------------------------- identity providers

  requireIdp(id: string): SandboxIdp {
    const i = this.idps.get(id);
    if (!i) throw notFound(id, 'IdentityProvider');
    return i;
  }

  setIdpStatus(id: string, status: 'ACTIVE' | 'INACTIVE', ctx: ActionContext): SandboxIdp {
    const i = this.requireIdp(id);
    if (i.status === status) return i;
    i.status = status;
    i.lastUpdated = iso(this.org.now());
    this.log(ctx, status === 'ACTIVE' ? 'system.idp.lifecycle.activate' : 'system.idp.lifecycle.deactivate', [{ id: i.id, type: 'IdentityProvider', alternateId: 'unknown', displayName: i.name, detailEntry: null }]);
    return i;
  }

  // ---------------------------------------------------------------- devices

  requireDevice(id: string): SandboxDevice {
    const d = this.devices.get(id);
    if (!d) throw notFound(id, 'Device');
    return d;
  }

  userDevices(userId: string): { device: SandboxDevice; enrollment: DeviceEnrollment }[] {
    const u = this.org.requireUser(userId);
    return (this.enrollments.get(u.id) ?? []).map((enrollment) => ({ device: this.devices.get(enrollment.deviceId)!, enrollment })).filter((x) => x.device);
  }

  /** suspend (ACTIVE → SUSPENDED), unsuspend (SUSPENDED → ACTIVE), deactivate (ACTIVE or SUSPENDED → DEACTIVATED). */
  deviceLifecycle(id: string, op: 'suspend' | 'unsuspend' | 'deactivate', ctx: ActionContext): void {
    const d = this.requireDevice(id);
    const from: Record<typeof op, DeviceStatus[]> = { suspend: ['ACTIVE'], unsuspend: ['SUSPENDED'], deactivate: ['ACTIVE', 'SUSPENDED'] };
    if (!from[op].includes(d.status)) {
      throw validationFailed('status', [`Cannot ${op} a device that is ${d.status}: ${op} needs a device that is ${from[op].join(' or ')}.`]);
    }
    d.status = op === 'suspend' ? 'SUSPENDED' : op === 'unsuspend' ? 'ACTIVE' : 'DEACTIVATED';
    d.lastUpdated = iso(this.org.now());
    const owners = [...this.enrollments].filter(([, es]) => es.some((e) => e.deviceId === d.id)).map(([uid]) => this.org.users.get(uid)).filter((u): u is SandboxUser => !!u);
    this.log(ctx, `device.lifecycle.${op}`, [{ id: d.id, type: 'Device', alternateId: 'unknown', displayName: d.profile.displayName, detailEntry: null }, ...owners.map(userTarget)]);
  }

  // ---------------------------------------------------------------- OAuth grants, clients, tokens

  userGrants(userId: string): SandboxGrant[] {
    return this.grants.get(this.org.requireUser(userId).id) ?? [];
  }

  /** The clients a user has grants or tokens for, in the catalogue's order. */
  userClients(userId: string): SandboxOAuthClient[] {
    const u = this.org.requireUser(userId);
    const ids = new Set([...(this.grants.get(u.id) ?? []).map((g) => g.clientId), ...[...(this.tokens.get(u.id) ?? new Map<string, number>())].filter(([, n]) => n > 0).map(([c]) => c)]);
    return [...this.clients.values()].filter((c) => ids.has(c.client_id));
  }

  revokeUserGrants(userId: string, ctx: ActionContext): void {
    const u = this.org.requireUser(userId);
    const grants = this.grants.get(u.id) ?? [];
    this.grants.delete(u.id);
    for (const g of grants) this.log(ctx, 'app.oauth2.as.consent.revoke', [userTarget(u), this.clientTarget(g.clientId)], { scopeId: g.scopeId });
  }

  revokeUserClientTokens(userId: string, clientId: string, ctx: ActionContext): void {
    const u = this.org.requireUser(userId);
    if (!this.clients.has(clientId)) throw notFound(clientId, 'OAuth2Client');
    const n = this.tokens.get(u.id)?.get(clientId) ?? 0;
    this.tokens.get(u.id)?.delete(clientId);
    this.log(ctx, 'app.oauth2.as.token.revoke', [userTarget(u), this.clientTarget(clientId)], { refreshTokensRevoked: String(n) });
  }

  /** Universal Logout: every session and token of the user ends. */
  universalLogout(userId: string, ctx: ActionContext): void {
    const u = this.org.requireUser(userId);
    this.tokens.delete(u.id);
    this.org.sessionsCleared.set(u.id, (this.org.sessionsCleared.get(u.id) ?? 0) + 1);
    this.universalLogouts.set(u.id, (this.universalLogouts.get(u.id) ?? 0) + 1);
    this.log(ctx, 'user.authentication.universal_logout', [userTarget(u)]);
  }

  private clientTarget(clientId: string): LogTarget {
    const app = this.org.apps.get(clientId);
    if (app) return appTarget(app);
    const c = this.clients.get(clientId);
    return { id: clientId, type: 'AppInstance', alternateId: c?.client_name ?? 'unknown', displayName: c?.client_name ?? clientId, detailEntry: null };
  }

  // ---------------------------------------------------------------- applications

  setAppStatus(appId: string, status: 'ACTIVE' | 'INACTIVE', ctx: ActionContext): void {
    const app = this.org.requireApp(appId);
    if (app.status === status) return;
    app.status = status;
    app.lastUpdated = iso(this.org.now());
    this.log(ctx, status === 'ACTIVE' ? 'application.lifecycle.activate' : 'application.lifecycle.deactivate', [appTarget(app)]);
  }

  // ---------------------------------------------------------------- policies

  requirePolicy(id: string): SandboxPolicy {
    const p = this.policies.get(id);
    if (!p) throw notFound(id, 'Policy');
    return p;
  }

  policyRules(policyId: string): SandboxPolicyRule[] {
    return [...(this.rules.get(this.requirePolicy(policyId).id) ?? [])].sort((a, b) => a.priority - b.priority);
  }

  requireRule(policyId: string, ruleId: string): SandboxPolicyRule {
    const r = this.policyRules(policyId).find((x) => x.id === ruleId);
    if (!r) throw notFound(ruleId, 'PolicyRule');
    return r;
  }

  setRuleStatus(policyId: string, ruleId: string, status: 'ACTIVE' | 'INACTIVE', ctx: ActionContext): void {
    const p = this.requirePolicy(policyId);
    const r = this.requireRule(policyId, ruleId);
    if (r.system && status === 'INACTIVE') throw validationFailed('rule', ['The default rule of a policy cannot be deactivated.']);
    if (r.status === status) return;
    r.status = status;
    r.lastUpdated = iso(this.org.now());
    this.log(ctx, status === 'ACTIVE' ? 'policy.rule.activate' : 'policy.rule.deactivate', [
      { id: r.id, type: 'PolicyRule', alternateId: 'unknown', displayName: r.name, detailEntry: null },
      { id: p.id, type: 'PolicyEntity', alternateId: 'unknown', displayName: p.name, detailEntry: null },
    ]);
  }

  // ---------------------------------------------------------------- user risk

  userRisk(userId: string): SandboxUserRisk | undefined {
    return this.risk.get(this.org.requireUser(userId).id);
  }

  /** PUT /users/{id}/risk: true when the risk object was created (201), false when updated (200). */
  setUserRisk(userId: string, body: Record<string, unknown>, ctx: ActionContext): { risk: SandboxUserRisk; created: boolean } {
    const u = this.org.requireUser(userId);
    const level = body.riskLevel;
    if (typeof level !== 'string' || !(RISK_LEVELS as readonly string[]).includes(level)) throw validationFailed('riskLevel', [`riskLevel: must be one of ${RISK_LEVELS.join(', ')}`]);
    const reason = body.riskReason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500 || !RISK_REASON.test(reason)))
      throw validationFailed('riskReason', ['riskReason: at most 500 letters, digits, spaces, hyphens, commas and periods']);
    const created = !this.risk.has(u.id);
    const risk: SandboxUserRisk = { riskLevel: level as SandboxUserRisk['riskLevel'], reason: typeof reason === 'string' && reason ? reason : 'override.by.admin' };
    this.risk.set(u.id, risk);
    this.log(ctx, 'user.risk.change', [userTarget(u)], { riskLevel: risk.riskLevel, riskReason: risk.reason });
    return { risk, created };
  }

  // ---------------------------------------------------------------- System Log

  /** Appends the event a change causes (Okta's event type; its display message from seed-logs' catalogue). */
  private log(ctx: ActionContext, eventType: string, targets: LogTarget[], debugData?: Record<string, unknown>): void {
    this.org.log(ctx, eventType, targets, undefined, debugData);
  }
}
