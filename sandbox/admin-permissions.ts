/**
 * What a signed-in user's own admin roles let an access token do on the management API. Okta
 * grants a user's token the app's scopes, then checks every call against the user's permissions:
 * a token holding okta.users.manage does not let a user without an admin role suspend anyone
 * (403 E0000006).
 *
 * The table follows Okta's "Standard administrator roles and permissions", reduced to the routes
 * the sandbox serves (a route's scope names its resource, `read` or `manage`). Simplifications:
 * roles are never constrained to groups or apps, and no role is kept from acting on a super admin.
 */

type Resource = 'users' | 'groups' | 'apps' | 'networkZones' | 'logs' | 'roles';
type Access = 'read' | 'manage';

/** Per role: the resources it reads and the ones it manages (manage implies read). */
const ROLE_RIGHTS: Record<string, { read?: Resource[]; manage?: Resource[] | '*'; readAll?: true }> = {
  SUPER_ADMIN: { manage: '*' },
  // Org admins manage people and groups but not applications, and cannot view admin roles.
  ORG_ADMIN: { manage: ['users', 'groups', 'networkZones'], read: ['apps', 'logs'] },
  APP_ADMIN: { manage: ['apps'], read: ['users', 'groups', 'logs'] },
  USER_ADMIN: { manage: ['users', 'groups'], read: ['logs'] },
  READ_ONLY_ADMIN: { readAll: true },
  REPORT_ADMIN: { read: ['logs'] },
  HELP_DESK_ADMIN: { read: ['users', 'groups', 'logs'] },
  GROUP_MEMBERSHIP_ADMIN: { read: ['users', 'groups'] },
};

/** Help desk admins: unlock, password and factor resets, sessions (Okta's "Password resets, MFA resets", "Clear user sessions"). */
const HELP_DESK_ROUTES = new Set([
  'POST /api/v1/users/{id}/lifecycle/unlock',
  'POST /api/v1/users/{id}/lifecycle/reset_password',
  'POST /api/v1/users/{id}/lifecycle/expire_password',
  'POST /api/v1/users/{id}/lifecycle/expire_password_with_temp_password',
  'POST /api/v1/users/{id}/lifecycle/reset_factors',
  'DELETE /api/v1/users/{userId}/sessions',
  'DELETE /api/v1/users/{userId}/factors/{factorId}',
]);

/** Group membership admins: add and remove members. */
const GROUP_MEMBERSHIP_ROUTES = new Set(['PUT /api/v1/groups/{groupId}/users/{userId}', 'DELETE /api/v1/groups/{groupId}/users/{userId}']);

/** Any user may read their own record and what hangs off it (Okta's end-user self-service). */
const SELF_READ_ROUTES = new Set([
  'GET /api/v1/users/{id}',
  'GET /api/v1/users/{id}/groups',
  'GET /api/v1/users/{id}/appLinks',
  'GET /api/v1/users/{userId}/factors',
  'GET /api/v1/users/{userId}/factors/{factorId}',
  'GET /api/v1/users/{userId}/roles',
]);

/** `okta.users.manage` → users/manage; unknown scopes give undefined (nothing grants them but super admin). */
function resourceOf(scope: string): { resource: string; access: Access } | undefined {
  const m = /^okta\.([A-Za-z]+)\.(read|manage)$/.exec(scope);
  return m ? { resource: m[1]!, access: m[2] as Access } : undefined;
}

export interface PermissionRequest {
  method: string;
  /** The route's template, e.g. `/api/v1/users/{id}/lifecycle/suspend`. */
  template: string;
  /** The scope the route needs, e.g. `okta.users.manage`. */
  scope: string;
  params: Record<string, string>;
}

/**
 * Whether a user holding `roles` (admin role types, e.g. ['ORG_ADMIN']) may make the request.
 * `isSelf` says whether the request's user path parameter names the caller (id, login or `me`).
 */
export function userMay(roles: readonly string[], req: PermissionRequest, isSelf: boolean): boolean {
  const key = `${req.method} ${req.template}`;
  if (isSelf && SELF_READ_ROUTES.has(key)) return true;
  const need = resourceOf(req.scope);
  for (const role of roles) {
    const rights = ROLE_RIGHTS[role];
    if (!rights) continue;
    if (rights.manage === '*') return true;
    if (role === 'HELP_DESK_ADMIN' && HELP_DESK_ROUTES.has(key)) return true;
    if (role === 'GROUP_MEMBERSHIP_ADMIN' && GROUP_MEMBERSHIP_ROUTES.has(key)) return true;
    if (!need) continue;
    const manages = (rights.manage ?? []) as string[];
    if (manages.includes(need.resource)) return true;
    if (need.access === 'read' && (rights.readAll || (rights.read ?? []).includes(need.resource as Resource))) return true;
  }
  return false;
}
