import type { CommandContext } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError, OktaApiError } from '../integration/base/errors.js';
import { contextKey } from '../integration/engine/results.js';

export const ACCOUNT_KEY = contextKey('Account', 'ID');

export interface OktaUser {
  id: string;
  status: string;
  created?: string | null;
  activated?: string | null;
  statusChanged?: string | null;
  lastLogin?: string | null;
  lastUpdated?: string | null;
  passwordChanged?: string | null;
  type?: { id?: string };
  profile: Record<string, unknown> & { login: string; email?: string; firstName?: string | null; lastName?: string | null };
  credentials?: unknown;
  _links?: unknown;
}

/** Escapes a value for a quoted Okta filter/search string, so it stays a value. */
export function filterValue(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

/** XSOAR's Account context for an Okta user. DisplayName is "first last" on purpose (playbooks rely on it). */
export function accountContext(u: OktaUser): Record<string, unknown> {
  const p = u.profile ?? ({} as OktaUser['profile']);
  const ctx: Record<string, unknown> = {
    ID: u.id,
    Username: p.login,
    Email: p.email,
    DisplayName: [p.firstName, p.lastName].filter((x) => x).join(' '),
    Type: 'Okta',
    Status: u.status,
    Created: u.created ?? undefined,
    Activated: u.activated ?? undefined,
    StatusChanged: u.statusChanged ?? undefined,
    PasswordChanged: u.passwordChanged ?? undefined,
  };
  if (p.manager !== undefined && p.manager !== null) ctx.Manager = str(p.manager);
  if (p.managerEmail !== undefined && p.managerEmail !== null) ctx.ManagerEmail = str(p.managerEmail);
  for (const k of Object.keys(ctx)) if (ctx[k] === undefined) delete ctx[k];
  return ctx;
}

/** The readable row XSOAR shows for a user. */
export function userRow(u: OktaUser): Record<string, unknown> {
  const p = u.profile ?? ({} as OktaUser['profile']);
  return {
    ID: u.id,
    Login: p.login,
    'First Name': p.firstName,
    'Last Name': p.lastName,
    Email: p.email,
    'Mobile Phone': p.mobilePhone,
    'Last Login': u.lastLogin,
    Status: u.status,
    Manager: p.manager,
  };
}

export const USER_HEADERS = ['ID', 'Login', 'First Name', 'Last Name', 'Email', 'Mobile Phone', 'Last Login', 'Status', 'Manager'];

export function verboseUserTables(u: OktaUser): { profile: Record<string, unknown>; additional: Record<string, unknown> } {
  const p = u.profile ?? ({} as OktaUser['profile']);
  return {
    profile: {
      'First Name': p.firstName,
      'Last Name': p.lastName,
      'Mobile Phone': p.mobilePhone,
      Login: p.login,
      Email: p.email,
      'Second Email': p.secondEmail,
      Manager: p.manager,
      'Manager Email': p.managerEmail,
    },
    additional: {
      ID: u.id,
      Status: u.status,
      Created: u.created,
      Activated: u.activated,
      'Status Changed': u.statusChanged,
      'Last Login': u.lastLogin,
      'Last Updated': u.lastUpdated,
      'Password Changed': u.passwordChanged,
      Type: u.type?.id,
    },
  };
}

export interface UserRef {
  userId?: string;
  username?: string;
  userEmail?: string;
}

/** How a user was named, for messages. */
export function describeRef(r: UserRef): string {
  return r.userId ?? r.username ?? r.userEmail ?? '(no user)';
}

/**
 * Finds one user by id, login or email: one request. Login and id go straight to
 * GET /users/{idOrLogin}; an email uses filter=profile.email eq "…" and must match exactly one.
 * Returns undefined when there is no such user.
 */
export async function findUser(ctx: CommandContext, ref: UserRef): Promise<OktaUser | undefined> {
  if (ref.userId || ref.username) {
    const key = (ref.userId ?? ref.username)!;
    try {
      return (await ctx.okta.request<OktaUser>({ method: 'GET', path: '/api/v1/users/{id}', pathParams: { id: key } })).data;
    } catch (e) {
      if (e instanceof OktaApiError && e.status === 404) return undefined;
      throw e;
    }
  }
  if (ref.userEmail) {
    const res = await ctx.okta.request<OktaUser[]>({
      method: 'GET',
      path: '/api/v1/users',
      query: { filter: `profile.email eq ${filterValue(ref.userEmail)}`, limit: 2 },
    });
    if (res.data.length > 1) throw new ArgumentError(`more than one user has the email ${ref.userEmail}; use username or userId`, 'userEmail', 'ambiguous');
    return res.data[0];
  }
  throw new ArgumentError('one of userId, username or userEmail is required', 'username', 'requireOneOf');
}

export async function requireUser(ctx: CommandContext, ref: UserRef): Promise<OktaUser> {
  const u = await findUser(ctx, ref);
  if (!u) throw new NotFoundError(`user ${describeRef(ref)} was not found in Okta`);
  return u;
}

/** The user reference from the standard arguments. */
export function userRefFromArgs(args: Record<string, unknown>): UserRef {
  const ref: UserRef = {};
  if (typeof args.userId === 'string') ref.userId = args.userId;
  if (typeof args.username === 'string') ref.username = args.username;
  if (typeof args.userEmail === 'string') ref.userEmail = args.userEmail;
  return ref;
}

/** Splits bulk user arguments into one reference per user (comma lists). */
export function userRefsFromArgs(args: Record<string, unknown>): UserRef[] {
  const list = (v: unknown) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const refs: UserRef[] = [
    ...list(args.userId).map((userId) => ({ userId })),
    ...list(args.username).map((username) => ({ username })),
    ...list(args.userEmail).map((userEmail) => ({ userEmail })),
  ];
  if (!refs.length) throw new ArgumentError('one of userId, username or userEmail is required', 'username', 'requireOneOf');
  for (const r of refs) {
    if (r.userId && !/^[A-Za-z0-9]{1,64}$/.test(r.userId)) throw new ArgumentError(`userId ${JSON.stringify(r.userId.slice(0, 80))} is not an Okta id (letters and digits only)`, 'userId', 'pattern');
    if ((r.username?.length ?? 0) > 1024) throw new ArgumentError('username is longer than 1024 characters', 'username', 'maxLength');
    if ((r.userEmail?.length ?? 0) > 1024) throw new ArgumentError('userEmail is longer than 1024 characters', 'userEmail', 'maxLength');
  }
  const seen = new Set<string>();
  const unique = refs.filter((r) => {
    const k = JSON.stringify(r).toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (unique.length > MAX_BULK_USERS)
    throw new ArgumentError(`${unique.length} users named; one command acts on at most ${MAX_BULK_USERS} (split the list)`, 'username', 'maxItems');
  return unique;
}

/** The most users one bulk command acts on: each costs Okta requests from the org's shared rate limits. */
export const MAX_BULK_USERS = 1000;

/**
 * The Okta id of the user named by a single-user reference. A userId is used as given (no
 * request); a login or email costs one lookup. Paths such as /users/{id}/factors need the id.
 */
export async function resolveUserId(ctx: CommandContext, ref: UserRef): Promise<{ id: string; login?: string }> {
  if (ref.userId) return { id: ref.userId };
  const u = await requireUser(ctx, ref);
  return { id: u.id, login: u.profile.login };
}

/** Splits a comma-separated argument into trimmed, non-empty values. */
export function commaList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter(Boolean);
  if (typeof v !== 'string') return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Drops undefined and null members, so context holds only what Okta said. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out as Partial<T>;
}
