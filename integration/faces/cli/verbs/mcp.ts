import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { systemClock } from '../../../base/clock.js';
import { resolveConfig } from '../../../engine/config.js';
import { ClientPool } from '../../../okta/client-pool.js';
import { fileInstances, singleInstance } from '../../instances.js';
import { Confirmations } from '../../mcp/confirmations.js';
import { createMcpServer, mcpChangesFromEnv } from '../../mcp/server.js';
import { logErr, type CliIO } from '../io.js';
import { cliInstances, cliParams, stateStore, version, type GlobalFlags, type LoadDispatch } from '../shared.js';

/** The caller an MCP client on stdio is: the person who started the process, with OKTA_MCP_CHANGES deciding about changes. */
const STDIO_CALLER = { name: 'stdio', changes: true };

/**
 * `okta-soar mcp`: the commands as MCP tools on stdin/stdout until the client closes the pipe (or
 * SIGINT/SIGTERM). stdout carries MCP messages only; warnings go to stderr. A configuration that
 * does not resolve stops it at once, so a desktop agent shows why.
 */
export async function mcpVerb(io: CliIO, flags: GlobalFlags, loadDispatch: LoadDispatch): Promise<number> {
  const changes = mcpChangesFromEnv(io.env);
  const params = cliParams(io, flags);
  const file = cliInstances(io, flags, params);
  if (!file) resolveConfig(params);
  const state = await stateStore(io);
  const clock = io.clock ?? systemClock;
  const clients = new ClientPool();
  const server = createMcpServer({
    dispatch: await loadDispatch(),
    instances: file ? fileInstances(file, state) : singleInstance(params),
    state,
    clients,
    confirmations: new Confirmations(clock),
    changes,
    caller: STDIO_CALLER,
    version: version(),
    clock,
    warn: (m) => logErr(io, `warning: ${m}`),
  });
  const transport = new StdioServerTransport(io.stdin as Readable, io.stdout as Writable);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    io.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  logErr(io, `okta-soar mcp: serving ${changes ? 'every tool (changes through plan-then-confirm)' : 'the read-only tools (OKTA_MCP_CHANGES=confirm offers the ones that change Okta)'} on stdio`);
  await closed;
  await server.close().catch(() => undefined);
  await clients.closeAll();
  return 0;
}
