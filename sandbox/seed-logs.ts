/**
 * System Log events in Okta's LogEvent shape: the event catalogue, a builder shared by the
 * seeder and by the API (a suspend appends `user.lifecycle.suspend`), and the seeder itself.
 * Sub-objects (actors, clients, security contexts) are shared between events to keep 100k+
 * events small in memory; nothing mutates an event once stored.
 */
import { Rng } from './random.js';
import type { LogEvent } from './log-store.js';
import type { SandboxApp, SandboxGroup, SandboxUser } from './model.js';
import { userDisplayName } from './seed-directory.js';
import { signInDebugData } from './sign-in-risk.js';

type Severity = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface LogActor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: null;
}

export interface LogTarget {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: null;
}

export interface LogClientInfo {
  client: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  request: Record<string, unknown>;
}

/** Who did something, and from where: the actor and client of the System Log events it causes. */
export interface ActionContext {
  actor: LogActor;
  client: LogClientInfo;
  requestId: string;
  requestUri: string;
}

export interface EventTypeInfo {
  displayMessage: string;
  legacyEventType: string | null;
  severity: Severity;
}

/** The event types the sandbox emits, with Okta's display messages and legacy types. */
export const EVENT_TYPES: Record<string, EventTypeInfo> = {
  'user.session.start': { displayMessage: 'User login to Okta', legacyEventType: 'core.user_auth.login_success', severity: 'INFO' },
  'user.session.end': { displayMessage: 'User logout from Okta', legacyEventType: 'core.user_auth.logout_success', severity: 'INFO' },
  'user.session.clear': { displayMessage: 'Clear user session', legacyEventType: 'core.user_auth.session_clear', severity: 'INFO' },
  'user.session.access_admin_app': { displayMessage: 'User accessing Okta admin app', legacyEventType: 'app.admin.sso.login.success', severity: 'INFO' },
  'user.authentication.sso': { displayMessage: 'User single sign on to app', legacyEventType: 'app.auth.sso', severity: 'INFO' },
  'user.authentication.auth_via_mfa': { displayMessage: 'Authentication of user via MFA', legacyEventType: 'core.user.factor.attempt_success', severity: 'INFO' },
  'user.authentication.verify': { displayMessage: 'Verify user identity', legacyEventType: 'core.user_auth.verify', severity: 'INFO' },
  'user.account.lock': { displayMessage: 'Max sign in attempts exceeded', legacyEventType: 'core.user_auth.account_locked', severity: 'WARN' },
  'user.account.unlock': { displayMessage: 'Unlock user account', legacyEventType: 'core.user.account.unlocked', severity: 'INFO' },
  'user.account.update_password': { displayMessage: 'User update password for Okta', legacyEventType: 'core.user.config.password_update.success', severity: 'INFO' },
  'user.account.reset_password': { displayMessage: 'Fired when the user\'s Okta password is reset', legacyEventType: 'core.user.config.user_status.password_reset', severity: 'INFO' },
  'user.account.expire_password': { displayMessage: 'Fired when the user\'s Okta password is expired', legacyEventType: 'core.user.config.user_status.password_expired', severity: 'INFO' },
  'user.account.privilege.grant': { displayMessage: 'Grant user privilege', legacyEventType: 'core.user.admin_privilege.granted', severity: 'INFO' },
  'user.account.report_suspicious_activity_by_enduser': { displayMessage: 'User report suspicious activity', legacyEventType: null, severity: 'WARN' },
  'user.mfa.factor.activate': { displayMessage: 'Activate factor or authenticator', legacyEventType: 'core.user.factor.activate', severity: 'INFO' },
  'user.mfa.factor.deactivate': { displayMessage: 'Reset factor for user', legacyEventType: 'core.user.factor.deactivate', severity: 'INFO' },
  'user.mfa.factor.reset_all': { displayMessage: 'Reset all factors for user', legacyEventType: 'core.user.factor.reset_all', severity: 'INFO' },
  'user.mfa.okta_verify.deny_push': { displayMessage: 'User rejected Okta push verify', legacyEventType: 'core.user.factor.attempt_fail', severity: 'WARN' },
  'system.push.send_factor_verify_push': { displayMessage: 'A push was sent to the user for verification', legacyEventType: 'core.user.factor.verify_push_sent', severity: 'INFO' },
  'user.lifecycle.create': { displayMessage: 'Create Okta user', legacyEventType: 'core.user.config.user_creation.success', severity: 'INFO' },
  'user.lifecycle.activate': { displayMessage: 'Activate Okta user', legacyEventType: 'core.user.config.user_activated', severity: 'INFO' },
  'user.lifecycle.reactivate': { displayMessage: 'Reactivate Okta user', legacyEventType: 'core.user.config.user_reactivated', severity: 'INFO' },
  'user.lifecycle.deactivate': { displayMessage: 'Deactivate Okta user', legacyEventType: 'core.user.config.user_deactivated', severity: 'INFO' },
  'user.lifecycle.suspend': { displayMessage: 'Suspend Okta user', legacyEventType: 'core.user.config.user_status.suspended', severity: 'INFO' },
  'user.lifecycle.unsuspend': { displayMessage: 'Unsuspend Okta user', legacyEventType: 'core.user.config.user_status.unsuspended', severity: 'INFO' },
  'user.lifecycle.delete.initiated': { displayMessage: 'Delete Okta user', legacyEventType: 'core.user.config.user_deletion.initiated', severity: 'INFO' },
  'user.account.update_profile': { displayMessage: 'Update user profile for Okta', legacyEventType: 'core.user.config.profile_update.success', severity: 'INFO' },
  'security.threat.detected': { displayMessage: 'Request from suspicious actor', legacyEventType: null, severity: 'WARN' },
  'group.user_membership.add': { displayMessage: 'Add user to group membership', legacyEventType: 'core.user_group_member.user_add', severity: 'INFO' },
  'group.user_membership.remove': { displayMessage: 'Remove user from group membership', legacyEventType: 'core.user_group_member.user_remove', severity: 'INFO' },
  'group.lifecycle.create': { displayMessage: 'Create Okta group', legacyEventType: 'core.user_group.created', severity: 'INFO' },
  'group.lifecycle.delete': { displayMessage: 'Delete Okta group', legacyEventType: 'core.user_group.deleted', severity: 'INFO' },
  'group.profile.update': { displayMessage: 'Update Okta group profile', legacyEventType: 'core.user_group.profile_updated', severity: 'INFO' },
  'application.user_membership.add': { displayMessage: 'Add user to application membership', legacyEventType: 'app.generic.provision.assign_user_to_app', severity: 'INFO' },
  'application.user_membership.remove': { displayMessage: 'Remove user from application membership', legacyEventType: 'app.generic.unauth_app_access_attempt', severity: 'INFO' },
  'application.group_membership.add': { displayMessage: 'Add assigned application to group', legacyEventType: 'app.generic.config.app_group_assignment', severity: 'INFO' },
  'app.oauth2.as.token.grant.access_token': { displayMessage: 'OAuth2 access token is granted', legacyEventType: 'app.oauth2.as.token.grant.access_token_success', severity: 'INFO' },
  // The org authorization server's events (analyst sign-in to the OIDC apps).
  'app.oauth2.authorize.code': { displayMessage: 'OAuth2 authorization code request', legacyEventType: 'app.oauth2.authorize.code_success', severity: 'INFO' },
  'app.oauth2.token.grant.access_token': { displayMessage: 'OAuth2 access token is granted', legacyEventType: 'app.oauth2.token.grant.access_token_success', severity: 'INFO' },
  'app.oauth2.token.grant.id_token': { displayMessage: 'OIDC id token is granted', legacyEventType: 'app.oauth2.token.grant.id_token_success', severity: 'INFO' },
  'app.oauth2.token.grant.refresh_token': { displayMessage: 'OAuth2 refresh token is granted', legacyEventType: 'app.oauth2.token.grant.refresh_token_success', severity: 'INFO' },
  'app.oauth2.token.revoke': { displayMessage: 'OAuth2 token revocation request', legacyEventType: 'app.oauth2.token.revoke_success', severity: 'INFO' },
  'app.oauth2.token.detect_reuse': { displayMessage: 'Attempted reuse of a rotated refresh token detected', legacyEventType: null, severity: 'WARN' },
  'system.api_token.create': { displayMessage: 'Create API token', legacyEventType: 'api.token.create', severity: 'INFO' },
  'system.operation.rate_limit.violation': { displayMessage: 'Rate limit violation', legacyEventType: 'core.framework.ratelimit.exceeded', severity: 'WARN' },
  'system.operation.rate_limit.warning': { displayMessage: 'Rate limit warning', legacyEventType: 'core.framework.ratelimit.warning', severity: 'WARN' },
  'policy.evaluate_sign_on': { displayMessage: 'Evaluation of sign-on policy', legacyEventType: null, severity: 'INFO' },
  'zone.create': { displayMessage: 'Create network zone', legacyEventType: 'zone.create', severity: 'INFO' },
  'zone.update': { displayMessage: 'Update network zone', legacyEventType: 'zone.update', severity: 'INFO' },
  'zone.delete': { displayMessage: 'Delete network zone', legacyEventType: 'zone.delete', severity: 'INFO' },
  'zone.activate': { displayMessage: 'Activate network zone', legacyEventType: 'zone.activate', severity: 'INFO' },
  'zone.deactivate': { displayMessage: 'Deactivate network zone', legacyEventType: 'zone.deactivate', severity: 'INFO' },
  // Written by the incident-response changes of security-model.ts.
  'system.api_token.revoke': { displayMessage: 'Revoke API token', legacyEventType: 'api.token.revoke', severity: 'INFO' },
  'user.account.privilege.revoke': { displayMessage: 'Revoke user privilege', legacyEventType: 'core.user.admin_privilege.revoked', severity: 'INFO' },
  'group.privilege.revoke': { displayMessage: 'Revoke group privilege', legacyEventType: null, severity: 'INFO' },
  'system.idp.lifecycle.activate': { displayMessage: 'Activate IdP', legacyEventType: null, severity: 'INFO' },
  'system.idp.lifecycle.deactivate': { displayMessage: 'Deactivate IdP', legacyEventType: null, severity: 'INFO' },
  'device.lifecycle.suspend': { displayMessage: 'Suspend device', legacyEventType: null, severity: 'INFO' },
  'device.lifecycle.unsuspend': { displayMessage: 'Unsuspend device', legacyEventType: null, severity: 'INFO' },
  'device.lifecycle.deactivate': { displayMessage: 'Deactivate device', legacyEventType: null, severity: 'INFO' },
  'app.oauth2.as.consent.revoke': { displayMessage: 'Revoke consent for OAuth 2.0 scopes', legacyEventType: null, severity: 'INFO' },
  'app.oauth2.as.token.revoke': { displayMessage: 'OAuth2 token revocation request', legacyEventType: null, severity: 'INFO' },
  'user.authentication.universal_logout': { displayMessage: 'Universal Logout of a user', legacyEventType: null, severity: 'INFO' },
  'application.lifecycle.activate': { displayMessage: 'Activate application', legacyEventType: 'app.generic.config.app_activated', severity: 'INFO' },
  'application.lifecycle.deactivate': { displayMessage: 'Deactivate application', legacyEventType: 'app.generic.config.app_deactivated', severity: 'INFO' },
  'policy.rule.activate': { displayMessage: 'Activate policy rule', legacyEventType: 'policy.rule.activated', severity: 'INFO' },
  'policy.rule.deactivate': { displayMessage: 'Deactivate policy rule', legacyEventType: 'policy.rule.deactivated', severity: 'INFO' },
  'user.risk.change': { displayMessage: 'User risk level changed', legacyEventType: null, severity: 'WARN' },
};

export const SYSTEM_ACTOR: LogActor = { id: 'system@okta.com', type: 'SystemPrincipal', alternateId: 'system@okta.com', displayName: 'Okta System', detailEntry: null };

export function userActor(u: SandboxUser): LogActor {
  return { id: u.id, type: 'User', alternateId: u.profile.login, displayName: userDisplayName(u), detailEntry: null };
}
export function userTarget(u: SandboxUser): LogTarget {
  return { id: u.id, type: 'User', alternateId: u.profile.login, displayName: userDisplayName(u), detailEntry: null };
}
export function groupTarget(g: SandboxGroup): LogTarget {
  return { id: g.id, type: 'UserGroup', alternateId: 'unknown', displayName: g.profile.name, detailEntry: null };
}
export function appTarget(a: SandboxApp): LogTarget {
  return { id: a.id, type: 'AppInstance', alternateId: a.label, displayName: a.label, detailEntry: null };
}

interface Geo {
  city: string;
  state: string;
  country: string;
  postalCode: string;
  geolocation: { lat: number; lon: number };
}

const GEOS: readonly (Geo & { asNumber: number; asOrg: string; isp: string; domain: string })[] = [
  { city: 'San Francisco', state: 'California', country: 'United States', postalCode: '94107', geolocation: { lat: 37.7697, lon: -122.3933 }, asNumber: 7922, asOrg: 'comcast', isp: 'comcast cable communications llc', domain: 'comcast.net' },
  { city: 'New York', state: 'New York', country: 'United States', postalCode: '10013', geolocation: { lat: 40.7209, lon: -74.0007 }, asNumber: 701, asOrg: 'verizon', isp: 'verizon business', domain: 'verizon.net' },
  { city: 'Austin', state: 'Texas', country: 'United States', postalCode: '78701', geolocation: { lat: 30.2711, lon: -97.7437 }, asNumber: 7018, asOrg: 'at&t', isp: 'at&t services inc.', domain: 'att.net' },
  { city: 'London', state: 'England', country: 'United Kingdom', postalCode: 'EC2V', geolocation: { lat: 51.5164, lon: -0.093 }, asNumber: 2856, asOrg: 'british telecommunications plc', isp: 'bt', domain: 'bt.com' },
  { city: 'Berlin', state: 'Land Berlin', country: 'Germany', postalCode: '10115', geolocation: { lat: 52.5321, lon: 13.3849 }, asNumber: 3320, asOrg: 'deutsche telekom ag', isp: 'deutsche telekom', domain: 't-online.de' },
];
const BAD_GEOS: readonly (Geo & { asNumber: number; asOrg: string; isp: string; domain: string })[] = [
  { city: 'Amsterdam', state: 'North Holland', country: 'Netherlands', postalCode: '1012', geolocation: { lat: 52.3759, lon: 4.8975 }, asNumber: 60781, asOrg: 'leaseweb netherlands b.v.', isp: 'leaseweb', domain: 'leaseweb.com' },
  { city: 'Moscow', state: 'Moscow', country: 'Russia', postalCode: '101000', geolocation: { lat: 55.7527, lon: 37.6172 }, asNumber: 9009, asOrg: 'm247 europe srl', isp: 'm247', domain: 'm247.com' },
];

const UAS: readonly { rawUserAgent: string; os: string; browser: string; device: string }[] = [
  { rawUserAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36', os: 'Mac OS X', browser: 'CHROME', device: 'Computer' },
  { rawUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87', os: 'Windows 10', browser: 'EDGE_CHROMIUM', device: 'Computer' },
  { rawUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', os: 'Windows 10', browser: 'FIREFOX', device: 'Computer' },
  { rawUserAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', os: 'iOS', browser: 'SAFARI', device: 'Mobile' },
  { rawUserAgent: 'OktaVerify/9.20.0 (iPhone; iOS 17.5; Scale/3.00)', os: 'iOS', browser: 'UNKNOWN', device: 'Mobile' },
];
const BAD_UAS: readonly { rawUserAgent: string; os: string; browser: string; device: string }[] = [
  { rawUserAgent: 'python-requests/2.31.0', os: 'Unknown', browser: 'UNKNOWN', device: 'Unknown' },
  { rawUserAgent: 'curl/8.4.0', os: 'Unknown', browser: 'UNKNOWN', device: 'Unknown' },
];

export function makeClient(ip: string, ua: { rawUserAgent: string; os: string; browser: string; device: string }, geo: Geo & { asNumber: number; asOrg: string; isp: string; domain: string }, isProxy = false): LogClientInfo {
  const geographicalContext = { city: geo.city, state: geo.state, country: geo.country, postalCode: geo.postalCode, geolocation: geo.geolocation };
  return {
    client: {
      userAgent: { rawUserAgent: ua.rawUserAgent, os: ua.os, browser: ua.browser },
      zone: 'null',
      device: ua.device,
      id: null,
      ipAddress: ip,
      geographicalContext,
    },
    securityContext: { asNumber: geo.asNumber, asOrg: geo.asOrg, isp: geo.isp, domain: geo.domain, isProxy },
    request: { ipChain: [{ ip, geographicalContext, version: 'V4', source: null }] },
  };
}

/** The client of an API call (what the sandbox logs for events caused by its own API). */
export function apiClient(ip: string, rawUserAgent: string): LogClientInfo {
  // Okta geolocates the caller; the sandbox places every API caller at its "office".
  const geo = GEOS[0]!;
  const geographicalContext = { city: geo.city, state: geo.state, country: geo.country, postalCode: geo.postalCode, geolocation: geo.geolocation };
  return {
    client: {
      userAgent: { rawUserAgent: rawUserAgent || 'UNKNOWN', os: 'Unknown', browser: 'UNKNOWN' },
      zone: 'null',
      device: 'Unknown',
      id: null,
      ipAddress: ip,
      geographicalContext,
    },
    securityContext: { asNumber: geo.asNumber, asOrg: geo.asOrg, isp: geo.isp, domain: geo.domain, isProxy: false },
    request: { ipChain: [{ ip, geographicalContext, version: ip.includes(':') ? 'V6' : 'V4', source: null }] },
  };
}

export interface BuildEventInput {
  uuid: string;
  publishedMs: number;
  eventType: string;
  actor: LogActor;
  client: LogClientInfo;
  targets?: LogTarget[] | null;
  outcome?: { result: string; reason: string | null };
  transactionId: string;
  requestId?: string;
  requestUri?: string;
  sessionId?: string | null;
  /** A shared authenticationContext object (the seeder reuses one per user session). */
  authenticationContext?: Record<string, unknown>;
  debugData?: Record<string, unknown>;
  severity?: Severity;
  displayMessage?: string;
  legacyEventType?: string | null;
  transactionType?: 'WEB' | 'JOB';
}

const OUTCOME_SUCCESS = Object.freeze({ result: 'SUCCESS', reason: null });
/** Shared by every event (events are never mutated once stored). */
const EMPTY_DETAIL = Object.freeze({});

function debugData(requestId: string, requestUri: string | undefined, extra: Record<string, unknown> | undefined): Record<string, unknown> {
  const d: Record<string, unknown> = { requestId, requestUri: requestUri ?? '/api/v1/authn', url: requestUri ?? '/api/v1/authn?' };
  if (extra) for (const k of Object.keys(extra)) d[k] = extra[k];
  return d;
}

export function authContext(externalSessionId: string): Record<string, unknown> {
  return {
    authenticationProvider: null,
    credentialProvider: null,
    credentialType: null,
    issuer: null,
    interface: null,
    authenticationStep: 0,
    externalSessionId,
  };
}

export function buildEvent(i: BuildEventInput): LogEvent {
  const info = EVENT_TYPES[i.eventType] ?? { displayMessage: i.eventType, legacyEventType: null, severity: 'INFO' as Severity };
  const requestId = i.requestId ?? i.transactionId;
  return {
    actor: i.actor,
    client: i.client.client,
    authenticationContext: i.authenticationContext ?? authContext(i.sessionId ?? 'unknown'),
    displayMessage: i.displayMessage ?? info.displayMessage,
    eventType: i.eventType,
    outcome: i.outcome ?? OUTCOME_SUCCESS,
    published: new Date(i.publishedMs).toISOString(),
    securityContext: i.client.securityContext,
    severity: i.severity ?? info.severity,
    debugContext: { debugData: debugData(requestId, i.requestUri, i.debugData) },
    legacyEventType: i.legacyEventType !== undefined ? i.legacyEventType : info.legacyEventType,
    transaction: { type: i.transactionType ?? 'WEB', id: i.transactionId, detail: EMPTY_DETAIL },
    uuid: i.uuid,
    version: '0',
    request: i.client.request,
    target: i.targets ?? null,
  } as LogEvent;
}

export interface LogSeedContext {
  users: SandboxUser[];
  groups: SandboxGroup[];
  apps: SandboxApp[];
  clientAppId: string;
}

/** The seeded System Log: timestamps up front, event bodies built on first access. */
export interface SeededLog {
  count: number;
  /** Generation indices in persistence order. */
  order: Int32Array;
  publishedMs: Float64Array;
  persistedMs: Float64Array;
  /** Builds event `n` (deterministic; independent of build order). */
  make(n: number): LogEvent;
}

/**
 * Seeds `count` events published over the last `spanMs` before `now`. About 4% share the
 * published millisecond of their predecessor; about 1% are persisted 1–15 minutes late.
 * Only timestamps are computed here; bodies are built lazily (100k+ events start fast, and an
 * unfiltered polling page builds only the events it returns).
 */
export function seedLogEvents(seed: number, count: number, now: number, ctx: LogSeedContext, spanMs = 7 * 86_400_000): SeededLog {
  const rng = new Rng(seed, 'logs');
  const active = ctx.users.filter((u) => u.status !== 'STAGED' && u.status !== 'PROVISIONED' && u.status !== 'DEPROVISIONED');
  const people = active.length ? active : ctx.users;
  const actors = new Map(people.map((u) => [u.id, userActor(u)]));
  const targets = new Map(ctx.users.map((u) => [u.id, userTarget(u)]));
  const appTargets = ctx.apps.filter((a) => a.status === 'ACTIVE').map(appTarget);
  const groupTargets = ctx.groups.filter((g) => g.type === 'OKTA_GROUP').map(groupTarget);
  const admin = ctx.users[0]!;
  const adminActor = userActor(admin);
  const serviceActor: LogActor = { id: ctx.clientAppId, type: 'PublicClientApp', alternateId: ctx.clientAppId, displayName: 'okta-soar sandbox service app', detailEntry: null };

  // Each person has a home client or two; attackers come from a few bad clients.
  const homeClients = new Map<string, LogClientInfo[]>();
  people.forEach((u, idx) => {
    const geo = GEOS[idx % GEOS.length]!;
    const office = makeClient(`203.0.113.${(idx % 200) + 10}`, UAS[idx % 3]!, GEOS[0]!);
    const home = makeClient(`198.51.100.${(idx % 40) + 100}`, rng.pick(UAS), geo);
    homeClients.set(u.id, [office, home]);
  });
  const badClients = Array.from({ length: 6 }, (_, k) => makeClient(`192.0.2.${k + 1}`, BAD_UAS[k % 2]!, BAD_GEOS[k % 2]!, k % 3 === 0));
  const serviceClient = makeClient('198.51.100.250', BAD_UAS[0]!, GEOS[0]!);
  const mallory = ctx.users.find((u) => u.profile.login === 'mallory@example.com');

  const kinds: readonly (readonly [string, number])[] = [
    ['session.start.ok', 28],
    ['session.start.fail', 7],
    ['sso', 16],
    ['mfa', 7],
    ['session.end', 5],
    ['policy.allow', 8],
    ['policy.deny', 2],
    ['push.sent', 3],
    ['deny_push', 1],
    ['lock', 1.5],
    ['unlock', 0.5],
    ['factor.deactivate', 0.8],
    ['factor.reset_all', 0.3],
    ['threat', 1.2],
    ['report_suspicious', 0.4],
    ['group.add', 2.5],
    ['group.remove', 0.8],
    ['app.add', 2],
    ['token.create', 0.2],
    ['privilege.grant', 0.3],
    ['rate_limit', 0.6],
    ['oauth.token', 3],
    ['admin_app', 1],
    ['password.update', 1],
    ['lifecycle', 1],
  ];

  const start = now - spanMs;
  const meanGap = spanMs / Math.max(count, 1);
  let t = start;
  const pub = new Float64Array(count);
  const per = new Float64Array(count);
  for (let n = 0; n < count; n++) {
    if (n > 0 && rng.bool(0.04)) {
      // Same millisecond as the previous event.
    } else {
      t += Math.max(1, Math.round(-Math.log(1 - rng.float()) * meanGap));
    }
    pub[n] = Math.min(t, now - 2000);
    const late = rng.bool(0.01);
    const lag = late ? rng.int(60_000, 15 * 60_000) : rng.int(0, 1500);
    per[n] = Math.min(pub[n]! + lag, now - 1);
  }
  const sessions = new Map<string, Record<string, unknown>>();
  // One sign-in session per person and day: events of a session share its context object.
  const sessionOf = (userId: string, publishedMs: number): Record<string, unknown> => {
    const key = `${userId}:${Math.floor(publishedMs / 86_400_000)}`;
    let ctx = sessions.get(key);
    if (!ctx) {
      ctx = authContext(`102${new Rng(seed, `session:${key}`).alnum(22)}`);
      sessions.set(key, ctx);
    }
    return ctx;
  };

  function make(n: number): LogEvent {
    const rng = new Rng(seed, 'log-event', n);
    const publishedMs = pub[n]!;
    const kind = rng.weighted(kinds);
    const user = rng.pick(people);
    const actor = actors.get(user.id)!;
    const clients = homeClients.get(user.id)!;
    const client = rng.bool(0.6) ? clients[0]! : clients[1]!;
    const txId = rng.alnum(27);
    const authenticationContext = sessionOf(user.id, publishedMs);
    const uuid = rng.uuid();
    let ev: LogEvent;
    switch (kind) {
      case 'session.start.ok':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.session.start', actor, client, requestUri: '/idp/idx/identify', targets: null, debugData: signInDebugData(true) });
        break;
      case 'session.start.fail': {
        const attacker = rng.bool(0.4);
        ev = buildEvent({
          uuid,
          publishedMs,
          transactionId: txId,
          authenticationContext,
          eventType: 'user.session.start',
          actor,
          client: attacker ? rng.pick(badClients) : client,
          outcome: { result: 'FAILURE', reason: rng.pick(['INVALID_CREDENTIALS', 'VERIFICATION_ERROR', 'LOCKED_OUT']) },
          severity: 'WARN',
          legacyEventType: 'core.user_auth.login_failed',
          requestUri: '/idp/idx/challenge/answer',
          debugData: signInDebugData(!attacker),
        });
        break;
      }
      case 'sso': {
        const app = rng.pick(appTargets);
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.authentication.sso', actor, client, targets: [app, { id: rng.oktaId('0ua'), type: 'AppUser', alternateId: user.profile.login, displayName: userDisplayName(user), detailEntry: null }], requestUri: `/app/${app.id}/sso/saml` });
        break;
      }
      case 'mfa':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.authentication.auth_via_mfa', actor, client, targets: null, debugData: { factor: rng.pick(['OKTA_VERIFY_PUSH', 'SMS_FACTOR', 'SIGNED_NONCE']) } });
        break;
      case 'session.end':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.session.end', actor, client, requestUri: '/login/signout' });
        break;
      case 'policy.allow':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'policy.evaluate_sign_on', actor, client, outcome: { result: 'ALLOW', reason: 'Sign-on policy evaluation resulted in ALLOW' }, targets: [{ id: 'rul1a2b3c4d5e6f7g8h9', type: 'Rule', alternateId: 'unknown', displayName: 'Default Rule', detailEntry: null }], debugData: signInDebugData(true) });
        break;
      case 'policy.deny':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'policy.evaluate_sign_on', actor, client: rng.pick(badClients), outcome: { result: 'DENY', reason: 'Sign-on policy evaluation resulted in DENY' }, targets: [{ id: 'rul9z8y7x6w5v4u3t2s1', type: 'Rule', alternateId: 'unknown', displayName: 'Block blocklisted zones', detailEntry: null }], debugData: signInDebugData(false) });
        break;
      case 'push.sent':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'system.push.send_factor_verify_push', actor, client, targets: [targets.get(user.id)!] });
        break;
      case 'deny_push':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.mfa.okta_verify.deny_push', actor, client, outcome: { result: 'FAILURE', reason: 'User rejected Okta push verify' }, targets: [targets.get(user.id)!] });
        break;
      case 'lock':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.account.lock', actor, client: rng.pick(badClients), outcome: { result: 'FAILURE', reason: 'LOCKED_OUT' } });
        break;
      case 'unlock':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.account.unlock', actor: adminActor, client: homeClients.get(admin.id)?.[0] ?? client, targets: [targets.get(user.id)!] });
        break;
      case 'factor.deactivate':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.mfa.factor.deactivate', actor: adminActor, client, targets: [targets.get(user.id)!], debugData: { factor: 'OKTA_VERIFY_PUSH' } });
        break;
      case 'factor.reset_all':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.mfa.factor.reset_all', actor: adminActor, client, targets: [targets.get(user.id)!] });
        break;
      case 'threat': {
        const bad = rng.pick(badClients);
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'security.threat.detected', actor: mallory && rng.bool(0.5) ? actors.get(mallory.id) ?? actor : actor, client: bad, outcome: { result: rng.bool(0.5) ? 'ALLOW' : 'DENY', reason: rng.pick(['Password Spray', 'Credential Stuffing', 'Login failures']) }, debugData: { threatSuspected: 'true', threatDetections: '{"Password Spray":"HIGH"}' } });
        break;
      }
      case 'report_suspicious':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.account.report_suspicious_activity_by_enduser', actor, client, targets: [targets.get(user.id)!], debugData: { suspiciousActivityEventType: 'user.session.start', suspiciousActivityEventId: rng.uuid() } });
        break;
      case 'group.add':
      case 'group.remove':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: kind === 'group.add' ? 'group.user_membership.add' : 'group.user_membership.remove', actor: adminActor, client: homeClients.get(admin.id)?.[0] ?? client, targets: [targets.get(user.id)!, rng.pick(groupTargets)], requestUri: '/api/v1/groups' });
        break;
      case 'app.add':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'application.user_membership.add', actor: adminActor, client: homeClients.get(admin.id)?.[0] ?? client, targets: [{ id: rng.oktaId('0ua'), type: 'AppUser', alternateId: user.profile.login, displayName: userDisplayName(user), detailEntry: null }, rng.pick(appTargets), targets.get(user.id)!] });
        break;
      case 'token.create':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'system.api_token.create', actor: adminActor, client: homeClients.get(admin.id)?.[0] ?? client, targets: [{ id: rng.oktaId('00T'), type: 'Token', alternateId: 'unknown', displayName: rng.pick(['SIEM export', 'Terraform', 'okta-soar']), detailEntry: null }] });
        break;
      case 'privilege.grant':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.account.privilege.grant', actor: adminActor, client: homeClients.get(admin.id)?.[0] ?? client, targets: [targets.get(user.id)!], debugData: { privilegeGranted: rng.pick(['Read-only Administrator', 'Help Desk Administrator', 'Application Administrator']) } });
        break;
      case 'rate_limit':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'system.operation.rate_limit.violation', actor: serviceActor, client: serviceClient, outcome: { result: 'RATE_LIMIT', reason: null }, requestUri: '/api/v1/logs', debugData: { operationRateLimitScopeType: 'ORG', operationRateLimitSubtype: 'ORG', operationRateLimitType: 'WEB_REQUEST', operationRateLimitThreshold: '120', operationRateLimitTimeUnit: 'MINUTE', operationRateLimitSecondsToReset: '17' } });
        break;
      case 'oauth.token':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'app.oauth2.as.token.grant.access_token', actor: serviceActor, client: serviceClient, requestUri: '/oauth2/v1/token', targets: [{ id: `AT.${rng.alnum(43)}`, type: 'access_token', alternateId: 'unknown', displayName: 'Access Token', detailEntry: null }], transactionType: 'WEB' });
        break;
      case 'admin_app':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.session.access_admin_app', actor: adminActor, client: homeClients.get(admin.id)?.[0] ?? client, targets: [{ id: appTargets[0]!.id, type: 'AppInstance', alternateId: 'Okta Admin Console', displayName: 'Okta Admin Console', detailEntry: null }] });
        break;
      case 'password.update':
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: 'user.account.update_password', actor, client, targets: [targets.get(user.id)!] });
        break;
      default: {
        const type = rng.pick(['user.lifecycle.create', 'user.lifecycle.activate', 'user.lifecycle.suspend', 'user.lifecycle.unsuspend', 'user.lifecycle.deactivate']);
        ev = buildEvent({ uuid, publishedMs, transactionId: txId, authenticationContext, eventType: type, actor: adminActor, client: homeClients.get(admin.id)?.[0] ?? client, targets: [targets.get(user.id)!], requestUri: '/api/v1/users' });
      }
    }
    return ev;
  }
  // Persistence order: stable by persistedMs.
  const order = Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => per[a]! - per[b]! || a - b);
  return { count, order, publishedMs: pub, persistedMs: per, make };
}
