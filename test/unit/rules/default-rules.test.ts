/**
 * okta-soar's own rules (rules/okta): they load, they cover today's twelve default event types,
 * and each raises its incident on the sandbox scenario made for it, and nothing else does.
 */
import { DEFAULT_EVENT_TYPES } from '../../../integration/fetch/default-filter.js';
import { defaultRules, defaultRulesDir, eventIncident, windowIncident, type OktaEvent } from '../../../integration/fetch/rules/index.js';
import { SandboxOrg, SCENARIOS, type ScenarioName } from '../../../sandbox/index.js';
import { oktaEvent } from './helpers.js';

const NOW = Date.parse('2026-11-21T12:00:00.000Z');

/** The default rule each sandbox scenario is made to raise (rules/okta, by id). */
const RAISES: Record<ScenarioName, string> = {
  'threat-detected': 'c83f01d2-66e2-41c3-a390-9e85f1724b74',
  'attack-start': 'b089397b-f177-40a5-a2b8-53e4cd49120f',
  'suspicious-activity-report': 'c9b5626c-6a41-4853-b79c-39ce41ca6d87',
  'account-lock': '9b13ab7a-d310-48f9-87ef-6a942e9dd1db',
  'factor-reset-all': '02b16405-5a7a-4aa9-bb10-06e60058ad0f',
  'factor-deactivate': 'dff565c8-443b-4960-99f2-7a7fac7b8ab2',
  'privilege-grant-user': '3c003d13-7e20-4464-9b22-23afbec67250',
  'privilege-grant-group': '21aa500c-a657-4e83-b8eb-cefb805c9b2c',
  'api-token-create': '0858ae1f-0215-4c15-99b7-dc94927731bc',
  impersonation: 'b015c7d0-6b19-438b-ab68-fd5b47228dd5',
  'rate-limit-violation': '9378e7a6-2f83-4c6d-815b-b639de0ede90',
  'sign-on-policy-deny': '78ac0a39-e94b-45f1-b594-1d365b63ae46',
  'push-bombing': '0a1ed09d-7ebe-494b-bd2a-1d32063ea5aa',
  'push-flood': '5049e87b-3819-4b6c-a25d-0a42c7392c76',
  'proxy-sign-in': '98d14f05-73d4-47a9-bc4b-84150848b2f5',
  'high-risk-sign-in': '8c274987-40b1-4371-8a82-a5fa6214c9c3',
  'password-spray': 'c23d9186-b7ad-4649-bd3e-e68f9a8c678f',
  'admin-console-new-device': 'bf7bcc0d-9d3b-4db4-9f21-eb8cb095f850',
  'idp-create': '82409a6d-62fc-46fb-8f36-d2e27bb6c1e9',
  'policy-rule-deactivate': 'e9032797-50d8-4d8a-a50b-923d4b222967',
  'zone-deactivate': '7837ea63-f360-4945-a152-155508c74967',
  'mfa-bypass': 'b4349699-0c31-4f97-906a-2ce0c811c78c',
  'fastpass-phishing': 'bd447539-a981-4441-b60a-e3872b5b28e1',
  'token-reuse': '06639c8b-4802-481c-9a68-952131b4bc63',
  'custom-role-binding': 'c6a15b32-71a6-4344-bad8-3ffea873fa63',
};

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
