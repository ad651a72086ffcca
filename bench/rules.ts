/**
 * `npm run bench:rules`: Sigma rule evaluation per 1,000 System Log events with 50 loaded rules
 * (issue #20: it must not be what limits a fetch cycle). Not a test: it reports, it asserts nothing.
 *
 * Events: the sandbox's seeded System Log (seed 1, 2,000 users; BENCH_RULE_EVENTS events, 100,000
 * by default), built a page of 1,000 at a time outside the timing and dropped after it, as a fetch
 * cycle holds them. Rules: the 28 default rules (rules/okta) plus 22 written here in the forms
 * detection engineers use (contains, startswith/endswith, re, cidr, exists, keywords, `1 of`,
 * `not`), 50 in all. A second set, 50 rules that name no event type (every rule runs on every
 * event: the event-type index cannot help), is the worst case. Each set is timed BENCH_RULE_RUNS
 * times (5) over all the events, with correlation windows carried from page to page; medians and
 * spread are reported, wall and CPU.
 *
 * Results: stdout (markdown) and bench/results/rules.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRulesDir, parseRules, parseRuleText, type OktaEvent, type RuleSet } from '../integration/fetch/rules/index.js';
import { seedDirectory } from '../sandbox/seed-directory.js';
import { seedLogEvents, type SeededLog } from '../sandbox/seed-logs.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const EVENTS = Number(process.env.BENCH_RULE_EVENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_RULE_RUNS ?? 5);
const PAGE = 1000;
const log = (m: string) => process.stderr.write(`bench:rules: ${m}\n`);

const TYPES = ['user.session.start', 'user.authentication.sso', 'policy.evaluate_sign_on', 'user.authentication.auth_via_mfa', 'group.user_membership.add', 'application.user_membership.add', 'user.account.update_password', 'user.lifecycle.create', 'app.oauth2.as.token.grant.access_token', 'user.session.access_admin_app'];

/** Detections in the forms SOC rules use; `open` ones name no event type. */
function extraRule(i: number, open: boolean): string {
  const type = TYPES[i % TYPES.length]!;
  const typed = open ? '' : `    eventType: ${type}\n`;
  const bodies = [
    `  selection:\n${typed}    client.userAgent.rawUserAgent|contains:\n      - python-requests\n      - curl/\n      - Go-http-client\n  condition: selection`,
    `  selection:\n${typed}    actor.alternateId|endswith: '@contractor.example'\n  filter:\n    outcome.result: SUCCESS\n  condition: selection and not filter`,
    `  selection:\n${typed}    actor.alternateId|re: '^(svc|admin)[-_.][a-z0-9]+@'\n  condition: selection`,
    `  selection:\n${typed}    client.ipAddress|cidr:\n      - 192.0.2.0/24\n      - 2001:db8::/32\n  condition: selection`,
    `  selection:\n${typed}    debugContext.debugData.behaviors|contains|all:\n      - New Geo-Location=POSITIVE\n      - Velocity=POSITIVE\n  condition: selection`,
    `  selection_geo:\n${typed}    client.geographicalContext.country:\n      - Russia\n      - North Korea\n      - Iran\n  selection_asn:\n${typed}    securityContext.asOrg|startswith:\n      - m247\n      - leaseweb\n  condition: 1 of selection_*`,
    `  selection:\n${typed}    securityContext.isProxy: 'true'\n    debugContext.debugData.threatSuspected|exists: true\n  condition: selection`,
    `  keywords:\n    - 'mimikatz'\n    - 'evilginx'\n  selection:\n${open ? '    severity: ERROR' : typed}\n  condition: keywords or selection`,
  ];
  return `title: Bench rule ${i}\nid: bench-${open ? 'open' : 'typed'}-${i}\nlevel: low\nlogsource:\n  product: okta\ndetection:\n${bodies[i % bodies.length]}\n`;
}

/** Rules from YAML texts (one rule set; the default rules' files joined in when asked). */
function ruleSetOf(texts: string[], withDefaults: boolean): RuleSet {
  const defaults = withDefaults ? parseRules([defaultRulesDir()]).files.map((f) => readFileSync(f, 'utf8')) : [];
  const { ruleSet, problems } = parseRuleText([...defaults, ...texts].map((t) => t.replace(/\n*$/, '\n')).join('---\n'), 'bench');
  if (!ruleSet) throw new Error(JSON.stringify(problems));
  return ruleSet;
}

/**
 * Wall and CPU time (this process, user + system) of evaluating every event once, page by page as
 * fetch reads them: each 1,000-event page is built (not timed), evaluated (timed), then dropped,
 * so the heap holds what a fetch cycle holds, not the whole log.
 */
function time(rs: RuleSet, log: SeededLog): { ms: number; cpuMs: number; matched: number; windows: number } {
  const state = rs.newState();
  let matched = 0;
  let windows = 0;
  let ms = 0;
  let cpuMs = 0;
  for (let start = 0; start < log.count; start += PAGE) {
    const page: OktaEvent[] = [];
    for (let i = start; i < Math.min(start + PAGE, log.count); i++) page.push(log.make(log.order[i]!));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const e of page) {
      const r = rs.evaluate(e, state);
      matched += r.matches.length ? 1 : 0;
      windows += r.windows.length;
    }
    ms += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpuMs += (c.user + c.system) / 1000;
  }
  return { ms, cpuMs, matched, windows };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  log(`seeding ${EVENTS} events`);
  const now = Date.parse('2026-11-22T12:00:00.000Z');
  const dir = seedDirectory(1, 2000, now);
  const seeded = seedLogEvents(1, EVENTS, now, { users: dir.users, groups: dir.groups, apps: dir.apps, clientAppId: '0oabenchclient000001' });
  const sets: [string, RuleSet][] = [
    ['default rules + 22 typed rules (realistic)', ruleSetOf(Array.from({ length: 22 }, (_, i) => extraRule(i, false)), true)],
    ['50 rules naming no event type (worst case)', ruleSetOf(Array.from({ length: 50 }, (_, i) => extraRule(i, true)), false)],
  ];
  const rows: { set: string; rules: number; perThousandMs: number; min: number; max: number; cpuPerThousandMs: number; eventsPerSecond: number; matched: number; windows: number }[] = [];
  for (const [name, rs] of sets) {
    if (rs.rules.length !== 50) throw new Error(`${name}: ${rs.rules.length} rules, not 50`);
    time(rs, seeded); // warm-up (JIT)
    const runs = Array.from({ length: RUNS }, () => time(rs, seeded));
    const per = runs.map((r) => (r.ms / seeded.count) * 1000);
    const cpu = median(runs.map((r) => (r.cpuMs / seeded.count) * 1000));
    rows.push({ set: name, rules: rs.rules.length, perThousandMs: median(per), min: Math.min(...per), max: Math.max(...per), cpuPerThousandMs: cpu, eventsPerSecond: Math.round(seeded.count / (median(runs.map((r) => r.ms)) / 1000)), matched: runs[0]!.matched, windows: runs[0]!.windows });
    log(`${name}: ${median(per).toFixed(2)} ms per 1,000 events`);
  }
  const md = [
    `Sigma rule evaluation, ${seeded.count.toLocaleString('en')} seeded System Log events in pages of ${PAGE}, ${RUNS} runs each (node ${process.version}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}):`,
    '',
    '| rule set | rules | ms per 1,000 events (median, wall) | spread | CPU ms per 1,000 events | events/s | events matched | windows fired |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.set} | ${r.rules} | ${r.perThousandMs.toFixed(2)} | ${r.min.toFixed(2)}–${r.max.toFixed(2)} | ${r.cpuPerThousandMs.toFixed(2)} | ${r.eventsPerSecond.toLocaleString('en')} | ${r.matched} | ${r.windows} |`),
  ].join('\n');
  process.stdout.write(`${md}\n`);
  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'results', 'rules.json'), `${JSON.stringify({ at: new Date().toISOString(), events: seeded.count, runs: RUNS, node: process.version, cores: cpus().length, load: loadavg()[0], rows }, null, 2)}\n`);
}

main();
