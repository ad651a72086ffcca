/**
 * `okta-soar rules test FILE|DIR … [--events FILE] [--json]`: loads Sigma rules as fetch-incidents
 * would, refuses what it cannot evaluate (every problem with its file, rule and construct; exit 1),
 * and reports what each rule matches in a file of events, or in the last day of the configured
 * org's System Log, with the incidents fetch-incidents would raise from them.
 */
import { readFileSync, statSync } from 'node:fs';
import { systemClock } from '../../../base/clock.js';
import { ArgumentError, ConfigError, UsageError } from '../../../base/errors.js';
import { redactString } from '../../../base/redact.js';
import { readLogs } from '../../../engine/read-logs.js';
import { evaluateEvent, type RuleIncidentOptions } from '../../../fetch/detection.js';
import type { Incident } from '../../../fetch/incidents.js';
import { describeProblem, parseRules, type LoadedRule, type RuleSet } from '../../../fetch/rules/index.js';
import type { LogEvent } from '../../../okta/logs.js';
import { write, type CliIO } from '../io.js';
import { cliParams, stateStore, type GlobalFlags } from '../shared.js';

/** Largest --events file read (a day of a busy org's System Log is far less). */
const MAX_EVENTS_BYTES = 512 * 1024 * 1024;
/** Event uuids listed per rule in the report. */
const LISTED = 20;

const USAGE = 'usage: okta-soar rules test FILE|DIR [FILE|DIR …] [--events FILE.json] [--json]';

interface RuleReport {
  id: string;
  title: string;
  kind: 'detection' | 'correlation';
  level?: string;
  severity: number;
  file: string;
  /** Events the rule matched (detection), or windows it fired (correlation). */
  matches: number;
  /** Uuids of the first events matched (detection), or dbotMirrorIds of the windows (correlation). */
  examples: string[];
  /** Only counted by a correlation: makes no incident of its own. */
  feedsOnly?: boolean;
}

/** The events of an --events file: a JSON array, or an object with `events` (what okta-get-logs --json or readLogs give). */
function readEvents(file: string): LogEvent[] {
  let text: string;
  try {
    if (statSync(file).size > MAX_EVENTS_BYTES) throw new ArgumentError(`--events ${file} is larger than ${MAX_EVENTS_BYTES / 1024 / 1024} MiB`, 'events');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    throw new ArgumentError(`--events ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'events');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ArgumentError(`--events ${file} is not JSON (${(e as Error).message}); give a JSON array of System Log events, or {"events": [...]}`, 'events');
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { events?: unknown }).events) ? (doc as { events: unknown[] }).events : undefined;
  if (!list) throw new ArgumentError(`--events ${file} must hold a JSON array of System Log events, or an object with "events": [...]`, 'events');
  const bad = list.findIndex((e) => !e || typeof e !== 'object' || Array.isArray(e));
  if (bad >= 0) throw new ArgumentError(`--events ${file}: item ${bad + 1} is not an event (a JSON object)`, 'events');
  return list as LogEvent[];
}

/** Oldest first, as fetch reads them (a file from okta-get-logs may be newest first); order kept when times are missing. */
function chronological(events: LogEvent[]): LogEvent[] {
  const t = (e: LogEvent) => (typeof e.published === 'string' ? Date.parse(e.published) : NaN);
  if (events.some((e) => Number.isNaN(t(e)))) return events;
  return events
    .map((e, i) => [e, i] as const)
    .sort((a, b) => t(a[0]) - t(b[0]) || a[1] - b[1])
    .map(([e]) => e);
}

function report(ruleSet: RuleSet, events: Iterable<LogEvent>): { rules: RuleReport[]; incidents: Incident[]; events: number } {
  const byId = new Map<string, RuleReport>();
  const entry = (r: LoadedRule): RuleReport => {
    let x = byId.get(r.id);
    if (!x) {
      x = { id: r.id, title: r.title, kind: r.kind, severity: r.severity, file: r.file, matches: 0, examples: [] };
      if (r.level) x.level = r.level;
      if (r.kind === 'detection' && !r.standalone) x.feedsOnly = true;
      byId.set(r.id, x);
    }
    return x;
  };
  for (const r of ruleSet.rules) entry(r);
  const state = ruleSet.newState();
  const opts: RuleIncidentOptions = { severityMap: new Map() };
  const incidents: Incident[] = [];
  let n = 0;
  for (const ev of events) {
    n++;
    for (const r of ruleSet.matching(ev as unknown as Readonly<Record<string, unknown>>)) {
      const x = entry(r);
      x.matches++;
      if (x.examples.length < LISTED && typeof ev.uuid === 'string') x.examples.push(ev.uuid);
    }
    for (const inc of evaluateEvent(ruleSet, ev, state, opts)) {
      incidents.push(inc);
      if (inc.dbotMirrorId.startsWith('sigma:')) {
        const x = byId.get(inc.rules?.[0]?.id ?? '');
        if (x) {
          x.matches++;
          if (x.examples.length < LISTED) x.examples.push(inc.dbotMirrorId);
        }
      }
    }
  }
  return { rules: [...byId.values()], incidents, events: n };
}

function text(r: ReturnType<typeof report>, loaded: { rules: number; files: number }, source: string): string {
  let s = `${loaded.rules} rule${loaded.rules === 1 ? '' : 's'} from ${loaded.files} file${loaded.files === 1 ? '' : 's'}; ${r.events} event${r.events === 1 ? '' : 's'} from ${source}.\n\n`;
  for (const x of r.rules) {
    const what = x.kind === 'correlation' ? `${x.matches} window${x.matches === 1 ? '' : 's'}` : `${x.matches} event${x.matches === 1 ? '' : 's'}`;
    s += `  ${what.padEnd(11)} ${(x.level ?? '-').padEnd(13)} ${x.title}${x.feedsOnly ? ' (counted by a correlation)' : ''}  [${x.id}]\n`;
  }
  s += `\n${r.incidents.length ? `Incidents fetch-incidents would raise: ${r.incidents.length}` : 'No incident would be raised.'}\n`;
  for (const i of r.incidents) s += `  ${i.occurred}  severity ${i.severity}  ${i.name}\n`;
  return s;
}

export async function rulesVerb(io: CliIO, flags: GlobalFlags): Promise<number> {
  const [, sub, ...paths] = flags.rest;
  if (sub !== 'test') throw new UsageError(sub ? `unknown rules subcommand ${JSON.stringify(sub)}; ${USAGE}` : USAGE);
  if (!paths.length) throw new UsageError(`rules test needs a rule file or folder; ${USAGE}`);
  for (const f of ['--follow', '--port', '--host', '--once', '--rsa']) if (flags.flags.has(f)) throw new UsageError(`rules test does not take ${f}`);

  const parsed = parseRules(paths);
  if (!parsed.ruleSet) {
    const n = parsed.problems.length;
    if (flags.json) await write(io.stdout, redactString(JSON.stringify({ ok: false, problems: parsed.problems })) + '\n');
    io.stderr.write(redactString(`okta-soar: rules test: ${n === 1 ? 'a Sigma rule problem' : `${n} Sigma rule problems`}, so no rule is used:\n${parsed.problems.map((p) => `  ${describeProblem(p)}`).join('\n')}\n`));
    return 1;
  }
  const ruleSet = parsed.ruleSet;
  const eventsFile = flags.flags.get('--events');
  let result: ReturnType<typeof report>;
  let source: string;
  if (typeof eventsFile === 'string') {
    result = report(ruleSet, chronological(readEvents(eventsFile)));
    source = eventsFile;
  } else {
    const params = cliParams(io, flags);
    if (typeof params.url !== 'string' || !params.url.trim())
      throw new ConfigError('rules test: no org to read and no --events file: give --events FILE.json (System Log events, e.g. from okta-get-logs --json), or set OKTA_URL and its credentials to try the rules on the last day of that org', 'url');
    const filter = ruleSet.logFilter();
    const clock = io.clock ?? systemClock;
    const state = await stateStore(io);
    const pages = readLogs(params, { since: '1 day', sortOrder: 'ASCENDING', ...(filter ? { filter } : {}) }, { state, clock, warn: (m) => io.stderr.write(redactString(`warning: ${m}`) + '\n') });
    const events: LogEvent[] = [];
    for await (const page of pages) events.push(...page.events);
    result = report(ruleSet, events);
    source = `the last day of the System Log of ${String(params.url ?? 'the org')}${filter ? ' (the event types the rules read)' : ''}`;
  }
  const loaded = { rules: ruleSet.rules.length, files: parsed.files.length };
  if (flags.json) await write(io.stdout, redactString(JSON.stringify({ ok: true, files: parsed.files, events: result.events, source, rules: result.rules, incidents: result.incidents })) + '\n');
  else await write(io.stdout, redactString(text(result, loaded, source)));
  return 0;
}
