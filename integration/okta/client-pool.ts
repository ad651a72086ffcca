import { createHash } from 'node:crypto';
import type { OktaConfig } from './config.js';
import type { Clock } from '../base/clock.js';
import { processStore } from '../state/process-store.js';
import type { StateStore } from '../state/store.js';
import { buildClient, type BuiltClient, type ClientDeps } from './factory.js';
import type { Transport } from './types.js';
import type { OktaObserver } from './observer.js';

/**
 * Clients shared across calls (serve mode, the shell): one rate budget, one connection pool
 * and one token per configuration. Keyed by a hash of the configuration (secrets included,
 * so a changed token gets a new client; the hash never leaves the process).
 */
export class ClientPool {
  private clients = new Map<string, Promise<BuiltClient>>();

  get(cfg: OktaConfig, deps: ClientDeps): Promise<BuiltClient> {
    const { params: _params, ...rest } = cfg;
    // The state is part of the key: two instances with the same org and credentials keep their own budgets and tokens.
    const key = createHash('sha256').update(JSON.stringify(rest)).update(`\n${deps.state.location}`).digest('hex');
    let c = this.clients.get(key);
    if (!c) {
      c = buildClient(cfg, deps);
      this.clients.set(key, c);
      c.catch(() => this.clients.delete(key));
    }
    return c;
  }

  async closeAll(): Promise<void> {
    for (const c of this.clients.values()) (await c.catch(() => undefined))?.close();
    this.clients.clear();
  }
}

/** What a call (a command, a fetch cycle, a System Log read) says about the client it needs. */
export interface CallClientOptions {
  clock: Clock;
  /** Default: the process's in-memory store. */
  state?: StateStore;
  transport?: Transport;
  debug?: (line: string) => void;
  warn?: (line: string) => void;
  /** Reuse clients across calls (serve, --follow); without it the call gets its own. */
  clients?: ClientPool;
  /** Sees the client's answers, waits and token mints; a pooled client keeps the observer of the call that built it. */
  observer?: OktaObserver;
}

/**
 * The client for one call: the pool's, left open for the next call, when there is a pool;
 * otherwise one built for this call, which `done` closes.
 */
export async function clientForCall(cfg: OktaConfig, o: CallClientOptions): Promise<{ built: BuiltClient; done(): void }> {
  const deps: ClientDeps = { clock: o.clock, state: o.state ?? processStore, transport: o.transport, debug: o.debug, warn: o.warn, observer: o.observer };
  if (o.clients) return { built: await o.clients.get(cfg, deps), done: () => undefined };
  const built = await buildClient(cfg, deps);
  return { built, done: () => built.close() };
}
