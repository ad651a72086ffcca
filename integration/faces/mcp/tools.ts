/**
 * The commands of integration.yml as MCP tools (contract §9): the same name, the argument schema
 * as input schema, the context outputs as output schema, and annotations from the manifest
 * (`changes`, `destructive`, `idempotent`). Which tools are offered: the ones that read, those
 * that change Okta only with OKTA_MCP_CHANGES=confirm (and a caller allowed to change), never one
 * whose scopes the configuration lacks.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { commandSchema } from '../../engine/args.js';
import type { ManifestCommand } from '../../engine/manifest.js';
import { missingScopes } from '../../engine/scopes.js';
import { contextSchema, outputsOf, type JsonSchema } from '../context-schema.js';
import { CONFIRM_TTL_MS } from './confirmations.js';

/** The argument that carries a plan's confirmation token. */
export const CONFIRM_ARG = 'confirm';

export interface ToolPolicy {
  /** Tools that change Okta are offered (OKTA_MCP_CHANGES=confirm, and the caller may change Okta). */
  changes: boolean;
  /** The configured OAuth scopes; undefined when scopes do not apply (API token). */
  scopes?: readonly string[];
}

/** Why a command is not offered under a policy, or undefined when it is. */
export function notOffered(c: ManifestCommand, policy: ToolPolicy): 'changes' | 'scopes' | undefined {
  if (c.changes && !policy.changes) return 'changes';
  if (policy.scopes && missingScopes(c.scopes, policy.scopes).length) return 'scopes';
  return undefined;
}

function inputSchema(c: ManifestCommand, using?: string[]): Tool['inputSchema'] {
  const s = commandSchema(c);
  // Several model APIs refuse allOf/anyOf at the top of a tool's input schema: the rule is said
  // in words here, and the engine checks it on every call.
  delete s.allOf;
  const properties = { ...(s.properties as Record<string, JsonSchema>) };
  for (const a of c.arguments) properties[a.name] = { ...properties[a.name], description: a.description };
  if (c.changes)
    properties[CONFIRM_ARG] = {
      type: 'string',
      maxLength: 100,
      description: `Leave out at first: the call then returns the plan (a dry run, nothing changed) and a confirmation token. To make the change, call again with the same arguments and confirm set to that token (single use, valid ${CONFIRM_TTL_MS / 60_000} minutes).`,
    };
  if (using) properties.using = { type: 'string', enum: using, description: 'The Okta org (instance) to run on.' };
  return { ...s, type: 'object', properties, ...(using ? { required: [...((s.required as string[] | undefined) ?? []), 'using'] } : {}) } as Tool['inputSchema'];
}

function description(c: ManifestCommand): string {
  const parts = [c.description];
  if (c.requireOneOf?.length) parts.push(c.requireOneOf.map((g) => `Give at least one of ${g.join(', ')}.`).join(' '));
  if (c.scopes.length) parts.push(`Okta API scopes: ${c.scopes.join(', ')}.`);
  if (c.changes) parts.push('Changes Okta: the first call only plans (dry run) and returns a confirmation token; nothing changes until the same call is repeated with confirm=<token>.');
  return parts.join(' ');
}

/** The output schema: the context as a tree; a changing tool's plan adds its confirmation. */
function outputSchema(c: ManifestCommand): Tool['outputSchema'] {
  const s = contextSchema(outputsOf(c));
  if (c.changes) {
    (s.properties as Record<string, JsonSchema>).confirmation = {
      type: 'object',
      description: 'Present on a plan: the token that confirms exactly this change.',
      properties: { tool: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } },
      required: ['tool', 'token', 'expiresAt'],
    };
  }
  return s as Tool['outputSchema'];
}

/** A command as a tool; `using`: the instance names, when there are several to choose from. */
export function toolOf(c: ManifestCommand, using?: string[]): Tool {
  const changes = !!c.changes;
  return {
    name: c.name,
    title: c.name,
    description: description(c),
    inputSchema: inputSchema(c, using),
    outputSchema: outputSchema(c),
    annotations: {
      title: c.name,
      readOnlyHint: !changes,
      destructiveHint: changes && c.destructive !== false,
      idempotentHint: !changes || c.idempotent === true,
      // One Okta org, not the open web.
      openWorldHint: false,
    },
  };
}
