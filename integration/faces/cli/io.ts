import type { Clock } from '../../base/clock.js';
import { redactString } from '../../base/redact.js';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The clock of this run ("now" for first_fetch and relative times, the waits between cycles); the system's unless a test injects one. */
  clock?: Clock;
}

/** Writes and resolves once the data is handed to the OS, so a pipe gets all of it before exit. */
export function write(stream: NodeJS.WritableStream, text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** A redacted line on stderr. */
export function logErr(io: CliIO, line: string): void {
  io.stderr.write(redactString(line) + '\n');
}

/** A progress line on stderr, only on a terminal, redrawn in place. */
export function progressReporter(io: CliIO): (done: number, total?: number, label?: string) => void {
  if (!io.stderr.isTTY) return () => undefined;
  let last = 0;
  return (done, total, label = 'items') => {
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    const width = 24;
    const bar = total ? '█'.repeat(Math.round((done / total) * width)).padEnd(width, '░') : '';
    io.stderr.write(`\r${bar} ${done}${total ? `/${total}` : ''} ${label}\x1b[K${total && done >= total ? '\n' : ''}`);
  };
}
