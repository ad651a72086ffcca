#!/usr/bin/env node
import { redactString } from '../redact.js';
import { main } from './main.js';

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
