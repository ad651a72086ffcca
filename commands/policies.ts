import type { CommandContext, Handler } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError } from '../integration/base/errors.js';
import { contextKey, tableToMarkdown } from '../integration/engine/results.js';
import { compact } from './common.js';
import { findByIdOrName, listResult, pickByName } from './lists.js';
import { collect } from '../integration/okta/paging.js';

interface OktaPolicy {
  id: string;
  name: string;
  type: string;
  status?: string;
  priority?: number;
  system?: boolean;
  description?: string | null;
  created?: string;
  lastUpdated?: string;
}

interface OktaPolicyRule {
  id: string;
  name: string;
  type?: string;
  status?: string;
  priority?: number | null;
  system?: boolean;
  created?: string | null;
  lastUpdated?: string | null;
  conditions?: { network?: { connection?: string } | null; [k: string]: unknown } | null;
  actions?: {
    signon?: { access?: string; requireFactor?: boolean };
    appSignOn?: { access?: string; verificationMethod?: { factorMode?: string } };
    [k: string]: unknown;
  } | null;
}

const POLICY_KEY = contextKey('Okta.Policy', 'ID');
const RULE_KEY = contextKey('Okta.PolicyRule', 'ID');
const POLICY_HEADERS = ['ID', 'Name', 'Type', 'Status', 'Priority', 'System', 'Description', 'LastUpdated'];
const RULE_HEADERS = ['Priority', 'Name', 'Status', 'Access', 'MFA', 'Network', 'System', 'ID', 'LastUpdated'];

function policyRow(p: OktaPolicy): Record<string, unknown> {
  return compact({ ID: p.id, Name: p.name, Type: p.type, Status: p.status, Priority: p.priority, System: p.system, Description: p.description, Created: p.created, LastUpdated: p.lastUpdated });
}

/** What a rule lets through: access, whether it asks for a second factor, from where. */
function ruleRow(policy: { id: string; name?: string }, r: OktaPolicyRule): Record<string, unknown> {
  const signon = r.actions?.signon;
  const app = r.actions?.appSignOn;
  const mfa = signon ? (signon.requireFactor ? 'required' : 'not required') : app?.verificationMethod?.factorMode;
  return compact({
    ID: r.id,
    PolicyID: policy.id,
    Policy: policy.name,
    Name: r.name,
    Type: r.type,
    Status: r.status,
    Priority: r.priority,
    System: r.system,
    Access: signon?.access ?? app?.access,
    MFA: mfa,
    Network: r.conditions?.network?.connection,
    Created: r.created,
    LastUpdated: r.lastUpdated,
  });
}

/** okta-list-policies: the policies of one type (sign-on, authentication, password …) in priority order. */
export const listPolicies: Handler = async (ctx) => {
  const { args } = ctx;
  const type = String(args.type ?? 'OKTA_SIGN_ON');
  const got = await collect<OktaPolicy>(
    ctx,
    { method: 'GET', path: '/api/v1/policies', query: { type, status: args.status as string, q: args.query as string, after: args.after as string } },
    Number(args.limit ?? 200),
    200,
  );
  return listResult(got, got.items.map(policyRow), { title: `Okta ${type} policies`, empty: `No ${type} policies found in Okta.`, headers: POLICY_HEADERS, key: POLICY_KEY, cursorKey: 'Okta.PolicyCursor(true)', command: 'okta-list-policies' });
};

/** The policy named by policyId, or by policyName within policyType (names are unique per type only). */
function resolvePolicy(ctx: CommandContext): Promise<OktaPolicy> {
  const type = String(ctx.args.policyType ?? 'OKTA_SIGN_ON');
  return findByIdOrName<OktaPolicy>(ctx, {
    what: `${type} policy`,
    id: ctx.args.policyId as string | undefined,
    name: ctx.args.policyName as string | undefined,
    idArg: 'policyId',
    nameArg: 'policyName',
    get: (policyId) => ({ method: 'GET', path: '/api/v1/policies/{policyId}', pathParams: { policyId } }),
    search: (q) => ({ method: 'GET', path: '/api/v1/policies', query: { type, q, limit: 200 } }),
    names: (p) => [p.name],
    describe: (p) => p.id,
  });
}

async function rulesOf(ctx: CommandContext, policy: OktaPolicy, limit?: number): Promise<OktaPolicyRule[]> {
  const res = await ctx.okta.request<OktaPolicyRule[]>({ method: 'GET', path: '/api/v1/policies/{policyId}/rules', pathParams: { policyId: policy.id }, query: { limit } });
  return Array.isArray(res.data) ? res.data : [];
}

/** okta-list-policy-rules: a policy's rules in priority order (a new rule at the top without MFA is the one to look at). */
export const listPolicyRules: Handler = async (ctx) => {
  const policy = await resolvePolicy(ctx);
  const rules = await rulesOf(ctx, policy, ctx.args.limit === undefined ? undefined : Number(ctx.args.limit));
  const rows = rules.map((r) => ruleRow(policy, r));
  if (!rows.length) return { readable: `The policy ${policy.name} (${policy.id}) has no rules.`, raw: [] };
  return { readable: tableToMarkdown(`Rules of Okta policy ${policy.name} (${policy.type}, ${rows.length})`, rows, RULE_HEADERS), raw: rules, context: { [RULE_KEY]: rows } };
};

/** okta-deactivate-policy-rule: stops a rule from applying (Okta's default rule of a policy cannot be). */
export const deactivatePolicyRule: Handler = async (ctx) => {
  const { args } = ctx;
  if ((args.ruleId === undefined) === (args.ruleName === undefined)) throw new ArgumentError('give one of ruleId or ruleName', 'ruleId', 'requireOneOf');
  const policy = await resolvePolicy(ctx);
  const rules = await rulesOf(ctx, policy);
  let rule: OktaPolicyRule | undefined;
  if (typeof args.ruleId === 'string') rule = rules.find((r) => r.id === args.ruleId);
  else {
    const { hit, ambiguous } = pickByName(rules, String(args.ruleName), (r) => [r.name]);
    if (ambiguous) throw new ArgumentError(`several rules of ${policy.name} are named "${String(args.ruleName)}" (${ambiguous.map((r) => r.id).join(', ')}); use ruleId`, 'ruleName', 'ambiguous');
    rule = hit;
  }
  if (!rule) throw new NotFoundError(`the policy ${policy.name} (${policy.id}) has no rule ${String(args.ruleId ?? `"${String(args.ruleName)}"`)}`);
  const label = `"${rule.name}" (${rule.id}) of policy ${policy.name}`;
  if (rule.system) throw new ArgumentError(`${label} is the policy's default rule, which Okta never deactivates: deactivate the rule above it that lets too much through, or change the default rule's settings in the Admin Console`, 'ruleId', 'defaultRule');
  if (rule.status === 'INACTIVE') return { readable: `The rule ${label} is already INACTIVE: nothing to do.`, raw: rule, context: { [RULE_KEY]: ruleRow(policy, rule) } };
  // A second deactivation leaves the same state: safe to retry.
  await ctx.okta.request({
    method: 'POST',
    path: '/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate',
    pathParams: { policyId: policy.id, ruleId: rule.id },
    responseType: 'text',
    idempotent: true,
  });
  const after = { ...rule, status: 'INACTIVE' };
  return {
    readable: tableToMarkdown(`Okta policy rule deactivated: ${label} (${rule.status} → INACTIVE)`, ruleRow(policy, after), RULE_HEADERS),
    raw: after,
    context: { [RULE_KEY]: ruleRow(policy, after) },
  };
};
