/** System Log scenarios for the detection rules: Okta's shapes, deterministic, served like any event. */
import { SandboxOrg, SCENARIOS, startSandbox, type Sandbox, type ScenarioName } from '../../sandbox/index.js';
import { get, q, type Json } from './helpers.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const newOrg = (seed = 3) => new SandboxOrg({ seed, users: 25, logEvents: 200, now: () => NOW, clientId: '0oasandboxclient0001' });

describe('scenarios', () => {
  test('every scenario appends events in the shape of Okta LogEvents, persisted now and published by now', () => {
    for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
      const org = newOrg();
      const before = org.events.length;
      const events = org.appendScenario(name) as Json[];
      expect(events.length).toBeGreaterThan(0);
      expect(org.events.slice(before).map((s) => s.event)).toEqual(events);
      for (const e of events) {
        for (const k of ['uuid', 'published', 'eventType', 'version', 'severity', 'displayMessage', 'actor', 'client', 'outcome', 'target', 'transaction', 'debugContext', 'authenticationContext', 'securityContext', 'request'])
          expect([name, k, k in e]).toEqual([name, k, true]);
        expect(e.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(['DEBUG', 'INFO', 'WARN', 'ERROR']).toContain(e.severity);
        expect(Date.parse(e.published)).toBeLessThanOrEqual(NOW);
        expect(typeof e.securityContext.isProxy).toBe('boolean');
        expect(typeof e.debugContext.debugData).toBe('object');
        expect(e.version).toBe('0');
      }
    }
  });

  test('the same seed and history give the same events; another seed other ids', () => {
    const a = newOrg().appendScenario('password-spray');
    const b = newOrg().appendScenario('password-spray');
    expect(b).toEqual(a);
    expect(newOrg(4).appendScenario('password-spray')[0]!.uuid).not.toBe(a[0]!.uuid);
    const org = newOrg();
    const first = org.appendScenario('api-token-create');
    expect(org.appendScenario('api-token-create')[0]!.uuid).not.toBe(first[0]!.uuid);
  });

  test('options: user, count, spacing, start time and address', () => {
    const org = newOrg();
    const at = NOW - 3_600_000;
    const events = org.appendScenario('push-bombing', { user: 'alice', count: 4, spacingMs: 30_000, at, ip: '203.0.113.66' }) as Json[];
    const denials = events.filter((e) => e.eventType === 'user.mfa.okta_verify.deny_push');
    expect(denials.map((e) => e.published)).toEqual([0, 1, 2, 3].map((i) => new Date(at + i * 30_000).toISOString()));
    expect(new Set(events.map((e) => e.actor.alternateId))).toEqual(new Set(['alice@example.com']));
    const sends = events.filter((e) => e.eventType === 'system.push.send_factor_verify_push');
    expect(sends).toHaveLength(4);
    expect(sends[0].client.ipAddress).toBe('203.0.113.66');
    expect(() => org.appendScenario('account-lock', { user: 'nobody@example.com' })).toThrow(/no user "nobody@example.com"/);
  });

  test('a password spray fails sign-ins for distinct usernames from one address', () => {
    const events = newOrg().appendScenario('password-spray', { count: 15 }) as Json[];
    expect(events).toHaveLength(15);
    expect(new Set(events.map((e) => e.actor.alternateId)).size).toBe(15);
    expect(new Set(events.map((e) => e.client.ipAddress))).toEqual(new Set(['192.0.2.77']));
    expect(events.every((e) => e.outcome.result === 'FAILURE' && e.eventType === 'user.session.start')).toBe(true);
  });

  test('proxy and risk fields as Okta writes them', () => {
    const org = newOrg();
    const [proxy] = org.appendScenario('proxy-sign-in') as Json[];
    expect(proxy.securityContext.isProxy).toBe(true);
    expect(proxy.debugContext.debugData.risk).toBe('{reasons=Anomalous Device, Anomalous Location, level=MEDIUM}');
    const [risky] = org.appendScenario('high-risk-sign-in') as Json[];
    expect(risky.debugContext.debugData.behaviors).toBe('{New Geo-Location=POSITIVE, New Device=POSITIVE, New IP=POSITIVE, New State=POSITIVE, New Country=POSITIVE, Velocity=POSITIVE, New City=POSITIVE}');
  });
});

describe('seeded sign-ins carry behaviours and risk', () => {
  test("from the user's own clients nothing is new and the risk is low; from an attacker's, the opposite", () => {
    const org = newOrg();
    const signIns = org.events.map((s) => s.event as Json).filter((e) => e.eventType === 'user.session.start' || e.eventType === 'policy.evaluate_sign_on');
    expect(signIns.length).toBeGreaterThan(20);
    for (const e of signIns) {
      const attacker = e.client.ipAddress.startsWith('192.0.2.');
      expect(e.debugContext.debugData.risk).toBe(attacker ? '{reasons=Anomalous Device, Anomalous Location, level=HIGH}' : '{level=LOW}');
      expect(e.debugContext.debugData.behaviors).toContain(attacker ? 'New Device=POSITIVE' : 'New Device=NEGATIVE');
    }
  });
});

describe('served by the System Log API', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ users: 20, logEvents: 300, now: () => NOW, quiet: true });
  });
  afterAll(() => sb.close());

  test('a filtered polling query sees the scenario events', async () => {
    const start = await get(sb, `/api/v1/logs?since=${q(new Date(NOW - 60_000).toISOString())}&filter=${q('eventType eq "system.idp.lifecycle.create"')}`);
    expect(start.body).toEqual([]);
    const [added] = sb.org.appendScenario('idp-create');
    const r = await get(sb, start.links.next!);
    expect(r.status).toBe(200);
    expect(r.body.map((e: Json) => e.uuid)).toEqual([added!.uuid]);
    expect(r.body[0].target[0]).toMatchObject({ type: 'IdentityProvider', displayName: 'Partner SAML IdP' });
  });
});
