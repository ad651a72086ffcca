/**
 * okta-soar as an MCP server (contract §9), with the official SDK's low-level Server: the tools
 * come from the manifest at list time, so every command (those added later too) is a tool with
 * nothing written for it here. One of these per MCP session: `okta-soar mcp` on stdio has one,
 * serve's `/mcp` one per streamable-HTTP session, each for its caller.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ElicitResultSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { systemClock, type Clock } from '../../base/clock.js';
import { ConfigError, SoarError } from '../../base/errors.js';
import { holdSecrets, redact } from '../../base/redact.js';
import { closest, DRY_RUN_ARG } from '../../engine/args.js';
import { resolveConfig } from '../../engine/config.js';
import type { Dispatch, DispatchOutcome } from '../../engine/dispatcher.js';
import { loadManifest, type ManifestCommand } from '../../engine/manifest.js';
import { checkScopes } from '../../engine/scopes.js';
import type { Entry } from '../../engine/types.js';
import type { ClientPool } from '../../okta/client-pool.js';
import type { OktaObserver } from '../../okta/observer.js';
import type { StateStore } from '../../state/store.js';
import { contextOf } from '../context-schema.js';
import type { Instances } from '../instances.js';
import { canonicalJson, type Confirmations } from './confirmations.js';
import { CONFIRM_ARG, notOffered, toolOf, type ToolPolicy } from './tools.js';

/** What metrics and logs call a tool that is not in the manifest. */
export const UNKNOWN_TOOL = 'unknown';

/** How a tool call ended, for metrics. */
export type ToolOutcome = 'ok' | 'error' | 'usage_error' | 'denied' | 'planned' | 'unconfirmed';

export interface McpOptions {
  dispatch: Dispatch;
  instances: Instances;
  state: StateStore;
  clients: ClientPool;
  confirmations: Confirmations;
  /** OKTA_MCP_CHANGES=confirm: tools that change Okta are offered, through plan-then-confirm. */
  changes: boolean;
  /** Who is calling: a read-only caller gets no changing tool whatever OKTA_MCP_CHANGES says. */
  caller: { name: string; changes: boolean };
  version: string;
  clock?: Clock;
  observer?: (instance: string) => OktaObserver | undefined;
  /** Told how each call ended (serve's metrics and request log). */
  onCall?: (tool: string, outcome: ToolOutcome, seconds: number, caller: string) => void;
  warn?: (message: string) => void;
}

/** What MCP_CHANGES may say: unset (changing tools hidden) or `confirm`. Anything else is refused, never read as yes. */
export function mcpChangesFromEnv(env: Record<string, string | undefined>): boolean {
  const v = env.OKTA_MCP_CHANGES;
  if (v === undefined || v === '') return false;
  if (v === 'confirm') return true;
  throw new ConfigError(`OKTA_MCP_CHANGES must be "confirm" (tools that change Okta are offered, each change confirmed) or unset (they are hidden); got "${v.slice(0, 40)}"`);
}

const INSTRUCTIONS =
  'Okta for incident response: read users, groups, factors, apps, zones and the System Log. ' +
  'Tools that change Okta (when offered) never act on the first call: it returns the plan (a dry run) and a confirmation token; ' +
  'show the plan to the person you work for, and only on their word call the same tool again with the same arguments and confirm=<token>.';

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

function readable(entries: Entry[]): string {
  return entries.map((e) => (e.Type === 4 ? `Error: ${e.HumanReadable}` : e.HumanReadable)).join('\n\n');
}

/** Entries as a tool result: the readable text, and the context as structured content (also as JSON text, for clients without it). Redacted, always: an agent never sees a secret. */
function toolResult(outcome: DispatchOutcome, extra: Record<string, unknown> = {}, note = ''): CallToolResult {
  // What the analyst may ask to see in a war room (a temporary password with hide_password=false)
  // is masked here too: a model's context is no place for a credential.
  const release = holdSecrets(outcome.revealed ?? []);
  let entries: Entry[];
  let structured: Record<string, unknown>;
  try {
    entries = redact(outcome.entries);
    structured = redact({ ...contextOf(entries), ...extra });
  } finally {
    release();
  }
  const text = readable(entries) + note;
  if (outcome.exitCode !== 0) return { isError: true, content: [{ type: 'text', text }], structuredContent: structured };
  return { content: [{ type: 'text', text }, { type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** The change requests a dry run listed (its entries' Contents.requests). */
function plannedRequests(plan: DispatchOutcome): number {
  return plan.entries.reduce((n, e) => n + (Array.isArray((e.Contents as { requests?: unknown[] } | undefined)?.requests) ? (e.Contents as { requests: unknown[] }).requests.length : 0), 0);
}

function outcomeOf(o: DispatchOutcome): ToolOutcome {
  return o.exitCode === 0 ? 'ok' : o.exitCode === 2 ? 'usage_error' : 'error';
}

export function createMcpServer(o: McpOptions): Server {
  const clock = o.clock ?? systemClock;
  const server = new Server({ name: 'okta-soar', version: o.version }, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS });

  const policy = (params: Record<string, unknown>): ToolPolicy => {
    let scopes: string[] | undefined;
    try {
      const cfg = resolveConfig(params);
      if (cfg.authMethod === 'oauth') scopes = cfg.scopes;
    } catch {
      // A configuration that does not resolve: every call will say why; the tools stay listed.
    }
    return { changes: o.changes && o.caller.changes, ...(scopes ? { scopes } : {}) };
  };

  const visible = (c: ManifestCommand, p: ToolPolicy) => !c.hidden && !notOffered(c, p);

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    // With several instances, a tool is listed when one of them offers it, and takes `using`.
    const all = o.instances.all();
    const ps = all.map((i) => policy(i.params));
    const using = all.length > 1 ? all.map((i) => i.name) : undefined;
    return { tools: loadManifest().manifest.script.commands.filter((c) => ps.some((p) => visible(c, p))).map((c) => toolOf(c, using)) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const started = clock.now();
    const name = req.params.name;
    let outcome: ToolOutcome = 'error';
    // Metrics and logs name a tool of the manifest, or `unknown`: a client's made-up names never become label values.
    let known = UNKNOWN_TOOL;
    try {
      const raw = req.params.arguments ?? {};
      const instance = o.instances.resolve(raw.using);
      const run = (args: Record<string, unknown>) =>
        o.dispatch(name, args, instance.params, { state: instance.state ?? o.state, clients: o.clients, clock, observer: o.observer?.(instance.name), warn: o.warn });
      const { commands } = loadManifest();
      const c = commands.get(name);
      if (!c || c.hidden) {
        outcome = 'usage_error';
        const hint = name.length <= 64 ? closest(name, commands.keys()) : undefined;
        return toolError(`unknown tool ${name.slice(0, 64)}${hint ? ` (did you mean ${hint}?)` : ''}`);
      }
      known = c.name;
      const p = policy(instance.params);
      const why = notOffered(c, p);
      if (why === 'changes') {
        outcome = 'denied';
        return toolError(
          !o.caller.changes
            ? `${name} changes Okta, and this caller (${o.caller.name}) may only read; nothing was sent to Okta.`
            : `${name} changes Okta and is not offered: the server runs without OKTA_MCP_CHANGES=confirm. Nothing was sent to Okta.`,
        );
      }
      if (why === 'scopes') {
        outcome = 'denied';
        try {
          checkScopes(name, c.scopes, p.scopes ?? []);
        } catch (e) {
          return toolError((e as Error).message);
        }
      }
      if (!c.changes) {
        const out = await run(raw);
        outcome = outcomeOf(out);
        return toolResult(out);
      }
      const { [CONFIRM_ARG]: confirm, ...args } = raw;
      if (DRY_RUN_ARG in args) {
        outcome = 'usage_error';
        return toolError(`${name}: ${DRY_RUN_ARG} is not an argument of this tool: its first call is the dry run (the plan).`);
      }
      if (confirm !== undefined) {
        const verdict = o.confirmations.redeem(confirm, name, args, o.caller.name);
        if (!verdict.ok) {
          outcome = 'unconfirmed';
          return toolError(`${name}: ${verdict.reason}`);
        }
        const out = await run(args);
        outcome = outcomeOf(out);
        return toolResult(out);
      }
      const plan = await run({ ...args, [DRY_RUN_ARG]: true });
      if (plan.exitCode !== 0) {
        outcome = outcomeOf(plan);
        return toolResult(plan, {}, '\n\nThe plan failed: nothing was changed.');
      }
      if (plannedRequests(plan) === 0) {
        outcome = 'planned';
        return toolResult(plan, {}, '\n\nThe plan sends no change to Okta, so there is nothing to confirm.');
      }
      const asked = await askUser(name, plan, extra);
      if (asked === 'accept') {
        const out = await run(args);
        outcome = outcomeOf(out);
        return toolResult(out, {}, '\n\n(Confirmed by the user.)');
      }
      if (asked === 'decline') {
        outcome = 'unconfirmed';
        return toolError(`${name}: the user did not confirm the plan; nothing was changed.\n\n${readable(redact(plan.entries))}`);
      }
      const issued = o.confirmations.issue(name, args, o.caller.name);
      outcome = 'planned';
      return toolResult(
        plan,
        { confirmation: { tool: name, token: issued.token, expiresAt: issued.expiresAt } },
        `\n\nNothing was changed. To make this change, call ${name} again with the same arguments ${canonicalJson(args)} and confirm="${issued.token}" (once, before ${issued.expiresAt}). Ask the person you work for first.`,
      );
    } catch (e) {
      return toolError(e instanceof SoarError ? e.message : `${name}: internal error`);
    } finally {
      o.onCall?.(known, outcome, (clock.now() - started) / 1000, o.caller.name);
    }
  });

  /**
   * Elicitation, where the client offers it: the plan shown to the user, who must tick confirm.
   * 'unavailable' when the client cannot ask (or the asking failed): the token flow follows.
   */
  async function askUser(
    name: string,
    plan: DispatchOutcome,
    extra: { sendRequest: (r: { method: 'elicitation/create'; params: Record<string, unknown> }, s: typeof ElicitResultSchema) => Promise<{ action: string; content?: Record<string, unknown> }> },
  ): Promise<'accept' | 'decline' | 'unavailable'> {
    const caps = server.getClientCapabilities()?.elicitation as Record<string, unknown> | undefined;
    if (!caps || !(caps.form || Object.keys(caps).length === 0)) return 'unavailable';
    try {
      const r = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: `${readable(redact(plan.entries))}\n\nMake this change in Okta?`,
            requestedSchema: {
              type: 'object',
              properties: { confirm: { type: 'boolean', title: `Make the change of ${name}`, description: 'Tick to make exactly the change above; nothing else.', default: false } },
              required: ['confirm'],
            },
          },
        },
        ElicitResultSchema,
      );
      return r.action === 'accept' && r.content?.confirm === true ? 'accept' : 'decline';
    } catch {
      return 'unavailable';
    }
  }

  return server;
}
