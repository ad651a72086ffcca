/**
 * MCP (contract §9, issue 19), with the official SDK's own client against the sandbox org: in
 * process (InMemoryTransport) and over stdio (the built CLI, `okta-soar mcp`). Read-only tools by
 * default; tools that change Okta only with OKTA_MCP_CHANGES=confirm, and then only through
 * plan-then-confirm (a token bound to tool, arguments and caller, single use, expiring) or the
 * user's own confirmation by elicitation. Every refusal is a tool error and sends nothing to Okta.
 */
import { rmSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { dispatch } from '../../entry/index.js';
import { systemClock, type Clock } from '../../integration/base/clock.js';
import { singleInstance } from '../../integration/faces/instances.js';
import { Confirmations } from '../../integration/faces/mcp/confirmations.js';
import { createMcpServer, type McpOptions } from '../../integration/faces/mcp/server.js';
import { ClientPool } from '../../integration/okta/client-pool.js';
import { MemoryStore } from '../../integration/state/store.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { childEnv } from '../child-env.js';
import { BIN, sandboxEnv, sandboxParams, tempStateDir } from './helpers.js';

let sb: Sandbox;
const pools: ClientPool[] = [];

beforeAll(async () => {
  sb = await startSandbox({ users: 20, logEvents: 200, quiet: true });
});
afterAll(async () => {
  for (const p of pools) await p.closeAll();
  await sb.close();
});

/** A clock that can be moved ahead (token expiry) while the sandbox keeps real time. */
function movableClock(): Clock & { skip(ms: number): void } {
  let ahead = 0;
  return { now: () => Date.now() + ahead, sleep: systemClock.sleep, skip: (ms) => void (ahead += ms) };
}

async function connect(over: Partial<McpOptions> = {}, elicit?: (message: string) => { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }) {
  const clock = over.clock ?? movableClock();
  const clients = new ClientPool();
  pools.push(clients);
  const server = createMcpServer({
    dispatch,
    instances: singleInstance(sandboxParams(sb, 'ssws')),
    state: new MemoryStore(),
    clients,
    confirmations: new Confirmations(clock),
    changes: false,
    caller: { name: 'test', changes: true },
    version: '0.0.0-test',
    clock,
    ...over,
  });
  const client = new Client({ name: 'okta-soar-test', version: '1.0.0' }, { capabilities: elicit ? { elicitation: { form: {} } } : {} });
  const asked: string[] = [];
  if (elicit)
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(String((req.params as { message: string }).message));
      return elicit(String((req.params as { message: string }).message));
    });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  await client.connect(b);
  return { client, asked, close: () => client.close() };
}

const call = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const statusOf = (login: string) => sb.org.requireUser(login).status;
const lifecycleCalls = () => Object.entries(sb.stats.byRoute).filter(([k]) => k.includes('lifecycle')).reduce((n, [, v]) => n + v, 0);

describe('by default: the read-only tools', () => {
  test('lists only tools that do not change Okta, with input and output schemas and read-only annotations', async () => {
    const { client, close } = await connect();
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      expect(names).toContain('okta-get-user');
      expect(names).toContain('okta-get-logs');
      expect(names).not.toContain('okta-suspend-user');
      expect(tools.every((t) => t.annotations?.readOnlyHint === true && t.annotations.destructiveHint === false)).toBe(true);
      const getUser = tools.find((t) => t.name === 'okta-get-user')!;
      expect(getUser.inputSchema.properties).toHaveProperty('username');
      expect(getUser.inputSchema).not.toHaveProperty('allOf');
      expect(getUser.outputSchema?.properties).toHaveProperty('Account');
    } finally {
      await close();
    }
  });

  test('okta-get-user: the context as structured content (checked by the SDK client against the output schema)', async () => {
    const { client, close } = await connect();
    try {
      const r = await call(client, 'okta-get-user', { username: 'alice@example.com', verbose: true });
      expect(r.isError).toBeFalsy();
      const account = (r.structuredContent as { Account: { ID: string; Username: string } }).Account;
      expect(account.ID).toBe(sb.org.requireUser('alice@example.com').id);
      expect(account.Username).toBe('alice@example.com');
      expect(text(r)).toMatch(/alice@example\.com/);
    } finally {
      await close();
    }
  });

  test('bad arguments and unknown tools are tool errors that name the problem', async () => {
    const { client, close } = await connect();
    try {
      const before = sb.stats.requests;
      const typo = await call(client, 'okta-get-user', { usernme: 'alice@example.com' });
      expect(typo.isError).toBe(true);
      expect(text(typo)).toMatch(/unknown argument usernme \(did you mean username\?\)/);
      const none = await call(client, 'okta-get-user', {});
      expect(text(none)).toMatch(/one of username, userId, userEmail is required/);
      const unknown = await call(client, 'okta-get-usr', { username: 'a' });
      expect(unknown.isError).toBe(true);
      expect(text(unknown)).toMatch(/unknown tool okta-get-usr \(did you mean okta-get-user\?\)/);
      expect(sb.stats.requests).toBe(before);
    } finally {
      await close();
    }
  });

  test('a tool that changes Okta is refused by name, and nothing reaches Okta', async () => {
    const { client, close } = await connect();
    try {
      const before = lifecycleCalls();
      const r = await call(client, 'okta-suspend-user', { username: 'bob@example.com' });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/changes Okta and is not offered.*OKTA_MCP_CHANGES=confirm/);
      expect(statusOf('bob@example.com')).toBe('ACTIVE');
      expect(lifecycleCalls()).toBe(before);
    } finally {
      await close();
    }
  });
});

describe('OKTA_MCP_CHANGES=confirm: plan, then confirm', () => {
  test('suspends a user only on the second call with the plan\'s token; the first call changes nothing', async () => {
    const { client, close } = await connect({ changes: true });
    try {
      const { tools } = await client.listTools();
      const suspend = tools.find((t) => t.name === 'okta-suspend-user')!;
      expect(suspend.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
      expect(tools.find((t) => t.name === 'okta-add-to-group')!.annotations).toMatchObject({ destructiveHint: false });
      expect(suspend.inputSchema.properties).toHaveProperty('confirm');

      const before = lifecycleCalls();
      // Nobody to suspend: the plan sends nothing, so there is nothing to confirm and no token.
      const nothing = await call(client, 'okta-suspend-user', { username: 'nobody.here@example.com' });
      expect(text(nothing)).toMatch(/nothing to confirm/);
      expect(nothing.structuredContent).not.toHaveProperty('confirmation');
      const login = sb.org.addUser({ login: 'mcp.suspend@example.com', status: 'ACTIVE' }).profile.login as string;
      const planned = await call(client, 'okta-suspend-user', { username: login });
      expect(planned.isError).toBeFalsy();
      expect(text(planned)).toMatch(/Dry run of okta-suspend-user: 1 change request would be sent, none was/);
      const token = (planned.structuredContent as { confirmation: { token: string; tool: string } }).confirmation;
      expect(token.tool).toBe('okta-suspend-user');
      expect(statusOf(login)).toBe('ACTIVE');
      expect(lifecycleCalls()).toBe(before);

      // Other arguments: refused, and the token is spent.
      const other = await call(client, 'okta-suspend-user', { username: 'alice@example.com', confirm: token.token });
      expect(other.isError).toBe(true);
      expect(text(other)).toMatch(/issued for other arguments/);
      expect(statusOf('alice@example.com')).toBe('ACTIVE');
      const spent = await call(client, 'okta-suspend-user', { username: login, confirm: token.token });
      expect(text(spent)).toMatch(/already used/);
      expect(lifecycleCalls()).toBe(before);

      // A fresh plan, confirmed as it was given.
      const again = await call(client, 'okta-suspend-user', { username: login });
      const t2 = (again.structuredContent as { confirmation: { token: string } }).confirmation.token;
      const done = await call(client, 'okta-suspend-user', { username: login, confirm: t2 });
      expect(done.isError).toBeFalsy();
      expect(statusOf(login)).toBe('SUSPENDED');
      expect(lifecycleCalls()).toBe(before + 1);
      // Replayed: refused, no second request.
      const replay = await call(client, 'okta-suspend-user', { username: login, confirm: t2 });
      expect(replay.isError).toBe(true);
      expect(text(replay)).toMatch(/already used/);
      expect(lifecycleCalls()).toBe(before + 1);
    } finally {
      await close();
    }
  });

  test('a forged token, a token for another tool, an expired token: refused, nothing sent', async () => {
    const clock = movableClock();
    const { client, close } = await connect({ changes: true, clock });
    try {
      const before = lifecycleCalls();
      const forged = await call(client, 'okta-unsuspend-user', { username: 'carol@example.com', confirm: 'okc_' + 'A'.repeat(43) });
      expect(text(forged)).toMatch(/not a token this server issued/);
      const garbage = await call(client, 'okta-unsuspend-user', { username: 'carol@example.com', confirm: 'yes' });
      expect(text(garbage)).toMatch(/confirm must be the token/);
      const p = await call(client, 'okta-unsuspend-user', { username: 'carol@example.com' });
      const token = (p.structuredContent as { confirmation: { token: string } }).confirmation.token;
      const wrongTool = await call(client, 'okta-unlock-user', { username: 'carol@example.com', confirm: token });
      expect(text(wrongTool)).toMatch(/issued for okta-unsuspend-user, not okta-unlock-user/);
      const p2 = await call(client, 'okta-unsuspend-user', { username: 'carol@example.com' });
      const t2 = (p2.structuredContent as { confirmation: { token: string } }).confirmation.token;
      clock.skip(6 * 60_000);
      const expired = await call(client, 'okta-unsuspend-user', { username: 'carol@example.com', confirm: t2 });
      expect(text(expired)).toMatch(/expired at/);
      expect(statusOf('carol@example.com')).toBe('SUSPENDED');
      expect(lifecycleCalls()).toBe(before);
      const dry = await call(client, 'okta-unsuspend-user', { username: 'carol@example.com', dry_run: true });
      expect(text(dry)).toMatch(/dry_run is not an argument of this tool/);
    } finally {
      await close();
    }
  });

  test('a caller that may only read gets no changing tool, whatever OKTA_MCP_CHANGES says', async () => {
    const { client, close } = await connect({ changes: true, caller: { name: 'dashboard', changes: false } });
    try {
      expect((await client.listTools()).tools.some((t) => t.annotations?.readOnlyHint === false)).toBe(false);
      const r = await call(client, 'okta-suspend-user', { username: 'alice@example.com' });
      expect(text(r)).toMatch(/this caller \(dashboard\) may only read/);
    } finally {
      await close();
    }
  });

  test('every result is redacted: a temporary password asked for with hide_password=false never reaches the agent', async () => {
    const revealed: string[] = [];
    const seeing: typeof dispatch = async (...a) => {
      const out = await dispatch(...a);
      revealed.push(...(out.revealed ?? []));
      return out;
    };
    const { client, close } = await connect({ changes: true, dispatch: seeing });
    try {
      const args = { username: 'grace@example.com', temporary_password: true, hide_password: false };
      const p = await call(client, 'okta-expire-password', args);
      const token = (p.structuredContent as { confirmation: { token: string } }).confirmation.token;
      const r = await call(client, 'okta-expire-password', { ...args, confirm: token });
      expect(r.isError).toBeFalsy();
      expect(revealed).toHaveLength(1); // the engine would show it in a war room
      const all = JSON.stringify(r);
      expect(all).not.toContain(revealed[0]);
      expect(all).toContain('[REDACTED]');
    } finally {
      await close();
    }
  });
});

describe('elicitation: the client asks its user', () => {
  test('accepted with confirm ticked: the change is made on the first call; declined or unticked: nothing changes', async () => {
    const login = 'dave@example.com'; // LOCKED_OUT
    for (const [answer, expected] of [
      [{ action: 'decline' as const }, 'LOCKED_OUT'],
      [{ action: 'accept' as const, content: { confirm: false } }, 'LOCKED_OUT'],
      [{ action: 'accept' as const, content: { confirm: true } }, 'ACTIVE'],
    ] as const) {
      const { client, asked, close } = await connect({ changes: true }, () => answer);
      try {
        const r = await call(client, 'okta-unlock-user', { username: login });
        expect(asked).toHaveLength(1);
        expect(asked[0]).toMatch(/Dry run of okta-unlock-user[\s\S]*Make this change in Okta\?/);
        expect(statusOf(login)).toBe(expected);
        if (expected === 'LOCKED_OUT') expect(text(r)).toMatch(/did not confirm the plan; nothing was changed/);
        else expect(r.isError).toBeFalsy();
      } finally {
        await close();
      }
    }
  });
});

describe('tools whose scopes are not configured are not offered', () => {
  test('an OAuth app configured for users only: no group, log or zone tool, and a call names the scope to add', async () => {
    const { client, close } = await connect({ instances: singleInstance(sandboxParams(sb, 'oauth', { scopes: 'okta.users.read' })) });
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('okta-get-user');
      expect(names).not.toContain('okta-get-logs');
      expect(names).not.toContain('okta-list-groups');
      const r = await call(client, 'okta-get-logs', {});
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/needs the Okta API scope okta\.logs\.read/);
      const ok = await call(client, 'okta-get-user', { username: 'alice@example.com' });
      expect(ok.isError).toBeFalsy();
    } finally {
      await close();
    }
  });
});

describe('okta-soar mcp on stdio (the built CLI)', () => {
  test('an SDK client lists the tools and runs okta-get-user through the process', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      env: childEnv({ OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: '/nonexistent-okta-soar-mcp-state' }) as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'okta-soar-stdio-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('okta-get-user');
      expect(tools.some((t) => t.name === 'okta-suspend-user')).toBe(false);
      const r = (await client.callTool({ name: 'okta-get-user', arguments: { username: 'bob@example.com' } })) as CallToolResult;
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { Account: { Username: string } }).Account.Username).toBe('bob@example.com');
    } finally {
      await client.close();
    }
  }, 30_000);

  test('OKTA_MCP_CHANGES=confirm, OAuth with DPoP required by the org: a sandbox user is suspended only through plan-then-confirm', async () => {
    // Okta's own MCP server asks admins to turn DPoP off; ours signs in with it on.
    const dpopOrg = await startSandbox({ users: 5, logEvents: 0, quiet: true, dpop: true });
    const state = tempStateDir();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      env: childEnv(sandboxEnv(dpopOrg, 'dpop', state, { OKTA_MCP_CHANGES: 'confirm' })) as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'okta-soar-stdio-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const suspend = (await client.listTools()).tools.find((t) => t.name === 'okta-suspend-user');
      expect(suspend?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
      const login = dpopOrg.org.addUser({ login: 'stdio.suspend@example.com', status: 'ACTIVE' }).profile.login as string;
      const plan = (await client.callTool({ name: 'okta-suspend-user', arguments: { username: login } })) as CallToolResult;
      expect(plan.isError).toBeFalsy();
      expect(text(plan)).toMatch(/Nothing was changed\. To make this change, call okta-suspend-user again/);
      expect(dpopOrg.org.requireUser(login).status).toBe('ACTIVE');
      const token = (plan.structuredContent as { confirmation: { token: string } }).confirmation.token;
      const done = (await client.callTool({ name: 'okta-suspend-user', arguments: { username: login, confirm: token } })) as CallToolResult;
      expect(done.isError).toBeFalsy();
      expect(dpopOrg.org.requireUser(login).status).toBe('SUSPENDED');
      expect(dpopOrg.stats.oauth.tokensMinted).toBeGreaterThanOrEqual(1);
      const replay = (await client.callTool({ name: 'okta-suspend-user', arguments: { username: login, confirm: token } })) as CallToolResult;
      expect(replay.isError).toBe(true);
      expect(text(replay)).toMatch(/already used/);
    } finally {
      await client.close();
      await dpopOrg.close();
      rmSync(state, { recursive: true, force: true });
    }
  }, 30_000);

  test('OKTA_MCP_CHANGES other than confirm is refused at start (never read as yes)', async () => {
    const { runCli } = await import('./helpers.js');
    const r = await runCli(['mcp'], { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_MCP_CHANGES: 'yes' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OKTA_MCP_CHANGES must be "confirm"/);
    expect(r.stdout).toBe('');
  });
});
