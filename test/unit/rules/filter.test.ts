/** The System Log filter a rule set needs: the event types its rules name, or none (every event). */
import { logFilterFor } from '../../../integration/fetch/rules/filter.js';
import { rulesOf, ruleText } from './helpers.js';

const typesOf = (detection: string) => rulesOf(ruleText(detection)).detections[0]!.eventTypes;

describe('event types of a rule', () => {
  test('literal eventType values, in any case, sorted', () => {
    expect(typesOf('sel:\n  EventType: [Zone.Delete, zone.deactivate]\ncondition: sel')).toEqual(['zone.deactivate', 'zone.delete']);
  });

  test('and keeps the constrained side; or joins; 1 of / all of likewise', () => {
    expect(typesOf('a:\n  eventType: x.one\nb:\n  outcome.result: FAILURE\ncondition: a and b')).toEqual(['x.one']);
    expect(typesOf('a:\n  eventType: [x.one, x.two]\nb:\n  eventType: [x.two, x.three]\ncondition: a and b')).toEqual(['x.two']);
    expect(typesOf('a:\n  eventType: x.one\nb:\n  eventType: x.two\ncondition: a or b')).toEqual(['x.one', 'x.two']);
    expect(typesOf('s_1:\n  eventType: x.one\ns_2:\n  eventType: x.two\ncondition: 1 of s_*')).toEqual(['x.one', 'x.two']);
    expect(typesOf('s_1:\n  eventType: x.one\ns_2:\n  outcome.result: DENY\ncondition: all of s_*')).toEqual(['x.one']);
    expect(typesOf('sel:\n  - eventType: x.one\n  - eventType: x.two\n    outcome.result: DENY\ncondition: sel')).toEqual(['x.one', 'x.two']);
  });

  test('a prefix (startswith, or a trailing *) is kept as a prefix', () => {
    expect(typesOf('sel:\n  eventType|startswith: system.idp.lifecycle.\ncondition: sel')).toEqual(['system.idp.lifecycle.*']);
    expect(typesOf("sel:\n  eventType: 'policy.rule.*'\ncondition: sel")).toEqual(['policy.rule.*']);
  });

  test.each([
    ['no eventType', 'sel:\n  displayMessage: Max sign in attempts exceeded\ncondition: sel'],
    ['only under not', 'sel:\n  eventType: user.session.start\ncondition: not sel'],
    ['or with an open side', 'a:\n  eventType: x.one\nb:\n  outcome.result: DENY\ncondition: a or b'],
    ['keywords', 'keywords:\n  - evil\ncondition: keywords'],
    ['contains', 'sel:\n  eventType|contains: session\ncondition: sel'],
    ['a wildcard inside', "sel:\n  eventType: 'user.*.start'\ncondition: sel"],
    ['a regular expression', "sel:\n  eventType|re: '^user'\ncondition: sel"],
    ['a null among the values', 'sel:\n  eventType: [x.one, null]\ncondition: sel'],
    ['characters no event type has', "sel:\n  eventType: 'a\"b'\ncondition: sel"],
  ])('open to every type: %s', (_what, detection) => {
    expect(typesOf(detection)).toBeNull();
  });
});

describe('log filter', () => {
  test('the union of the types, sorted and deduplicated, prefixes as sw', () => {
    const rs = rulesOf(`${ruleText('sel:\n  eventType: [zone.delete, user.account.lock]\ncondition: sel')}---\n${ruleText('sel:\n  eventType|startswith: policy.rule.\ncondition: sel').replace('id: test-rule', 'id: two')}`);
    expect(rs.logFilter()).toBe('eventType eq "user.account.lock" or eventType eq "zone.delete" or eventType sw "policy.rule."');
    expect(rs.eventTypes()).toEqual(['policy.rule.*', 'user.account.lock', 'zone.delete']);
  });

  test('one rule open to every type: no filter (every event is read)', () => {
    const rs = rulesOf(`${ruleText('sel:\n  eventType: zone.delete\ncondition: sel')}---\n${ruleText('sel:\n  displayMessage: x\ncondition: sel').replace('id: test-rule', 'id: two')}`);
    expect(rs.logFilter()).toBeNull();
    expect(rs.eventTypes()).toBeNull();
  });

  test('a type under a prefix already read gets no clause of its own; the order of rules does not matter', () => {
    expect(logFilterFor([['policy.rule.update'], ['policy.rule.*'], ['zone.delete']])).toBe('eventType eq "zone.delete" or eventType sw "policy.rule."');
    expect(logFilterFor([['zone.delete'], ['policy.rule.*'], ['policy.rule.update']])).toBe(logFilterFor([['policy.rule.update'], ['policy.rule.*'], ['zone.delete']]));
  });

  test('rules that only feed a correlation count too', () => {
    const rs = rulesOf(
      `title: Denied\nid: base\nname: denied\ndetection:\n  sel:\n    eventType: user.mfa.okta_verify.deny_push\n  condition: sel\n---\ntitle: Bombing\nid: corr\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [denied]\n  group-by: [actor.alternateId]\n  timespan: 10m\n  condition:\n    gte: 3\n`,
    );
    expect(rs.logFilter()).toBe('eventType eq "user.mfa.okta_verify.deny_push"');
  });
});
