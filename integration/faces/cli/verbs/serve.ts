import { callersFromEnv } from '../../serve/callers.js';
import { fileInstances } from '../../instances.js';
import { startServer } from '../../serve/server.js';
import { mcpChangesFromEnv } from '../../mcp/server.js';
import { logErr, write, type CliIO } from '../io.js';
import { cliInstances, cliParams, stateStore, version, type GlobalFlags, type LoadDispatch } from '../shared.js';
import { UsageError } from '../../../base/errors.js';

const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|::1|\[::1\])$/;

/** `okta-soar serve [--port N] [--host H] [--json]`: HTTP engine mode until SIGINT/SIGTERM. */
export async function serveVerb(io: CliIO, flags: GlobalFlags, loadDispatch: LoadDispatch): Promise<number> {
  const portFlag = flags.flags.get('--port');
  const port = typeof portFlag === 'string' ? Number(portFlag) : 8750;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a number from 0 to 65535');
  const host = (flags.flags.get('--host') as string | undefined) ?? '127.0.0.1';
  const callers = callersFromEnv(io.env);
  if (!callers.size) {
    logErr(
      io,
      'okta-soar serve: no caller is configured. Every request must carry a caller\'s bearer token, so serve does not start without one: ' +
        'export OKTA_SOAR_SERVE_TOKEN=$(openssl rand -hex 32), or name several callers in OKTA_SOAR_SERVE_TOKENS_FILE (see README.md).',
    );
    return 1;
  }
  const mcpChanges = mcpChangesFromEnv(io.env);
  if (!LOOPBACK.test(host)) logErr(io, `warning: serving on ${host}, beyond this machine; put TLS in front of it.`);
  const params = cliParams(io, flags);
  const instances = cliInstances(io, flags, params);
  const state = await stateStore(io);
  let fetchIncidents;
  try {
    fetchIncidents = (await import('../../../fetch/index.js')).fetchIncidents;
  } catch {
    fetchIncidents = undefined;
  }
  const server = await startServer({
    dispatch: await loadDispatch(),
    callers,
    params,
    host,
    port,
    state,
    ...(instances ? { instances: fileInstances(instances, state) } : {}),
    fetchIncidents,
    mcpChanges,
    version: version(),
    ...(io.clock ? { clock: io.clock } : {}),
    // --debug: the client's own request lines (redacted) besides serve's JSON line per request.
    run: { warn: (m) => logErr(io, `warning: ${m}`), ...(flags.debug ? { debug: (l: string) => logErr(io, l) } : {}) },
    log: (l) => io.stderr.write(l + '\n'),
  }).catch((e: Error) => {
    throw new UsageError(e.message);
  });
  if (flags.json) await write(io.stdout, JSON.stringify({ url: server.url }) + '\n');
  else
    await write(
      io.stdout,
      `okta-soar serving on ${server.url} for ${callers.names().join(', ')} (POST /v1/commands/<name>, GET /v1/openapi.json, /v1/swagger.json, /metrics, /mcp, /healthz)\n`,
    );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
