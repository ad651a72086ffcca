/**
 * Sigma rules driving fetch-incidents, end to end: the real CLI against the sandbox org. The
 * default rules raise the incident each sandbox scenario is made for; OKTA_FETCH_RULES at a
 * folder makes exactly the matching events incidents, with the rules' titles and levels; bad
 * rules stop the fetch before any request; `okta-soar rules test` on a file of events and on the
 * sandbox's last day.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fetchStateKeys } from '../../integration/faces/cli/verbs/fetch.js';
import type { FetchLastRun, Incident } from '../../integration/fetch/index.js';
import { defaultRules, LEVEL_SEVERITY } from '../../integration/fetch/rules/index.js';
import type { LogEvent } from '../../integration/okta/logs.js';
import { startSandbox, type Sandbox, type ScenarioName } from '../../sandbox/index.js';
import { RAISES } from '../helpers/scenario-rules.js';
import { BIN, ROOT, runCli, tempStateDir } from './helpers.js';

/** `npm test` builds first; a direct jest run rebuilds when dist is older than the sources this test runs. */
function ensureBuilt(): void {
  const pairs: Array<[string, string]> = [
    ['integration/fetch/fetch.ts', 'dist/integration/fetch/fetch.js'],
    ['integration/fetch/detection.ts', 'dist/integration/fetch/detection.js'],
    ['integration/faces/cli/verbs/rules.ts', 'dist/integration/faces/cli/verbs/rules.js'],
    ['integration/faces/cli/main.ts', 'dist/integration/faces/cli/main.js'],
  ];
  const stale = pairs.some(([src, out]) => !existsSync(path.join(ROOT, out)) || statSync(path.join(ROOT, out)).mtimeMs < statSync(path.join(ROOT, src)).mtimeMs);
  if (!stale) return;
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(BIN)) throw new Error('dist/ could not be built: run npm run build');
}
beforeAll(ensureBuilt, 120_000);

interface Printed {
  incidents: Incident[];
  lastRun: FetchLastRun;
}

const isWindow = (i: Incident) => i.dbotMirrorId.startsWith('sigma:');
const ruleIds = (i: Incident) => (i.rules ?? []).map((r) => r.id);

/** Events that no default rule is about: they must never become incidents. */
const NOISE: Partial<LogEvent>[] = [
  { eventType: 'user.session.start', outcome: { result: 'SUCCESS', reason: null } },
  { eventType: 'user.session.end' },
  { eventType: 'app.user_management.push_profile_success' },
  { eventType: 'policy.evaluate_sign_on', outcome: { result: 'ALLOW', reason: null } },
];

async function fetchOnce(env: Record<string, string>): Promise<Printed> {
  const r = await runCli(['fetch-incidents', '--json'], env, { timeoutMs: 60_000 });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(r.stdout) as Printed;
}

describe('the default rules (no fetch_rules) raise each sandbox scenario’s incident', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 30, logEvents: 0, quiet: true, recordFile: '' });
  });
  afterAll(() => sb?.close());

  test('every scenario: its rule, title and level; noise raises nothing; correlations fire once, also on the next run', async () => {
    const stateDir = tempStateDir();
    const env = { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: stateDir };
    const byScenario = new Map<ScenarioName, LogEvent[]>();
    const noise = sb.org.appendEvents(NOISE);
    for (const name of Object.keys(RAISES) as ScenarioName[]) byScenario.set(name, sb.org.appendScenario(name));
    noise.push(...sb.org.appendEvents(NOISE));

    const doc = await fetchOnce(env);
    const rules = defaultRules();
    for (const [name, events] of byScenario) {
      const id = RAISES[name];
      const rule = rules.get(id)!;
      const uuids = new Set(events.map((e) => e.uuid));
      const mine = doc.incidents.filter((i) => ruleIds(i).includes(id));
      expect({ name, raised: mine.length > 0 }).toEqual({ name, raised: true });
      for (const inc of mine) {
        expect(inc.name.startsWith(`${rule.title}`)).toBe(true);
        expect(inc.severity).toBe(LEVEL_SEVERITY[rule.level!]);
        if (rule.kind === 'correlation') {
          expect(isWindow(inc)).toBe(true);
          const carried = (JSON.parse(inc.rawJSON) as { eventIds: string[] }).eventIds;
          expect(carried.every((u) => uuids.has(u))).toBe(true); // the window carries the scenario's events
        } else expect(uuids.has(inc.dbotMirrorId)).toBe(true);
      }
    }
    // One incident per correlation window, and nothing from the noise.
    const windows = doc.incidents.filter(isWindow);
    expect(windows.map((w) => ruleIds(w)[0]).sort()).toEqual(rules.correlations.map((c) => c.id).sort());
    const noiseIds = new Set(noise.map((e) => e.uuid));
    expect(doc.incidents.filter((i) => noiseIds.has(i.dbotMirrorId))).toEqual([]);
    // Every event incident is a scenario event (each at most once).
    const eventIncidents = doc.incidents.filter((i) => !isWindow(i)).map((i) => i.dbotMirrorId);
    expect(new Set(eventIncidents).size).toBe(eventIncidents.length);
    const scenarioIds = new Set([...byScenario.values()].flat().map((e) => e.uuid));
    expect(eventIncidents.filter((u) => !scenarioIds.has(u))).toEqual([]);
    expect(typeof doc.lastRun.windows).toBe('string');

    // The next run (a new process: only the committed lastRun carries the windows) raises nothing again.
    const committed = (JSON.parse(readFileSync(path.join(stateDir, fetchStateKeys(sb.url).record), 'utf8')) as { lastRun: FetchLastRun }).lastRun;
    expect(committed.windows).toBe(doc.lastRun.windows);
    const again = await fetchOnce(env);
    expect(again.incidents).toEqual([]);
    rmSync(stateDir, { recursive: true, force: true });
  }, 90_000);
});

const RULES: Record<string, string> = {
  'proxy.yml': `title: Custom sign-in through a proxy
id: custom-proxy
level: critical
tags: [attack.initial-access, attack.t1078.004]
references: [https://example.com/runbooks/proxy]
logsource:
  product: okta
detection:
  selection:
    eventType: user.session.start
    securityContext.isProxy: 'true'
    outcome.result: SUCCESS
  condition: selection
`,
  'grants/privilege.yml': `title: Custom privilege change
id: custom-privilege
level: low
logsource:
  product: okta
detection:
  selection:
    eventType|startswith: 'user.account.privilege.'
  condition: selection
`,
  'grants/push.yml': `title: Custom push denied
id: custom-deny
name: custom_deny
logsource:
  product: okta
detection:
  selection:
    eventType: user.mfa.okta_verify.deny_push
  condition: selection
---
title: Custom two push denials
id: custom-push-pair
level: medium
correlation:
  type: event_count
  rules: [custom_deny]
  group-by: [actor.alternateId]
  timespan: 15m
  condition:
    gte: 2
`,
};

function ruleFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-e2e-rules-'));
  for (const [f, text] of Object.entries(RULES)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('OKTA_FETCH_RULES at a folder of Sigma rules', () => {
  let sb: Sandbox;
  let dir: string;
  let all: LogEvent[];
  beforeAll(async () => {
    sb = await startSandbox({ users: 30, logEvents: 0, quiet: true, recordFile: '' });
    dir = ruleFolder();
    all = [...sb.org.appendEvents(NOISE)];
    for (const name of Object.keys(RAISES) as ScenarioName[]) all.push(...sb.org.appendScenario(name));
  });
  afterAll(() => {
    sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('exactly the matching sandbox events become incidents, with the rules’ titles and levels; the pair of denials is one window', async () => {
    const stateDir = tempStateDir();
    const doc = await fetchOnce({ OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: stateDir, OKTA_FETCH_RULES: dir });
    // Said independently of the engine: what each rule is about.
    const proxied = all.filter((e) => e.eventType === 'user.session.start' && (e.securityContext as { isProxy?: boolean } | null)?.isProxy === true && e.outcome?.result === 'SUCCESS');
    const grants = all.filter((e) => e.eventType.startsWith('user.account.privilege.'));
    const denials = all.filter((e) => e.eventType === 'user.mfa.okta_verify.deny_push');
    expect(proxied.length).toBeGreaterThan(0);
    expect(grants.length).toBeGreaterThan(0);
    expect(denials.length).toBeGreaterThanOrEqual(2);
    const expected = all.filter((e) => proxied.includes(e) || grants.includes(e)).map((e) => e.uuid);
    expect(doc.incidents.filter((i) => !isWindow(i)).map((i) => i.dbotMirrorId)).toEqual(expected);
    for (const inc of doc.incidents.filter((i) => !isWindow(i))) {
      if (proxied.some((e) => e.uuid === inc.dbotMirrorId)) {
        expect(inc).toMatchObject({ severity: 4, rules: [{ id: 'custom-proxy', level: 'critical', attack: { tactics: ['initial-access'], techniques: ['T1078.004'] }, references: ['https://example.com/runbooks/proxy'] }] });
        expect(inc.name).toMatch(/^Custom sign-in through a proxy: /);
      } else {
        expect(inc).toMatchObject({ severity: 1, rules: [{ id: 'custom-privilege', level: 'low', file: path.join(dir, 'grants/privilege.yml') }] });
        expect(inc.name).toMatch(/^Custom privilege change: /);
      }
    }
    const windows = doc.incidents.filter(isWindow);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ severity: 2, name: expect.stringMatching(/^Custom two push denials: 2 events for actor\.alternateId=\S+ within 15m$/) });
    expect((JSON.parse(windows[0]!.rawJSON) as { eventIds: string[] }).eventIds).toEqual(denials.slice(0, 2).map((e) => e.uuid));
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  test('a folder with a bad rule: exit 1 naming the file, the rule and the construct, before any request; no stack trace', async () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'okta-soar-e2e-bad-'));
    writeFileSync(path.join(bad, 'ok.yml'), RULES['proxy.yml']!);
    writeFileSync(path.join(bad, 'bad.yml'), 'title: Bad\nid: custom-bad\nlevel: high\nlogsource:\n  product: okta\ndetection:\n  sel:\n    eventType|wide: x\n  condition: sel\n');
    const before = sb.stats.byRoute['GET /api/v1/logs'] ?? 0;
    const stateDir = tempStateDir();
    const r = await runCli(['fetch-incidents', '--json'], { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: stateDir, OKTA_FETCH_RULES: bad });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`okta-soar: fetch_rules: a Sigma rule problem, so no rule is used: ${path.join(bad, 'bad.yml')} rule "custom-bad" detection.sel: modifier 'wide'`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr + r.stdout).not.toContain(sb.apiToken);
    expect(sb.stats.byRoute['GET /api/v1/logs'] ?? 0).toBe(before);
    const missing = await runCli(['fetch-incidents'], { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: stateDir, OKTA_FETCH_RULES: path.join(bad, 'nope') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/fetch_rules: .*nope: does not exist/);
    rmSync(bad, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  test('rules test: a file of events, the last day of the org, and a rule it refuses', async () => {
    const eventsFile = path.join(dir, '..', `${path.basename(dir)}-events.json`);
    // Newest first, as okta-get-logs gives them: rules test reads them oldest first.
    writeFileSync(eventsFile, JSON.stringify({ events: [...all].reverse() }));
    try {
      const r = await runCli(['rules', 'test', dir, '--events', eventsFile, '--json'], {});
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const out = JSON.parse(r.stdout) as { ok: boolean; events: number; rules: Array<{ id: string; matches: number; feedsOnly?: boolean; examples: string[] }>; incidents: Incident[] };
      const matches = Object.fromEntries(out.rules.map((x) => [x.id, x.matches]));
      const denials = all.filter((e) => e.eventType === 'user.mfa.okta_verify.deny_push').length;
      expect(out.ok).toBe(true);
      expect(out.events).toBe(all.length);
      expect(matches).toEqual({ 'custom-proxy': 1, 'custom-privilege': 1, 'custom-deny': denials, 'custom-push-pair': 1 });
      expect(out.rules.find((x) => x.id === 'custom-deny')!.feedsOnly).toBe(true);
      expect(out.incidents.map((i) => i.name.split(':')[0])).toEqual(expect.arrayContaining(['Custom sign-in through a proxy', 'Custom privilege change', 'Custom two push denials']));
      expect(out.incidents).toHaveLength(3);

      const txt = await runCli(['rules', 'test', dir, '--events', eventsFile], {});
      expect(txt.code).toBe(0);
      expect(txt.stdout).toContain(`4 rules from 3 files; ${all.length} events from ${eventsFile}.`);
      expect(txt.stdout).toMatch(/1 window\s+medium\s+Custom two push denials/);
      expect(txt.stdout).toContain('Incidents fetch-incidents would raise: 3');

      // Without --events: the last day of the configured org's System Log.
      const live = await runCli(['rules', 'test', dir, '--json'], { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken });
      expect({ code: live.code, stderr: live.stderr }).toEqual({ code: 0, stderr: '' });
      const liveOut = JSON.parse(live.stdout) as { rules: Array<{ id: string; matches: number }>; incidents: Incident[]; source: string };
      expect(Object.fromEntries(liveOut.rules.map((x) => [x.id, x.matches]))).toEqual(matches);
      expect(liveOut.source).toMatch(/last day of the System Log of http:\/\/127\.0\.0\.1:\d+/);

      // Neither --events nor an org: one line saying what to give, exit 1, nothing read.
      const nowhere = await runCli(['rules', 'test', dir], { OKTA_URL: '' });
      expect({ code: nowhere.code, stdout: nowhere.stdout }).toEqual({ code: 1, stdout: '' });
      expect(nowhere.stderr).toMatch(/^okta-soar: rules test: no org to read and no --events file: give --events FILE\.json .* or set OKTA_URL/);

      // What it cannot evaluate: exit 1, every problem with file, rule and construct.
      const badFile = path.join(dir, '..', `${path.basename(dir)}-bad.yml`);
      writeFileSync(badFile, 'title: Aggregation\nid: custom-agg\nlevel: low\nlogsource:\n  product: okta\ndetection:\n  sel:\n    eventType: x\n  condition: sel | count() by actor.alternateId > 5\n---\ntitle: No detection\nid: custom-nodet\nlevel: low\n');
      const refused = await runCli(['rules', 'test', badFile, '--events', eventsFile], {});
      const refusedJson = await runCli(['rules', 'test', badFile, '--json'], {});
      rmSync(badFile, { force: true });
      expect(refusedJson.code).toBe(1);
      expect(JSON.parse(refusedJson.stdout)).toMatchObject({ ok: false, problems: [{ file: badFile, rule: 'custom-agg', construct: 'condition' }, { file: badFile, rule: 'custom-nodet', construct: 'detection' }] });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^okta-soar: rules test: 2 Sigma rule problems, so no rule is used:\n/);
      expect(refused.stderr).toContain(`${badFile} rule "custom-agg" condition:`);
      expect(refused.stderr).toContain(`${badFile} rule "custom-nodet" detection: is missing`);
      expect(refused.stderr).not.toMatch(/\n\s+at /);

      const badEvents = await runCli(['rules', 'test', dir, '--events', path.join(dir, 'proxy.yml')], {});
      expect(badEvents.code).toBe(1);
      expect(badEvents.stderr).toMatch(/--events .*proxy\.yml is not JSON/);
    } finally {
      rmSync(eventsFile, { force: true });
    }
  }, 60_000);
});

describe('OKTA_FETCH_RULES changed between runs', () => {
  let sb: Sandbox;
  let dir: string;
  beforeAll(async () => {
    sb = await startSandbox({ users: 10, logEvents: 0, quiet: true, recordFile: '' });
    dir = ruleFolder();
  });
  afterAll(() => {
    sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('OKTA_FETCH_RULES changed between two runs: the history continues (said on stderr), no incident twice, the new rule’s events from the boundary millisecond on come', async () => {
    const stateDir = tempStateDir();
    const env = { OKTA_URL: sb.url, OKTA_API_TOKEN: sb.apiToken, OKTA_STATE_DIR: stateDir };
    const run = async (rules: string) => {
      const r = await runCli(['fetch-incidents', '--json'], { ...env, OKTA_FETCH_RULES: rules }, { timeoutMs: 60_000 });
      expect({ code: r.code, leaked: r.stderr.includes(sb.apiToken) }).toEqual({ code: 0, leaked: false });
      return { doc: JSON.parse(r.stdout) as Printed, stderr: r.stderr };
    };
    const ids = (d: Printed) => d.incidents.map((i) => i.dbotMirrorId);
    const proxied = (published?: string): Partial<LogEvent> => ({ eventType: 'user.session.start', outcome: { result: 'SUCCESS', reason: null }, securityContext: { isProxy: true } as LogEvent['securityContext'], ...(published ? { published } : {}) });
    const before = sb.org.appendEvents([proxied(), { eventType: 'user.account.privilege.grant' }, proxied()]);
    const first = await run(path.join(dir, 'proxy.yml'));
    expect(ids(first.doc)).toEqual([before[0]!.uuid, before[2]!.uuid]);
    const t = first.doc.lastRun.latestPublished!;
    // On the boundary millisecond: a proxied sign-in and a privilege grant; then both again, later.
    const onBoundary = sb.org.appendEvents([proxied(t), { eventType: 'user.account.privilege.grant', published: t }]);
    const after = sb.org.appendEvents([proxied(), { eventType: 'user.account.privilege.grant' }]);

    const second = await run(dir);
    expect(second.stderr).toContain(`the fetch history continues from ${t}`);
    expect(second.doc.lastRun.reset).toMatchObject({ reason: 'filter_changed' });
    expect(ids(second.doc).filter((u) => ids(first.doc).includes(u))).toEqual([]);
    for (const e of [...onBoundary, ...after]) expect(ids(second.doc)).toContain(e.uuid);
    expect(new Set(ids(second.doc)).size).toBe(second.doc.incidents.length);
    const third = await run(dir);
    expect(third).toMatchObject({ stderr: '', doc: { incidents: [] } });
    rmSync(stateDir, { recursive: true, force: true });
  }, 90_000);
});
