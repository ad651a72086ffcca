/** How matches become incidents: name, severity from level, rules with ATT&CK tags, windows. */
import { eventIncident, LEVEL_SEVERITY, subjectOf, windowIncident } from '../../../integration/fetch/rules/index.js';
import { oktaEvent, rulesOf } from './helpers.js';

const rule = (id: string, title: string, level: string, type: string, tags = '[]') =>
  `title: ${title}\nid: ${id}\nlevel: ${level}\ndescription: Why ${id} matters.\ntags: ${tags}\nreferences: [https://example.com/${id}]\ndetection:\n  sel:\n    eventType: ${type}\n  condition: sel\n`;

describe('event incidents', () => {
  const rs = rulesOf(
    [
      rule('grant-any', 'Privilege granted', 'medium', 'user.account.privilege.grant', '[attack.persistence]'),
      rule('grant-user', 'Admin role granted to a user', 'high', 'user.account.privilege.grant', '[attack.privilege-escalation, attack.t1098.003]'),
      rule('lock', 'Account locked', 'low', 'user.account.lock'),
    ].join('---\n'),
  );
  const grant = oktaEvent({
    uuid: 'g-1',
    eventType: 'user.account.privilege.grant',
    actor: { id: '00u1', type: 'User', alternateId: 'admin@example.com' },
    target: [{ id: '00u2', type: 'User', alternateId: 'bob@example.com', displayName: 'Bob' }],
  });

  test('an event several rules match is one incident, named after the most severe, with every rule', () => {
    const { matches } = rs.evaluate(grant, rs.newState());
    const inc = eventIncident(grant, matches)!;
    expect(inc.name).toBe('Admin role granted to a user (+1 more): admin@example.com → bob@example.com');
    expect(inc.severity).toBe(3);
    expect(inc.occurred).toBe('2026-11-21T09:15:02.281Z');
    expect(inc.rules.map((r) => [r.id, r.level, r.severity])).toEqual([
      ['grant-user', 'high', 3],
      ['grant-any', 'medium', 2],
    ]);
    expect(inc.rules[0]).toMatchObject({ attack: { tactics: ['privilege-escalation'], techniques: ['T1098.003'] }, references: ['https://example.com/grant-user'], description: 'Why grant-user matters.', file: 'test.yml' });
    expect(inc.labels).toEqual([
      { type: 'Sigma rule', value: 'grant-user' },
      { type: 'Sigma rule', value: 'grant-any' },
      { type: 'ATT&CK tactic', value: 'privilege-escalation' },
      { type: 'ATT&CK tactic', value: 'persistence' },
      { type: 'ATT&CK technique', value: 'T1098.003' },
    ]);
    expect(inc.details).toBe('Admin role granted to a user (high, rule grant-user): Why grant-user matters.\nPrivilege granted (medium, rule grant-any): Why grant-any matters.');
  });

  test('no match, no incident', () => {
    expect(eventIncident(oktaEvent(), [])).toBeNull();
  });

  test('severity follows the level: informational 0 … critical 4', () => {
    expect(LEVEL_SEVERITY).toEqual({ informational: 0, low: 1, medium: 2, high: 3, critical: 4 });
    for (const [level, sev] of Object.entries(LEVEL_SEVERITY)) {
      const one = rulesOf(rule('r', 'R', level, 'user.account.lock'));
      const e = oktaEvent({ eventType: 'user.account.lock' });
      expect(eventIncident(e, one.evaluate(e, one.newState()).matches)!.severity).toBe(sev);
    }
  });

  test('the subject: the actor, the target user when another one, else the event type', () => {
    expect(subjectOf({ actor: { alternateId: 'dave@example.com' }, target: null })).toBe('dave@example.com');
    expect(subjectOf({ actor: { alternateId: 'bob@example.com' }, target: [{ type: 'User', alternateId: 'bob@example.com' }] })).toBe('bob@example.com');
    expect(subjectOf({ actor: { alternateId: 'unknown' }, target: [{ type: 'User', alternateId: 'erin@example.com' }] })).toBe('erin@example.com');
    expect(subjectOf({ eventType: 'security.attack.start', actor: { alternateId: 'unknown' } })).toBe('security.attack.start');
  });

  test('a very long title or subject is cut', () => {
    const long = rulesOf(rule('long', 'T'.repeat(300), 'low', 'user.account.lock'));
    const e = oktaEvent({ eventType: 'user.account.lock' });
    expect(eventIncident(e, long.evaluate(e, long.newState()).matches)!.name).toHaveLength(200);
  });
});

describe('window incidents', () => {
  const rs = rulesOf(`title: Denied\nid: base\nname: denied\ndetection:\n  sel:\n    eventType: user.mfa.okta_verify.deny_push\n  condition: sel\n---\ntitle: MFA push bombing\nid: corr\nlevel: high\ntags: [attack.credential-access, attack.t1621]\ncorrelation:\n  type: event_count\n  rules: [denied]\n  group-by: [actor.alternateId]\n  timespan: 10m\n  condition:\n    gte: 3\n`);

  test('name, severity, stable id and a document with the events that made the window', () => {
    const events = [0, 1, 2].map((m) => oktaEvent({ uuid: `d${m}`, eventType: 'user.mfa.okta_verify.deny_push', published: new Date(Date.parse('2026-11-21T09:00:00Z') + m * 60_000).toISOString(), actor: { alternateId: 'bob@example.com', type: 'User' } }));
    const run = () => {
      const state = rs.newState();
      return events.flatMap((e) => rs.evaluate(e, state).windows).map(windowIncident);
    };
    const [inc] = run();
    expect(inc).toMatchObject({
      name: 'MFA push bombing: 3 events for actor.alternateId=bob@example.com within 10m',
      occurred: '2026-11-21T09:02:00.000Z',
      severity: 3,
      labels: [
        { type: 'Sigma rule', value: 'corr' },
        { type: 'ATT&CK tactic', value: 'credential-access' },
        { type: 'ATT&CK technique', value: 'T1621' },
      ],
    });
    expect(inc!.dbotMirrorId).toMatch(/^sigma:corr:[0-9a-f]{16}$/);
    expect(run()[0]!.dbotMirrorId).toBe(inc!.dbotMirrorId);
    expect(inc!.document).toMatchObject({
      correlation: { id: 'corr', title: 'MFA push bombing', type: 'event_count', timespan: '10m', condition: 'gte 3', groupBy: { 'actor.alternateId': 'bob@example.com' } },
      window: { start: '2026-11-21T09:00:00.000Z', end: '2026-11-21T09:10:00.000Z' },
      count: 3,
      eventIds: ['d0', 'd1', 'd2'],
      rules: ['base'],
    });
    expect(inc!.document.events.map((e) => e.uuid)).toEqual(['d0', 'd1', 'd2']);
    // The document is plain JSON.
    expect(JSON.parse(JSON.stringify(inc!.document))).toEqual(inc!.document);
  });
});
