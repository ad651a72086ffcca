/**
 * okta-soar's own rules (rules/okta): they load, they cover today's twelve default event types,
 * and each raises its incident on the sandbox scenario made for it, and nothing else does.
 */
import { DEFAULT_EVENT_TYPES } from '../../../integration/fetch/default-filter.js';
import { defaultRules, defaultRulesDir, eventIncident, windowIncident, type OktaEvent } from '../../../integration/fetch/rules/index.js';
import { SandboxOrg, SCENARIOS, type ScenarioName } from '../../../sandbox/index.js';
import { RAISES } from '../../helpers/scenario-rules.js';
import { oktaEvent } from './helpers.js';

const NOW = Date.parse('2026-11-21T12:00:00.000Z');

const rules = defaultRules();

function org(logEvents = 0): SandboxOrg {
  return new SandboxOrg({ seed: 7, users: 30, logEvents, now: () => NOW, clientId: '0oasandboxclient0001' });
}

/** Rule ids raised by these events, in order, with the incidents' names and the event types that made them. */
function raised(events: readonly OktaEvent[]): { ids: string[]; names: string[]; types: Set<string> } {
  const state = rules.newState();
  const ids: string[] = [];
  const names: string[] = [];
  const types = new Set<string>();
  for (const e of events) {
    const { matches, windows } = rules.evaluate(e, state);
    const inc = eventIncident(e, matches);
    if (inc) {
      ids.push(...matches.map((m) => m.id));
      names.push(inc.name);
      types.add(String(e.eventType));
    }
    for (const w of windows) {
      ids.push(w.rule.id);
      names.push(windowIncident(w).name);
      types.add(`correlation ${w.rule.title}`);
    }
  }
  return { ids, names, types };
}

describe('default rules', () => {
  test('ship in the package and load without a problem', () => {
    expect(defaultRulesDir()).toMatch(/rules[/\\]okta$/);
    expect(rules.correlations).toHaveLength(3);
    expect(rules.detections.filter((d) => d.standalone)).toHaveLength(22);
    for (const r of rules.rules) {
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.description && r.description.length > 40).toBe(true);
    }
    for (const r of [...rules.correlations, ...rules.detections.filter((d) => d.standalone)]) {
      expect(r.level).toBeDefined();
      expect(r.attack.techniques.length).toBeGreaterThan(0);
      expect(r.references.length).toBeGreaterThan(0);
    }
  });

  test('name event types, so fetch reads a filtered System Log', () => {
    expect(rules.logFilter()).toMatch(/^eventType eq "/);
    expect(rules.eventTypes()).toContain('user.mfa.okta_verify.deny_push');
  });

  test("cover today's twelve default event types, with the same outcome condition", () => {
    for (const t of DEFAULT_EVENT_TYPES) {
      const e = oktaEvent({ eventType: t.eventType, outcome: { result: t.outcome ?? 'SUCCESS', reason: null } });
      expect([t.eventType, raised([e]).ids.length > 0]).toEqual([t.eventType, true]);
    }
    const allowed = oktaEvent({ eventType: 'policy.evaluate_sign_on', outcome: { result: 'ALLOW', reason: null } });
    expect(raised([allowed]).ids).toEqual([]);
  });

  test('every rule has a sandbox scenario, and each scenario raises exactly its rule', () => {
    const incidentRules = [...rules.correlations, ...rules.detections.filter((d) => d.standalone)].map((r) => r.id).sort();
    expect(Object.values(RAISES).sort()).toEqual(incidentRules);
    expect(Object.keys(SCENARIOS).sort()).toEqual(Object.keys(RAISES).sort());
    for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
      const o = org();
      const { ids } = raised(o.appendScenario(name));
      expect([name, ids]).toEqual([name, [RAISES[name]]]);
    }
  });

  test('incident names carry the title and who', () => {
    const o = org();
    expect(raised(o.appendScenario('push-bombing')).names).toEqual(['Okta MFA push bombing: 3 events for actor.alternateId=bob@example.com within 10m']);
    expect(raised(o.appendScenario('password-spray')).names).toEqual(['Okta password spraying from one address: 10 distinct actor.alternateId for client.ipAddress=192.0.2.77 within 1h']);
    expect(raised(o.appendScenario('privilege-grant-user')).names).toEqual(['Okta admin role granted to a user: admin@example.com → bob@example.com']);
  });

  test("on the sandbox's seeded log they raise incidents of today's event types and of none other", () => {
    const o = org(5000);
    const events = o.events.map((s) => s.event);
    const { ids, types } = raised(events);
    const today = new Set(DEFAULT_EVENT_TYPES.map((t) => t.eventType));
    expect([...types].filter((t) => !today.has(t))).toEqual([]);
    expect(ids.length).toBeGreaterThan(100);
  });
});
