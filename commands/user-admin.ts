import type { CommandContext, Handler } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError, OktaApiError } from '../integration/base/errors.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { forEachUser } from './bulk.js';
import { ACCOUNT_KEY, accountContext, commaList, describeRef, requireUser, USER_HEADERS, userRefFromArgs, userRow, type OktaUser, type UserRef } from './common.js';

/** XSOAR's named profile arguments: Okta's standard user profile attributes. */
export const PROFILE_ARGS = [
  'firstName', 'lastName', 'email', 'login', 'secondEmail', 'middleName', 'honorificPrefix', 'honorificSuffix', 'title', 'displayName',
  'nickName', 'profileUrl', 'primaryPhone', 'mobilePhone', 'streetAddress', 'city', 'state', 'zipCode', 'countryCode', 'postalAddress',
  'preferredLanguage', 'locale', 'timezone', 'userType', 'employeeNumber', 'costCenter', 'organization', 'division', 'department', 'managerId', 'manager',
] as const;

/** Okta's default user schema requires these four on create. */
const REQUIRED_ON_CREATE = ['firstName', 'lastName', 'email', 'login'];

/** Providers whose name is the type itself; the others name a directory or IdP and need providerName. */
const SELF_NAMED_PROVIDERS = new Set(['OKTA', 'FEDERATION']);

/**
 * The profile to send: the `profile` JSON object (any attribute, custom ones included) merged with
 * the named arguments. The same attribute given both ways with different values is refused.
 */
export function buildProfile(args: Record<string, unknown>): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (const k of PROFILE_ARGS) if (args[k] !== undefined) named[k] = args[k];
  const extra = args.profile;
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra)))
    throw new ArgumentError('argument profile must be a JSON object of profile attributes, e.g. {"department":"IR","customAttr":"x"}', 'profile', 'type');
  const fromJson = (extra ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(fromJson))
    if (k in named && JSON.stringify(named[k]) !== JSON.stringify(v)) throw new ArgumentError(`profile.${k} and argument ${k} disagree; give it once`, k, 'conflict');
  return { ...fromJson, ...named };
}

/** password, recovery question and provider, each only when complete. */
export function buildCredentials(args: Record<string, unknown>): Record<string, unknown> | undefined {
  const c: Record<string, unknown> = {};
  if (args.password !== undefined) c.password = { value: args.password };
  if (args.passwordQuestion !== undefined || args.passwordAnswer !== undefined) {
    if (args.passwordQuestion === undefined || args.passwordAnswer === undefined)
      throw new ArgumentError('passwordQuestion and passwordAnswer go together (the recovery question and its answer)', args.passwordQuestion === undefined ? 'passwordQuestion' : 'passwordAnswer', 'requireBoth');
    c.recovery_question = { question: args.passwordQuestion, answer: args.passwordAnswer };
  }
  if (args.providerType !== undefined || args.providerName !== undefined) {
    const type = args.providerType as string | undefined;
    if (!type) throw new ArgumentError('providerName needs providerType', 'providerType', 'requireBoth');
    const name = (args.providerName as string | undefined) ?? (SELF_NAMED_PROVIDERS.has(type) ? type : undefined);
    if (!name) throw new ArgumentError(`providerType ${type} needs providerName (the directory or identity provider's name)`, 'providerName', 'requireBoth');
    c.provider = { type, name };
  }
  return Object.keys(c).length ? c : undefined;
}

export const createUser: Handler = async (ctx) => {
  const { args } = ctx;
  const profile = buildProfile(args);
  const missing = REQUIRED_ON_CREATE.filter((k) => profile[k] === undefined || profile[k] === '');
  if (missing.length) throw new ArgumentError(`argument ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required (named, or inside profile)`, missing[0], 'required');
  const body: Record<string, unknown> = { profile };
  const credentials = buildCredentials(args);
  if (credentials) body.credentials = credentials;
  const groupIds = commaList(args.groupIds);
  if (groupIds.length) body.groupIds = groupIds;
  const user = (
    await ctx.okta.request<OktaUser>({
      method: 'POST',
      path: '/api/v1/users',
      query: { activate: typeof args.activate === 'boolean' ? args.activate : undefined, provider: args.providerType !== undefined ? true : undefined },
      body,
    })
  ).data;
  return {
    readable: tableToMarkdown(`Okta user created: ${user.profile?.login ?? String(profile.login)}`, userRow(user), USER_HEADERS),
    raw: user,
    context: { [ACCOUNT_KEY]: accountContext(user) },
  };
};

/** The key for /users/{id}: an id or login as given (Okta accepts both), an email looked up. */
async function userPathKey(ctx: CommandContext, ref: UserRef): Promise<string> {
  if (ref.userId) return ref.userId;
  if (ref.username) return ref.username;
  return (await requireUser(ctx, ref)).id;
}

/** okta-update-user: a partial update (POST): attributes not given keep their values. */
export const updateUser: Handler = async (ctx) => {
  const { args } = ctx;
  const ref = userRefFromArgs(args);
  const profile = buildProfile(args);
  const credentials = buildCredentials(args);
  if (!Object.keys(profile).length && !credentials)
    throw new ArgumentError('nothing to update: give profile attributes (named or in profile), a password, a recovery question or a provider', 'profile', 'nothingToUpdate');
  const body: Record<string, unknown> = {};
  if (Object.keys(profile).length) body.profile = profile;
  if (credentials) body.credentials = credentials;
  const key = await userPathKey(ctx, ref);
  let user: OktaUser;
  try {
    user = (await ctx.okta.request<OktaUser>({ method: 'POST', path: '/api/v1/users/{id}', pathParams: { id: key }, body })).data;
  } catch (e) {
    if (e instanceof OktaApiError && e.status === 404) throw new NotFoundError(`user ${describeRef(ref)} was not found in Okta`);
    throw e;
  }
  const changed = Object.entries(profile).map(([Attribute, v]) => ({ Attribute, Value: user.profile?.[Attribute] ?? v }));
  if (credentials) changed.push(...Object.keys(credentials).map((k) => ({ Attribute: `credentials.${k}`, Value: '(set)' })));
  return {
    readable: tableToMarkdown(`Okta user updated: ${user.profile?.login ?? key}`, changed, ['Attribute', 'Value']) + tableToMarkdown('', userRow(user), USER_HEADERS),
    raw: user,
    context: { [ACCOUNT_KEY]: accountContext(user) },
  };
};

/** okta-delete-user: Okta deletes only DEPROVISIONED users, so others are deactivated first (and the result says so). */
export const deleteUser: Handler = (ctx) =>
  forEachUser(ctx, 'delete', 'Okta.Lifecycle', async (ref) => {
    const user = await requireUser(ctx, ref);
    let note = '';
    if (user.status !== 'DEPROVISIONED') {
      // Okta refuses a repeated deactivation, so a retry cannot act twice.
      await ctx.okta.request({ method: 'POST', path: '/api/v1/users/{id}/lifecycle/deactivate', pathParams: { id: user.id }, idempotent: true });
      note = ` (it was ${user.status}: deactivated first)`;
    }
    await ctx.okta.request({ method: 'DELETE', path: '/api/v1/users/{id}', pathParams: { id: user.id }, responseType: 'text' });
    return { UserID: user.id, Username: user.profile.login, Result: `deleted${note}` };
  });
