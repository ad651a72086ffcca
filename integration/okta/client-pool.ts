import { createHash } from 'node:crypto';
import type { OktaConfig } from '../config.js';
import { buildClient, type BuiltClient, type ClientDeps } from './factory.js';

/**
 * Clients shared across calls (serve mode, the shell): one rate budget, one connection pool
 * and one token per configuration. Keyed by a hash of the configuration (secrets included,
 * so a changed token gets a new client; the hash never leaves the process).
 */
export class ClientPool {
  private clients = new Map<string, Promise<BuiltClient>>();

  get(cfg: OktaConfig, deps: ClientDeps): Promise<BuiltClient> {
    const { params: _params, ...rest } = cfg;
    const key = createHash('sha256').update(JSON.stringify(rest)).digest('hex');
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
