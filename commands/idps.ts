import type { CommandContext, Handler } from '../integration/engine/command.js';
import { contextKey, tableToMarkdown } from '../integration/engine/results.js';
import { compact } from './common.js';
import { findByIdOrName, listResult } from './lists.js';
import { collect } from '../integration/okta/paging.js';

interface OktaIdp {
  id: string;
  name: string;
  type: string;
  status: string;
  issuerMode?: string;
  created?: string;
  lastUpdated?: string;
  protocol?: { type?: string };
  policy?: { provisioning?: { action?: string }; accountLink?: { action?: string } };
  [k: string]: unknown;
}

const IDP_KEY = contextKey('Okta.IdP', 'ID');
const IDP_HEADERS = ['ID', 'Name', 'Type', 'Protocol', 'Status', 'Provisioning', 'AccountLink', 'Created', 'LastUpdated'];

/** What an analyst needs to judge an IdP: who it trusts, and whether it creates or links accounts on its own. */
function idpRow(i: OktaIdp): Record<string, unknown> {
  return compact({
    ID: i.id,
    Name: i.name,
    Type: i.type,
    Protocol: i.protocol?.type,
    Status: i.status,
    IssuerMode: i.issuerMode,
    Provisioning: i.policy?.provisioning?.action,
    AccountLink: i.policy?.accountLink?.action,
    Created: i.created,
    LastUpdated: i.lastUpdated,
  });
}

/** okta-list-idps: identity providers (an IdP added by an intruder lets any account of its tenant sign in as your users). */
export const listIdps: Handler = async (ctx) => {
  const { args } = ctx;
  const got = await collect<OktaIdp>(
    ctx,
    { method: 'GET', path: '/api/v1/idps', query: { q: args.query as string, type: args.type as string, after: args.after as string } },
    Number(args.limit ?? 200),
    200,
  );
  return listResult(got, got.items.map(idpRow), { title: 'Okta identity providers', empty: 'No identity providers found in Okta.', headers: IDP_HEADERS, key: IDP_KEY, cursorKey: 'Okta.IdPCursor(true)', command: 'okta-list-idps' });
};

/** The IdP named by idpId or idpName (exact name; Okta's q= only narrows the search). */
const resolveIdp = (ctx: CommandContext): Promise<OktaIdp> =>
  findByIdOrName<OktaIdp>(ctx, {
    what: 'identity provider',
    id: ctx.args.idpId as string | undefined,
    name: ctx.args.idpName as string | undefined,
    idArg: 'idpId',
    nameArg: 'idpName',
    get: (idpId) => ({ method: 'GET', path: '/api/v1/idps/{idpId}', pathParams: { idpId } }),
    search: (q) => ({ method: 'GET', path: '/api/v1/idps', query: { q, limit: 200 } }),
    names: (i) => [i.name],
    describe: (i) => `${i.id} ${i.type}`,
  });

/** okta-deactivate-idp: nobody signs in through the IdP any more (its users keep their Okta accounts). */
export const deactivateIdp: Handler = async (ctx) => {
  const idp = await resolveIdp(ctx);
  const label = `${idp.name} (${idp.id})`;
  if (idp.status === 'INACTIVE') return { readable: `The identity provider ${label} is already INACTIVE: nothing to do.`, raw: idp, context: { [IDP_KEY]: idpRow(idp) } };
  const res = await ctx.okta.request<OktaIdp>({ method: 'POST', path: '/api/v1/idps/{idpId}/lifecycle/deactivate', pathParams: { idpId: idp.id }, idempotent: true });
  const after = res.data?.id ? res.data : { ...idp, status: 'INACTIVE' };
  return {
    readable: tableToMarkdown(`Okta identity provider deactivated: ${label} (${idp.status} → ${after.status})`, idpRow(after), IDP_HEADERS),
    raw: after,
    context: { [IDP_KEY]: idpRow(after) },
  };
};
