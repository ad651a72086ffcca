import type { GlobalFlags } from '../main.js';
import type { CliIO } from '../io.js';

export async function sandboxVerb(io: CliIO, _flags: GlobalFlags, argv: string[]): Promise<number> {
  const { sandboxMain } = await import('../../../sandbox/cli.js');
  return sandboxMain(argv.filter((a) => a !== 'sandbox'), { stdout: io.stdout, stderr: io.stderr });
}
