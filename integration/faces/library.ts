/**
 * okta-soar's library API (contract §6), without the commands: the package's entry
 * (entry/index.ts) hands the handler table in and exports `runCommand` and `dispatch` bound to it.
 */
import type { Dispatch, RunOptions } from '../engine/dispatcher.js';
import type { Entry, Params } from '../engine/types.js';

export type { RunOptions, DispatchOutcome, Dispatch } from '../engine/dispatcher.js';
export type { Entry, Params, Args } from '../engine/types.js';
export { MemoryStore, FileStore, type StateStore, type StateUpdate, type StateScope } from '../state/store.js';
export { RedisStore } from '../state/redis-store.js';
export { StateCipher } from '../state/state-key.js';
export { openStateStore } from '../state/open-store.js';
export { namespacedStore } from '../state/namespace.js';
export { loadInstances, pickInstance, type Instances, type Instance } from '../engine/instances.js';
export { systemClock, ManualClock, type Clock } from '../base/clock.js';
export * from '../base/errors.js';
export { fetchIncidents, DEFAULT_FETCH_FILTER, type FetchOptions, type FetchResult, type FetchLastRun, type Incident } from '../fetch/index.js';
export { loadRules, parseRules, defaultRules, RuleLoadError, describeProblem, type RuleSet, type RuleProblem } from '../fetch/rules/index.js';
export { readLogs, type LogQuery, type LogPage, type ReadLogsOptions } from '../engine/read-logs.js';
export type { LogEvent } from '../okta/logs.js';

/** runCommand and dispatch over one engine. */
export function libraryCommands(dispatch: Dispatch): {
  /** The entries of one command (contract §4); never rejects for a command failure: it returns an error entry. */
  runCommand(name: string, args: Record<string, unknown>, params: Params, options?: RunOptions): Promise<Entry[]>;
  /** The same, with the exit code the CLI would give and the values the analyst asked to see. */
  dispatch: Dispatch;
} {
  return {
    runCommand: async (name, args, params, options = {}) => (await dispatch(name, args, params, options)).entries,
    dispatch,
  };
}
