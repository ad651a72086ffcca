/** Incidents as contract §5 describes them; the default filter; lastRun's size. */
import { ConfigError } from '../../../integration/base/errors.js';
import { addSecret, clearSecrets, MASK } from '../../../integration/base/redact.js';
import { DEFAULT_EVENT_TYPES, DEFAULT_FETCH_FILTER, fetchIncidents, MAX_PAGE, MAX_SEEN, parseSeverityMap, toIncident } from '../../../integration/fetch/index.js';
import type { LogEvent } from '../../../integration/okta/logs.js';
import { fixture } from '../../helpers/fixtures.js';
import { params, setupNock, world } from './harness.js';

setupNock();

const failedLogin = () => fixture<LogEvent>('logs/failed-login-event.json');

describe('incidents', () => {
  test('name, occurred, severity, rawJSON, dbotMirrorId and type from a real event', () => {
    const e = failedLogin();
    const inc = toIncident(e, { severityMap: new Map(), incidentType: 'Okta Security' });
    expect(inc).toEqual({
      name: 'user.session.start: User login to Okta (alice@example.com)',
      occurred: '2026-11-21T09:15:02.281Z',
      severity: 2,
      rawJSON: JSON.stringify(e),
      dbotMirrorId: e.uuid,
      type: 'Okta Security',
    });
    expect(JSON.parse(inc.rawJSON)).toEqual(e);
  });

  test('rawJSON and name carry no secret: known values, token shapes, secret-named values and private JWK members are masked', () => {
    addSecret('known-secret-value-0042');
    try {
      const e = failedLogin();
      const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMDEy';
      const tainted = {
        ...e,
        displayMessage: 'login with known-secret-value-0042',
        debugContext: { debugData: { authorization: 'SSWS 00abcdefghijklmnop', note: `Bearer ${jwt}`, client_secret: 'cs-0123456789abcdef', jwk: { kty: 'RSA', n: 'A'.repeat(40), d: 'B'.repeat(40), p: 'C'.repeat(20) } } },
      } as LogEvent;
      const inc = toIncident(tainted, { severityMap: new Map() });
      for (const secret of ['known-secret-value-0042', '00abcdefghijklmnop', jwt, 'cs-0123456789abcdef', 'B'.repeat(40), 'C'.repeat(20)]) {
        expect(inc.rawJSON).not.toContain(secret);
        expect(inc.name).not.toContain(secret);
      }
      const data = (JSON.parse(inc.rawJSON) as { debugContext: { debugData: Record<string, Record<string, unknown>> } }).debugContext.debugData;
      expect(data.client_secret).toBe(MASK);
      expect(data.jwk!.n).toBe('A'.repeat(40)); // a public member stays
      expect(inc.dbotMirrorId).toBe(e.uuid);
      // The event given is left as it was.
      expect(tainted.displayMessage).toBe('login with known-secret-value-0042');
    } finally {
      clearSecrets();
    }
  });

  test('Okta severity → XSOAR severity: DEBUG 0, INFO 1, WARN 2, ERROR 3, anything else 0; severity_map overrides per event type', () => {
    const base = failedLogin();
    const sev = (severity: string, map = new Map<string, number>()) => toIncident({ ...base, severity }, { severityMap: map }).severity;
    expect([sev('DEBUG'), sev('INFO'), sev('WARN'), sev('ERROR'), sev('LOUD')]).toEqual([0, 1, 2, 3, 0]);
    expect(sev('INFO', parseSeverityMap('{"user.session.start": 4}'))).toBe(4);
    expect(sev('ERROR', parseSeverityMap('{"user.session.start": 0}'))).toBe(0);
    expect(sev('INFO', parseSeverityMap('{"other.type": 4}'))).toBe(1);
  });

  test('no type without incidentType; names without a message or actor stay readable', () => {
    const e = { ...failedLogin(), displayMessage: null, actor: { id: 'x', type: 'PublicClientApp', alternateId: 'unknown', displayName: 'x' } };
    const inc = toIncident(e, { severityMap: new Map() });
    expect(inc.name).toBe('user.session.start');
    expect('type' in inc).toBe(false);
  });

  test('severity_map is checked: JSON object of integers 0–4', () => {
    expect(parseSeverityMap(undefined).size).toBe(0);
    expect(parseSeverityMap('  ').size).toBe(0);
    for (const bad of ['{', '[]', '"x"', '{"a": 5}', '{"a": -1}', '{"a": 1.5}', '{"a": "2"}', '{"": 1}']) {
      expect(() => parseSeverityMap(bad)).toThrow(ConfigError);
    }
    expect(() => parseSeverityMap('{"a": 7}')).toThrow(/severity of "a" must be an integer from 0 to 4/);
  });

  test('a bad severity_map stops fetch-incidents before any request', async () => {
    const w = world();
    await expect(fetchIncidents(params({ severity_map: '{"x": 9}' }), {}, { clock: w.clock })).rejects.toMatchObject({ code: 'ERR_CONFIG', parameter: 'severity_map' });
    expect(w.model.requests).toHaveLength(0);
  });

  test('through a cycle: the default rule names it, severity_map and incidentType apply; occurred is published, not the fetch time', async () => {
    const w = world();
    const [ev] = w.model.add(1, { eventType: 'security.threat.detected', severity: 'WARN', publishedMs: Date.UTC(2026, 10, 22, 9, 0, 0) });
    const r = await w.cycle({ severity_map: '{"security.threat.detected": 4}', incidentType: 'Okta Threat' });
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]).toMatchObject({
      name: `Okta ThreatInsight flagged a request: ${ev!.actor.alternateId}`,
      occurred: '2026-11-22T09:00:00.000Z',
      severity: 4, // the rule says medium (2); severity_map overrides per event type
      rawJSON: JSON.stringify(ev),
      dbotMirrorId: ev!.uuid,
      type: 'Okta Threat',
      rules: [{ id: 'c83f01d2-66e2-41c3-a390-9e85f1724b74', level: 'medium', file: 'rules/okta/okta_threatinsight_threat_detected.yml' }],
    });
    // Without severity_map, the rule's level decides.
    const w2 = world();
    w2.model.add(1, { eventType: 'security.threat.detected', severity: 'WARN' });
    expect((await w2.cycle()).incidents.map((i) => i.severity)).toEqual([2]);
  });
});

describe('the default filter', () => {
  test('one clause per curated type, OR-ed; sign-on policy only when denied; no failed-login flood', () => {
    for (const t of DEFAULT_EVENT_TYPES) expect(DEFAULT_FETCH_FILTER).toContain(`eventType eq "${t.eventType}"`);
    expect(DEFAULT_FETCH_FILTER).toContain('(eventType eq "policy.evaluate_sign_on" and outcome.result eq "DENY")');
    expect(DEFAULT_FETCH_FILTER.split(' or ')).toHaveLength(DEFAULT_EVENT_TYPES.length);
    expect(DEFAULT_FETCH_FILTER).not.toContain('user.session.start');
    for (const must of [
      'security.threat.detected',
      'user.account.report_suspicious_activity_by_enduser',
      'user.account.lock',
      'user.mfa.factor.reset_all',
      'user.mfa.factor.deactivate',
      'user.account.privilege.grant',
      'system.api_token.create',
      'system.operation.rate_limit.violation',
    ])
      expect(DEFAULT_EVENT_TYPES.map((t) => t.eventType)).toContain(must);
    // Fits comfortably in a URL.
    expect(encodeURIComponent(DEFAULT_FETCH_FILTER).length).toBeLessThan(2000);
  });
});

describe('lastRun size', () => {
  test('bounded whatever the backlog: at most one page head plus a tail of uuids (and latestSeen), under 90 kB; under 50 kB when events do not pile up on one millisecond', async () => {
    const w = world({ via: 'transport' });
    await w.cycle({ max_fetch: 1000 });
    w.model.add(5000);
    // 1999 per cycle with 1000-event pages: every cycle stops 999 events into a page.
    let biggest = 0;
    for (let i = 0; i < 3; i++) {
      const r = await w.cycle({ max_fetch: 1999 });
      expect(r.lastRun.seen.length).toBeLessThanOrEqual(MAX_SEEN);
      biggest = Math.max(biggest, JSON.stringify(r.lastRun).length);
    }
    expect(biggest).toBeGreaterThan(35_000); // the head really is there
    // All 5,000 events share one millisecond: latestSeen (what a filter change must not return
    // again) holds its cap of 1,000 uuids on top of seen. The worst case.
    expect(w.lastRun).toMatchObject({ latestSeen: expect.any(Array) });
    expect((w.lastRun as { latestSeen: string[] }).latestSeen).toHaveLength(MAX_PAGE);
    expect(biggest).toBeLessThan(90_000);
    // Events a millisecond apart, as a System Log usually has them: latestSeen is one uuid.
    w.model.append(Array.from({ length: 5000 }, (_, i) => w.model.event({ publishedMs: w.clock.now() + 1 + i })));
    let spread = 0;
    for (let i = 0; i < 3; i++) {
      const r = await w.cycle({ max_fetch: 1999 });
      expect(r.lastRun.latestSeen).toHaveLength(1);
      spread = Math.max(spread, JSON.stringify(r.lastRun).length);
    }
    expect(spread).toBeGreaterThan(35_000);
    expect(spread).toBeLessThan(50_000);
    // A long custom filter adds only its own length (once, in the cursor).
    const big = 'eventType eq "user.account.lock" or ' + Array.from({ length: 60 }, (_, i) => `eventType eq "custom.type.${i}"`).join(' or ');
    const r = await w.cycle({ max_fetch: 1999, fetch_query_filter: big });
    expect(JSON.stringify(r.lastRun).length).toBeLessThan(50_000 + 3 * big.length);
  });
});
