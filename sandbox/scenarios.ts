/**
 * System Log scenarios: the events an attack or an admin action leaves, in Okta's shapes, for
 * tests to append (`org.appendScenario('push-bombing', { user: 'bob@example.com' })`). Each one
 * is what one of the default detection rules (rules/okta) looks for; see sandbox/README.md.
 *
 * Deterministic: the same seed, the same org history and the same options give the same events
 * (ids come from a stream named after the scenario and the log's length; times from `at`).
 */
import { Rng } from './random.js';
import { behaviorsText, riskText } from './sign-in-risk.js';
import type { LogEvent } from './log-store.js';
import type { SandboxGroup, SandboxUser, SandboxZone } from './model.js';
import { buildEvent, makeClient, SYSTEM_ACTOR, userActor, userTarget, type BuildEventInput, type LogActor, type LogClientInfo, type LogTarget } from './seed-logs.js';

export interface ScenarioOptions {
  /** The user it happens to (login, short login or id). Each scenario has its own default. */
  user?: string;
  /** `published` of the first event (ms since the epoch). Default: so that the last one is now. */
  at?: number;
  /** How many times the repeated step happens (pushes, failed sign-ins …). */
  count?: number;
  /** Time between repeated steps. Default one minute. */
  spacingMs?: number;
  /** The attacker's (or the actor's) IP address. */
  ip?: string;
}

/** What a scenario reads from the org. */
export interface ScenarioOrg {
  readonly seed: number;
  readonly adminUserId: string;
  readonly users: ReadonlyMap<string, SandboxUser>;
  readonly groups: ReadonlyMap<string, SandboxGroup>;
  readonly zones: ReadonlyMap<string, SandboxZone>;
  findUser(idOrLogin: string): SandboxUser | undefined;
}

interface Ctx {
  org: ScenarioOrg;
  rng: Rng;
  now: number;
  opts: ScenarioOptions;
}

type Build = (ctx: Ctx) => LogEvent[];

const GEO_HOME = { city: 'San Francisco', state: 'California', country: 'United States', postalCode: '94107', geolocation: { lat: 37.7697, lon: -122.3933 }, asNumber: 7922, asOrg: 'comcast', isp: 'comcast cable communications llc', domain: 'comcast.net' };
const GEO_TOR = { city: 'Frankfurt am Main', state: 'Hesse', country: 'Germany', postalCode: '60313', geolocation: { lat: 50.1155, lon: 8.6842 }, asNumber: 208323, asOrg: 'foundation for applied privacy', isp: 'applied privacy', domain: 'applied-privacy.net' };
const GEO_VPS = { city: 'Amsterdam', state: 'North Holland', country: 'Netherlands', postalCode: '1012', geolocation: { lat: 52.3759, lon: 4.8975 }, asNumber: 60781, asOrg: 'leaseweb netherlands b.v.', isp: 'leaseweb', domain: 'leaseweb.com' };
const CHROME = { rawUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36', os: 'Windows 10', browser: 'CHROME', device: 'Computer' };
const OKTA_VERIFY = { rawUserAgent: 'OktaVerify/9.20.0 (iPhone; iOS 17.5; Scale/3.00)', os: 'iOS', browser: 'UNKNOWN', device: 'Mobile' };
const SCRIPT = { rawUserAgent: 'python-requests/2.31.0', os: 'Unknown', browser: 'UNKNOWN', device: 'Unknown' };

function user(ctx: Ctx, fallback: string): SandboxUser {
  const key = ctx.opts.user ?? fallback;
  const u = ctx.org.findUser(key);
  if (!u) throw new Error(`sandbox scenario: no user ${JSON.stringify(key)}`);
  return u;
}

const admin = (ctx: Ctx) => ctx.org.users.get(ctx.org.adminUserId)!;
const count = (ctx: Ctx, n: number) => Math.max(1, ctx.opts.count ?? n);
const spacing = (ctx: Ctx) => ctx.opts.spacingMs ?? 60_000;

/** `published` of step `i` of `n`. */
function timeOf(ctx: Ctx, i: number, n: number): number {
  const start = ctx.opts.at ?? ctx.now - (n - 1) * spacing(ctx);
  return start + i * spacing(ctx);
}

function event(ctx: Ctx, publishedMs: number, input: Omit<BuildEventInput, 'uuid' | 'publishedMs' | 'transactionId'>): LogEvent {
  return buildEvent({ uuid: ctx.rng.uuid(), publishedMs, transactionId: ctx.rng.alnum(27), ...input });
}

const adminClient = (ctx: Ctx) => makeClient(ctx.opts.ip ?? '203.0.113.10', CHROME, GEO_HOME);
const attackerClient = (ctx: Ctx, geo = GEO_VPS, isProxy = false) => makeClient(ctx.opts.ip ?? '192.0.2.77', SCRIPT, geo, isProxy);
const target = (type: string, id: string, name: string): LogTarget => ({ id, type, alternateId: name, displayName: name, detailEntry: null });

/** One admin action on a target: the shape of most configuration events. */
function adminAction(eventType: string, displayMessage: string, targets: (ctx: Ctx) => LogTarget[], debugData?: Record<string, unknown>): Build {
  return (ctx) => [event(ctx, timeOf(ctx, 0, 1), { eventType, displayMessage, actor: userActor(admin(ctx)), client: adminClient(ctx), targets: targets(ctx), ...(debugData ? { debugData } : {}) })];
}

/** A sign-in by `who` from `client`, with Okta's behaviour and risk verdicts. */
function signIn(ctx: Ctx, t: number, who: SandboxUser | LogActor, client: LogClientInfo, result: 'SUCCESS' | 'FAILURE', debugData: Record<string, unknown>): LogEvent {
  return event(ctx, t, {
    eventType: 'user.session.start',
    actor: 'profile' in who ? userActor(who) : who,
    client,
    outcome: result === 'SUCCESS' ? { result, reason: null } : { result, reason: 'INVALID_CREDENTIALS' },
    ...(result === 'FAILURE' ? { severity: 'WARN' as const, legacyEventType: 'core.user_auth.login_failed' } : {}),
    requestUri: result === 'SUCCESS' ? '/idp/idx/identify' : '/idp/idx/challenge/answer',
    debugData,
  });
}

export const SCENARIOS = {
  'threat-detected': {
    description: 'ThreatInsight flags a password-spray request (security.threat.detected, DENY).',
    build: (ctx: Ctx) => [
      event(ctx, timeOf(ctx, 0, 1), { eventType: 'security.threat.detected', actor: userActor(user(ctx, 'mallory@example.com')), client: attackerClient(ctx), outcome: { result: 'DENY', reason: 'Password Spray' }, debugData: { threatSuspected: 'true', threatDetections: '{"Password Spray":"HIGH"}' } }),
    ],
  },
  'attack-start': {
    description: 'ThreatInsight declares an attack on the org (security.attack.start).',
    build: (ctx: Ctx) => [event(ctx, timeOf(ctx, 0, 1), { eventType: 'security.attack.start', displayMessage: 'Org under attack', severity: 'WARN', actor: SYSTEM_ACTOR, client: attackerClient(ctx), debugData: { threatDetections: '{"Password Spray":"HIGH"}' } })],
  },
  'suspicious-activity-report': {
    description: 'A user reports a sign-in as not theirs (user.account.report_suspicious_activity_by_enduser).',
    build: (ctx: Ctx) => {
      const u = user(ctx, 'alice@example.com');
      return [event(ctx, timeOf(ctx, 0, 1), { eventType: 'user.account.report_suspicious_activity_by_enduser', actor: userActor(u), client: makeClient('198.51.100.120', CHROME, GEO_HOME), targets: [userTarget(u)], debugData: { suspiciousActivityEventType: 'user.session.start', suspiciousActivityEventId: ctx.rng.uuid() } })];
    },
  },
  'account-lock': {
    description: 'Too many failed sign-ins lock an account (user.account.lock).',
    build: (ctx: Ctx) => [event(ctx, timeOf(ctx, 0, 1), { eventType: 'user.account.lock', actor: userActor(user(ctx, 'dave@example.com')), client: attackerClient(ctx), outcome: { result: 'FAILURE', reason: 'LOCKED_OUT' } })],
  },
  'factor-reset-all': {
    description: 'An admin resets every MFA factor of a user (user.mfa.factor.reset_all).',
    build: (ctx: Ctx) => adminAction('user.mfa.factor.reset_all', 'Reset all factors for user', (c) => [userTarget(user(c, 'alice@example.com'))])(ctx),
  },
  'factor-deactivate': {
    description: "An admin removes a user's Okta Verify factor (user.mfa.factor.deactivate).",
    build: (ctx: Ctx) => adminAction('user.mfa.factor.deactivate', 'Reset factor for user', (c) => [userTarget(user(c, 'alice@example.com'))], { factor: 'OKTA_VERIFY_PUSH' })(ctx),
  },
  'privilege-grant-user': {
    description: 'An admin makes a user Super Administrator (user.account.privilege.grant).',
    build: (ctx: Ctx) => adminAction('user.account.privilege.grant', 'Grant user privilege', (c) => [userTarget(user(c, 'bob@example.com'))], { privilegeGranted: 'Super administrator' })(ctx),
  },
  'privilege-grant-group': {
    description: 'An admin gives a group an admin role (group.privilege.grant).',
    build: (ctx: Ctx) =>
      adminAction(
        'group.privilege.grant',
        'Grant group privilege',
        (c) => {
          const g = [...c.org.groups.values()].find((x) => x.profile.name === 'Engineering') ?? [...c.org.groups.values()][0]!;
          return [target('UserGroup', g.id, g.profile.name)];
        },
        { privilegeGranted: 'Organization administrator' },
      )(ctx),
  },
  'api-token-create': {
    description: 'An admin creates an API token (system.api_token.create).',
    build: (ctx: Ctx) => adminAction('system.api_token.create', 'Create API token', (c) => [target('Token', c.rng.oktaId('00T'), 'backup-export')])(ctx),
  },
  impersonation: {
    description: 'An impersonation session starts for a user (user.session.impersonation.initiate).',
    build: (ctx: Ctx) => {
      const support: LogActor = { id: ctx.rng.oktaId('00u'), type: 'User', alternateId: 'support.agent@okta.com', displayName: 'Okta Support', detailEntry: null };
      return [event(ctx, timeOf(ctx, 0, 1), { eventType: 'user.session.impersonation.initiate', displayMessage: 'Initiate impersonation session', severity: 'WARN', actor: support, client: makeClient('198.51.100.200', CHROME, GEO_HOME), targets: [userTarget(user(ctx, 'admin@example.com'))] })];
    },
  },
  'rate-limit-violation': {
    description: 'An org-wide rate limit is exceeded (system.operation.rate_limit.violation).',
    build: (ctx: Ctx) => [
      event(ctx, timeOf(ctx, 0, 1), {
        eventType: 'system.operation.rate_limit.violation',
        actor: userActor(admin(ctx)),
        client: attackerClient(ctx),
        outcome: { result: 'RATE_LIMIT', reason: null },
        requestUri: '/api/v1/users',
        debugData: { operationRateLimitScopeType: 'ORG', operationRateLimitSubtype: 'ORG', operationRateLimitType: 'WEB_REQUEST', operationRateLimitThreshold: '600', operationRateLimitTimeUnit: 'MINUTE', operationRateLimitSecondsToReset: '31' },
      }),
    ],
  },
  'sign-on-policy-deny': {
    description: 'A sign-on policy denies a sign-in from a blocked zone (policy.evaluate_sign_on, DENY).',
    build: (ctx: Ctx) => [
      event(ctx, timeOf(ctx, 0, 1), {
        eventType: 'policy.evaluate_sign_on',
        actor: userActor(user(ctx, 'alice@example.com')),
        client: attackerClient(ctx),
        outcome: { result: 'DENY', reason: 'Sign-on policy evaluation resulted in DENY' },
        targets: [target('Rule', 'rul9z8y7x6w5v4u3t2s1', 'Block blocklisted zones')],
        debugData: { behaviors: behaviorsText(true), risk: riskText('HIGH'), threatSuspected: 'false' },
      }),
    ],
  },
  'push-bombing': {
    description: 'Someone with the password sends pushes; the user denies each (system.push.send_factor_verify_push then user.mfa.okta_verify.deny_push, `count` times, default 3).',
    build: (ctx: Ctx) => {
      const u = user(ctx, 'bob@example.com');
      const n = count(ctx, 3);
      const out: LogEvent[] = [];
      for (let i = 0; i < n; i++) {
        const t = timeOf(ctx, i, n);
        out.push(event(ctx, t - 20_000, { eventType: 'system.push.send_factor_verify_push', actor: userActor(u), client: attackerClient(ctx), targets: [userTarget(u)], debugData: { factor: 'OKTA_VERIFY_PUSH' } }));
        out.push(
          event(ctx, t, {
            eventType: 'user.mfa.okta_verify.deny_push',
            actor: userActor(u),
            client: makeClient('198.51.100.131', OKTA_VERIFY, GEO_HOME),
            outcome: { result: 'FAILURE', reason: 'User rejected Okta push verify' },
            targets: [userTarget(u)],
            debugData: { factor: 'OKTA_VERIFY_PUSH', pushOnlyResponseType: 'DENY' },
          }),
        );
      }
      return out;
    },
  },
  'push-flood': {
    description: 'Pushes sent to a user who never answers (system.push.send_factor_verify_push, `count` times, default 6).',
    build: (ctx: Ctx) => {
      const u = user(ctx, 'mallory@example.com');
      const n = count(ctx, 6);
      return Array.from({ length: n }, (_, i) => event(ctx, timeOf(ctx, i, n), { eventType: 'system.push.send_factor_verify_push', actor: userActor(u), client: attackerClient(ctx), targets: [userTarget(u)], debugData: { factor: 'OKTA_VERIFY_PUSH' } }));
    },
  },
  'proxy-sign-in': {
    description: 'A successful sign-in from a Tor exit node (user.session.start, securityContext.isProxy true).',
    build: (ctx: Ctx) => [signIn(ctx, timeOf(ctx, 0, 1), user(ctx, 'alice@example.com'), makeClient(ctx.opts.ip ?? '185.220.101.47', CHROME, GEO_TOR, true), 'SUCCESS', { behaviors: behaviorsText({ newDevice: false, newIp: true, newGeo: true }), risk: riskText('MEDIUM'), threatSuspected: 'false' })],
  },
  'high-risk-sign-in': {
    description: "A successful sign-in Okta's risk engine rates HIGH (user.session.start, debugData.risk level=HIGH).",
    build: (ctx: Ctx) => [signIn(ctx, timeOf(ctx, 0, 1), user(ctx, 'alice@example.com'), makeClient(ctx.opts.ip ?? '192.0.2.88', CHROME, GEO_VPS), 'SUCCESS', { behaviors: behaviorsText(true), risk: riskText('HIGH'), threatSuspected: 'false' })],
  },
  'password-spray': {
    description: 'One address fails sign-ins for `count` different usernames (default 12), a minute apart: the org\'s users first, then names it does not have (user.session.start, FAILURE).',
    build: (ctx: Ctx) => {
      const n = count(ctx, 12);
      const known = [...ctx.org.users.values()].filter((u) => u.id !== ctx.org.adminUserId).slice(0, n);
      // A sprayer also tries names the org does not have: Okta logs them with an unknown actor id.
      const guessed: LogActor[] = Array.from({ length: n - known.length }, (_, i) => ({ id: 'unknown', type: 'User', alternateId: `user${i + 1}@example.com`, displayName: 'unknown', detailEntry: null }));
      const actors = [...known.map(userActor), ...guessed];
      const client = attackerClient(ctx);
      return actors.map((actor, i) => signIn(ctx, timeOf(ctx, i, n), actor, client, 'FAILURE', { behaviors: behaviorsText(true), risk: riskText('HIGH'), threatSuspected: 'false' }));
    },
  },
  'admin-console-new-device': {
    description: 'An admin reaches the Okta Admin Console from a new device and a new IP (policy.evaluate_sign_on, behaviours POSITIVE).',
    build: (ctx: Ctx) => {
      const u = user(ctx, 'admin@example.com');
      return [
        event(ctx, timeOf(ctx, 0, 1), {
          eventType: 'policy.evaluate_sign_on',
          actor: userActor(u),
          client: makeClient(ctx.opts.ip ?? '192.0.2.91', CHROME, GEO_VPS),
          outcome: { result: 'CHALLENGE', reason: 'Sign-on policy evaluation resulted in CHALLENGE' },
          targets: [target('AppInstance', ctx.rng.oktaId('0oa'), 'Okta Admin Console'), userTarget(u)],
          debugData: { behaviors: behaviorsText({ newDevice: true, newIp: true, newGeo: false }), risk: riskText('MEDIUM'), threatSuspected: 'false' },
        }),
      ];
    },
  },
  'idp-create': {
    description: 'An admin adds a SAML identity provider (system.idp.lifecycle.create).',
    build: (ctx: Ctx) => adminAction('system.idp.lifecycle.create', 'Create IdP', (c) => [target('IdentityProvider', c.rng.oktaId('0oa'), 'Partner SAML IdP')])(ctx),
  },
  'policy-rule-deactivate': {
    description: 'An admin deactivates a sign-on policy rule (policy.rule.deactivate).',
    build: (ctx: Ctx) => adminAction('policy.rule.deactivate', 'Deactivate policy rule', (c) => [target('PolicyRule', c.rng.oktaId('0pr'), 'Require MFA off network'), target('PolicyEntity', c.rng.oktaId('00p'), 'Default Policy')])(ctx),
  },
  'zone-deactivate': {
    description: 'An admin deactivates a network zone (zone.deactivate).',
    build: (ctx: Ctx) =>
      adminAction('zone.deactivate', 'Deactivate network zone', (c) => {
        const z = [...c.org.zones.values()].find((x) => x.usage === 'BLOCKLIST') ?? [...c.org.zones.values()][0]!;
        return [target('NetworkZone', z.id, z.name)];
      })(ctx),
  },
  'mfa-bypass': {
    description: 'An attempt to get past MFA (user.mfa.attempt_bypass).',
    build: (ctx: Ctx) => [event(ctx, timeOf(ctx, 0, 1), { eventType: 'user.mfa.attempt_bypass', displayMessage: 'Attempt bypass of factor', severity: 'WARN', actor: userActor(user(ctx, 'alice@example.com')), client: attackerClient(ctx), outcome: { result: 'FAILURE', reason: null } })],
  },
  'fastpass-phishing': {
    description: 'FastPass refuses to sign a user in to a phishing page (user.authentication.auth_via_mfa, FAILURE).',
    build: (ctx: Ctx) => [
      event(ctx, timeOf(ctx, 0, 1), {
        eventType: 'user.authentication.auth_via_mfa',
        severity: 'WARN',
        actor: userActor(user(ctx, 'alice@example.com')),
        client: makeClient('198.51.100.120', CHROME, GEO_HOME),
        outcome: { result: 'FAILURE', reason: 'FastPass declined phishing attempt' },
        debugData: { factor: 'SIGNED_NONCE', phishingAttempt: 'true' },
      }),
    ],
  },
  'token-reuse': {
    description: 'A refresh token is presented twice (app.oauth2.as.token.detect_reuse).',
    build: (ctx: Ctx) => {
      const app: LogActor = { id: ctx.rng.oktaId('0oa'), type: 'PublicClientApp', alternateId: 'Mobile app', displayName: 'Mobile app', detailEntry: null };
      return [event(ctx, timeOf(ctx, 0, 1), { eventType: 'app.oauth2.as.token.detect_reuse', displayMessage: 'Refresh token reuse detected', severity: 'WARN', actor: app, client: attackerClient(ctx), outcome: { result: 'FAILURE', reason: 'refresh_token_reuse' }, requestUri: '/oauth2/v1/token', targets: [target('refresh_token', `RT.${ctx.rng.alnum(20)}`, 'Refresh Token')] })];
    },
  },
  'custom-role-binding': {
    description: 'An admin binds a custom admin role to a group (iam.resourceset.bindings.add).',
    build: (ctx: Ctx) => adminAction('iam.resourceset.bindings.add', 'Create admin role assignment', (c) => [target('ResourceSetBinding', c.rng.oktaId('cr0'), 'Helpdesk on Contractors')])(ctx),
  },
} satisfies Record<string, { description: string; build: Build }>;

export type ScenarioName = keyof typeof SCENARIOS;

/** The events of a scenario (not yet appended). */
export function scenarioEvents(name: ScenarioName, org: ScenarioOrg, now: number, opts: ScenarioOptions, streamIndex: number): LogEvent[] {
  const s = SCENARIOS[name];
  if (!s) throw new Error(`sandbox: no scenario ${JSON.stringify(name)} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  return s.build({ org, rng: new Rng(org.seed, `scenario:${name}`, streamIndex), now, opts });
}
