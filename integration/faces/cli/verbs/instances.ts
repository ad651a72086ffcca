import { ConfigError, UsageError } from '../../../base/errors.js';
import { resolveConfig } from '../../../engine/config.js';
import { write, type CliIO } from '../io.js';
import { cliInstances, cliParams, type GlobalFlags } from '../shared.js';

/** `okta-soar instances [--json]`: the orgs of OKTA_INSTANCES_FILE, checked, without secrets. */
export async function instancesVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const extra = flags.rest.slice(1);
  if (extra.length) throw new UsageError(`instances takes no arguments (got ${JSON.stringify(extra[0]!.slice(0, 40))})`);
  const params = cliParams(io, flags);
  const instances = cliInstances(io, flags, params);
  if (!instances) throw new ConfigError('no instances file: set OKTA_INSTANCES_FILE or pass --instances FILE.yml (see docs/deploy.md)', 'OKTA_INSTANCES_FILE');
  const rows = instances.names.map((name) => {
    const cfg = resolveConfig(instances.get(name)!.params);
    return { name, url: cfg.origin, authMethod: cfg.authMethod, ...(cfg.clientId ? { clientId: cfg.clientId } : {}) };
  });
  if (flags.json) await write(io.stdout, JSON.stringify(rows) + '\n');
  else {
    const w = Math.max(4, ...rows.map((r) => r.name.length));
    const lines = rows.map((r) => `${r.name.padEnd(w)}  ${r.url}  ${r.authMethod}${r.clientId ? ` (client ${r.clientId})` : ''}`);
    await write(io.stdout, `${rows.length} instance${rows.length === 1 ? '' : 's'} in ${instances.file}:\n${lines.join('\n')}\n`);
  }
  return 0;
}
