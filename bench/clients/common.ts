/** Helpers for the measured client processes (ESM side). Each prints one JSON line on stdout. */
import { createRequire } from 'node:module';

/**
 * Loads okta-soar's HTTP library (axios, which the transport loads on the first request) before
 * the clock starts, as the SDK's script has loaded the SDK before its clock starts: `ms` excludes
 * module loading on both sides (ClientResult). The same CommonJS module the transport requires.
 */
export function loadHttpLibrary(): void {
  createRequire(import.meta.url)('axios');
}

export function need(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
}

export interface ClientResult {
  /** Items read (events, users, incidents). */
  count: number;
  /** Time of the measured work itself, from the first request to the last item (module loading excluded). */
  ms: number;
  /** Anything else worth reporting (cycles, pages…). */
  extra?: Record<string, number | string>;
}

export function emit(r: ClientResult): void {
  process.stdout.write(JSON.stringify(r) + '\n');
}

export function fail(e: unknown): never {
  process.stderr.write(`bench client: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
