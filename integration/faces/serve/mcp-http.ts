/**
 * `/mcp` on serve: MCP over streamable HTTP (the SDK's transport), one session per client, each
 * bound to the caller that opened it. Sessions are stateful because elicitation (the user's own
 * confirmation of a change) is a request from server to client in the middle of a tool call.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../../base/clock.js';
import type { Caller } from './callers.js';
import { createMcpServer, type McpOptions } from '../mcp/server.js';

/** Sessions open at once, at most; an idle one closes after IDLE_MS. */
const MAX_SESSIONS = 256;
const IDLE_MS = 30 * 60_000;

interface Session {
  transport: StreamableHTTPServerTransport;
  close(): Promise<void>;
  caller: string;
  lastUsed: number;
}

export type McpSessionOptions = Omit<McpOptions, 'caller'>;

function rpcError(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

export class McpEndpoint {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly opts: McpSessionOptions,
    private readonly clock: Clock,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), 60_000);
    this.sweeper.unref();
  }

  get open(): number {
    return this.sessions.size;
  }

  /** One HTTP request to /mcp, the body already read (POST) and the caller known. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, caller: Caller, body: unknown): Promise<void> {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const s = this.sessions.get(sid);
      // Another caller's session id is answered as unknown: it says nothing about that session.
      if (!s || s.caller !== caller.name) return rpcError(res, 404, 'MCP session not found: initialize a new one');
      s.lastUsed = this.clock.now();
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) return rpcError(res, 400, 'no MCP session: send an initialize request first (without Mcp-Session-Id)');
    if (this.sessions.size >= MAX_SESSIONS) return rpcError(res, 503, `${MAX_SESSIONS} MCP sessions are open; close one (DELETE /mcp) or try later`, { 'Retry-After': '30' });
    const server = createMcpServer({ ...this.opts, caller });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, caller: caller.name, lastUsed: this.clock.now(), close: () => server.close() });
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private async sweep(): Promise<void> {
    const now = this.clock.now();
    for (const [id, s] of this.sessions) {
      if (now - s.lastUsed < IDLE_MS) continue;
      this.sessions.delete(id);
      await s.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close().catch(() => undefined)));
  }
}
