import type { Clock } from '../base/clock.js';
import type { OktaConfig } from '../okta/config.js';
import type { ManifestCommand } from './manifest.js';
import type { AuthProvider, OktaClient } from '../okta/types.js';
import type { CommandResult } from './results.js';
import type { Args } from './types.js';

/** What a handler gets: its validated arguments and an Okta client. Nothing else. */
export interface CommandContext {
  command: ManifestCommand;
  args: Args;
  okta: OktaClient;
  /** Resolved configuration without secrets' meaning to handlers (they must not read credentials). */
  config: Pick<OktaConfig, 'origin' | 'authMethod' | 'scopes' | 'maxConcurrency' | 'params'>;
  clock: Clock;
  /** The auth provider, for the few commands about auth itself (okta-auth-reset, test-module). */
  auth: AuthProvider;
  dryRun: boolean;
  /** Progress of long work (bulk, paging): the CLI draws it on stderr in a TTY. */
  progress(done: number, total?: number, label?: string): void;
  /** The result will be written as JSON text: lists collected keep the text they were read from (json-text.ts). */
  keepJsonText?: boolean;
  warn(message: string): void;
}

export type Handler = (ctx: CommandContext) => Promise<CommandResult | CommandResult[]>;

/**
 * Every command's handler, by manifest name. The engine never imports one: each face's entry
 * (entry/) hands the table in, so data flows one way (faces → engine → client).
 */
export type HandlerTable = Readonly<Record<string, Handler>>;
