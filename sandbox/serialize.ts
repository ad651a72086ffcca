/** Records → Okta response bodies (with `_links` on the sandbox's origin). */
import type {
  AppGroupAssignment,
  AppUserAssignment,
  PushTransaction,
  SandboxApp,
  SandboxFactor,
  SandboxGroup,
  SandboxRole,
  SandboxUser,
  SandboxZone,
} from './model.js';

type Json = Record<string, unknown>;

/** `GET /users/{id}` carries lifecycle links; list entries carry only `self`. */
export function userJson(origin: string, u: SandboxUser, detail = false): Json {
  const base = `${origin}/api/v1/users/${u.id}`;
  const links: Json = { self: { href: base } };
  if (detail) {
    const post = (op: string) => ({ href: `${base}/lifecycle/${op}`, method: 'POST' });
    switch (u.status) {
      case 'ACTIVE':
        Object.assign(links, { suspend: post('suspend'), resetPassword: post('reset_password'), expirePassword: post('expire_password'), resetFactors: post('reset_factors'), deactivate: post('deactivate') });
        break;
      case 'SUSPENDED':
        Object.assign(links, { unsuspend: post('unsuspend'), deactivate: post('deactivate') });
        break;
      case 'LOCKED_OUT':
        Object.assign(links, { unlock: post('unlock'), resetPassword: post('reset_password'), deactivate: post('deactivate') });
        break;
      case 'STAGED':
        Object.assign(links, { activate: post('activate'), deactivate: post('deactivate') });
        break;
      case 'PROVISIONED':
        Object.assign(links, { reactivate: post('reactivate'), deactivate: post('deactivate') });
        break;
      case 'DEPROVISIONED':
        Object.assign(links, { activate: post('activate') });
        break;
      default:
        Object.assign(links, { resetPassword: post('reset_password'), deactivate: post('deactivate') });
    }
    links.schema = { href: `${origin}/api/v1/meta/schemas/user/osc${u.type.id.slice(3)}` };
    links.type = { href: `${origin}/api/v1/meta/types/user/${u.type.id}` };
  }
  return {
    id: u.id,
    status: u.status,
    created: u.created,
    activated: u.activated,
    statusChanged: u.statusChanged,
    lastLogin: u.lastLogin,
    lastUpdated: u.lastUpdated,
    passwordChanged: u.passwordChanged,
    type: u.type,
    profile: u.profile,
    credentials: u.credentials,
    _links: links,
  };
}

export function groupJson(origin: string, g: SandboxGroup): Json {
  const logo = g.type === 'APP_GROUP' ? 'active_directory' : 'okta';
  const links: Json = {
    logo: [
      { name: 'medium', href: `${origin}/assets/img/logos/groups/${logo}-medium.png`, type: 'image/png' },
      { name: 'large', href: `${origin}/assets/img/logos/groups/${logo}-large.png`, type: 'image/png' },
    ],
    users: { href: `${origin}/api/v1/groups/${g.id}/users` },
    apps: { href: `${origin}/api/v1/groups/${g.id}/apps` },
  };
  if (g.sourceAppId) links.source = { href: `${origin}/api/v1/apps/${g.sourceAppId}` };
  return {
    id: g.id,
    created: g.created,
    lastUpdated: g.lastUpdated,
    lastMembershipUpdated: g.lastMembershipUpdated,
    objectClass: g.objectClass,
    type: g.type,
    profile: g.profile,
    _links: links,
  };
}

export function appJson(origin: string, a: SandboxApp): Json {
  const base = `${origin}/api/v1/apps/${a.id}`;
  const linkName = Object.keys(a.visibility.appLinks)[0] ?? `${a.name}_link`;
  return {
    id: a.id,
    orn: `orn:okta:idp:00o1sandboxorg0000000:apps:${a.name}:${a.id}`,
    name: a.name,
    label: a.label,
    status: a.status,
    lastUpdated: a.lastUpdated,
    created: a.created,
    accessibility: a.accessibility,
    visibility: a.visibility,
    features: a.features,
    signOnMode: a.signOnMode,
    credentials: a.credentials,
    settings: a.settings,
    _links: {
      logo: [{ name: 'medium', href: `${origin}/assets/img/logos/${a.logo}.png`, type: 'image/png' }],
      appLinks: [{ name: linkName, href: `${origin}/home/${a.name}/${a.id}/aln${a.id.slice(3)}`, type: 'text/html' }],
      users: { href: `${base}/users` },
      groups: { href: `${base}/groups` },
      ...(a.status === 'ACTIVE' ? { deactivate: { href: `${base}/lifecycle/deactivate` } } : { activate: { href: `${base}/lifecycle/activate` } }),
    },
  };
}

export function appUserJson(origin: string, appId: string, a: AppUserAssignment): Json {
  return {
    id: a.id,
    ...(a.externalId !== null ? { externalId: a.externalId } : {}),
    created: a.created,
    lastUpdated: a.lastUpdated,
    scope: a.scope,
    status: a.status,
    statusChanged: a.statusChanged,
    passwordChanged: a.passwordChanged,
    syncState: a.syncState,
    ...(a.lastSync !== null ? { lastSync: a.lastSync } : {}),
    credentials: a.credentials,
    profile: a.profile,
    _links: {
      app: { href: `${origin}/api/v1/apps/${appId}` },
      user: { href: `${origin}/api/v1/users/${a.id}` },
    },
  };
}

export function appGroupJson(origin: string, appId: string, a: AppGroupAssignment): Json {
  return {
    id: a.id,
    priority: a.priority,
    lastUpdated: a.lastUpdated,
    profile: a.profile,
    _links: {
      app: { href: `${origin}/api/v1/apps/${appId}` },
      self: { href: `${origin}/api/v1/apps/${appId}/groups/${a.id}` },
      group: { href: `${origin}/api/v1/groups/${a.id}` },
    },
  };
}

export function appLinkJson(origin: string, userId: string, app: SandboxApp, a: AppUserAssignment, sortOrder: number): Json {
  return {
    id: userId,
    label: app.label,
    linkUrl: `${origin}/home/${app.name}/${app.id}/${sortOrder + 40}`,
    logoUrl: `${origin}/assets/img/logos/${app.logo}.png`,
    appName: app.name,
    appInstanceId: app.id,
    appAssignmentId: a.assignmentId,
    credentialsSetup: false,
    hidden: false,
    sortOrder,
  };
}

export function zoneJson(origin: string, z: SandboxZone): Json {
  const base = `${origin}/api/v1/zones/${z.id}`;
  return {
    ...z,
    _links: {
      self: { href: base, hints: { allow: ['GET', 'PUT', 'DELETE'] } },
      ...(z.status === 'ACTIVE'
        ? { deactivate: { href: `${base}/lifecycle/deactivate`, hints: { allow: ['POST'] } } }
        : { activate: { href: `${base}/lifecycle/activate`, hints: { allow: ['POST'] } } }),
    },
  };
}

export function factorJson(origin: string, userId: string, f: SandboxFactor): Json {
  const base = `${origin}/api/v1/users/${userId}/factors/${f.id}`;
  return {
    id: f.id,
    factorType: f.factorType,
    provider: f.provider,
    vendorName: f.vendorName,
    status: f.status,
    created: f.created,
    lastUpdated: f.lastUpdated,
    profile: f.profile,
    _links: {
      verify: { href: `${base}/verify`, hints: { allow: ['POST'] } },
      self: { href: base, hints: { allow: ['GET', 'DELETE'] } },
      user: { href: `${origin}/api/v1/users/${userId}`, hints: { allow: ['GET'] } },
    },
  };
}

export function roleJson(origin: string, userId: string, r: SandboxRole): Json {
  const { groupId, ...role } = r;
  return { ...role, _links: { assignee: { href: groupId ? `${origin}/api/v1/groups/${groupId}` : `${origin}/api/v1/users/${userId}` } } };
}

/** `polled`: a transaction poll (carries the profile); false for the verify answer itself. */
export function pushJson(origin: string, tx: PushTransaction, result: 'WAITING' | 'SUCCESS' | 'REJECTED' | 'TIMEOUT', credentialId: string, polled = true): Json {
  const factorBase = `${origin}/api/v1/users/${tx.userId}/factors/${tx.factorId}`;
  const txUrl = `${factorBase}/transactions/${tx.id}`;
  if (result === 'WAITING') {
    return {
      expiresAt: new Date(tx.expiresMs).toISOString(),
      factorResult: 'WAITING',
      ...(polled ? { profile: { credentialId } } : {}),
      _links: {
        poll: { href: txUrl, hints: { allow: ['GET'] } },
        cancel: { href: txUrl, hints: { allow: ['DELETE'] } },
      },
    };
  }
  if (result === 'SUCCESS') return { factorResult: 'SUCCESS' };
  return {
    factorResult: result,
    profile: { credentialId },
    _links: {
      verify: { href: `${factorBase}/verify`, hints: { allow: ['POST'] } },
      factor: { href: factorBase, hints: { allow: ['GET', 'DELETE'] } },
    },
  };
}
