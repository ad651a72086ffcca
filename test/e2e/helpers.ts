import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCOPES } from '../../integration/okta/config.js';
import type { Sandbox } from '../../sandbox/index.js';
import { childEnv } from '../child-env.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI (`npm test` builds first; `npm ci` builds through `prepare`). */
export const BIN = path.join(ROOT, 'dist', 'entry', 'bin.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a separate process, as a user or a playbook engine would. */
export function runCli(args: string[], env: Record<string, string | undefined>, opts: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export function tempStateDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'okta-soar-state-'));
}

export type AuthMode = 'ssws' | 'oauth' | 'dpop';

/** Environment for the CLI against a sandbox in the given auth mode. */
export function sandboxEnv(sb: Sandbox, mode: AuthMode, stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = { OKTA_URL: sb.url, OKTA_STATE_DIR: stateDir, ...extra };
  if (mode === 'ssws') return { ...base, OKTA_API_TOKEN: sb.apiToken };
  return { ...base, OKTA_CLIENT_ID: sb.clientId, OKTA_PRIVATE_KEY_FILE: sb.privateKeyFile, OKTA_KEY_ID: sb.keyId, OKTA_SCOPES: SCOPES };
}

/** Parameters for the library API against a sandbox in the given auth mode. */
export function sandboxParams(sb: Sandbox, mode: AuthMode, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if (mode === 'ssws') return { url: sb.url, apitoken: sb.apiToken, ...extra };
  return { url: sb.url, client_id: sb.clientId, private_key: sb.privateKeyPem, key_id: sb.keyId, scopes: SCOPES, ...extra };
}

/** The scopes the end-to-end tests request: the setup guide's eleven, and roles (the sandbox grants what is asked). */
export const SCOPE_LIST: string[] = [...DEFAULT_SCOPES, 'okta.roles.read'];
export const SCOPES = SCOPE_LIST.join(' ');

/** The statuses the sandbox answered on `route`, in order, from its exchange record (`recordFile`). */
export function recordedStatuses(recordFile: string, route: string): number[] {
  return readFileSync(recordFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { path: string; status: number })
    .filter((r) => r.path === route)
    .map((r) => r.status);
}
