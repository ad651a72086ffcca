import nock from 'nock';
import { zoneAddress } from '../../../commands/zones.js';
import { fixture, nextLink, ORG, run, useNock } from './helpers.js';

useNock();

const ZONE_KEY = 'Okta.Zone(val.id && val.id === obj.id)';
const IP_ZONE = 'nzowc1U5Jh5xuAK0o0g3';
type Zone = Record<string, unknown> & { id: string; gateways?: unknown; proxies?: unknown };
const ipZone = () => fixture<Zone>('zones/get-zone-ip.json');
/** What Okta takes back on PUT: the zone without its read-only members. */
const writable = (z: Zone): Record<string, nock.DataMatcher> => {
  const { created: _c, lastUpdated: _l, _links: _k, ...rest } = z;
  return rest as Record<string, nock.DataMatcher>;
};

describe('addresses', () => {
  test.each([
    ['8.8.8.8', { type: 'CIDR', value: '8.8.8.8/32' }],
    ['2001:db8::1', { type: 'CIDR', value: '2001:db8::1/128' }],
    ['10.0.0.0/8', { type: 'CIDR', value: '10.0.0.0/8' }],
    ['2001:db8::/32', { type: 'CIDR', value: '2001:db8::/32' }],
    ['203.0.113.5-203.0.113.9', { type: 'RANGE', value: '203.0.113.5-203.0.113.9' }],
    [' 2001:db8::1 - 2001:db8::ff ', { type: 'RANGE', value: '2001:db8::1-2001:db8::ff' }],
  ])('%s', (entry, expected) => {
    expect(zoneAddress(entry, 'gateway_ips')).toEqual(expected);
  });

  test.each(['8.8.8', '10.0.0.0/33', '2001:db8::/129', '1.2.3.4-2001:db8::1', 'evil.example', '1.2.3.4/8/9', '1.2.3.4-5.6.7.8-9.9.9.9'])('%s is refused', (entry) => {
    expect(() => zoneAddress(entry, 'gateway_ips')).toThrow(/gateway_ips: /);
  });
});

describe('reading zones', () => {
  test("okta-list-zones (XSOAR's example): every kind of zone, raw, keyed by id", async () => {
    const scope = nock(ORG).get('/api/v1/zones').query({ limit: '1000' }).reply(200, fixture('zones/list-zones.json'));
    const r = await run('okta-list-zones');
    scope.done();
    const zones = r.ctx[ZONE_KEY] as Zone[];
    expect(zones.map((z) => [z.id, z.type, z.usage])).toEqual([
      ['nzok0oz2xYHOZtIch0g4', 'DYNAMIC_V2', 'BLOCKLIST'],
      ['nzoy0ox5xADOZtKrh0g6', 'DYNAMIC', 'POLICY'],
      [IP_ZONE, 'IP', 'POLICY'],
      ['nzou3u0stMCmgOzXK1d6', 'IP', 'BLOCKLIST'],
      ['nzohcnxFrSgsiwyHp0g4', 'DYNAMIC_V2', 'BLOCKLIST'],
      ['nzou3u0ssJfZjYsWL1d6', 'IP', 'POLICY'],
    ]);
    expect(zones[2]).toEqual(fixture<Zone[]>('zones/list-zones.json')[2]);
    expect(r.e.HumanReadable).toContain(`|${IP_ZONE}|MyIpZone|IP|POLICY|ACTIVE|1.2.3.4/24|3.3.4.5-3.3.4.15|false|`);
  });

  test('okta-list-zones pages and returns its cursor', async () => {
    const scope = nock(ORG)
      .get('/api/v1/zones')
      .query({ filter: 'usage eq "BLOCKLIST"', limit: '1' })
      .reply(200, [ipZone()], nextLink('/api/v1/zones', 'MyIpZone', 1));
    const r = await run('okta-list-zones', { filter: 'usage eq "BLOCKLIST"', limit: '1' });
    scope.done();
    expect(r.ctx['Okta.ZoneCursor(true)']).toEqual({ next: 'MyIpZone' });
  });

  test("okta-get-zone (XSOAR's example)", async () => {
    const scope = nock(ORG).get('/api/v1/zones/nzoqsmcx1qWYJ6w3355').reply(200, { ...ipZone(), id: 'nzoqsmcx1qWYJ6w3355' });
    const r = await run('okta-get-zone zoneID=nzoqsmcx1qWYJ6w3355');
    scope.done();
    expect((r.ctx[ZONE_KEY] as Zone).id).toBe('nzoqsmcx1qWYJ6w3355');
  });

  test('"Allow IP - Okta Zone" task 38 passes ZoneID and zoneID: it runs', async () => {
    const scope = nock(ORG).get(`/api/v1/zones/${IP_ZONE}`).reply(200, ipZone());
    const r = await run('okta-get-zone', { ZoneID: IP_ZONE, zoneID: IP_ZONE });
    scope.done();
    expect(r.exitCode).toBe(0);
    expect((r.ctx[ZONE_KEY] as { gateways: Array<{ value: string }> }).gateways.map((g) => g.value)).toEqual(['1.2.3.4/24']);
  });

  test('ZoneID and zoneID that disagree are refused', async () => {
    const r = await run('okta-get-zone', { ZoneID: IP_ZONE, zoneID: 'nzoOTHER' });
    expect(r.e.Contents).toBe(`okta-get-zone: zoneID (nzoOTHER) and ZoneID (${IP_ZONE}) disagree; give one`);
  });

  test('a zone that does not exist: XSOAR\'s message', async () => {
    nock(ORG).get('/api/v1/zones/nzoNOPE').reply(404, { errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: nzoNOPE (NetworkZone)', errorLink: 'E0000007', errorId: 'oaeX', errorCauses: [] });
    const r = await run('okta-get-zone', { zoneID: 'nzoNOPE' });
    expect(r.e.Contents).toBe('okta-get-zone: No zone found in Okta with this ID (nzoNOPE).');
  });
});

describe('okta-create-zone', () => {
  test("XSOAR's example: a single IPv4 gateway becomes /32; an active POLICY IP zone", async () => {
    const scope = nock(ORG)
      .post('/api/v1/zones', { type: 'IP', name: 'test_xsoar_4', status: 'ACTIVE', usage: 'POLICY', gateways: [{ type: 'CIDR', value: '8.8.8.8/32' }] })
      .reply(200, { ...fixture<Zone>('zones/create-zone-ip.json'), name: 'test_xsoar_4' });
    const r = await run('okta-create-zone name="test_xsoar_4" gateway_ips="8.8.8.8"');
    scope.done();
    expect((r.ctx[ZONE_KEY] as Zone).id).toBe('nzowb8T5Jh5xuAJ0o0g7');
  });

  test('an IP blocklist ("block this IP"): IPv6 gets /128, ranges stay ranges, repeats are dropped', async () => {
    const scope = nock(ORG)
      .post('/api/v1/zones', {
        type: 'IP',
        name: 'IR blocklist',
        status: 'ACTIVE',
        usage: 'BLOCKLIST',
        gateways: [
          { type: 'CIDR', value: '2001:db8::1/128' },
          { type: 'RANGE', value: '203.0.113.5-203.0.113.9' },
          { type: 'CIDR', value: '198.51.100.0/24' },
        ],
      })
      .reply(200, fixture('zones/create-zone-blocklist.json'));
    const r = await run('okta-create-zone', { name: 'IR blocklist', usage: 'BLOCKLIST', gateway_ips: '2001:db8::1, 203.0.113.5-203.0.113.9,198.51.100.0/24,2001:db8::1' });
    scope.done();
    expect((r.ctx[ZONE_KEY] as Zone).usage).toBe('BLOCKLIST');
  });

  test('a blocklist with proxies, or a bad address, is refused before any request', async () => {
    expect((await run('okta-create-zone', { name: 'b', usage: 'BLOCKLIST', gateway_ips: '1.2.3.4', proxies: '5.6.7.8' })).e.Contents).toBe(
      'okta-create-zone: a BLOCKLIST zone blocks gateway IPs only: Okta does not allow proxies on it',
    );
    expect((await run('okta-create-zone', { name: 'b', gateway_ips: '1.2.3.4,300.1.1.1' })).e.Contents).toBe('okta-create-zone: gateway_ips: "300.1.1.1" is not an IP address, CIDR or range');
  });
});

describe('okta-update-zone', () => {
  test("XSOAR's example (rename): GET, then PUT of the whole zone with the new name", async () => {
    const scope = nock(ORG)
      .get('/api/v1/zones/nzoqsmcx1qWYJ6w3355')
      .reply(200, { ...ipZone(), id: 'nzoqsmcx1qWYJ6w3355' })
      .put('/api/v1/zones/nzoqsmcx1qWYJ6w3355', { ...writable(ipZone()), id: 'nzoqsmcx1qWYJ6w3355', name: 'MyZone' })
      .reply(200, { ...ipZone(), id: 'nzoqsmcx1qWYJ6w3355', name: 'MyZone' });
    const r = await run('okta-update-zone zoneID=nzoqsmcx1qWYJ6w3355 zoneName=MyZone');
    scope.done();
    expect((r.ctx[ZONE_KEY] as Zone).name).toBe('MyZone');
  });

  test('APPEND adds only what is missing; proxies untouched', async () => {
    const scope = nock(ORG)
      .get(`/api/v1/zones/${IP_ZONE}`)
      .reply(200, ipZone())
      .put(`/api/v1/zones/${IP_ZONE}`, {
        ...writable(ipZone()),
        gateways: [
          { type: 'CIDR', value: '1.2.3.4/24' },
          { type: 'CIDR', value: '2001:db8::7/128' },
          { type: 'RANGE', value: '192.0.2.10-192.0.2.20' },
        ],
      })
      .reply(200, ipZone());
    const r = await run('okta-update-zone', { zoneID: IP_ZONE, gatewayIPs: '1.2.3.4/24,2001:db8::7,192.0.2.10-192.0.2.20', updateType: 'APPEND' });
    scope.done();
    expect(r.exitCode).toBe(0);
  });

  test('"Allow IP - Okta Zone" task 39: AllowedCIDRs (a list) replaces the gateways (OVERRIDE)', async () => {
    const scope = nock(ORG)
      .get(`/api/v1/zones/${IP_ZONE}`)
      .reply(200, ipZone())
      .put(`/api/v1/zones/${IP_ZONE}`, {
        ...writable(ipZone()),
        gateways: [
          { type: 'CIDR', value: '192.0.2.0/24' },
          { type: 'CIDR', value: '198.51.100.7/32' },
        ],
      })
      .reply(200, ipZone());
    const r = await run('okta-update-zone', { gatewayIPs: ['192.0.2.0/24', '198.51.100.7/32'], proxyIPs: null, zoneID: IP_ZONE, zoneName: null });
    scope.done();
    expect(r.exitCode).toBe(0);
  });

  test('APPEND of addresses already there changes nothing and sends no PUT', async () => {
    const scope = nock(ORG).get(`/api/v1/zones/${IP_ZONE}`).reply(200, ipZone());
    const r = await run('okta-update-zone', { zoneID: IP_ZONE, gatewayIPs: '1.2.3.4/24', updateType: 'APPEND' });
    scope.done();
    expect(r.e.HumanReadable).toMatch(/^### Nothing to update: Okta network zone MyIpZone already has these values/);
  });

  test('nothing to change: XSOAR\'s "Nothing to update", no request', async () => {
    const r = await run('okta-update-zone', { zoneID: IP_ZONE });
    expect(r.e.HumanReadable).toBe('Nothing to update');
  });

  test('a dynamic zone is refused (only IP zones have gateways)', async () => {
    nock(ORG).get('/api/v1/zones/nzoy0ox5xADOZtKrh0g6').reply(200, fixture<Zone[]>('zones/list-zones.json')[1]);
    const r = await run('okta-update-zone', { zoneID: 'nzoy0ox5xADOZtKrh0g6', gatewayIPs: '1.2.3.4' });
    expect(r.e.Contents).toMatch(/is a DYNAMIC zone; okta-update-zone changes the name, gateways and proxies of IP zones/);
  });
});

describe('zone lifecycle', () => {
  test.each([
    ['okta-activate-zone', 'activate', 'zones/activate-zone.json'],
    ['okta-deactivate-zone', 'deactivate', 'zones/deactivate-zone.json'],
  ])('%s', async (cmd, op, body) => {
    const z = fixture<Zone>(body);
    const scope = nock(ORG).post(`/api/v1/zones/${z.id}/lifecycle/${op}`).reply(200, z);
    const r = await run(`${cmd} ${z.id}`);
    scope.done();
    expect((r.ctx[ZONE_KEY] as Zone).status).toBe(op === 'activate' ? 'ACTIVE' : 'INACTIVE');
  });

  test('okta-delete-zone: an active zone is deactivated first, and the result says so', async () => {
    const scope = nock(ORG)
      .get(`/api/v1/zones/${IP_ZONE}`)
      .reply(200, ipZone())
      .post(`/api/v1/zones/${IP_ZONE}/lifecycle/deactivate`)
      .reply(200, { ...ipZone(), status: 'INACTIVE' })
      .delete(`/api/v1/zones/${IP_ZONE}`)
      .reply(204);
    const r = await run('okta-delete-zone', { zoneID: IP_ZONE });
    scope.done();
    expect(r.e.HumanReadable).toBe(`Okta network zone MyIpZone (${IP_ZONE}) was deleted. It was ACTIVE: it was deactivated first.`);
  });
});
