import { closest, prepareArgs, DRY_RUN_ARG } from './args.js';
import { systemClock, type Clock } from '../base/clock.js';
import type { CommandContext, Handler, HandlerTable } from './command.js';
import { resolveConfig } from './config.js';
import { ArgumentError, OktaApiError, showValue, SoarError, UsageError } from '../base/errors.js';
import { loadManifest, type ManifestCommand, type ManifestOutput } from './manifest.js';
import { CallScope, type PlannedRequest } from '../okta/call-scope.js';
import { clientForCall, type ClientPool } from '../okta/client-pool.js';
import type { Transport } from '../okta/types.js';
import type { OktaObserver } from '../okta/observer.js';
import { holdSecrets, redact } from '../base/redact.js';
import { errorEntry, resultEntry, tableToMarkdown, type CommandResult } from './results.js';
import type { StateStore } from '../state/store.js';
import { namespacedStore } from '../state/namespace.js';
import { processStore } from '../state/process-store.js';
import { pickInstance, type Instances } from './instances.js';
import { checkScopes } from './scopes.js';
import type { Entry, Params } from './types.js';

export interface RunOptions {
  /** Where tokens, the DPoP key and nonces live. Default: one in-memory store per process. */
  state?: StateStore;
  clock?: Clock;
  /** Replace the HTTP transport (tests, benchmarks). */
  transport?: Transport;
  /** Positional words of a war-room line (the command's default argument). */
  positional?: string[];
  progress?: (done: number, total?: number, label?: string) => void;
  warn?: (message: string) => void;
  debug?: (line: string) => void;
  /**
   * The entries will be written as JSON text (the CLI's --json): lists read from Okta keep the text
   * they were parsed from, which is written instead of serialising them again (json-text.ts).
   */
  keepJsonText?: boolean;
  /** Reuse clients (rate budgets, connections) across calls: serve mode. */
  clients?: ClientPool;
  /** Sees every answer from Okta, rate-limit wait and token mint (serve's metrics). */
  observer?: OktaObserver;
  /**
   * Several orgs (an OKTA_INSTANCES_FILE, loadInstances): the `using` argument picks one, whose
   * parameters go over `params` and whose state is its own part of `state` (contract §8).
   */
  instances?: Instances;
}

/**
 * The parameters and state of one call: with instances, those of the instance `using` names
 * (or the only one); otherwise the call's own.
 */
export function forInstance(params: Params, using: unknown, opts: { state?: StateStore; instances?: Instances }): { params: Params; state?: StateStore; instance?: string } {
  if (!opts.instances) return { params, ...(opts.state ? { state: opts.state } : {}) };
  const inst = pickInstance(opts.instances, using);
  return { params: inst.params, state: namespacedStore(opts.state ?? processStore, inst.name), instance: inst.name };
}

export interface DispatchOutcome {
  entries: Entry[];
  /** 0 all results, 1 an error entry, 2 usage error. */
  exitCode: 0 | 1 | 2;
  /** Secret values left visible because the analyst asked (CommandResult.reveal): a second redaction pass must keep them. */
  revealed?: string[];
}


/** Built-in commands that are not Okta operations of the manifest. */
const BUILTINS = new Set(['test-module']);

export function commandNames(): string[] {
  return [...loadManifest().commands.keys()];
}

/** Where the message says "okta-x: …" already, don't say the command twice. */
function errorMessage(command: string, e: unknown): string {
  if (e instanceof SoarError) {
    const m = e.message;
    return m.startsWith(`${command}:`) ? m : `${command}: ${m}`;
  }
  // Not one of ours: a bug. Say so without a stack trace.
  const msg = e instanceof Error ? e.message : String(e);
  return `${command}: internal error: ${msg}`;
}


/** A command name as a message may show it: plain when it looks like one, quoted and cut otherwise. */
function showName(name: unknown): string {
  return typeof name === 'string' && /^[a-z][a-z0-9-]{0,63}$/.test(name) ? name : showValue(name);
}

/** The values of a command's secret arguments (passwords), as given: the redaction layer holds them while it runs. */
function secretValues(c: ManifestCommand | undefined, rawArgs: Record<string, unknown>, positional: string[] | undefined): unknown[] {
  const out: unknown[] = [];
  for (const a of c?.arguments ?? []) {
    if (!a.secret) continue;
    if (rawArgs && Object.hasOwn(rawArgs, a.name)) out.push(rawArgs[a.name]);
    if (a.default && positional?.length) out.push(...positional);
  }
  return out;
}

/** Runs one command: its name, war-room or JSON arguments, the configuration. Never throws for a command failure. */
export type Dispatch = (name: string, rawArgs: Record<string, unknown>, params: Params, opts?: RunOptions) => Promise<DispatchOutcome>;

/** The engine with these commands: the faces run every command through what this returns. */
export function dispatcherFor(handlers: HandlerTable): Dispatch {
  return (name, rawArgs, params, opts = {}) => dispatch(handlers, name, rawArgs, params, opts);
}

/** One command through the whole pipeline of architecture.md. */
async function dispatch(handlers: HandlerTable, name: string, rawArgs: Record<string, unknown>, params: Params, opts: RunOptions): Promise<DispatchOutcome> {
  const clock = opts.clock ?? systemClock;
  const { commands } = loadManifest();
  const command = typeof name === 'string' ? commands.get(name) : undefined;
  if (!command && !BUILTINS.has(name)) {
    const hint = typeof name === 'string' && name.length <= 64 ? closest(name, commands.keys()) : undefined;
    return { entries: [redact(errorEntry(`unknown command ${showName(name)}${hint ? ` (did you mean ${hint}?)` : ''}: see \`okta-soar commands\``))], exitCode: 2 };
  }
  const release = holdSecrets(secretValues(command, rawArgs, opts.positional));
  /** Closes the call's own client (a pooled one stays open). */
  let done: (() => void) | undefined;
  try {
    const handler: Handler | undefined = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    if (!handler) throw new Error(`no handler for ${name}`);
    const manifestCmd: ManifestCommand = command ?? { name, description: name, scopes: [], arguments: [], outputs: [] };
    const args = prepareArgs(manifestCmd, rawArgs, opts.positional);
    const dryRun = args[DRY_RUN_ARG] === true;
    delete args[DRY_RUN_ARG];
    const picked = forInstance(params, rawArgs && typeof rawArgs === 'object' ? rawArgs.using : undefined, opts);
    const cfg = resolveConfig(picked.params);
    if (cfg.authMethod === 'oauth') checkScopes(manifestCmd.name, manifestCmd.scopes, cfg.scopes);
    const call = await clientForCall(cfg, { ...opts, state: picked.state, clock });
    done = call.done;
    const { built } = call;
    const scope = new CallScope(built.client, dryRun);
    const ctx: CommandContext = {
      command: manifestCmd,
      args,
      okta: scope,
      config: cfg,
      clock,
      auth: built.auth,
      dryRun,
      progress: opts.progress ?? (() => undefined),
      warn: opts.warn ?? (() => undefined),
      ...(opts.keepJsonText ? { keepJsonText: true } : {}),
    };
    let results: CommandResult[];
    if (dryRun) results = await dryRunResults(name, handler, ctx, scope.planned);
    else {
      const r = await handler(ctx);
      results = Array.isArray(r) ? r : [r];
    }
    const rate = scope.rateLimit();
    const revealed = results.flatMap((r) => r.reveal ?? []);
    const entries = results.map((r) => redact(resultEntry(r, rate), { reveal: r.reveal }));
    return { entries, exitCode: entries.some((e) => e.Type === 4) ? 1 : 0, ...(revealed.length ? { revealed } : {}) };
  } catch (e) {
    const code = e instanceof UsageError ? 2 : 1;
    return { entries: [redact(errorEntry(errorMessage(name, e)))], exitCode: code };
  } finally {
    done?.();
    release();
  }
}

/** The context a dry run writes (Okta.DryRun, below): what a face that describes results adds for a command that changes Okta. */
export const DRY_RUN_OUTPUTS: readonly ManifestOutput[] = [
  { contextPath: 'Okta.DryRun.Command', type: 'String', description: 'The command planned (dry run: nothing was sent).' },
  { contextPath: 'Okta.DryRun.Requests.Method', type: 'String', description: 'HTTP method of a change request that would be sent.' },
  { contextPath: 'Okta.DryRun.Requests.Path', type: 'String', description: 'Its path on the org.' },
  { contextPath: 'Okta.DryRun.Requests.Body', type: 'String', description: 'Its JSON body (redacted), or empty.' },
];

async function dryRunResults(name: string, handler: Handler, ctx: CommandContext, log: PlannedRequest[]): Promise<CommandResult[]> {
  let note = '';
  try {
    await handler(ctx);
  } catch (e) {
    // Reads still happen in a dry run; a failed read (user not found) is worth showing.
    if (e instanceof OktaApiError || e instanceof ArgumentError || e instanceof SoarError) throw e;
    note = '\n(The plan stops here: a later step depends on what Okta would have answered.)';
  }
  const rows = log.map((r) => ({ Method: r.method, Path: r.path, Body: r.body === undefined ? '' : JSON.stringify(redact(r.body)) }));
  return [
    {
      readable: tableToMarkdown(`Dry run of ${name}: ${log.length} change request${log.length === 1 ? '' : 's'} would be sent, none was`, rows, ['Method', 'Path', 'Body']) + note,
      raw: { dryRun: true, requests: log.map((r) => ({ method: r.method, path: r.path, body: redact(r.body) })) },
      context: { 'Okta.DryRun(val.Command && val.Command === obj.Command)': { Command: name, Requests: rows } },
    },
  ];
}
