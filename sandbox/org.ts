/**
 * The sandbox org's state and the rules Okta applies to it (user lifecycle, group types, zone
 * status, push verification). The HTTP layer translates requests into calls here; tests use it
 * directly to inspect or arrange things (add users, append log events, set push outcomes and
 * rate limits).
 */
import { isIPv6 } from 'node:net';
import { Rng } from './random.js';
import { LogStore, type LogEvent, type StoredEvent } from './log-store.js';
import { notFound, oktaError, validationFailed } from './errors.js';
import { RateLimiter, type RateLimitConfig } from './rate-limit.js';
import { scenarioEvents, type ScenarioName, type ScenarioOptions } from './scenarios.js';
import { SandboxSecurity } from './security-model.js';
import { appAssignment, seedDirectory, userDisplayName } from './seed-directory.js';
import {
  apiClient,
  appTarget,
  buildEvent,
  groupTarget,
  seedLogEvents,
  userActor,
  userTarget,
  type ActionContext,
  type BuildEventInput,
  type LogTarget,
} from './seed-logs.js';
import type {
  AppGroupAssignment,
  AppUserAssignment,
  PushOutcome,
  PushTransaction,
  SandboxApp,
  SandboxFactor,
  SandboxGroup,
  SandboxRole,
  SandboxUser,
  SandboxZone,
  UserStatus,
} from './model.js';

export interface SandboxFaults {
  /** Every Nth API request answers 503. */
  every503?: number;
  /** Every Nth API request has its socket destroyed without an answer. */
  resetEvery?: number;
}

export type { ActionContext } from './seed-logs.js';

export interface OrgInit {
  seed: number;
  users: number;
  logEvents: number;
  now: () => number;
  clientId: string;
  rateLimits?: Record<string, RateLimitConfig>;
  faults?: SandboxFaults;
}

const PUSH_LIFETIME_MS = 5 * 60_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class SandboxOrg {
  readonly now: () => number;
  readonly seed: number;
  /** Users in creation order (the order `GET /api/v1/users` lists them). */
  readonly users = new Map<string, SandboxUser>();
  readonly groups = new Map<string, SandboxGroup>();
  readonly groupMembers = new Map<string, Set<string>>();
  readonly apps = new Map<string, SandboxApp>();
  readonly appUsers = new Map<string, Map<string, AppUserAssignment>>();
  readonly appGroups = new Map<string, Map<string, AppGroupAssignment>>();
  readonly zones = new Map<string, SandboxZone>();
  readonly factors = new Map<string, SandboxFactor[]>();
  readonly roles = new Map<string, SandboxRole[]>();
  readonly pushOutcomes = new Map<string, PushOutcome>();
  readonly pushTransactions = new Map<string, PushTransaction>();
  readonly logs = new LogStore();
  readonly rateLimiter: RateLimiter;
  faults: SandboxFaults;
  /** What a push challenge does for users without an explicit outcome. */
  defaultPushOutcome: PushOutcome = { result: 'SUCCESS', afterPolls: 1 };
  /** How long a push challenge waits before TIMEOUT. */
  pushLifetimeMs = PUSH_LIFETIME_MS;
  /** The API token's admin (`GET /api/v1/users/me` with SSWS). */
  readonly adminUserId: string;
  readonly userTypeId: string;
  /** Revoked sessions per user (observable by tests). */
  readonly sessionsCleared = new Map<string, number>();
  /** The sandbox's origin once it listens (for links in bodies). */
  origin = '';
  /** API tokens, group roles, IdPs, devices, OAuth grants, policies, user risk (security-model.ts). */
  readonly security: SandboxSecurity;
  private readonly rng: Rng;
  private readonly ordinal = new Map<string, number>();
  private nextOrdinal = 0;

  constructor(init: OrgInit) {
    this.now = init.now;
    this.seed = init.seed;
    this.rng = new Rng(init.seed, 'runtime');
    this.rateLimiter = new RateLimiter(init.now, init.rateLimits);
    this.faults = { ...init.faults };
    const t0 = init.now();
    const dir = seedDirectory(init.seed, init.users, t0);
    for (const u of dir.users) this.insertUser(u);
    for (const g of dir.groups) this.groups.set(this.register(g.id), g);
    for (const [gid, m] of dir.members) this.groupMembers.set(gid, m);
    for (const a of dir.apps) this.apps.set(this.register(a.id), a);
    for (const [k, v] of dir.appUsers) this.appUsers.set(k, v);
    for (const [k, v] of dir.appGroups) this.appGroups.set(k, v);
    for (const z of dir.zones) this.zones.set(this.register(z.id), z);
    for (const [k, v] of dir.factors) this.factors.set(k, v);
    for (const [k, v] of dir.roles) this.roles.set(k, v);
    for (const [k, v] of dir.pushOutcomes) this.pushOutcomes.set(k, v);
    this.adminUserId = dir.adminUserId;
    this.userTypeId = dir.userTypeId;
    const seeded = seedLogEvents(init.seed, init.logEvents, t0, {
      users: dir.users,
      groups: dir.groups,
      apps: dir.apps,
      clientAppId: init.clientId,
    });
    for (const n of seeded.order) this.logs.appendBulk(seeded, n, seeded.persistedMs[n]!, seeded.publishedMs[n]!);
    this.security = new SandboxSecurity(this, init.seed, init.clientId);
  }

  /** Adds an application (its own id) with no assignments yet. */
  addApp(app: SandboxApp): void {
    this.apps.set(this.register(app.id), app);
    this.appUsers.set(app.id, new Map());
    this.appGroups.set(app.id, new Map());
  }

  // ---------------------------------------------------------------- test helpers

  /** Sets a bucket's rate limit (`logs`, `users`, `user`, `user-write`, `groups`, …). */
  setRateLimit(bucket: string, cfg: RateLimitConfig): void {
    this.rateLimiter.set(bucket, cfg);
  }

  setFaults(faults: SandboxFaults): void {
    this.faults = { ...faults };
  }

  /** What the next push challenges to this user (id or login) do when polled. */
  setPushOutcome(userIdOrLogin: string, outcome: PushOutcome): void {
    this.pushOutcomes.set(this.requireUser(userIdOrLogin).id, outcome);
  }

  /**
   * Appends System Log events as if Okta persisted them now. Missing fields are filled in
   * (uuid, published, actor, client …). `publishedOffsetMs` (e.g. -60000) publishes them that
   * long before now: an event persisted late, behind events published after it.
   */
  appendEvents(events: Partial<LogEvent>[], opts: { publishedOffsetMs?: number } = {}): LogEvent[] {
    const now = this.now();
    const out: LogEvent[] = [];
    for (const partial of events) {
      const publishedMs = partial.published !== undefined ? Date.parse(partial.published) : now + (opts.publishedOffsetMs ?? 0);
      const base = buildEvent({
        uuid: this.rng.uuid(),
        publishedMs,
        eventType: partial.eventType ?? 'user.session.start',
        actor: userActor(this.users.get(this.adminUserId)!),
        client: apiClient('198.51.100.7', 'Mozilla/5.0 (sandbox)'),
        transactionId: this.rng.alnum(27),
      });
      const ev = { ...base, ...partial, published: iso(publishedMs) } as LogEvent;
      this.logs.append(ev, now);
      out.push(ev);
    }
    return out;
  }

  /**
   * Appends the System Log events of a scenario (sandbox/scenarios.ts), persisted now: what an
   * attack or an admin action leaves in the log, for the detection rules to find. Deterministic
   * for the same seed, log length and options.
   */
  appendScenario(name: ScenarioName, opts: ScenarioOptions = {}): LogEvent[] {
    const now = this.now();
    const events = scenarioEvents(name, this, now, opts, this.logs.size);
    for (const ev of events) this.logs.append(ev, now);
    return events;
  }

  /** Adds a user directly (no event); fills what is missing. */
  addUser(spec: { login: string; firstName?: string; lastName?: string; email?: string; status?: UserStatus; profile?: Record<string, unknown> }): SandboxUser {
    const now = iso(this.now());
    const status = spec.status ?? 'ACTIVE';
    const u: SandboxUser = {
      id: this.rng.oktaId('00u'),
      status,
      created: now,
      activated: status === 'STAGED' || status === 'PROVISIONED' ? null : now,
      statusChanged: now,
      lastLogin: null,
      lastUpdated: now,
      passwordChanged: status === 'STAGED' ? null : now,
      type: { id: this.userTypeId },
      profile: {
        firstName: spec.firstName ?? null,
        lastName: spec.lastName ?? null,
        mobilePhone: null,
        secondEmail: null,
        login: spec.login,
        email: spec.email ?? spec.login,
        ...spec.profile,
      },
      credentials: { ...(status === 'STAGED' ? {} : { password: {} }), provider: { type: 'OKTA', name: 'OKTA' } },
    };
    this.insertUser(u);
    this.everyoneAdd(u.id);
    return u;
  }

  /** Every stored event in persistence order (read-only). */
  get events(): readonly StoredEvent[] {
    return this.logs.events;
  }

  // ---------------------------------------------------------------- users

  private insertUser(u: SandboxUser): void {
    this.users.set(this.register(u.id), u);
  }

  private register(id: string): string {
    if (!this.ordinal.has(id)) this.ordinal.set(id, this.nextOrdinal++);
    return id;
  }

  /** Creation position of a user, group, app or zone; kept after deletion so paging cursors stay valid. */
  ordinalOf(id: string): number | undefined {
    return this.ordinal.get(id);
  }

  private everyoneAdd(userId: string): void {
    for (const g of this.groups.values()) if (g.type === 'BUILT_IN') this.groupMembers.get(g.id)?.add(userId);
  }

  /** By id, by login (case-insensitive), or by an unambiguous login short name. */
  findUser(idOrLogin: string): SandboxUser | undefined {
    const byId = this.users.get(idOrLogin);
    if (byId) return byId;
    const lower = idOrLogin.toLowerCase();
    let short: SandboxUser | undefined;
    let shortCount = 0;
    for (const u of this.users.values()) {
      const login = u.profile.login.toLowerCase();
      if (login === lower) return u;
      if (login.split('@')[0] === lower) {
        short = u;
        shortCount++;
      }
    }
    return shortCount === 1 ? short : undefined;
  }

  requireUser(idOrLogin: string): SandboxUser {
    const u = this.findUser(idOrLogin);
    if (!u) throw notFound(idOrLogin, 'User');
    return u;
  }

  private loginTaken(login: string, exceptId?: string): boolean {
    const lower = login.toLowerCase();
    for (const u of this.users.values()) if (u.id !== exceptId && u.profile.login.toLowerCase() === lower) return true;
    return false;
  }

  private validateProfile(profile: Record<string, unknown>, exceptId?: string): void {
    const causes: string[] = [];
    for (const f of ['login', 'email', 'firstName', 'lastName']) {
      const v = profile[f];
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) causes.push(`${f}: The field cannot be left blank`);
    }
    if (typeof profile.email === 'string' && profile.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(profile.email)) causes.push('email: Does not match required pattern');
    if (typeof profile.login === 'string' && profile.login && this.loginTaken(profile.login, exceptId)) causes.push('login: An object with this field already exists in the current organization');
    if (causes.length) throw validationFailed(causes[0]!.split(':')[0]!, causes);
  }

  createUser(
    body: { profile?: Record<string, unknown>; credentials?: Record<string, unknown>; groupIds?: unknown },
    opts: { activate: boolean; provider: boolean; nextLogin?: string },
    ctx: ActionContext,
  ): SandboxUser {
    const profile = { ...(body.profile ?? {}) };
    this.validateProfile(profile);
    const password = (body.credentials?.password as { value?: unknown } | undefined)?.value;
    const hasPassword = typeof password === 'string' && password.length > 0;
    if (opts.nextLogin === 'changePassword') {
      if (!opts.activate) throw oktaError(400, 'E0000125', 'Could not create user. To create a user and expire their password immediately, `activate` must be true.', ['Could not create user. To create a user and expire their password immediately, `activate` must be true.']);
      if (!hasPassword) throw oktaError(400, 'E0000124', 'Could not create user. To create a user and expire their password immediately, a password must be specified.', ['Could not create user. To create a user and expire their password immediately, a password must be specified.']);
    }
    const groupIds = Array.isArray(body.groupIds) ? body.groupIds.map(String) : [];
    for (const gid of groupIds) if (!this.groups.has(gid)) throw notFound(gid, 'UserGroup');
    const nowMs = this.now();
    const now = iso(nowMs);
    let status: UserStatus = 'STAGED';
    if (opts.activate) status = opts.provider || hasPassword ? (opts.nextLogin === 'changePassword' ? 'PASSWORD_EXPIRED' : 'ACTIVE') : 'PROVISIONED';
    const rq = body.credentials?.recovery_question as { question?: string } | undefined;
    const prov = body.credentials?.provider as { type?: string; name?: string } | undefined;
    const u: SandboxUser = {
      id: this.rng.oktaId('00u'),
      status,
      created: now,
      activated: status === 'STAGED' ? null : now,
      statusChanged: status === 'STAGED' ? null : now,
      lastLogin: null,
      lastUpdated: now,
      passwordChanged: hasPassword ? now : null,
      type: { id: this.userTypeId },
      profile: { firstName: null, lastName: null, mobilePhone: null, secondEmail: null, ...profile } as unknown as SandboxUser['profile'],
      credentials: {
        ...(hasPassword ? { password: {} } : {}),
        ...(rq?.question ? { recovery_question: { question: rq.question } } : {}),
        provider: opts.provider && prov?.type ? { type: prov.type, name: prov.name ?? prov.type } : { type: 'OKTA', name: 'OKTA' },
      },
    };
    this.insertUser(u);
    this.everyoneAdd(u.id);
    for (const gid of groupIds) this.groupMembers.get(gid)!.add(u.id);
    this.log(ctx, 'user.lifecycle.create', [userTarget(u)]);
    if (status !== 'STAGED') this.log(ctx, 'user.lifecycle.activate', [userTarget(u)]);
    return u;
  }

  /** POST (partial) or PUT (replace) `/api/v1/users/{id}`. */
  updateUser(idOrLogin: string, body: { profile?: Record<string, unknown>; credentials?: Record<string, unknown> }, replace: boolean, ctx: ActionContext): SandboxUser {
    const u = this.requireUser(idOrLogin);
    if (u.status === 'DEPROVISIONED') throw oktaError(403, 'E0000038', "This operation is not allowed in the user's current status.");
    const profile = replace ? { ...(body.profile ?? {}) } : { ...u.profile, ...(body.profile ?? {}) };
    if (replace || body.profile) this.validateProfile(profile, u.id);
    const nowMs = this.now();
    u.profile = profile as SandboxUser['profile'];
    const password = (body.credentials?.password as { value?: unknown } | undefined)?.value;
    if (typeof password === 'string' && password) {
      u.credentials.password = {};
      u.passwordChanged = iso(nowMs);
      if (u.status === 'PASSWORD_EXPIRED' || u.status === 'RECOVERY') this.setStatus(u, 'ACTIVE', nowMs);
    }
    const rq = body.credentials?.recovery_question as { question?: string } | undefined;
    if (rq?.question) u.credentials.recovery_question = { question: rq.question };
    u.lastUpdated = iso(nowMs);
    this.log(ctx, typeof password === 'string' && password ? 'user.account.update_password' : 'user.account.update_profile', [userTarget(u)]);
    return u;
  }

  private setStatus(u: SandboxUser, status: UserStatus, nowMs = this.now()): void {
    u.status = status;
    u.statusChanged = iso(nowMs);
    u.lastUpdated = iso(nowMs);
  }

  private notAllowed(): never {
    throw oktaError(403, 'E0000038', "This operation is not allowed in the user's current status.");
  }

  /**
   * Runs one `/lifecycle/{op}`; returns the response body. Suspend, unsuspend, unlock, deactivate
   * and reset_factors answer `{}` ("Returns an empty object" in Okta's Users API reference).
   */
  lifecycle(idOrLogin: string, op: string, query: URLSearchParams, ctx: ActionContext): unknown {
    const u = this.requireUser(idOrLogin);
    const nowMs = this.now();
    const target = [userTarget(u)];
    const sendEmail = (name: string, dflt: boolean) => (query.has(name) ? query.get(name) === 'true' : dflt);
    switch (op) {
      case 'activate': {
        if (u.status !== 'STAGED' && u.status !== 'DEPROVISIONED') throw oktaError(403, 'E0000016', 'Activation failed because the user is already active');
        this.setStatus(u, u.credentials.password ? 'ACTIVE' : 'PROVISIONED', nowMs);
        u.activated = iso(nowMs);
        this.log(ctx, 'user.lifecycle.activate', target);
        return sendEmail('sendEmail', true) ? {} : this.activationToken(u);
      }
      case 'reactivate': {
        if (u.status !== 'PROVISIONED' && u.status !== 'RECOVERY') this.notAllowed();
        this.setStatus(u, 'PROVISIONED', nowMs);
        this.log(ctx, 'user.lifecycle.reactivate', target);
        return sendEmail('sendEmail', false) ? {} : this.activationToken(u);
      }
      case 'deactivate': {
        if (u.status === 'DEPROVISIONED') throw notFound(u.id, 'User');
        this.deactivate(u, nowMs, ctx);
        return {};
      }
      case 'suspend': {
        if (u.status !== 'ACTIVE') throw oktaError(400, 'E0000001', 'Cannot suspend a user that is not active');
        this.setStatus(u, 'SUSPENDED', nowMs);
        this.log(ctx, 'user.lifecycle.suspend', target);
        return {};
      }
      case 'unsuspend': {
        if (u.status !== 'SUSPENDED') throw oktaError(400, 'E0000001', 'Cannot unsuspend a user that is not suspended');
        this.setStatus(u, 'ACTIVE', nowMs);
        this.log(ctx, 'user.lifecycle.unsuspend', target);
        return {};
      }
      case 'unlock': {
        if (u.status !== 'LOCKED_OUT') throw oktaError(403, 'E0000032', 'Unlock is not allowed for this user.');
        this.setStatus(u, 'ACTIVE', nowMs);
        this.log(ctx, 'user.account.unlock', target);
        return {};
      }
      case 'expire_password':
      case 'expire_password_with_temp_password': {
        if (!['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY'].includes(u.status) || !u.credentials.password) this.notAllowed();
        this.setStatus(u, 'PASSWORD_EXPIRED', nowMs);
        if (query.get('revokeSessions') === 'true') this.sessionsCleared.set(u.id, (this.sessionsCleared.get(u.id) ?? 0) + 1);
        this.log(ctx, 'user.account.expire_password', target);
        // `?tempPassword=true` (legacy, still honoured) and the _with_temp_password variant answer
        // only `{tempPassword}` (Okta's TempPassword model); plain expire_password answers the user.
        const temp = op === 'expire_password_with_temp_password' || query.get('tempPassword')?.toLowerCase() === 'true';
        if (temp) {
          u.passwordChanged = iso(nowMs);
          return { tempPassword: this.rng.alnum(10) };
        }
        return u;
      }
      case 'reset_password': {
        if (!['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY'].includes(u.status)) this.notAllowed();
        this.setStatus(u, 'RECOVERY', nowMs);
        if (query.get('revokeSessions') === 'true') this.sessionsCleared.set(u.id, (this.sessionsCleared.get(u.id) ?? 0) + 1);
        this.log(ctx, 'user.account.reset_password', target);
        return sendEmail('sendEmail', true) ? {} : { resetPasswordUrl: `${this.origin}/reset_password/${this.rng.alnum(20)}` };
      }
      case 'reset_factors': {
        if (u.status === 'DEPROVISIONED') this.notAllowed();
        this.factors.delete(u.id);
        u.lastUpdated = iso(nowMs);
        this.log(ctx, 'user.mfa.factor.reset_all', target);
        return {};
      }
      default:
        throw oktaError(404, 'E0000008', 'The requested path was not found');
    }
  }

  private activationToken(u: SandboxUser): { activationUrl: string; activationToken: string } {
    const token = this.rng.alnum(20);
    void u;
    return { activationUrl: `${this.origin}/welcome/${token}`, activationToken: token };
  }

  private deactivate(u: SandboxUser, nowMs: number, ctx: ActionContext): void {
    this.setStatus(u, 'DEPROVISIONED', nowMs);
    for (const assignments of this.appUsers.values()) assignments.delete(u.id);
    this.log(ctx, 'user.lifecycle.deactivate', [userTarget(u)]);
  }

  /** DELETE: the first call deactivates, the second deletes. */
  deleteUser(idOrLogin: string, ctx: ActionContext): void {
    const u = this.requireUser(idOrLogin);
    const nowMs = this.now();
    if (u.status !== 'DEPROVISIONED') {
      this.deactivate(u, nowMs, ctx);
      return;
    }
    this.users.delete(u.id);
    for (const m of this.groupMembers.values()) m.delete(u.id);
    this.factors.delete(u.id);
    this.roles.delete(u.id);
    this.log(ctx, 'user.lifecycle.delete.initiated', [userTarget(u)]);
  }

  clearSessions(idOrLogin: string, oauthTokens: boolean, ctx: ActionContext): void {
    const u = this.requireUser(idOrLogin);
    this.sessionsCleared.set(u.id, (this.sessionsCleared.get(u.id) ?? 0) + 1);
    this.log(ctx, 'user.session.clear', [userTarget(u)], undefined, { revokeOauthTokens: String(oauthTokens) });
  }

  userGroups(idOrLogin: string): SandboxGroup[] {
    const u = this.requireUser(idOrLogin);
    return [...this.groups.values()].filter((g) => this.groupMembers.get(g.id)?.has(u.id));
  }

  /** Roles assigned to the user, then the ones the user has through groups (as Okta lists them). */
  userRoles(idOrLogin: string): SandboxRole[] {
    const id = this.requireUser(idOrLogin).id;
    return [...(this.roles.get(id) ?? []), ...this.security.rolesThroughGroups(id)];
  }

  /** Apps assigned to the user (directly or through groups), as appLinks rows. */
  userAppLinks(idOrLogin: string): { app: SandboxApp; assignment: AppUserAssignment }[] {
    const u = this.requireUser(idOrLogin);
    const out: { app: SandboxApp; assignment: AppUserAssignment }[] = [];
    for (const app of this.apps.values()) {
      const a = this.appUsers.get(app.id)?.get(u.id);
      if (a && app.status === 'ACTIVE' && !app.visibility.hide.web) out.push({ app, assignment: a });
    }
    return out;
  }

  // ---------------------------------------------------------------- factors and push

  userFactors(idOrLogin: string): { user: SandboxUser; factors: SandboxFactor[] } {
    const user = this.requireUser(idOrLogin);
    return { user, factors: this.factors.get(user.id) ?? [] };
  }

  requireFactor(idOrLogin: string, factorId: string): { user: SandboxUser; factor: SandboxFactor } {
    const { user, factors } = this.userFactors(idOrLogin);
    const factor = factors.find((f) => f.id === factorId);
    if (!factor) throw notFound(factorId, 'UserFactor');
    return { user, factor };
  }

  deleteFactor(idOrLogin: string, factorId: string, ctx: ActionContext): void {
    const { user, factor } = this.requireFactor(idOrLogin, factorId);
    this.factors.set(
      user.id,
      (this.factors.get(user.id) ?? []).filter((f) => f.id !== factor.id),
    );
    this.log(ctx, 'user.mfa.factor.deactivate', [userTarget(user)], undefined, { factor: factor.factorType });
  }

  /** Starts a push challenge (`POST …/verify` on a push factor). */
  startPush(idOrLogin: string, factorId: string, ctx: ActionContext): PushTransaction {
    const { user, factor } = this.requireFactor(idOrLogin, factorId);
    if (factor.factorType !== 'push') throw validationFailed('factorType', ['Only push factors can be verified without a passcode in the sandbox.']);
    if (user.status !== 'ACTIVE' && user.status !== 'PASSWORD_EXPIRED') throw oktaError(403, 'E0000038', "This operation is not allowed in the user's current status.");
    const nowMs = this.now();
    const tx: PushTransaction = {
      id: `v2mst.${this.rng.alnum(22)}`,
      userId: user.id,
      factorId: factor.id,
      createdMs: nowMs,
      expiresMs: nowMs + this.pushLifetimeMs,
      polls: 0,
      outcome: this.pushOutcomes.get(user.id) ?? this.defaultPushOutcome,
      cancelled: false,
    };
    this.pushTransactions.set(tx.id, tx);
    this.log(ctx, 'system.push.send_factor_verify_push', [userTarget(user)]);
    return tx;
  }

  /** Polls a push transaction: WAITING, SUCCESS, REJECTED or TIMEOUT. */
  pollPush(idOrLogin: string, factorId: string, txId: string): { tx: PushTransaction; result: 'WAITING' | 'SUCCESS' | 'REJECTED' | 'TIMEOUT' } {
    const { user, factor } = this.requireFactor(idOrLogin, factorId);
    const tx = this.pushTransactions.get(txId);
    if (!tx || tx.userId !== user.id || tx.factorId !== factor.id) throw notFound(txId, 'Transaction');
    const nowMs = this.now();
    tx.polls++;
    if (tx.cancelled) return { tx, result: 'REJECTED' };
    const o = tx.outcome;
    if (o.result === 'TIMEOUT') return { tx, result: nowMs >= tx.expiresMs ? 'TIMEOUT' : 'WAITING' };
    if (nowMs >= tx.expiresMs) return { tx, result: 'TIMEOUT' };
    if (tx.polls > (o.afterPolls ?? 0)) return { tx, result: o.result };
    return { tx, result: 'WAITING' };
  }

  // ---------------------------------------------------------------- groups

  requireGroup(id: string): SandboxGroup {
    const g = this.groups.get(id);
    if (!g) throw notFound(id, 'UserGroup');
    return g;
  }

  createGroup(body: { profile?: Record<string, unknown> }, ctx: ActionContext): SandboxGroup {
    const name = body.profile?.name;
    if (typeof name !== 'string' || !name.trim()) throw validationFailed('name', ['name: The field cannot be left blank']);
    for (const g of this.groups.values()) {
      if (g.type === 'OKTA_GROUP' && g.profile.name.toLowerCase() === name.toLowerCase()) throw validationFailed('name', ['name: An object with this field already exists in the current organization']);
    }
    const now = iso(this.now());
    const g: SandboxGroup = {
      id: this.rng.oktaId('00g'),
      created: now,
      lastUpdated: now,
      lastMembershipUpdated: now,
      objectClass: ['okta:user_group'],
      type: 'OKTA_GROUP',
      profile: groupProfile(body.profile, name),
    };
    this.groups.set(this.register(g.id), g);
    this.groupMembers.set(g.id, new Set());
    this.log(ctx, 'group.lifecycle.create', [groupTarget(g)]);
    return g;
  }

  replaceGroup(id: string, body: { profile?: Record<string, unknown> }, ctx: ActionContext): SandboxGroup {
    const g = this.requireGroup(id);
    if (g.type !== 'OKTA_GROUP') throw oktaError(403, 'E0000006', 'You do not have permission to perform the requested action');
    const name = body.profile?.name;
    if (typeof name !== 'string' || !name.trim()) throw validationFailed('name', ['name: The field cannot be left blank']);
    g.profile = groupProfile(body.profile, name);
    g.lastUpdated = iso(this.now());
    this.log(ctx, 'group.profile.update', [groupTarget(g)]);
    return g;
  }

  deleteGroup(id: string, ctx: ActionContext): void {
    const g = this.requireGroup(id);
    if (g.type === 'BUILT_IN') throw oktaError(403, 'E0000006', 'You do not have permission to perform the requested action');
    this.groups.delete(id);
    this.groupMembers.delete(id);
    for (const ag of this.appGroups.values()) ag.delete(id);
    this.log(ctx, 'group.lifecycle.delete', [groupTarget(g)]);
  }

  private requireOktaGroup(groupId: string): SandboxGroup {
    const g = this.requireGroup(groupId);
    if (g.type !== 'OKTA_GROUP') {
      // Okta: memberships of APP_GROUP (imported) and BUILT_IN groups are not modifiable.
      throw oktaError(403, 'E0000006', 'You do not have permission to perform the requested action');
    }
    return g;
  }

  addToGroup(groupId: string, userId: string, ctx: ActionContext): void {
    const g = this.requireOktaGroup(groupId);
    const u = this.users.get(userId);
    if (!u) throw notFound(userId, 'User');
    const m = this.groupMembers.get(g.id)!;
    if (m.has(u.id)) return;
    m.add(u.id);
    g.lastMembershipUpdated = iso(this.now());
    this.log(ctx, 'group.user_membership.add', [userTarget(u), groupTarget(g)]);
  }

  removeFromGroup(groupId: string, userId: string, ctx: ActionContext): void {
    const g = this.requireOktaGroup(groupId);
    const u = this.users.get(userId);
    if (!u) throw notFound(userId, 'User');
    const m = this.groupMembers.get(g.id)!;
    if (!m.has(u.id)) return;
    m.delete(u.id);
    g.lastMembershipUpdated = iso(this.now());
    this.log(ctx, 'group.user_membership.remove', [userTarget(u), groupTarget(g)]);
  }

  groupUsers(groupId: string): SandboxUser[] {
    const g = this.requireGroup(groupId);
    const out: SandboxUser[] = [];
    for (const uid of this.groupMembers.get(g.id) ?? []) {
      const u = this.users.get(uid);
      if (u) out.push(u);
    }
    return out;
  }

  // ---------------------------------------------------------------- apps

  requireApp(id: string): SandboxApp {
    const a = this.apps.get(id);
    if (!a) throw notFound(id, 'AppInstance');
    return a;
  }

  assignUserToApp(appId: string, body: { id?: unknown; scope?: unknown; credentials?: { userName?: unknown }; profile?: Record<string, unknown> }, ctx: ActionContext): AppUserAssignment {
    const app = this.requireApp(appId);
    if (typeof body.id !== 'string' || !body.id) throw validationFailed('id', ['id: The field cannot be left blank']);
    const u = this.users.get(body.id);
    if (!u) throw notFound(body.id, 'User');
    if (u.status === 'DEPROVISIONED') throw oktaError(403, 'E0000117', 'Cannot assign apps or update app profiles for an inactive user.');
    const map = this.appUsers.get(app.id)!;
    const existing = map.get(u.id);
    if (existing) {
      existing.scope = 'USER';
      return existing;
    }
    const a = appAssignment(this.rng, u, 'USER', this.now());
    if (typeof body.credentials?.userName === 'string') a.credentials.userName = body.credentials.userName;
    if (body.profile) a.profile = { ...a.profile, ...body.profile };
    map.set(u.id, a);
    this.log(ctx, 'application.user_membership.add', [{ id: a.assignmentId, type: 'AppUser', alternateId: u.profile.login, displayName: userDisplayName(u), detailEntry: null }, appTarget(app), userTarget(u)]);
    return a;
  }

  unassignUserFromApp(appId: string, userId: string, ctx: ActionContext): void {
    const app = this.requireApp(appId);
    const map = this.appUsers.get(app.id)!;
    const a = map.get(userId);
    if (!a) throw notFound(userId, 'AppUser');
    if (a.scope === 'GROUP') {
      throw oktaError(403, 'E0000046', 'Deactivate application for user forbidden.', ['The application cannot be unassigned from the user while their group memberships grant them access']);
    }
    map.delete(userId);
    const u = this.users.get(userId);
    this.log(ctx, 'application.user_membership.remove', [appTarget(app), ...(u ? [userTarget(u)] : [])]);
  }

  assignGroupToApp(appId: string, groupId: string, body: { priority?: unknown; profile?: Record<string, unknown> }, ctx: ActionContext): AppGroupAssignment {
    const app = this.requireApp(appId);
    const g = this.requireGroup(groupId);
    const map = this.appGroups.get(app.id)!;
    const a: AppGroupAssignment = {
      id: g.id,
      priority: typeof body.priority === 'number' ? body.priority : map.get(g.id)?.priority ?? map.size,
      lastUpdated: iso(this.now()),
      profile: body.profile ?? {},
    };
    map.set(g.id, a);
    const au = this.appUsers.get(app.id)!;
    for (const uid of this.groupMembers.get(g.id) ?? []) {
      const u = this.users.get(uid);
      if (u && u.status !== 'DEPROVISIONED' && !au.has(uid)) au.set(uid, appAssignment(this.rng, u, 'GROUP', this.now()));
    }
    this.log(ctx, 'application.group_membership.add', [appTarget(app), groupTarget(g)]);
    return a;
  }

  // ---------------------------------------------------------------- zones

  requireZone(id: string): SandboxZone {
    const z = this.zones.get(id);
    if (!z) throw notFound(id, 'NetworkZone');
    return z;
  }

  private validateZone(body: Record<string, unknown>): void {
    const causes: string[] = [];
    if (typeof body.name !== 'string' || !body.name.trim()) causes.push('name: The field cannot be left blank');
    if (body.type !== 'IP' && body.type !== 'DYNAMIC' && body.type !== 'DYNAMIC_V2') causes.push('type: The field cannot be left blank');
    if (body.usage !== undefined && body.usage !== 'POLICY' && body.usage !== 'BLOCKLIST') causes.push('usage: Invalid value');
    if (body.type === 'IP') {
      const usage = body.usage ?? 'POLICY';
      const max = usage === 'BLOCKLIST' ? 1000 : 150;
      for (const key of ['gateways', 'proxies']) {
        const list = body[key];
        if (list === undefined || list === null) continue;
        if (!Array.isArray(list)) {
          causes.push(`${key}: Invalid value`);
          continue;
        }
        if (list.length > max) causes.push(`${key}: A maximum of ${max} addresses is allowed.`);
        for (const a of list as { type?: unknown; value?: unknown }[]) {
          if ((a?.type !== 'CIDR' && a?.type !== 'RANGE') || typeof a?.value !== 'string' || !validAddress(a.type, a.value)) {
            causes.push(`${key}: Invalid address ${JSON.stringify(a?.value ?? a)}`);
          }
        }
      }
    }
    if (causes.length) throw validationFailed(causes[0]!.split(':')[0]!, causes);
  }

  createZone(body: Record<string, unknown>, ctx: ActionContext): SandboxZone {
    this.validateZone(body);
    const now = iso(this.now());
    const { id: _id, created: _c, lastUpdated: _l, _links: _k, system: _s, status, ...rest } = body;
    void _id; void _c; void _l; void _k; void _s;
    const z: SandboxZone = {
      ...(rest as Partial<SandboxZone>),
      type: body.type as SandboxZone['type'],
      id: this.rng.oktaId('nzo'),
      name: body.name as string,
      status: status === 'INACTIVE' ? 'INACTIVE' : 'ACTIVE',
      usage: (body.usage as SandboxZone['usage']) ?? 'POLICY',
      created: now,
      lastUpdated: now,
      system: false,
    };
    this.zones.set(this.register(z.id), z);
    this.log(ctx, 'zone.create', [zoneTarget(z)]);
    return z;
  }

  replaceZone(id: string, body: Record<string, unknown>, ctx: ActionContext): SandboxZone {
    const z = this.requireZone(id);
    this.validateZone(body);
    if (body.type !== z.type) throw validationFailed('type', ['type: The type of a network zone cannot be changed.']);
    const { id: _id, created: _c, lastUpdated: _l, _links: _k, system: _s, status: _st, ...rest } = body;
    void _id; void _c; void _l; void _k; void _s; void _st;
    const next: SandboxZone = {
      ...(rest as Partial<SandboxZone>),
      type: z.type,
      id: z.id,
      name: body.name as string,
      status: z.status,
      usage: (body.usage as SandboxZone['usage']) ?? z.usage,
      created: z.created,
      lastUpdated: iso(this.now()),
      system: z.system,
    };
    this.zones.set(z.id, next);
    this.log(ctx, 'zone.update', [zoneTarget(next)]);
    return next;
  }

  setZoneStatus(id: string, status: 'ACTIVE' | 'INACTIVE', ctx: ActionContext): SandboxZone {
    const z = this.requireZone(id);
    z.status = status;
    z.lastUpdated = iso(this.now());
    this.log(ctx, status === 'ACTIVE' ? 'zone.activate' : 'zone.deactivate', [zoneTarget(z)]);
    return z;
  }

  deleteZone(id: string, ctx: ActionContext): void {
    const z = this.requireZone(id);
    if (z.system) throw validationFailed('zone', ['System network zones cannot be deleted.']);
    if (z.status === 'ACTIVE') throw validationFailed('zone', ['An active network zone cannot be deleted. Deactivate the network zone first.']);
    this.zones.delete(id);
    this.log(ctx, 'zone.delete', [zoneTarget(z)]);
  }

  // ---------------------------------------------------------------- System Log

  /** The event Okta writes when a caller first goes over a bucket's limit in a window. */
  logRateLimitViolation(ctx: ActionContext, limit: number, windowMs: number, resetS: number): LogEvent {
    // Okta's buckets are per minute; a test's shorter window is given per second.
    const minute = windowMs === 60_000;
    return this.log(ctx, 'system.operation.rate_limit.violation', null, { result: 'RATE_LIMIT', reason: null }, {
      operationRateLimitScopeType: 'ORG',
      operationRateLimitSubtype: 'ORG',
      operationRateLimitType: 'WEB_REQUEST',
      operationRateLimitThreshold: String(minute ? limit : +((limit * 1000) / windowMs).toFixed(2)),
      operationRateLimitTimeUnit: minute ? 'MINUTE' : 'SECOND',
      operationRateLimitSecondsToReset: String(Math.max(0, resetS - Math.floor(this.now() / 1000))),
    });
  }

  /** Appends the event an API call causes (persisted and published now). */
  log(
    ctx: ActionContext,
    eventType: string,
    targets: LogTarget[] | null,
    outcome?: { result: string; reason: string | null },
    debugData?: Record<string, unknown>,
    overrides?: Pick<BuildEventInput, 'severity' | 'legacyEventType'>,
  ): LogEvent {
    const nowMs = this.now();
    const ev = buildEvent({
      uuid: this.rng.uuid(),
      publishedMs: nowMs,
      eventType,
      actor: ctx.actor,
      client: ctx.client,
      targets,
      outcome,
      transactionId: ctx.requestId,
      requestId: ctx.requestId,
      requestUri: ctx.requestUri,
      debugData,
      ...overrides,
    });
    this.logs.append(ev, nowMs);
    return ev;
  }
}

function zoneTarget(z: SandboxZone): LogTarget {
  return { id: z.id, type: 'NetworkZone', alternateId: 'unknown', displayName: z.name, detailEntry: null };
}

function validIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Okta IP zones take IPv4 and IPv6 addresses, as CIDR blocks or ranges (never mixed in one range). */
function validAddress(type: 'CIDR' | 'RANGE', value: string): boolean {
  if (type === 'CIDR') {
    const [ip, bits, extra] = value.split('/');
    if (extra !== undefined || ip === undefined) return false;
    const v6 = isIPv6(ip);
    if (!v6 && !validIpv4(ip)) return false;
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (v6 ? 128 : 32);
  }
  const [a, b, extra] = value.split('-');
  if (extra !== undefined || a === undefined) return false;
  if (isIPv6(a)) return b === undefined || isIPv6(b);
  return b === undefined ? validIpv4(a) : validIpv4(a) && validIpv4(b);
}

/**
 * A group profile as Okta's spec shapes it: `description` is a string, so an unset description is
 * left out rather than sent as null (no evidence was found that Okta sends null there).
 */
function groupProfile(profile: Record<string, unknown> | undefined, name: string): SandboxGroup['profile'] {
  const { description, ...rest } = profile ?? {};
  return { ...rest, name, ...(typeof description === 'string' ? { description } : {}) } as SandboxGroup['profile'];
}
