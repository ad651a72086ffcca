/** Correlation rules (event_count, value_count): windows, once per window, and state that survives a restart. */
import fc from 'fast-check';
import { MAX_GROUPS, type CorrelationWindow, type RuleSet, type WindowState } from '../../../integration/fetch/rules/index.js';
import { oktaEvent, problemsOf, rulesOf } from './helpers.js';

const T0 = Date.parse('2026-11-21T09:00:00.000Z');
const MIN = 60_000;

const pushBombing = (extra = '', condition = 'gte: 3', timespan = '10m') => `title: Push denied
id: base-deny
name: push_denied
level: low
logsource:
  product: okta
detection:
  sel:
    eventType: user.mfa.okta_verify.deny_push
  condition: sel
---
title: Push bombing
id: corr-bombing
level: high
tags: [attack.credential-access, attack.t1621]
correlation:
  type: event_count
  rules: [push_denied]
  group-by: [actor.alternateId]
  timespan: ${timespan}
  condition:
    ${condition}
${extra}`;

const spray = `title: Sign-in failed
id: base-fail
name: failed
detection:
  sel:
    eventType: user.session.start
    outcome.result: FAILURE
  condition: sel
---
title: Spray
id: corr-spray
level: high
correlation:
  type: value_count
  rules: [failed]
  group-by: [client.ipAddress]
  timespan: 1h
  condition:
    field: actor.alternateId
    gte: 4
`;

let n = 0;
function deny(user: string, atMs: number, uuid = `deny-${n++}`) {
  return oktaEvent({ uuid, eventType: 'user.mfa.okta_verify.deny_push', published: new Date(atMs).toISOString(), actor: { id: `id-${user}`, type: 'User', alternateId: user, displayName: user } });
}
function failed(user: string, ip: string, atMs: number, uuid = `fail-${n++}`) {
  return oktaEvent({ uuid, published: new Date(atMs).toISOString(), outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' }, actor: { id: `id-${user}`, type: 'User', alternateId: user }, client: { ipAddress: ip } });
}

function feed(rs: RuleSet, state: WindowState, events: readonly Record<string, unknown>[]): CorrelationWindow[] {
  return events.flatMap((e) => rs.evaluate(e, state).windows);
}

describe('event_count', () => {
  const rs = rulesOf(pushBombing());

  test('fires once when the count is reached within the timespan, with the events that made it', () => {
    const state = rs.newState();
    expect(feed(rs, state, [deny('bob', T0), deny('bob', T0 + 2 * MIN)])).toEqual([]);
    const third = deny('bob', T0 + 4 * MIN, 'the-third');
    const [w, ...more] = feed(rs, state, [third]);
    expect(more).toEqual([]);
    expect(w).toMatchObject({ group: { 'actor.alternateId': 'bob' }, count: 3, start: new Date(T0).toISOString(), end: new Date(T0 + 10 * MIN).toISOString() });
    expect(w!.rule.id).toBe('corr-bombing');
    expect(w!.trigger.uuid).toBe('the-third');
    expect(w!.events.map((e) => e.published)).toEqual([T0, T0 + 2 * MIN, T0 + 4 * MIN].map((t) => new Date(t).toISOString()));
    expect(w!.events[2]).toMatchObject({ eventType: 'user.mfa.okta_verify.deny_push', actor: { alternateId: 'bob' }, client: { ipAddress: '198.51.100.7' } });
    expect(w!.eventIds).toHaveLength(3);
  });

  test('the base rule makes no incident of its own (generate is false)', () => {
    const r = rs.evaluate(deny('bob', T0), rs.newState());
    expect(r.matches).toEqual([]);
    expect(rs.detections[0]!.standalone).toBe(false);
  });

  test('one incident per window: more events in the same window add nothing; after it, counting starts afresh', () => {
    const state = rs.newState();
    const times = [0, 1, 2, 3, 4, 9.9, 10, 11, 12, 30].map((m) => T0 + m * MIN);
    const windows = feed(rs, state, times.map((t) => deny('bob', t)));
    expect(windows.map((w) => [w.start, w.count])).toEqual([
      [new Date(T0).toISOString(), 3],
      [new Date(T0 + 10 * MIN).toISOString(), 3],
    ]);
  });

  test('groups count separately', () => {
    const state = rs.newState();
    const events = [deny('bob', T0), deny('eve', T0 + 1), deny('bob', T0 + 2), deny('eve', T0 + 3), deny('eve', T0 + 4), deny('bob', T0 + 5)];
    expect(feed(rs, state, events).map((w) => w.group['actor.alternateId'])).toEqual(['eve', 'bob']);
  });

  test('the window slides: three denials within ten minutes fire even across a fixed boundary', () => {
    const state = rs.newState();
    const windows = feed(rs, state, [deny('bob', T0), deny('bob', T0 + 8 * MIN), deny('bob', T0 + 9 * MIN), deny('bob', T0 + 11 * MIN)]);
    expect(windows.map((w) => [w.start, w.count])).toEqual([[new Date(T0).toISOString(), 3]]);
    const spread = rs.newState();
    expect(feed(rs, spread, [deny('bob', T0), deny('bob', T0 + 6 * MIN), deny('bob', T0 + 12 * MIN), deny('bob', T0 + 18 * MIN)])).toEqual([]);
  });

  test('an event persisted late (published earlier) still counts in its window', () => {
    const state = rs.newState();
    expect(feed(rs, state, [deny('bob', T0 + 5 * MIN), deny('bob', T0 + 6 * MIN)])).toEqual([]);
    const [w] = feed(rs, state, [deny('bob', T0 + MIN)]);
    expect(w!.start).toBe(new Date(T0 + MIN).toISOString());
    expect(w!.count).toBe(3);
  });

  test('an event fed twice (a page read again) counts once', () => {
    const state = rs.newState();
    const a = deny('bob', T0, 'same-a');
    const b = deny('bob', T0 + MIN, 'same-b');
    expect(feed(rs, state, [a, b, a, b, a])).toEqual([]);
  });

  test('gt is strictly more than', () => {
    const gt = rulesOf(pushBombing('', 'gt: 3'));
    const state = gt.newState();
    expect(feed(gt, state, [0, 1, 2].map((m) => deny('bob', T0 + m * MIN)))).toEqual([]);
    expect(feed(gt, state, [deny('bob', T0 + 3 * MIN)])).toHaveLength(1);
  });

  test('an event without the group-by field groups under null; one without a published time is not counted', () => {
    const state = rs.newState();
    const anon = (t: number) => oktaEvent({ uuid: `anon-${t}`, eventType: 'user.mfa.okta_verify.deny_push', published: new Date(t).toISOString(), actor: null });
    const [w] = feed(rs, state, [anon(T0), anon(T0 + 1), anon(T0 + 2)]);
    expect(w!.group).toEqual({ 'actor.alternateId': null });
    const undated = rs.newState();
    expect(feed(rs, undated, [1, 2, 3].map((i) => ({ ...deny('bob', T0), uuid: `u${i}`, published: 'yesterday' })))).toEqual([]);
  });

  test('generate: true makes the base rule raise its own incidents as well', () => {
    const gen = rulesOf(pushBombing('generate: true\n'));
    const state = gen.newState();
    const r = gen.evaluate(deny('bob', T0), state);
    expect(r.matches.map((m) => m.id)).toEqual(['base-deny']);
  });
});

describe('value_count', () => {
  const rs = rulesOf(spray);

  test('counts distinct values of the field per group: repeats of one user do not make a spray', () => {
    const state = rs.newState();
    const same = [0, 1, 2, 3, 4, 5].map((m) => failed('alice', '192.0.2.1', T0 + m * MIN));
    expect(feed(rs, state, same)).toEqual([]);
    const others = ['bob', 'carol'].map((u, i) => failed(u, '192.0.2.1', T0 + (10 + i) * MIN));
    expect(feed(rs, state, [...others, failed('dave', '192.0.2.99', T0 + 12 * MIN)])).toEqual([]);
    const [w] = feed(rs, state, [failed('erin', '192.0.2.1', T0 + 13 * MIN)]);
    expect(w).toMatchObject({ group: { 'client.ipAddress': '192.0.2.1' }, count: 4 });
    expect([...w!.values!].sort()).toEqual(['alice', 'bob', 'carol', 'erin']);
    expect(w!.events.map((e) => e.actor?.alternateId).sort()).toEqual(['alice', 'bob', 'carol', 'erin']);
  });

  test('an event without the counted field adds nothing', () => {
    const state = rs.newState();
    const nobody = (i: number) => oktaEvent({ uuid: `nobody-${i}`, published: new Date(T0 + i).toISOString(), outcome: { result: 'FAILURE' }, actor: {}, client: { ipAddress: '192.0.2.1' } });
    expect(feed(rs, state, [0, 1, 2, 3, 4].map(nobody))).toEqual([]);
  });
});

describe('aliases', () => {
  test('group-by an alias reads each rule its own field', () => {
    const rs = rulesOf(`title: Target reset
id: reset
name: reset
detection:
  sel:
    eventType: user.mfa.factor.reset_all
  condition: sel
---
title: User sign-in
id: signin
name: signin
detection:
  sel:
    eventType: user.session.start
  condition: sel
---
title: Reset then sign-ins
id: corr-alias
level: medium
correlation:
  type: event_count
  rules: [reset, signin]
  group-by: [user]
  timespan: 1h
  aliases:
    user:
      reset: target.alternateId
      signin: actor.alternateId
  condition:
    gte: 2
`);
    const state = rs.newState();
    const reset = oktaEvent({ uuid: 'r1', eventType: 'user.mfa.factor.reset_all', actor: { alternateId: 'admin@example.com' }, target: [{ type: 'User', alternateId: 'bob@example.com' }] });
    const signin = oktaEvent({ uuid: 's1', actor: { alternateId: 'bob@example.com' }, published: new Date(Date.parse('2026-11-21T09:15:02.281Z') + MIN).toISOString() });
    expect(feed(rs, state, [reset])).toEqual([]);
    const [w] = feed(rs, state, [signin]);
    expect(w!.group).toEqual({ user: 'bob@example.com' });
  });
});

describe('state across cycles and restarts', () => {
  const rs = rulesOf(`${pushBombing()}---\n${spray.replace('id: base-fail', 'id: base-fail2')}`);

  const streamEvent = fc
    .record({ user: fc.constantFrom('bob', 'eve', 'mallory'), ip: fc.constantFrom('192.0.2.1', '192.0.2.2'), gap: fc.integer({ min: 0, max: 4 * MIN }), late: fc.integer({ min: 0, max: 20 }), kind: fc.constantFrom('deny', 'fail') })
    .map((r) => r);

  test('property: cutting the stream anywhere and restoring the state from JSON gives the same windows', () => {
    fc.assert(
      fc.property(fc.array(streamEvent, { minLength: 1, maxLength: 60 }), fc.nat(), (steps, cutAt) => {
        let t = T0;
        const events = steps.map((s, i) => {
          t += s.gap;
          // One event in twenty is published a few minutes before its predecessors (persisted late).
          const published = s.late === 0 ? t - 3 * MIN : t;
          return s.kind === 'deny' ? deny(s.user, published, `d${i}`) : failed(s.user, s.ip, published, `f${i}`);
        });
        const whole = feed(rs, rs.newState(), events).map((w) => w.id);
        const cut = cutAt % (events.length + 1);
        const first = rs.newState();
        const before = feed(rs, first, events.slice(0, cut));
        const json = JSON.parse(JSON.stringify(rs.saveState(first)));
        const { state, notes } = rs.restoreState(json);
        expect(notes).toEqual([]);
        const after = feed(rs, state, events.slice(cut));
        expect([...before, ...after].map((w) => w.id)).toEqual(whole);
        // The events a window carries keep their summaries across the restart.
        for (const w of [...before, ...after]) for (const e of w.events) expect(e.eventType).not.toBe('');
      }),
      { numRuns: 300 },
    );
  });

  test('property: feeding a cycle again from the last committed state gives the same windows (a cycle that died before its commit)', () => {
    fc.assert(
      fc.property(fc.array(streamEvent, { minLength: 1, maxLength: 40 }), (steps) => {
        let t = T0;
        const events = steps.map((s, i) => deny(s.user, (t += s.gap), `x${i}`));
        const committed = rs.saveState(rs.newState());
        const attempt1 = feed(rs, rs.restoreState(committed).state, events).map((w) => w.id);
        const attempt2 = feed(rs, rs.restoreState(committed).state, events).map((w) => w.id);
        expect(attempt2).toEqual(attempt1);
      }),
      { numRuns: 100 },
    );
  });

  test('a changed rule drops its windows and says so; a foreign state starts empty and says so', () => {
    const state = rs.newState();
    feed(rs, state, [deny('bob', T0), deny('bob', T0 + MIN), failed('bob', '192.0.2.1', T0)]);
    const saved = rs.saveState(state);
    const changed = rulesOf(pushBombing('', 'gte: 3', '15m'));
    const restored = changed.restoreState(saved);
    expect(restored.notes).toEqual(expect.arrayContaining([expect.stringMatching(/windows of "corr-bombing" dropped: the rule changed/), expect.stringMatching(/windows of "corr-spray" dropped: no loaded correlation rule/)]));
    expect(feed(changed, restored.state, [deny('bob', T0 + 2 * MIN)])).toEqual([]);
    for (const junk of [{ version: 2 }, 'text', [1, 2], { version: 1, rules: 'x', watermark: null }]) {
      const r = rs.restoreState(junk);
      expect(r.notes).toEqual([expect.stringMatching(/not a state this version of okta-soar wrote/)]);
      expect(r.state.groups).toBe(0);
    }
    expect(rs.restoreState(undefined).notes).toEqual([]);
  });

  test('malformed groups are dropped, the rest kept', () => {
    const state = rs.newState();
    feed(rs, state, [deny('bob', T0), deny('bob', T0 + MIN)]);
    const saved = JSON.parse(JSON.stringify(rs.saveState(state)));
    saved.rules['corr-bombing'].groups['["evil"]'] = { e: [['not a time', 'x', null]], s: {}, last: 0 };
    const { state: back, notes } = rs.restoreState(saved);
    expect(notes).toEqual([expect.stringMatching(/1 malformed window group\(s\) of "corr-bombing" dropped/)]);
    expect(feed(rs, back, [deny('bob', T0 + 2 * MIN)])).toHaveLength(1);
  });

  test('the state stays small: groups no window can use are dropped when saved; groups are capped', () => {
    const state = rs.newState();
    feed(rs, state, [deny('bob', T0), deny('eve', T0)]);
    feed(rs, state, [deny('mallory', T0 + 2 * 3_600_000)]);
    const saved = rs.saveState(state);
    expect(Object.keys(saved.rules['corr-bombing']!.groups)).toEqual(['["mallory"]']);

    const many = rs.newState();
    feed(rs, many, Array.from({ length: MAX_GROUPS + 50 }, (_, i) => deny(`user${i}`, T0 + i)));
    expect(many.groups).toBe(MAX_GROUPS);
    // The least recently seen went first.
    expect(Object.keys(rs.saveState(many).rules['corr-bombing']!.groups)[0]).toBe('["user50"]');
    expect(JSON.stringify(rs.saveState(many)).length).toBeLessThan(1_000_000);
  });
});

describe('refused correlation rules', () => {
  const base = 'title: Base\nid: base\nname: base\nlevel: low\ndetection:\n  sel:\n    eventType: x\n  condition: sel\n---\n';
  const corr = (body: string, head = 'title: Corr\nid: corr\nlevel: high\n') => `${base}${head}correlation:\n${body}`;
  test.each([
    ['temporal', '  type: temporal\n  rules: [base]\n  timespan: 5m\n', /'temporal' is not supported/],
    ['an unknown type', '  type: sum\n  rules: [base]\n  timespan: 5m\n', /must be event_count or value_count/],
    ['no rules', '  type: event_count\n  timespan: 5m\n  condition: {gte: 2}\n', /correlation.rules: is missing/],
    ['an unknown rule', '  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {gte: 2}\n', /"nope" is not the id or name of a loaded detection rule/],
    ['a bad timespan', '  type: event_count\n  rules: [base]\n  timespan: 5 minutes\n  condition: {gte: 2}\n', /correlation.timespan/],
    ['an upper bound', '  type: event_count\n  rules: [base]\n  timespan: 5m\n  condition: {lt: 2}\n', /upper bound can only be judged once a window has closed/],
    ['a range', '  type: event_count\n  rules: [base]\n  timespan: 5m\n  condition: {gt: 2, lte: 9}\n', /upper bound/],
    ['value_count without field', '  type: value_count\n  rules: [base]\n  timespan: 5m\n  condition: {gte: 2}\n', /condition.field: is missing/],
    ['a field on event_count', '  type: event_count\n  rules: [base]\n  timespan: 5m\n  condition: {gte: 2, field: x}\n', /for value_count only/],
    ['a count of zero', '  type: event_count\n  rules: [base]\n  timespan: 5m\n  condition: {gte: 0}\n', /whole number from 1/],
    ['an alias without the rule', '  type: event_count\n  rules: [base]\n  group-by: [who]\n  aliases:\n    who:\n      other: actor.id\n  timespan: 5m\n  condition: {gte: 2}\n', /aliases.who: gives no field for the rule "base"/],
  ])('%s', (_what, body, message) => {
    const problems = problemsOf(corr(body));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.rule).toBe('corr');
    expect(`${problems[0]!.construct}: ${problems[0]!.message}`).toMatch(message);
  });

  test('a base rule without level named by a refused correlation: only the correlation is reported', () => {
    const text = 'title: Base\nid: base\nname: base\ndetection:\n  sel:\n    eventType: x\n  condition: sel\n---\ntitle: Corr\nid: corr\nlevel: high\ncorrelation:\n  type: temporal\n  rules: [base]\n  timespan: 5m\n';
    expect(problemsOf(text).map((p) => p.rule)).toEqual(['corr']);
  });

  test('chaining correlations, and a correlation without level', () => {
    const chained = `${base}title: C1\nid: c1\nlevel: low\ncorrelation:\n  type: event_count\n  rules: [base]\n  timespan: 5m\n  condition: {gte: 2}\n---\ntitle: C2\nid: c2\nlevel: low\ncorrelation:\n  type: event_count\n  rules: [c1]\n  timespan: 5m\n  condition: {gte: 2}\n`;
    expect(problemsOf(chained)[0]!.message).toMatch(/chaining correlations is not supported/);
    expect(problemsOf(corr('  type: event_count\n  rules: [base]\n  timespan: 5m\n  condition: {gte: 2}\n', 'title: Corr\nid: corr\n'))[0]!.construct).toBe('level');
  });
});
