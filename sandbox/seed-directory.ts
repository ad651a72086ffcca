/**
 * Seeds the directory: people (fixed, documented ones first, then generated), groups with
 * names that share prefixes, apps, network zones, factors and admin roles.
 */
import { Rng } from './random.js';
import type {
  AppGroupAssignment,
  AppUserAssignment,
  PushOutcome,
  SandboxApp,
  SandboxFactor,
  SandboxGroup,
  SandboxRole,
  SandboxUser,
  SandboxZone,
  UserStatus,
} from './model.js';
import { ROLE_LABELS } from './model.js';

const DAY = 86_400_000;

export interface SeededDirectory {
  users: SandboxUser[];
  groups: SandboxGroup[];
  /** groupId → member user ids, in insertion order. */
  members: Map<string, Set<string>>;
  apps: SandboxApp[];
  appUsers: Map<string, Map<string, AppUserAssignment>>;
  appGroups: Map<string, Map<string, AppGroupAssignment>>;
  zones: SandboxZone[];
  factors: Map<string, SandboxFactor[]>;
  roles: Map<string, SandboxRole[]>;
  pushOutcomes: Map<string, PushOutcome>;
  /** The API token's admin (`/api/v1/users/me`). */
  adminUserId: string;
  userTypeId: string;
}

interface Person {
  login: string;
  firstName: string;
  lastName: string;
  status: UserStatus;
  department: string;
  title: string;
  groups: string[];
  roles?: string[];
  factors?: string[];
  push?: PushOutcome;
}

/** The documented people. Their logins, names and statuses are part of the sandbox's contract. */
export const FIXED_PEOPLE: readonly Person[] = [
  { login: 'admin@example.com', firstName: 'Sandbox', lastName: 'Admin', status: 'ACTIVE', department: 'IT', title: 'Okta Administrator', groups: ['IT', 'Security'], roles: ['SUPER_ADMIN'], factors: ['push'] },
  { login: 'alice@example.com', firstName: 'Alice', lastName: 'Example', status: 'ACTIVE', department: 'Engineering', title: 'Staff Engineer', groups: ['Engineering', 'Security', 'VPN Users'], roles: ['ORG_ADMIN'], factors: ['push', 'sms', 'token:software:totp'], push: { result: 'SUCCESS', afterPolls: 1 } },
  { login: 'bob@example.com', firstName: 'Bob', lastName: 'Example', status: 'ACTIVE', department: 'Engineering', title: 'Contract Developer', groups: ['Engineering-Contractors', 'Contractors'], factors: ['push'], push: { result: 'REJECTED', afterPolls: 1 } },
  { login: 'carol@example.com', firstName: 'Carol', lastName: 'Example', status: 'SUSPENDED', department: 'Sales', title: 'Account Executive', groups: ['Sales'], factors: ['sms'] },
  { login: 'dave@example.com', firstName: 'Dave', lastName: 'Example', status: 'LOCKED_OUT', department: 'Finance', title: 'Controller', groups: ['Finance'], factors: ['push'] },
  { login: 'erin@example.com', firstName: 'Erin', lastName: 'Example', status: 'STAGED', department: 'Sales', title: 'Sales Engineer', groups: ['Sales-EMEA'] },
  { login: 'frank@example.com', firstName: 'Frank', lastName: 'Example', status: 'PROVISIONED', department: 'HR', title: 'Recruiter', groups: ['HR'] },
  { login: 'grace@example.com', firstName: 'Grace', lastName: 'Example', status: 'PASSWORD_EXPIRED', department: 'Engineering', title: 'Engineering Manager', groups: ['Engineering', 'Engineering Managers'], factors: ['push'] },
  { login: 'heidi@example.com', firstName: 'Heidi', lastName: 'Example', status: 'RECOVERY', department: 'Security', title: 'Security Analyst', groups: ['Security'], factors: ['push', 'sms'] },
  { login: 'ivan@example.com', firstName: 'Ivan', lastName: 'Example', status: 'DEPROVISIONED', department: 'Engineering', title: 'Former Engineer', groups: [] },
  { login: 'mallory@example.com', firstName: 'Mallory', lastName: 'Example', status: 'ACTIVE', department: 'Finance', title: 'Analyst', groups: ['Finance', 'VPN Users'], factors: ['push'], push: { result: 'TIMEOUT' } },
];

const FIRST = ['Aaron', 'Abigail', 'Alicia', 'Amir', 'Ana', 'Ben', 'Bianca', 'Carlos', 'Chen', 'Chloe', 'Daniel', 'Deepa', 'Diego', 'Elena', 'Emma', 'Fatima', 'George', 'Hana', 'Hiro', 'Isabel', 'Jack', 'Jamal', 'Julia', 'Kai', 'Karen', 'Liam', 'Lucia', 'Marco', 'Maya', 'Nadia', 'Noah', 'Olga', 'Omar', 'Priya', 'Quinn', 'Rafael', 'Rosa', 'Sam', 'Sofia', 'Tariq', 'Uma', 'Victor', 'Wei', 'Xavier', 'Yara', 'Zoe'];
const LAST = ['Anderson', 'Baker', 'Brown', 'Chen', 'Clark', 'Davis', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Gupta', 'Hall', 'Ivanova', 'Jones', 'Kim', 'Kowalski', 'Lee', 'Lopez', 'Martin', 'Meyer', 'Nguyen', 'Novak', 'Okafor', 'Patel', 'Quinn', 'Rossi', 'Sato', 'Schmidt', 'Silva', 'Smith', 'Tanaka', 'Taylor', 'Walker', 'Wong', 'Young'];
const DEPTS: readonly (readonly [string, string[], string[]])[] = [
  ['Engineering', ['Engineering'], ['Software Engineer', 'Senior Software Engineer', 'SRE', 'QA Engineer']],
  ['Engineering', ['Engineering-Contractors', 'Contractors'], ['Contract Developer']],
  ['Sales', ['Sales'], ['Account Executive', 'Sales Development Rep']],
  ['Sales', ['Sales-EMEA', 'Sales'], ['Account Manager']],
  ['Finance', ['Finance'], ['Accountant', 'Financial Analyst']],
  ['HR', ['HR'], ['HR Business Partner', 'Recruiter']],
  ['Security', ['Security'], ['Security Engineer', 'Detection Engineer']],
  ['IT', ['IT'], ['IT Support Specialist', 'Systems Administrator']],
];

export const GROUP_DEFS: readonly { name: string; description: string; type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN' }[] = [
  { name: 'Everyone', description: 'All users in your organization', type: 'BUILT_IN' },
  { name: 'Engineering', description: 'Engineering department', type: 'OKTA_GROUP' },
  { name: 'Engineering-Contractors', description: 'Contractors working with Engineering', type: 'OKTA_GROUP' },
  { name: 'Engineering Managers', description: 'People managers in Engineering', type: 'OKTA_GROUP' },
  { name: 'Sales', description: 'Sales department', type: 'OKTA_GROUP' },
  { name: 'Sales-EMEA', description: 'Sales, Europe, Middle East and Africa', type: 'OKTA_GROUP' },
  { name: 'Security', description: 'Security team', type: 'OKTA_GROUP' },
  { name: 'Security-Admins', description: 'Security administrators (break-glass)', type: 'OKTA_GROUP' },
  { name: 'Finance', description: 'Finance department', type: 'OKTA_GROUP' },
  { name: 'HR', description: 'Human resources', type: 'OKTA_GROUP' },
  { name: 'IT', description: 'IT department', type: 'OKTA_GROUP' },
  { name: 'Contractors', description: 'All contractors', type: 'OKTA_GROUP' },
  { name: 'VPN Users', description: 'Allowed to use the corporate VPN', type: 'OKTA_GROUP' },
  { name: 'Domain Users', description: 'Imported from Active Directory (corp.example.com)', type: 'APP_GROUP' },
  { name: 'Domain Admins', description: 'Imported from Active Directory (corp.example.com)', type: 'APP_GROUP' },
];

interface AppDef {
  name: string;
  label: string;
  signOnMode: string;
  status: 'ACTIVE' | 'INACTIVE';
  logo: string;
  groups: string[];
}

const APP_DEFS: readonly AppDef[] = [
  { name: 'saasure', label: 'Okta Admin Console', signOnMode: 'OPENID_CONNECT', status: 'ACTIVE', logo: 'okta-admin', groups: [] },
  { name: 'okta_enduser', label: 'Okta Dashboard', signOnMode: 'OPENID_CONNECT', status: 'ACTIVE', logo: 'okta-dashboard', groups: ['Everyone'] },
  { name: 'salesforce', label: 'Salesforce.com', signOnMode: 'SAML_2_0', status: 'ACTIVE', logo: 'salesforce', groups: ['Sales', 'Sales-EMEA'] },
  { name: 'slack', label: 'Slack', signOnMode: 'SAML_2_0', status: 'ACTIVE', logo: 'slack', groups: ['Everyone'] },
  { name: 'githubcloud', label: 'GitHub Enterprise Cloud', signOnMode: 'SAML_2_0', status: 'ACTIVE', logo: 'github', groups: ['Engineering', 'Engineering-Contractors'] },
  { name: 'amazon_aws_sso', label: 'AWS IAM Identity Center', signOnMode: 'SAML_2_0', status: 'ACTIVE', logo: 'aws', groups: ['Engineering', 'Security'] },
  { name: 'zoomus', label: 'Zoom', signOnMode: 'SAML_2_0', status: 'ACTIVE', logo: 'zoom', groups: ['Everyone'] },
  { name: 'jira_onprem', label: 'Jira', signOnMode: 'SAML_2_0', status: 'ACTIVE', logo: 'jira', groups: ['Engineering'] },
  { name: 'jira_service_management', label: 'Jira Service Management', signOnMode: 'SAML_2_0', status: 'ACTIVE', logo: 'jira', groups: ['IT'] },
  { name: 'bookmark', label: 'Company Wiki', signOnMode: 'BOOKMARK', status: 'ACTIVE', logo: 'bookmark', groups: ['Everyone'] },
  { name: 'expensify', label: 'Legacy Expenses', signOnMode: 'SAML_2_0', status: 'INACTIVE', logo: 'expensify', groups: [] },
];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function userDisplayName(u: Pick<SandboxUser, 'profile'>): string {
  return [u.profile.firstName, u.profile.lastName].filter(Boolean).join(' ');
}

export function seedDirectory(seed: number, userCount: number, now: number): SeededDirectory {
  const rng = new Rng(seed, 'directory');
  const userTypeId = rng.oktaId('oty');
  const users: SandboxUser[] = [];
  const people: Person[] = [...FIXED_PEOPLE];
  const logins = new Set(people.map((p) => p.login));

  // Generated people: mostly ACTIVE, every status represented.
  const extraStatuses: [UserStatus, number][] = [
    ['ACTIVE', 62],
    ['STAGED', 6],
    ['PROVISIONED', 6],
    ['SUSPENDED', 6],
    ['LOCKED_OUT', 5],
    ['PASSWORD_EXPIRED', 5],
    ['RECOVERY', 4],
    ['DEPROVISIONED', 6],
  ];
  let guard = 0;
  while (people.length < userCount && guard++ < userCount * 20) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    let login = `${first}.${last}@example.com`.toLowerCase();
    if (logins.has(login)) login = `${first}.${last}${rng.int(2, 99)}@example.com`.toLowerCase();
    if (logins.has(login)) continue;
    logins.add(login);
    const [department, groups, titles] = rng.pick(DEPTS);
    const status = rng.weighted(extraStatuses);
    const factors: string[] = [];
    if (status !== 'STAGED' && status !== 'PROVISIONED' && status !== 'DEPROVISIONED') {
      if (rng.bool(0.7)) factors.push('push');
      if (rng.bool(0.3)) factors.push('sms');
      if (rng.bool(0.15)) factors.push('signed_nonce');
    }
    const roles = rng.bool(0.06) ? [rng.pick(['READ_ONLY_ADMIN', 'HELP_DESK_ADMIN', 'APP_ADMIN', 'GROUP_MEMBERSHIP_ADMIN'])] : undefined;
    const extraGroups = rng.bool(0.3) ? ['VPN Users'] : [];
    people.push({ login, firstName: first, lastName: last, status, department, title: rng.pick(titles), groups: [...groups, ...extraGroups], factors, roles });
  }

  const factors = new Map<string, SandboxFactor[]>();
  const roles = new Map<string, SandboxRole[]>();
  const pushOutcomes = new Map<string, PushOutcome>();
  const personByUserId = new Map<string, Person>();

  people.forEach((p, i) => {
    const id = rng.oktaId('00u');
    const createdMs = now - (400 - i) * DAY - rng.int(0, DAY);
    const activatedMs = createdMs + rng.int(60_000, 3 * DAY);
    const neverActivated = p.status === 'STAGED' || p.status === 'PROVISIONED';
    const statusChangedMs = p.status === 'ACTIVE' ? activatedMs : now - rng.int(1, 30) * DAY;
    const lastLoginMs = neverActivated || p.status === 'DEPROVISIONED' ? null : now - rng.int(0, 14 * DAY);
    const hasPassword = p.status !== 'STAGED';
    const user: SandboxUser = {
      id,
      status: p.status,
      created: iso(createdMs),
      activated: neverActivated ? null : iso(activatedMs),
      statusChanged: neverActivated ? null : iso(statusChangedMs),
      lastLogin: lastLoginMs === null ? null : iso(lastLoginMs),
      lastUpdated: iso(Math.max(statusChangedMs, activatedMs) + rng.int(0, DAY)),
      passwordChanged: hasPassword && !neverActivated ? iso(activatedMs) : null,
      type: { id: userTypeId },
      profile: {
        firstName: p.firstName,
        lastName: p.lastName,
        mobilePhone: `+1-555-01${String(i % 100).padStart(2, '0')}`,
        secondEmail: null,
        login: p.login,
        email: p.login,
        displayName: `${p.firstName} ${p.lastName}`,
        department: p.department,
        title: p.title,
        organization: 'Example Corp',
        employeeNumber: String(1000 + i),
        userType: p.groups.includes('Contractors') ? 'Contractor' : 'Employee',
        countryCode: 'US',
        locale: 'en_US',
        timezone: 'America/Los_Angeles',
      },
      credentials: {
        ...(hasPassword ? { password: {} } : {}),
        ...(hasPassword ? { recovery_question: { question: "What's the name of your first pet?" } } : {}),
        provider: { type: 'OKTA', name: 'OKTA' },
      },
    };
    users.push(user);
    personByUserId.set(id, p);

    const fs: SandboxFactor[] = [];
    for (const kind of p.factors ?? []) {
      const fCreated = iso(activatedMs + rng.int(60_000, DAY));
      if (kind === 'push') {
        fs.push({
          id: rng.oktaId('opf'),
          factorType: 'push',
          provider: 'OKTA',
          vendorName: 'OKTA',
          status: 'ACTIVE',
          created: fCreated,
          lastUpdated: fCreated,
          profile: {
            credentialId: p.login,
            deviceType: 'SmartPhone_IPhone',
            keys: [{ kty: 'EC', use: 'sig', kid: 'default', crv: 'P-256', x: rng.alnum(43), y: rng.alnum(43) }],
            name: `${p.firstName}'s iPhone`,
            platform: 'IOS',
            version: '17.4.1',
          },
        });
      } else if (kind === 'sms') {
        fs.push({ id: rng.oktaId('sms'), factorType: 'sms', provider: 'OKTA', vendorName: 'OKTA', status: 'ACTIVE', created: fCreated, lastUpdated: fCreated, profile: { phoneNumber: `+1555${String(1000000 + i).slice(1)}` } });
      } else if (kind === 'token:software:totp') {
        fs.push({ id: rng.oktaId('ost'), factorType: 'token:software:totp', provider: 'OKTA', vendorName: 'OKTA', status: 'ACTIVE', created: fCreated, lastUpdated: fCreated, profile: { credentialId: p.login } });
      } else if (kind === 'signed_nonce') {
        fs.push({ id: rng.oktaId('mbl'), factorType: 'signed_nonce', provider: 'OKTA', vendorName: 'OKTA', status: 'ACTIVE', created: fCreated, lastUpdated: fCreated, profile: { credentialId: p.login, deviceType: 'SmartPhone_Android', name: 'Pixel 8', platform: 'ANDROID', version: '14' } });
      }
    }
    if (fs.length) factors.set(id, fs);
    if (p.roles?.length) {
      roles.set(
        id,
        p.roles.map((type) => ({
          id: rng.oktaId('ra1'),
          label: ROLE_LABELS[type] ?? type,
          type,
          status: 'ACTIVE' as const,
          created: iso(activatedMs + DAY),
          lastUpdated: iso(activatedMs + DAY),
          assignmentType: 'USER' as const,
        })),
      );
    }
    if (p.push) pushOutcomes.set(id, p.push);
  });

  // Groups and memberships.
  const groups: SandboxGroup[] = [];
  const members = new Map<string, Set<string>>();
  const groupByName = new Map<string, SandboxGroup>();
  const adAppId = rng.oktaId('0oa');
  GROUP_DEFS.forEach((g, i) => {
    const created = now - (500 - i * 7) * DAY;
    const group: SandboxGroup = {
      id: rng.oktaId('00g'),
      created: iso(created),
      lastUpdated: iso(created + 3 * DAY),
      lastMembershipUpdated: iso(now - rng.int(1, 20) * DAY),
      objectClass: [g.type === 'APP_GROUP' ? 'okta:windows_security_principal' : 'okta:user_group'],
      type: g.type,
      profile:
        g.type === 'APP_GROUP'
          ? {
              name: g.name,
              description: g.description,
              groupType: 'Security',
              samAccountName: g.name,
              groupScope: 'Global',
              dn: `CN=${g.name},CN=Users,DC=corp,DC=example,DC=com`,
              windowsDomainQualifiedName: `CORP\\${g.name}`,
            }
          : { name: g.name, description: g.description },
      ...(g.type === 'APP_GROUP' ? { sourceAppId: adAppId } : {}),
    };
    groups.push(group);
    groupByName.set(g.name, group);
    members.set(group.id, new Set());
  });
  users.forEach((u) => {
    const p = personByUserId.get(u.id)!;
    members.get(groupByName.get('Everyone')!.id)!.add(u.id);
    for (const g of p.groups) members.get(groupByName.get(g)!.id)!.add(u.id);
    if (u.status !== 'DEPROVISIONED' && u.status !== 'STAGED' && rng.bool(0.6)) members.get(groupByName.get('Domain Users')!.id)!.add(u.id);
  });
  members.get(groupByName.get('Domain Admins')!.id)!.add(users[0]!.id);
  members.get(groupByName.get('Security-Admins')!.id)!.add(users[0]!.id);

  // Apps and assignments (group-based, plus a few direct ones).
  const apps: SandboxApp[] = [];
  const appUsers = new Map<string, Map<string, AppUserAssignment>>();
  const appGroups = new Map<string, Map<string, AppGroupAssignment>>();
  APP_DEFS.forEach((d, i) => {
    const created = now - (450 - i * 11) * DAY;
    const id = rng.oktaId('0oa');
    const linkName = `${d.name}_link`;
    apps.push({
      id,
      name: d.name,
      label: d.label,
      status: d.status,
      created: iso(created),
      lastUpdated: iso(created + 2 * DAY),
      signOnMode: d.signOnMode,
      accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
      visibility: { autoSubmitToolbar: false, hide: { iOS: false, web: d.name === 'saasure' }, appLinks: { [linkName]: true } },
      features: [],
      credentials:
        d.signOnMode === 'BOOKMARK' || d.signOnMode === 'OPENID_CONNECT'
          ? { userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' } }
          : { userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' }, signing: { kid: rng.alnum(43) } },
      settings:
        d.signOnMode === 'BOOKMARK'
          ? { app: { requestIntegration: false, url: 'https://wiki.example.com' } }
          : { app: {}, notifications: { vpn: { network: { connection: 'DISABLED' }, message: null, helpUrl: null } } },
      logo: d.logo,
    });
    const au = new Map<string, AppUserAssignment>();
    const ag = new Map<string, AppGroupAssignment>();
    d.groups.forEach((gName, priority) => {
      const g = groupByName.get(gName)!;
      ag.set(g.id, { id: g.id, priority, lastUpdated: iso(created + 3 * DAY), profile: {} });
      for (const uid of members.get(g.id)!) {
        const u = users.find((x) => x.id === uid)!;
        if (u.status === 'DEPROVISIONED' || au.has(uid)) continue;
        au.set(uid, appAssignment(rng, u, 'GROUP', created + 3 * DAY));
      }
    });
    if (d.name === 'saasure') {
      for (const [uid] of roles) {
        const u = users.find((x) => x.id === uid)!;
        au.set(uid, appAssignment(rng, u, 'USER', created + 5 * DAY));
      }
    }
    appUsers.set(id, au);
    appGroups.set(id, ag);
  });

  // Network zones.
  type ZoneSpec = Pick<SandboxZone, 'type' | 'name' | 'status' | 'usage' | 'system'> & Record<string, unknown>;
  const zone = (z: ZoneSpec, ageDays: number): SandboxZone => {
    const { type, name, status, usage, system, ...rest } = z;
    return {
      type,
      id: rng.oktaId('nzo'),
      name,
      status,
      usage,
      created: iso(now - ageDays * DAY),
      lastUpdated: iso(now - Math.floor(ageDays / 2) * DAY),
      system,
      ...rest,
    };
  };
  const zones: SandboxZone[] = [
    zone({ type: 'IP', name: 'LegacyIpZone', status: 'ACTIVE', usage: 'POLICY', system: true, gateways: [{ type: 'CIDR', value: '203.0.113.0/24' }], proxies: null }, 600),
    zone({ type: 'IP', name: 'BlockedIpZone', status: 'ACTIVE', usage: 'BLOCKLIST', system: true, gateways: [{ type: 'CIDR', value: '192.0.2.200/32' }], proxies: null }, 600),
    zone({ type: 'IP', name: 'Corporate HQ', status: 'ACTIVE', usage: 'POLICY', system: false, gateways: [{ type: 'CIDR', value: '203.0.113.0/24' }, { type: 'RANGE', value: '198.51.100.10-198.51.100.20' }], proxies: [{ type: 'CIDR', value: '198.51.100.250/32' }] }, 300),
    zone({ type: 'IP', name: 'Corporate VPN', status: 'INACTIVE', usage: 'POLICY', system: false, gateways: [{ type: 'CIDR', value: '198.51.100.64/26' }], proxies: null }, 200),
    zone({ type: 'IP', name: 'Known bad IPs', status: 'ACTIVE', usage: 'BLOCKLIST', system: false, gateways: [{ type: 'CIDR', value: '192.0.2.0/28' }, { type: 'RANGE', value: '192.0.2.100-192.0.2.110' }], proxies: null }, 90),
    zone({ type: 'DYNAMIC', name: 'Sanctioned countries', status: 'ACTIVE', usage: 'BLOCKLIST', system: false, proxyType: 'Any', locations: [{ country: 'KP' }, { country: 'IR' }], asns: [] }, 120),
  ];

  return {
    users,
    groups,
    members,
    apps,
    appUsers,
    appGroups,
    zones,
    factors,
    roles,
    pushOutcomes,
    adminUserId: users[0]!.id,
    userTypeId,
  };
}

export function appAssignment(rng: Rng, u: SandboxUser, scope: 'USER' | 'GROUP', atMs: number): AppUserAssignment {
  const at = new Date(atMs).toISOString();
  return {
    id: u.id,
    externalId: null,
    created: at,
    lastUpdated: at,
    scope,
    status: 'PROVISIONED',
    statusChanged: at,
    passwordChanged: null,
    syncState: 'DISABLED',
    lastSync: null,
    credentials: { userName: u.profile.login },
    profile: { email: u.profile.email, firstName: u.profile.firstName, lastName: u.profile.lastName, displayName: userDisplayName(u) },
    assignmentId: rng.oktaId('0ua'),
  };
}
