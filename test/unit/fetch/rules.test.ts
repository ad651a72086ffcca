/**
 * fetch-incidents through Sigma rules (issue #20): fetch_rules, the filter the rules need, one
 * incident per matching event naming every rule, severities from levels, correlation windows that
 * fire once and survive a restart in lastRun, and bad rules refused before any request.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fetchIncidents, type FetchLastRun } from '../../../integration/fetch/index.js';
import { RuleLoadError } from '../../../integration/fetch/rules/index.js';
import { drain, params, setupNock, TOKEN, world, type World } from './harness.js';

setupNock();

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'okta-soar-rules-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
  return f;
}

function rule(id: string, title: string, level: string, detection: string, extra = ''): string {
  return `title: ${title}\nid: ${id}\nlevel: ${level}\nlogsource:\n  product: okta\n${extra}detection:\n${detection
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}

const LOCK = rule('r-lock', 'Account locked', 'medium', 'sel:\n  eventType: user.account.lock\ncondition: sel', 'tags:\n  - attack.credential-access\n  - attack.t1110\nreferences:\n  - https://example.com/lock\n');
const LOCK_ADMIN = rule('r-lock-admin', 'Admin account locked', 'critical', "sel:\n  eventType: user.account.lock\n  actor.alternateId|startswith: 'admin'\ncondition: sel");
const TOKEN_RULE = rule('r-token', 'API token created', 'high', 'sel:\n  eventType: system.api_token.create\ncondition: sel');

/** Push bombing: 3 denials for one user within 10 minutes. */
const PUSH = `title: Push denied
id: r-deny
name: push_denied
logsource:
  product: okta
detection:
  sel:
    eventType: user.mfa.okta_verify.deny_push
  condition: sel
---
title: Push bombing
id: r-bomb
level: high
correlation:
  type: event_count
  rules: [push_denied]
  group-by: [actor.alternateId]
  timespan: 10m
  condition:
    gte: 3
`;

const MIN = 60_000;

function deny(w: World, who: string, atMs: number) {
  return w.model.add(1, { eventType: 'user.mfa.okta_verify.deny_push', publishedMs: atMs, actor: { id: '00ubob', type: 'User', alternateId: who, displayName: who } })[0]!;
}

describe('fetch_rules', () => {
  test('only events a rule matches become incidents, named and rated by the rule; the filter reads only the rules\' event types', async () => {
    write('lock.yml', LOCK);
    write('more/token.yml', TOKEN_RULE);
    const w = world();
    const locks = w.model.add(2, { eventType: 'user.account.lock' });
    w.model.add(3, { eventType: 'user.session.start' });
    const [tok] = w.model.add(1, { eventType: 'system.api_token.create' });
    w.model.add(2, { eventType: 'policy.evaluate_sign_on' });
    const r = await w.cycle({ fetch_rules: dir });
    expect(w.model.requests[0]!.searchParams.get('filter')).toBe('eventType eq "system.api_token.create" or eventType eq "user.account.lock"');
    expect(r.incidents.map((i) => i.dbotMirrorId)).toEqual([...locks.map((e) => e.uuid), tok!.uuid]);
    expect(r.incidents.map((i) => [i.name, i.severity])).toEqual([
      [`Account locked: ${locks[0]!.actor.alternateId}`, 2],
      [`Account locked: ${locks[1]!.actor.alternateId}`, 2],
      [`API token created: ${tok!.actor.alternateId}`, 3],
    ]);
    expect(r.incidents[0]).toMatchObject({
      rules: [{ id: 'r-lock', title: 'Account locked', level: 'medium', attack: { tactics: ['credential-access'], techniques: ['T1110'] }, references: ['https://example.com/lock'], file: path.join(dir, 'lock.yml') }],
      labels: [
        { type: 'Sigma rule', value: 'r-lock' },
        { type: 'ATT&CK tactic', value: 'credential-access' },
        { type: 'ATT&CK technique', value: 'T1110' },
      ],
    });
    expect(JSON.parse(r.incidents[0]!.rawJSON)).toEqual(locks[0]);
    expect(r.lastRun.windows).toBeUndefined(); // no correlation rule, no window state
  });

  test('an event several rules match is ONE incident naming them all, with the highest severity', async () => {
    write('a.yml', LOCK + '---\n' + LOCK_ADMIN);
    const w = world();
    const [admin] = w.model.add(1, { eventType: 'user.account.lock', actor: { id: '00ua', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' } });
    const [user] = w.model.add(1, { eventType: 'user.account.lock' });
    const r = await w.cycle({ fetch_rules: path.join(dir, 'a.yml') });
    expect(r.incidents).toHaveLength(2);
    expect(r.incidents[0]).toMatchObject({ dbotMirrorId: admin!.uuid, name: 'Admin account locked (+1 more): admin@example.com', severity: 4 });
    expect(r.incidents[0]!.rules!.map((x) => x.id)).toEqual(['r-lock-admin', 'r-lock']);
    expect(r.incidents[1]).toMatchObject({ dbotMirrorId: user!.uuid, severity: 2 });
    expect(r.incidents[1]!.rules!.map((x) => x.id)).toEqual(['r-lock']);
  });

  test('severity from level: informational 0, low 1, medium 2, high 3, critical 4', async () => {
    const levels = ['informational', 'low', 'medium', 'high', 'critical'];
    levels.forEach((l, i) => write(`${l}.yml`, rule(`r-${l}`, `Level ${l}`, l, `sel:\n  eventType: test.level.${i}\ncondition: sel`)));
    const w = world();
    levels.forEach((_, i) => w.model.add(1, { eventType: `test.level.${i}` }));
    const r = await w.cycle({ fetch_rules: dir });
    expect(r.incidents.map((i) => [i.name.split(':')[0], i.severity])).toEqual(levels.map((l, i) => [`Level ${l}`, i]));
  });

  test('several paths (commas, new lines); a rule with no event type reads every event', async () => {
    const a = write('a.yml', LOCK);
    const b = write('b.yml', rule('r-proxy', 'Through a proxy', 'high', "sel:\n  securityContext.isProxy: 'true'\ncondition: sel"));
    const w = world();
    const [proxied] = w.model.add(1, { eventType: 'user.session.start', securityContext: { isProxy: true } } as never);
    w.model.add(1, { eventType: 'user.session.start' });
    const r = await w.cycle({ fetch_rules: `${a},\n${b}` });
    expect(w.model.requests[0]!.searchParams.has('filter')).toBe(false);
    expect(r.incidents.map((i) => i.dbotMirrorId)).toEqual([proxied!.uuid]);
  });

  test('fetch_query_filter narrows what the rules read: (rules) and (filter)', async () => {
    write('a.yml', LOCK + '---\n' + TOKEN_RULE);
    const w = world();
    w.model.add(1, { eventType: 'user.account.lock' });
    const [tok] = w.model.add(1, { eventType: 'system.api_token.create' });
    const r = await w.cycle({ fetch_rules: dir, fetch_query_filter: 'eventType eq "system.api_token.create"' });
    expect(w.model.requests[0]!.searchParams.get('filter')).toBe('(eventType eq "system.api_token.create" or eventType eq "user.account.lock") and (eventType eq "system.api_token.create")');
    expect(r.incidents.map((i) => i.dbotMirrorId)).toEqual([tok!.uuid]);
  });

  test('a changed rule file is read again on the next cycle (--follow, serve)', async () => {
    const f = write('a.yml', LOCK);
    const w = world();
    w.model.add(1, { eventType: 'user.account.lock' });
    expect((await w.cycle({ fetch_rules: f })).incidents[0]!.severity).toBe(2);
    writeFileSync(f, LOCK.replace('level: medium', 'level: critical'));
    utimesSync(f, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    w.model.add(1, { eventType: 'user.account.lock' });
    expect((await w.cycle({ fetch_rules: f })).incidents.map((i) => i.severity)).toEqual([4]);
  });
});

describe('correlation windows', () => {
  test('fire once per window, across cycles; the windows ride in lastRun (gzipped) and survive a restart', async () => {
    write('push.yml', PUSH);
    const w = world();
    const t0 = w.clock.now();
    const e1 = deny(w, 'bob@example.com', t0);
    deny(w, 'bob@example.com', t0 + 2 * MIN);
    deny(w, 'carol@example.com', t0 + 2 * MIN);
    const c1 = await w.cycle({ fetch_rules: dir });
    expect(c1.incidents).toEqual([]); // two denials for bob: not yet
    expect(typeof c1.lastRun.windows).toBe('string');
    const state = JSON.parse(gunzipSync(Buffer.from(c1.lastRun.windows!, 'base64')).toString('utf8')) as { rules: Record<string, unknown> };
    expect(Object.keys(state.rules)).toEqual(['r-bomb']);

    // A restart: only the stored lastRun (JSON text) carries the count over.
    w.lastRun = JSON.parse(JSON.stringify(c1.lastRun)) as FetchLastRun;
    const e3 = deny(w, 'bob@example.com', t0 + 4 * MIN);
    const c2 = await w.cycle({ fetch_rules: dir });
    expect(c2.incidents).toHaveLength(1);
    const inc = c2.incidents[0]!;
    expect(inc).toMatchObject({ name: 'Push bombing: 3 events for actor.alternateId=bob@example.com within 10m', severity: 3, occurred: e3.published });
    expect(inc.dbotMirrorId).toMatch(/^sigma:r-bomb:[0-9a-f]{16}$/);
    const doc = JSON.parse(inc.rawJSON) as { count: number; eventIds: string[]; window: { start: string } };
    expect(doc.count).toBe(3);
    expect(doc.eventIds[0]).toBe(e1.uuid);
    expect(doc.eventIds).toHaveLength(3);
    expect(doc.window.start).toBe(e1.published);

    // More denials inside the same window: the same burst, no second incident.
    deny(w, 'bob@example.com', t0 + 5 * MIN);
    deny(w, 'bob@example.com', t0 + 6 * MIN);
    expect((await w.cycle({ fetch_rules: dir })).incidents).toEqual([]);
    // After the window, a new burst is a new incident.
    for (const m of [11, 12, 13]) deny(w, 'bob@example.com', t0 + m * MIN);
    const c4 = await w.cycle({ fetch_rules: dir });
    expect(c4.incidents).toHaveLength(1);
    expect(c4.incidents[0]!.dbotMirrorId).not.toBe(inc.dbotMirrorId);
  });

  test('a cycle printed but not committed: the next one fires the same window again, with the same dbotMirrorId (never lost)', async () => {
    write('push.yml', PUSH);
    const w = world();
    const t0 = w.clock.now();
    for (const m of [0, 1, 2]) deny(w, 'bob@example.com', t0 + m * MIN);
    const lost = await w.cycle({ fetch_rules: dir }, { commit: false });
    const again = await w.cycle({ fetch_rules: dir });
    expect(lost.incidents).toHaveLength(1);
    expect(again.incidents.map((i) => i.dbotMirrorId)).toEqual(lost.incidents.map((i) => i.dbotMirrorId));
    expect((await w.cycle({ fetch_rules: dir })).incidents).toEqual([]);
  });

  test('max_fetch holds with windows: an event whose incidents would not fit waits, whole, for the next cycle', async () => {
    write('push.yml', PUSH + '---\n' + rule('r-deny-each', 'Push denied (each)', 'low', 'sel:\n  eventType: user.mfa.okta_verify.deny_push\ncondition: sel'));
    const w = world();
    const t0 = w.clock.now();
    const evs = [0, 1, 2].map((m) => deny(w, 'bob@example.com', t0 + m * MIN));
    // Each denial is an incident; the third one also completes the window: 4 incidents.
    const c1 = await w.cycle({ fetch_rules: dir, max_fetch: 3 });
    expect(c1.stop).toBe('max_fetch');
    expect(c1.incidents.map((i) => i.dbotMirrorId)).toEqual([evs[0]!.uuid, evs[1]!.uuid]);
    const c2 = await w.cycle({ fetch_rules: dir, max_fetch: 3 });
    expect(c2.incidents.map((i) => i.dbotMirrorId.startsWith('sigma:r-bomb:') || i.dbotMirrorId)).toEqual([evs[2]!.uuid, true]);
    const c3 = await w.cycle({ fetch_rules: dir, max_fetch: 3 });
    expect(c3.incidents).toEqual([]);
    expect(c3.stop).toBe('caught_up');
  });

  test('a changed correlation rule drops its old windows and says so', async () => {
    const f = write('push.yml', PUSH);
    const w = world();
    const t0 = w.clock.now();
    deny(w, 'bob@example.com', t0);
    deny(w, 'bob@example.com', t0 + MIN);
    await w.cycle({ fetch_rules: dir });
    writeFileSync(f, PUSH.replace('gte: 3', 'gte: 2'));
    utimesSync(f, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const r = await w.cycle({ fetch_rules: dir });
    expect(r.warnings.join('\n')).toMatch(/windows of "r-bomb" dropped: the rule changed/);
  });
});

describe('windows in lastRun that cannot be used', () => {
  test('unreadable windows (not ours, corrupted): a warning, counting starts afresh, the cursor still resumes', async () => {
    write('push.yml', PUSH);
    const w = world();
    const t0 = w.clock.now();
    deny(w, 'bob@example.com', t0);
    const c1 = await w.cycle({ fetch_rules: dir });
    w.lastRun = { ...(w.lastRun as FetchLastRun), windows: 'not gzip at all' };
    deny(w, 'bob@example.com', t0 + MIN);
    const c2 = await w.cycle({ fetch_rules: dir });
    expect(c2.warnings).toEqual(['the stored correlation windows are not readable; counting starts afresh']);
    expect(c2.lastRun.fingerprint).toBe(c1.lastRun.fingerprint);
    expect(c2.lastRun.reset).toBeUndefined();
    expect(c2.incidents).toEqual([]);
  });

  test('rules without correlations any more: the old windows are dropped once, with a note', async () => {
    const f = write('push.yml', PUSH);
    write('lock.yml', LOCK);
    const w = world();
    deny(w, 'bob@example.com', w.clock.now());
    expect(typeof (await w.cycle({ fetch_rules: dir })).lastRun.windows).toBe('string');
    // Same event types, so the same history; the correlation is gone.
    writeFileSync(f, PUSH.split('---')[0]!.replace('detection:', 'level: low\ndetection:'));
    utimesSync(f, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const r = await w.cycle({ fetch_rules: dir });
    expect(r.warnings).toEqual(['windows of "r-bomb" dropped: no loaded correlation rule has that id']);
    expect(r.lastRun.windows).toBeUndefined();
    expect((await w.cycle({ fetch_rules: dir })).warnings).toEqual([]);
  });
});

describe('bad rules stop fetch before any request, naming the file, the rule and the construct', () => {
  const refused = async (extra: Record<string, unknown>): Promise<RuleLoadError> => {
    const w = world();
    const e = await fetchIncidents(params(extra), {}, { clock: w.clock }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(w.model.requests).toHaveLength(0);
    expect(e).toBeInstanceOf(RuleLoadError);
    const err = e as RuleLoadError;
    expect(err).toMatchObject({ code: 'ERR_CONFIG', parameter: 'fetch_rules' });
    expect(err.message).not.toContain(TOKEN);
    expect(err.stack ?? '').not.toContain(TOKEN);
    return err;
  };

  test('a folder that does not exist', async () => {
    const e = await refused({ fetch_rules: path.join(dir, 'nope') });
    expect(e.message).toBe(`fetch_rules: a Sigma rule problem, so no rule is used: ${path.join(dir, 'nope')}: does not exist (give a Sigma rule file or a folder of them)`);
  });

  test('a YAML error (with its line), and the good rules beside it are not used either', async () => {
    write('good.yml', LOCK);
    const f = write('bad.yml', 'title: Broken\nid: r-broken\ndetection:\n  sel: [unclosed\n');
    const e = await refused({ fetch_rules: dir });
    expect(e.message).toMatch(new RegExp(`${f.replace(/[/\\.]/g, '\\$&')}:\\d+ rule "#1" YAML:`));
  });

  test('a rule without detection; an unknown modifier; a regular expression that needs backtracking', async () => {
    write('a.yml', 'title: No detection\nid: r-nodet\nlevel: low\nlogsource:\n  product: okta\n');
    write('b.yml', rule('r-mod', 'Bad modifier', 'low', 'sel:\n  eventType|sounds_like: lock\ncondition: sel'));
    write('c.yml', rule('r-re', 'Backtracking', 'low', "sel:\n  actor.alternateId|re: '(a+)\\1'\ncondition: sel"));
    const e = await refused({ fetch_rules: dir });
    expect(e.message).toMatch(/^fetch_rules: 3 Sigma rule problems, so no rule is used: /);
    expect(e.message).toContain(`${path.join(dir, 'a.yml')} rule "r-nodet" detection: is missing`);
    expect(e.message).toMatch(/b\.yml rule "r-mod" detection\.sel: modifier "sounds_like": is not a Sigma modifier/);
    expect(e.message).toMatch(/c\.yml rule "r-re" detection\.sel: modifier 're': .*backreferences/);
    expect(e.problems).toHaveLength(3);
  });

  test('a catastrophic regular expression is bounded (linear time), not left to hang the fetch', async () => {
    write('a.yml', rule('r-cat', 'Catastrophic', 'low', "sel:\n  displayMessage|re: '^(a+)+$'\ncondition: sel"));
    const w = world();
    w.model.add(1, { eventType: 'user.account.lock', displayMessage: `${'a'.repeat(5000)}!` });
    const t = Date.now();
    const r = await w.cycle({ fetch_rules: dir });
    expect(r.incidents).toEqual([]);
    expect(Date.now() - t).toBeLessThan(5000);
  });
});

describe('rules changed between cycles (the filter changes): the history continues, nothing comes twice', () => {
  test('no incident twice, also for the 150 events sharing the boundary millisecond; the new rule’s events from that millisecond on become incidents', async () => {
    const lock = write('lock.yml', LOCK);
    const token = write('token.yml', TOKEN_RULE);
    const w = world();
    // API tokens of an earlier minute: before the continuation point, so never fetched.
    const early = w.model.add(2, { eventType: 'system.api_token.create' });
    w.clock.advance(MIN);
    const t1 = w.clock.now();
    const locks1 = w.model.add(150);
    const tokens1 = w.model.add(3, { eventType: 'system.api_token.create' });
    // Persisted late: published before t1, read after the t1 events.
    const late = w.model.add(1, { publishedMs: t1 - 30_000 });
    const c1 = await w.cycle({ fetch_rules: lock });
    expect(c1.incidents.map((i) => i.dbotMirrorId)).toEqual([...locks1, ...late].map((e) => e.uuid));
    expect(c1.lastRun.latestPublished).toBe(new Date(t1).toISOString());
    expect(c1.lastRun.seen).toHaveLength(100);
    w.clock.advance(MIN);
    const tokens2 = w.model.add(2, { eventType: 'system.api_token.create' });
    const locks2 = w.model.add(2);

    // The rule set grows by a new event type: another filter. Small cycles, so the carried uuids must last several.
    const both = `${lock},${token}`;
    const c2 = await w.cycle({ fetch_rules: both, max_fetch: 2 });
    expect(c2.lastRun.reset).toMatchObject({ reason: 'filter_changed' });
    expect(c2.lastRun.reset!.detail).toContain(`the history continues from ${new Date(t1).toISOString()}`);
    expect(c2.warnings.join('\n')).toMatch(/the event types the rules read did.*continues from .*Events of the new filter published before that are not fetched/);
    expect(c2.incidents.map((i) => i.dbotMirrorId)).toEqual(tokens1.slice(0, 2).map((e) => e.uuid));
    expect(c2.lastRun.previousSeen!.length).toBeGreaterThanOrEqual(151);
    await drain(w, { fetch_rules: both, max_fetch: 2 });
    expect((w.lastRun as FetchLastRun).previousSeen).toBeUndefined();

    const twice = [...w.counts].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    const expected = [...locks1, ...late, ...tokens1, ...tokens2, ...locks2].map((e) => e.uuid);
    expect([...w.counts.keys()].sort()).toEqual([...expected].sort());
    for (const e of early) expect(w.counts.has(e.uuid)).toBe(false);

    // Removing the rule again: another continuation, still nothing twice.
    w.model.add(1, { eventType: 'system.api_token.create' });
    const locks3 = w.model.add(1);
    const c3 = await w.cycle({ fetch_rules: lock });
    expect(c3.lastRun.reset?.reason).toBe('filter_changed');
    expect(c3.incidents.map((i) => i.dbotMirrorId)).toEqual(locks3.map((e) => e.uuid));
  });

  test('open windows of a correlation rule that is still loaded, unchanged, keep counting across the change', async () => {
    const push = write('push.yml', PUSH);
    const lock = write('lock.yml', LOCK);
    const w = world();
    const t0 = w.clock.now();
    deny(w, 'bob@example.com', t0);
    deny(w, 'bob@example.com', t0 + MIN);
    const c1 = await w.cycle({ fetch_rules: push });
    expect(c1.incidents).toEqual([]);
    w.clock.advance(2 * MIN);
    const third = deny(w, 'bob@example.com', t0 + 2 * MIN);
    const locked = w.model.add(1);
    const c2 = await w.cycle({ fetch_rules: `${push},${lock}` });
    expect(c2.lastRun.reset?.reason).toBe('filter_changed');
    expect(c2.incidents.map((i) => (i.dbotMirrorId.startsWith('sigma:r-bomb:') ? 'bomb' : i.dbotMirrorId))).toEqual(['bomb', locked[0]!.uuid]);
    expect(c2.incidents[0]!.occurred).toBe(third.published);
  });

  test('windows of a correlation rule changed or removed at the same time are dropped, with a note (as without a filter change)', async () => {
    const push = write('push.yml', PUSH);
    const w = world();
    const t0 = w.clock.now();
    deny(w, 'bob@example.com', t0);
    deny(w, 'bob@example.com', t0 + MIN);
    await w.cycle({ fetch_rules: push });
    // Only the lock rule now: another filter, and the correlation is gone.
    const lock = write('lock.yml', LOCK);
    deny(w, 'bob@example.com', t0 + 2 * MIN);
    const r = await w.cycle({ fetch_rules: lock });
    expect(r.lastRun.reset?.reason).toBe('filter_changed');
    expect(r.warnings).toContain('windows of "r-bomb" dropped: no loaded correlation rule has that id');
    expect(r.incidents).toEqual([]);
    expect(r.lastRun.windows).toBeUndefined();
  });
});
