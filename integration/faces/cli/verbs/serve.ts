import { startServer } from '../../serve/server.js';
import { logErr, write, type CliIO } from '../io.js';
import { cliInstances, cliParams, stateStore, type GlobalFlags, type LoadDispatch } from '../shared.js';
import { UsageError } from '../../../base/errors.js';

const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|::1|\[::1\])$/;

/** `okta-soar serve [--port N] [--host H] [--json]`: HTTP engine mode until SIGINT/SIGTERM. */
export async function serveVerb(io: CliIO, flags: GlobalFlags, loadDispatch: LoadDispatch): Promise<number> {
  const token = io.env.OKTA_SOAR_SERVE_TOKEN ?? '';
  const portFlag = flags.flags.get('--port');
  const port = typeof portFlag === 'string' ? Number(portFlag) : 8750;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a number from 0 to 65535');
  const host = (flags.flags.get('--host') as string | undefined) ?? '127.0.0.1';
  if (!token) {
    logErr(io, 'okta-soar serve: OKTA_SOAR_SERVE_TOKEN is not set. Every request must carry it as a bearer token, so serve does not start without one (e.g. export OKTA_SOAR_SERVE_TOKEN=$(openssl rand -hex 32)).');
    return 1;
  }
  if (!LOOPBACK.test(host)) logErr(io, `warning: serving on ${host}, beyond this machine; put TLS in front of it.`);
  const params = cliParams(io, flags);
  const instances = cliInstances(io, flags, params);
  let fetchIncidents;
  try {
    fetchIncidents = (await import('../../../fetch/index.js')).fetchIncidents;
  } catch {
    fetchIncidents = undefined;
  }
  const server = await startServer({
    dispatch: await loadDispatch(),
    token,
    params,
    host,
    port,
    state: await stateStore(io),
    ...(instances ? { instances } : {}),
    fetchIncidents: fetchIncidents as Parameters<typeof startServer>[0]['fetchIncidents'],
    run: { warn: (m) => logErr(io, `warning: ${m}`) },
    log: flags.debug ? (l) => logErr(io, l) : undefined,
  }).catch((e: Error) => {
    throw new UsageError(e.message);
  });
  if (flags.json) await write(io.stdout, JSON.stringify({ url: server.url }) + '\n');
  else await write(io.stdout, `okta-soar serving on ${server.url} (POST /v1/commands/<name>, GET /v1/commands, POST /v1/fetch-incidents, GET /healthz)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
