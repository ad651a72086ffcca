/**
 * The CLI with the commands handed in. The engine and the handler table load on the first verb
 * that runs a command: `--version`, `--help`, `commands`, `sandbox` and `keygen` start without them.
 */
import type { CliIO } from '../integration/faces/cli/io.js';
import { main as cliMain } from '../integration/faces/cli/main.js';

export function main(argv: string[], io: CliIO): Promise<number> {
  return cliMain(argv, io, async () => {
    const [{ dispatcherFor }, { handlers }] = await Promise.all([import('../integration/engine/dispatcher.js'), import('../commands/index.js')]);
    return dispatcherFor(handlers);
  });
}
