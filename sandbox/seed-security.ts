/**
 * Seeds the security objects of the sandbox org around one story an analyst can follow: mallory's
 * account was taken over about 40 minutes ago, and the intruder gave it Super Administrator, made
 * an API token, registered a device, consented to a mail-sync app, added an identity provider and
 * a sign-on rule without MFA. Everything else is what a healthy org has. Deterministic per seed.
 */
import type { SandboxApp, SandboxRole, SandboxUser } from './model.js';
import { ROLE_LABELS } from './model.js';
import { Rng } from './random.js';
import type {
  DeviceEnrollment,
  SandboxApiToken,
  SandboxDevice,
  SandboxGrant,
  SandboxIdp,
  SandboxOAuthClient,
  SandboxPolicy,
  SandboxPolicyRule,
  SandboxUserRisk,
  SecuritySeed,
  SecurityHost,
} from './security-types.js';

const MIN = 60_000;
const DAY = 86_400_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The OAuth service app okta-soar signs in with, as Okta lists it under /api/v1/apps. */
export function serviceApp(clientId: string, createdMs: number): SandboxApp {
  return {
    id: clientId,
    name: 'oidc_client',
    label: 'okta-soar sandbox service app',
    status: 'ACTIVE',
    created: iso(createdMs),
    lastUpdated: iso(createdMs),
    signOnMode: 'OPENID_CONNECT',
    accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
    visibility: { autoSubmitToolbar: false, hide: { iOS: true, web: true }, appLinks: { oidc_client_link: false } },
    features: [],
    credentials: { userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' }, oauthClient: { autoKeyRotation: true, client_id: clientId, token_endpoint_auth_method: 'private_key_jwt' } },
    settings: { app: {}, oauthClient: { redirect_uris: [], response_types: ['token'], grant_types: ['client_credentials'], application_type: 'service' } },
    logo: 'okta-soar',
  };
}

export function seedSecurity(seed: number, org: SecurityHost, clientId: string, now: number): SecuritySeed & { serviceApp: SandboxApp } {
  const rng = new Rng(seed, 'security');
  const user = (login: string): SandboxUser => org.findUser(login)!;
  const groupId = (name: string) => [...org.groups.values()].find((g) => g.profile.name === name)!.id;
  const admin = user('admin@example.com');
  const alice = user('alice@example.com');
  const bob = user('bob@example.com');
  const dave = user('dave@example.com');
  const mallory = user('mallory@example.com');
  const takeover = now - 40 * MIN;

  // ------------------------------------------------------------ API tokens
  const token = (u: SandboxUser, name: string, createdMs: number, usedMs: number, network: SandboxApiToken['network'] = { connection: 'ANYWHERE' }): SandboxApiToken => ({
    id: rng.oktaId('00T'),
    name,
    userId: u.id,
    clientName: 'Okta API',
    created: iso(createdMs),
    lastUpdated: iso(usedMs),
    expiresAt: iso(usedMs + 30 * DAY),
    tokenWindow: 'P30D',
    network,
  });
  const self = token(admin, 'okta-soar sandbox', now - 90 * DAY, now);
  const corpZone = [...org.zones.values()].find((z) => z.name === 'Corporate HQ');
  const apiTokens = [
    self,
    token(alice, 'Terraform CI', now - 200 * DAY, now - 2 * 60 * MIN, corpZone ? { connection: 'ZONE', include: [corpZone.id] } : undefined),
    token(mallory, 'backup-sync', takeover + 5 * MIN, now - 5 * MIN),
  ];

  // ------------------------------------------------------------ admin roles
  const role = (type: string, atMs: number, groupId?: string): SandboxRole => ({
    id: rng.oktaId('ra1'),
    label: ROLE_LABELS[type] ?? type,
    type,
    status: 'ACTIVE',
    created: iso(atMs),
    lastUpdated: iso(atMs),
    assignmentType: groupId ? 'GROUP' : 'USER',
    ...(groupId ? { groupId } : {}),
  });
  const userRoles = new Map([[mallory.id, [role('SUPER_ADMIN', takeover + 2 * MIN)]]]);
  const securityAdmins = groupId('Security-Admins');
  const hr = groupId('HR');
  const groupRoles = new Map([
    [securityAdmins, [role('SUPER_ADMIN', now - 380 * DAY, securityAdmins)]],
    [hr, [role('HELP_DESK_ADMIN', now - 250 * DAY, hr)]],
  ]);

  // ------------------------------------------------------------ identity providers
  const provisioning = (action: 'AUTO' | 'DISABLED', link: 'AUTO' | 'DISABLED') => ({
    provisioning: { action, profileMaster: false, groups: { action: 'NONE' }, conditions: { deprovisioned: { action: 'NONE' }, suspended: { action: 'NONE' } } },
    accountLink: { action: link },
    subject: { userNameTemplate: { template: 'idpuser.email' }, matchType: 'USERNAME' },
    maxClockSkew: 120000,
  });
  const saml = (host: string) => ({
    type: 'SAML2',
    endpoints: { sso: { url: `https://${host}/adfs/ls/`, binding: 'HTTP-POST', destination: `https://${host}/adfs/ls/` }, acs: { binding: 'HTTP-POST', type: 'INSTANCE' } },
    algorithms: { request: { signature: { algorithm: 'SHA-256', scope: 'REQUEST' } }, response: { signature: { algorithm: 'SHA-256', scope: 'ANY' } } },
    settings: { nameFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' },
    credentials: { trust: { issuer: `http://${host}/adfs/services/trust`, audience: `https://www.okta.com/saml2/service-provider/sp${rng.alnum(17)}`, kid: rng.uuid() } },
  });
  const oidc = (issuer: string, scopes: string[]) => ({
    type: 'OIDC',
    endpoints: {
      authorization: { url: `${issuer}/oauth2/v1/authorize`, binding: 'HTTP-REDIRECT' },
      token: { url: `${issuer}/oauth2/v1/token`, binding: 'HTTP-POST' },
      userInfo: { url: `${issuer}/oauth2/v1/userinfo`, binding: 'HTTP-REDIRECT' },
      jwks: { url: `${issuer}/oauth2/v1/keys`, binding: 'HTTP-REDIRECT' },
    },
    scopes,
    issuer: { url: issuer },
    credentials: { client: { client_id: rng.alnum(20) } },
  });
  const idp = (type: string, name: string, status: 'ACTIVE' | 'INACTIVE', createdMs: number, protocol: Record<string, unknown>, policy: Record<string, unknown>): SandboxIdp => ({
    id: rng.oktaId('0oa'),
    type,
    name,
    status,
    created: iso(createdMs),
    lastUpdated: iso(createdMs + DAY),
    issuerMode: 'DYNAMIC',
    protocol,
    policy,
  });
  const idps = [
    idp('SAML2', 'Corporate AD FS', 'ACTIVE', now - 700 * DAY, saml('adfs.corp.example.com'), provisioning('DISABLED', 'AUTO')),
    idp('SAML2', 'Corporate AD FS Staging', 'INACTIVE', now - 300 * DAY, saml('adfs-staging.corp.example.com'), provisioning('DISABLED', 'AUTO')),
    idp('GOOGLE', 'Google Workspace', 'ACTIVE', now - 400 * DAY, oidc('https://accounts.google.com', ['openid', 'email', 'profile']), provisioning('DISABLED', 'DISABLED')),
    // The intruder's: any account of that tenant signs in as the Okta user of the same email.
    { ...idp('OIDC', 'Partner Federation', 'ACTIVE', takeover + 20 * MIN, oidc('https://login.partner-idp.example.net', ['openid', 'email', 'profile']), provisioning('AUTO', 'AUTO')), lastUpdated: iso(takeover + 20 * MIN) },
  ];

  // ------------------------------------------------------------ devices
  const devices: SandboxDevice[] = [];
  const enrollments = new Map<string, DeviceEnrollment[]>();
  const device = (u: SandboxUser, displayName: string, platform: SandboxDevice['profile']['platform'], createdMs: number, status: SandboxDevice['status'] = 'ACTIVE', managed = true): void => {
    const d: SandboxDevice = {
      id: rng.oktaId('guo'),
      status,
      created: iso(createdMs),
      lastUpdated: iso(createdMs + (status === 'ACTIVE' ? 0 : DAY)),
      profile: {
        displayName,
        platform,
        manufacturer: { MACOS: 'Apple Inc.', IOS: 'Apple Inc.', ANDROID: 'Google', WINDOWS: rng.pick(['LENOVO', 'Dell Inc.', 'Microsoft Corporation']) }[platform],
        model: { MACOS: 'MacBookPro18,3', IOS: 'iPhone15,2', ANDROID: 'Pixel 8', WINDOWS: rng.pick(['20XW0026US', 'Latitude 7440', 'Surface Laptop 5']) }[platform],
        osVersion: { MACOS: '14.5.0', IOS: '17.5.1', ANDROID: '14', WINDOWS: '10.0.22631' }[platform],
        serialNumber: rng.alnum(12).toUpperCase(),
        udid: rng.uuid().toUpperCase(),
        registered: true,
        secureHardwarePresent: platform !== 'WINDOWS' || managed,
        managed,
      },
    };
    devices.push(d);
    enrollments.set(u.id, [...(enrollments.get(u.id) ?? []), { deviceId: d.id, deviceUserId: rng.oktaId('lnk'), created: d.created }]);
  };
  device(admin, "Sandbox Admin's MacBook Pro", 'MACOS', now - 300 * DAY);
  device(alice, "Alice's MacBook Pro", 'MACOS', now - 250 * DAY);
  device(alice, "Alice's iPhone", 'IOS', now - 240 * DAY);
  device(bob, "Bob's Pixel 8", 'ANDROID', now - 120 * DAY, 'SUSPENDED');
  device(dave, "Dave's Surface Laptop", 'WINDOWS', now - 500 * DAY, 'DEACTIVATED');
  device(mallory, "Mallory's ThinkPad", 'WINDOWS', now - 200 * DAY);
  // Registered by the intruder: an unmanaged Windows machine nobody ordered.
  device(mallory, 'DESKTOP-7F3K2QA', 'WINDOWS', takeover + 8 * MIN, 'ACTIVE', false);
  const fixed = new Set([admin, alice, bob, dave, mallory].map((u) => u.id));
  for (const u of org.users.values()) {
    if (fixed.has(u.id) || u.status !== 'ACTIVE' || !rng.bool(0.5)) continue;
    const first = String(u.profile.firstName ?? 'User');
    device(u, `${first}'s ${rng.pick(['MacBook Air', 'Laptop', 'Workstation'])}`, rng.pick(['MACOS', 'WINDOWS'] as const), Date.parse(u.created) + DAY);
  }

  // ------------------------------------------------------------ OAuth clients, grants, tokens
  const client = (name: string, uri: string | null): SandboxOAuthClient => ({ client_id: rng.oktaId('0oa'), client_name: name, client_uri: uri, logo_uri: null });
  const slack = client('Slack Desktop', 'https://slack.com');
  const githubCli = client('GitHub CLI', 'https://cli.github.com');
  const zoom = client('Zoom for Okta', 'https://zoom.us');
  // Consent phishing: a look-alike app the user was talked into approving.
  const mailSync = client('Mail Sync Pro', 'https://mailsync-pro.example.net');
  const clients = [slack, githubCli, zoom, mailSync];
  const grants: SandboxGrant[] = [];
  const tokens = new Map<string, Map<string, number>>();
  const consent = (u: SandboxUser, c: SandboxOAuthClient, scopes: string[], atMs: number, refreshTokens: number): void => {
    for (const scopeId of scopes) {
      grants.push({ id: rng.oktaId('oag'), userId: u.id, clientId: c.client_id, scopeId, source: 'END_USER', status: 'ACTIVE', created: iso(atMs), lastUpdated: iso(atMs), createdBy: { id: u.id, type: 'User' } });
    }
    if (refreshTokens) tokens.set(u.id, new Map([...(tokens.get(u.id) ?? []), [c.client_id, refreshTokens]]));
  };
  consent(alice, slack, ['openid', 'profile', 'email', 'offline_access'], now - 200 * DAY, 2);
  consent(alice, githubCli, ['openid', 'offline_access'], now - 90 * DAY, 1);
  consent(bob, zoom, ['openid', 'profile'], now - 60 * DAY, 1);
  consent(mallory, slack, ['openid', 'profile'], now - 150 * DAY, 1);
  consent(mallory, mailSync, ['openid', 'email', 'offline_access', 'okta.users.read', 'okta.groups.read'], takeover + 12 * MIN, 3);

  // ------------------------------------------------------------ policies and rules
  const policies: SandboxPolicy[] = [];
  const rules: SandboxPolicyRule[] = [];
  const policy = (type: string, name: string, description: string, priority: number, system: boolean, createdMs: number, body: Record<string, unknown>): SandboxPolicy => {
    const p: SandboxPolicy = { id: rng.oktaId(type === 'ACCESS_POLICY' ? 'rst' : '00p'), type, name, description, status: 'ACTIVE', priority, system, created: iso(createdMs), lastUpdated: iso(createdMs), body };
    policies.push(p);
    return p;
  };
  const rule = (p: SandboxPolicy, name: string, priority: number, system: boolean, createdMs: number, conditions: Record<string, unknown>, actions: Record<string, unknown>): void => {
    rules.push({ id: rng.oktaId('0pr'), policyId: p.id, type: p.type === 'OKTA_SIGN_ON' ? 'SIGN_ON' : p.type, name, status: 'ACTIVE', priority, system, created: iso(createdMs), lastUpdated: iso(createdMs), conditions, actions });
  };
  const signon = (requireFactor: boolean, access: 'ALLOW' | 'DENY' = 'ALLOW') => ({
    signon: {
      access,
      requireFactor,
      ...(requireFactor ? { factorPromptMode: 'ALWAYS', factorLifetime: 15 } : {}),
      primaryFactor: 'PASSWORD_IDP_ANY_FACTOR',
      rememberDeviceByDefault: false,
      session: { usePersistentCookie: false, maxSessionIdleMinutes: 120, maxSessionLifetimeMinutes: 0 },
    },
  });
  const everyone = groupId('Everyone');
  const anywhere = { people: { users: { exclude: [] } }, network: { connection: 'ANYWHERE' }, risk: { behaviors: [] }, riskScore: { level: 'ANY' }, identityProvider: { provider: 'ANY' } };
  const contractors = policy('OKTA_SIGN_ON', 'Contractors', 'Sign-on for contractors', 1, false, now - 330 * DAY, { conditions: { people: { groups: { include: [groupId('Contractors')] } } } });
  // The intruder's rule, first in line: no MFA, from anywhere.
  rule(contractors, 'Temporary access - no MFA', 1, false, takeover + 25 * MIN, anywhere, signon(false));
  rule(contractors, 'MFA every sign-in', 2, false, now - 330 * DAY, anywhere, signon(true));
  rule(contractors, 'Default Rule', 99, true, now - 330 * DAY, anywhere, signon(false));
  const globalDefault = policy('OKTA_SIGN_ON', 'Default Policy', 'The default policy applies in all situations if no other policy applies.', 2, true, now - 800 * DAY, { conditions: { people: { groups: { include: [everyone] } } } });
  rule(globalDefault, 'Require MFA off network', 1, false, now - 700 * DAY, { ...anywhere, network: { connection: 'ZONE', exclude: corpZone ? [corpZone.id] : [] } }, signon(true));
  rule(globalDefault, 'Default Rule', 99, true, now - 800 * DAY, anywhere, signon(false));
  const adminConsole = policy('ACCESS_POLICY', 'Okta Admin Console', 'Authentication policy of the Okta Admin Console', 1, false, now - 800 * DAY, { conditions: null });
  const appSignOn = (factorMode: '1FA' | '2FA') => ({ appSignOn: { access: 'ALLOW', verificationMethod: { factorMode, type: 'ASSURANCE', reauthenticateIn: 'PT2H', constraints: [] } } });
  rule(adminConsole, 'Admins: phishing-resistant MFA', 1, false, now - 400 * DAY, { network: { connection: 'ANYWHERE' } }, appSignOn('2FA'));
  rule(adminConsole, 'Catch-all Rule', 99, true, now - 800 * DAY, {}, appSignOn('2FA'));
  policy('PASSWORD', 'Default Policy', 'The default policy applies in all situations if no other policy applies.', 1, true, now - 800 * DAY, {
    conditions: { people: { groups: { include: [everyone] } }, authProvider: { provider: 'OKTA' } },
    settings: {
      password: {
        complexity: { minLength: 12, minLowerCase: 1, minUpperCase: 1, minNumber: 1, minSymbol: 0, excludeUsername: true, dictionary: { common: { exclude: true } }, excludeAttributes: [] },
        age: { maxAgeDays: 0, expireWarnDays: 0, minAgeMinutes: 0, historyCount: 4 },
        lockout: { maxAttempts: 10, autoUnlockMinutes: 0, userLockoutNotificationChannels: [], showLockoutFailures: false },
      },
      recovery: { factors: { recovery_question: { status: 'ACTIVE', properties: { complexity: { minLength: 4 } } }, okta_email: { status: 'ACTIVE', properties: { recoveryToken: { tokenLifetimeMinutes: 60 } } }, okta_sms: { status: 'INACTIVE' }, okta_call: { status: 'INACTIVE' } } },
      delegation: { options: { skipUnlock: false } },
    },
  });

  // ------------------------------------------------------------ user risk (Identity Threat Protection)
  const risk = new Map<string, SandboxUserRisk>([
    [mallory.id, { riskLevel: 'HIGH', reason: 'Sign-in from a new country with a new device' }],
    [bob.id, { riskLevel: 'LOW', reason: 'override.by.admin' }],
  ]);

  return {
    apiTokens,
    selfTokenId: self.id,
    userRoles,
    groupRoles,
    idps,
    devices,
    enrollments,
    clients,
    grants,
    tokens,
    policies,
    rules,
    risk,
    serviceApp: serviceApp(clientId, now - 90 * DAY),
  };
}
