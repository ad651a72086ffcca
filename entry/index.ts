/**
 * The package's entry (`import … from 'okta-soar'`): the library face with the commands handed in.
 * entry/ holds the composition roots, the only place where the commands meet the engine.
 */
import { handlers } from '../commands/index.js';
import { dispatcherFor } from '../integration/engine/dispatcher.js';
import { libraryCommands } from '../integration/faces/library.js';

export * from '../integration/faces/library.js';

export const { runCommand, dispatch } = libraryCommands(dispatcherFor(handlers));
