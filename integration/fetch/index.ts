/** fetch-incidents: System Log events as incidents, exactly once (contract §5, §6). */
export { fetchIncidents, fetchSettings, type FetchOptions, type FetchResult, type FetchSettings, type FetchStop } from './fetch.js';
export { DEFAULT_EVENT_TYPES, DEFAULT_FETCH_FILTER, type CuratedEventType } from './default-filter.js';
export { DEFAULT_SEVERITY, incidentName, parseSeverityMap, toIncident, type Incident } from './incidents.js';
export { checkLastRun, fingerprintOf, MAX_PAGE, MAX_SEEN, type FetchLastRun, type ResetReason } from './last-run.js';
