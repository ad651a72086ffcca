import { redactString } from '../../base/redact.js';
import type { CliIO } from './io.js';

// Node's default report of an uncaught error prints its stack and every property, and an
// axios error carries the request config, Authorization header included. Say one redacted line.
function fatal(e: unknown): void {
  process.stderr.write(`okta-soar: internal error: ${redactString(String((e as Error)?.message ?? e)).replace(/[\r\n]+/g, ' ')}\n`);
  process.exit(1);
}

/**
 * Runs the CLI as this process: its argv and streams, one redacted line for anything uncaught,
 * quiet on a closed pipe, and the exit code set (never process.exit after a write) so piped output
 * is flushed whole.
 */
export function runAsProcess(main: (argv: string[], io: CliIO) => Promise<number>): void {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  // The reader went away (`| head`, a killed engine): stop quietly. Nothing more can be delivered, and
  // fetch-incidents commits its lastRun only after its output was written, so nothing is lost.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 1);
    else fatal(e);
  });

  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(
    (code) => {
      // Set the code and let Node exit by itself, so piped output is flushed whole.
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`okta-soar: internal error: ${redactString(String((e as Error)?.message ?? e))}\n`);
      process.exitCode = 1;
    },
  );
}
