/** okta-soar's library API (contract §6). */
export { runCommand, dispatch, type RunOptions, type DispatchOutcome } from './dispatcher.js';
export type { Entry, Params, Args } from './types.js';
export { MemoryStore, FileStore, type StateStore } from './state/store.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export * from './errors.js';
export { fetchIncidents, DEFAULT_FETCH_FILTER, type FetchOptions, type FetchResult, type FetchLastRun, type Incident } from './fetch/index.js';
export { readLogs, type LogQuery, type LogPage, type ReadLogsOptions } from './read-logs.js';
export type { LogEvent } from '../commands/logs.js';
