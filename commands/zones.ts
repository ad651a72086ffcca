import { isIP } from 'node:net';
import type { CommandContext, Handler } from '../integration/engine/command.js';
import { ArgumentError, NotFoundError, OktaApiError } from '../integration/base/errors.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { commaList } from './common.js';
import { withCursor } from './lists.js';
import { collect } from '../integration/okta/paging.js';

export interface ZoneAddress {
  type: 'CIDR' | 'RANGE';
  value: string;
}

export interface OktaZone {
  id: string;
  type: string;
  name: string;
  status?: string;
  usage?: string;
  system?: boolean;
  created?: string;
  lastUpdated?: string;
  gateways?: ZoneAddress[] | null;
  proxies?: ZoneAddress[] | null;
  [k: string]: unknown;
}

/** XSOAR writes the zone as Okta returns it, keyed by id. */
export const ZONE_KEY = 'Okta.Zone(val.id && val.id === obj.id)';

/**
 * One gateway or proxy entry as Okta wants it: `a-b` is a RANGE (both ends of one family), a
 * CIDR keeps its prefix, and a single address becomes a host CIDR: /32 for IPv4, /128 for IPv6.
 */
export function zoneAddress(entry: string, argName: string): ZoneAddress {
  const s = entry.trim();
  if (s.includes('-')) {
    const ends = s.split('-').map((x) => x.trim());
    if (ends.length !== 2 || !isIP(ends[0]!) || isIP(ends[0]!) !== isIP(ends[1]!))
      throw new ArgumentError(`${argName}: "${s}" is not an IP range (first-last, both IPv4 or both IPv6)`, argName, 'ipRange');
    return { type: 'RANGE', value: `${ends[0]}-${ends[1]}` };
  }
  const parts = s.split('/');
  const family = isIP(parts[0]!);
  if (!family || parts.length > 2) throw new ArgumentError(`${argName}: "${s}" is not an IP address, CIDR or range`, argName, 'ip');
  const max = family === 4 ? 32 : 128;
  if (parts.length === 1) return { type: 'CIDR', value: `${parts[0]}/${max}` };
  if (!/^\d{1,3}$/.test(parts[1]!) || Number(parts[1]) > max) throw new ArgumentError(`${argName}: "${s}" has a prefix length outside 0-${max}`, argName, 'cidr');
  return { type: 'CIDR', value: `${parts[0]}/${Number(parts[1])}` };
}

/** Parses a list argument (comma string or array), dropping repeats. */
export function zoneAddresses(v: unknown, argName: string): ZoneAddress[] | undefined {
  if (v === undefined) return undefined;
  const seen = new Set<string>();
  return commaList(v)
    .map((e) => zoneAddress(e, argName))
    .filter((a) => !seen.has(a.value) && !!seen.add(a.value));
}

const values = (l?: ZoneAddress[] | null) => (l ?? []).map((a) => a.value);

function zoneRow(z: OktaZone): Record<string, unknown> {
  return {
    ID: z.id,
    Name: z.name,
    Type: z.type,
    Usage: z.usage,
    Status: z.status,
    Gateways: values(z.gateways).join(', '),
    Proxies: values(z.proxies).join(', '),
    System: z.system,
    LastUpdated: z.lastUpdated,
  };
}
const ZONE_HEADERS = ['ID', 'Name', 'Type', 'Usage', 'Status', 'Gateways', 'Proxies', 'System', 'LastUpdated'];

const zoneResult = (title: string, z: OktaZone) => ({ readable: tableToMarkdown(title, zoneRow(z), ZONE_HEADERS), raw: z, context: { [ZONE_KEY]: z } });

/** zoneID, or ZoneID (the spelling XSOAR's "Allow IP - Okta Zone" playbook also passes). */
function zoneIdArg(args: Record<string, unknown>): string {
  const a = args.zoneID as string | undefined;
  const b = args.ZoneID as string | undefined;
  if (a && b && a !== b) throw new ArgumentError(`zoneID (${a}) and ZoneID (${b}) disagree; give one`, 'zoneID', 'conflict');
  const id = a ?? b;
  if (!id) throw new ArgumentError('zoneID is required', 'zoneID', 'required');
  return id;
}

async function getZoneById(ctx: CommandContext, id: string): Promise<OktaZone> {
  try {
    return (await ctx.okta.request<OktaZone>({ method: 'GET', path: '/api/v1/zones/{zoneId}', pathParams: { zoneId: id } })).data;
  } catch (e) {
    if (e instanceof OktaApiError && e.status === 404) throw new NotFoundError(`No zone found in Okta with this ID (${id}).`);
    throw e;
  }
}

export const listZones: Handler = async (ctx) => {
  const { args } = ctx;
  const got = await collect<OktaZone>(ctx, { method: 'GET', path: '/api/v1/zones', query: { filter: args.filter as string, after: args.after as string } }, Number(args.limit ?? 1000), 1000);
  const result = got.items.length
    ? { readable: tableToMarkdown(`Okta network zones (${got.items.length})`, got.items.map(zoneRow), ZONE_HEADERS), raw: got.items, context: { [ZONE_KEY]: got.items } }
    : { readable: 'No zones found.', raw: [] };
  return withCursor(result, got, { key: 'Okta.ZoneCursor(true)', command: 'okta-list-zones' });
};

export const getZone: Handler = async (ctx) => {
  const z = await getZoneById(ctx, zoneIdArg(ctx.args));
  return zoneResult(`Okta network zone ${z.name}`, z);
};

export const createZone: Handler = async (ctx) => {
  const { args } = ctx;
  const usage = (args.usage as string | undefined) ?? 'POLICY';
  const gateways = zoneAddresses(args.gateway_ips, 'gateway_ips');
  const proxies = zoneAddresses(args.proxies, 'proxies');
  if (!gateways?.length && !proxies?.length) throw new ArgumentError('one of gateway_ips or proxies is required', 'gateway_ips', 'requireOneOf');
  if (usage === 'BLOCKLIST' && proxies?.length) throw new ArgumentError('a BLOCKLIST zone blocks gateway IPs only: Okta does not allow proxies on it', 'proxies', 'blocklist');
  const body: Record<string, unknown> = { type: 'IP', name: args.name, status: 'ACTIVE', usage };
  if (gateways?.length) body.gateways = gateways;
  if (proxies?.length) body.proxies = proxies;
  const z = (await ctx.okta.request<OktaZone>({ method: 'POST', path: '/api/v1/zones', body })).data;
  return zoneResult(`Okta network zone created: ${z.name ?? String(args.name)}`, z);
};

/** Merges a list into the zone's: OVERRIDE replaces it, APPEND adds what is not there yet. */
function merge(current: ZoneAddress[] | null | undefined, given: ZoneAddress[] | undefined, mode: string): ZoneAddress[] | null | undefined {
  if (!given) return current;
  if (mode === 'OVERRIDE') return given;
  const have = new Set(values(current));
  return [...(current ?? []), ...given.filter((a) => !have.has(a.value))];
}

/** Read-only members Okta does not take back on PUT. */
const READ_ONLY = new Set(['created', 'lastUpdated', '_links', 'create']);

export const updateZone: Handler = async (ctx) => {
  const { args } = ctx;
  const id = zoneIdArg(args);
  const gateways = zoneAddresses(args.gatewayIPs, 'gatewayIPs');
  const proxies = zoneAddresses(args.proxyIPs, 'proxyIPs');
  if (args.zoneName === undefined && !gateways && !proxies) return { readable: 'Nothing to update', raw: null };
  const zone = await getZoneById(ctx, id);
  if (zone.type !== 'IP') throw new ArgumentError(`zone ${id} is a ${zone.type} zone; okta-update-zone changes the name, gateways and proxies of IP zones`, 'zoneID', 'zoneType');
  const mode = (args.updateType as string | undefined) ?? 'OVERRIDE';
  const next: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(zone)) if (!READ_ONLY.has(k)) next[k] = v;
  if (args.zoneName !== undefined) next.name = args.zoneName;
  next.gateways = merge(zone.gateways, gateways, mode);
  next.proxies = merge(zone.proxies, proxies, mode);
  if (zone.usage === 'BLOCKLIST' && proxies?.length) throw new ArgumentError('a BLOCKLIST zone blocks gateway IPs only: Okta does not allow proxies on it', 'proxyIPs', 'blocklist');
  const same =
    next.name === zone.name &&
    JSON.stringify(values(next.gateways as ZoneAddress[])) === JSON.stringify(values(zone.gateways)) &&
    JSON.stringify(values(next.proxies as ZoneAddress[])) === JSON.stringify(values(zone.proxies));
  if (same) return { ...zoneResult(`Nothing to update: Okta network zone ${zone.name} already has these values`, zone) };
  // Okta replaces the whole zone on PUT; what it was read as a moment ago is what is sent back, changed.
  const z = (await ctx.okta.request<OktaZone>({ method: 'PUT', path: '/api/v1/zones/{zoneId}', pathParams: { zoneId: id }, body: next })).data;
  return zoneResult(`Okta network zone updated: ${z.name}`, z);
};

/** Activating and deactivating zones: one mechanic, configured by data. */
export const ZONE_TRANSITIONS: Record<string, { op: 'activate' | 'deactivate'; becomes: string }> = {
  'okta-activate-zone': { op: 'activate', becomes: 'ACTIVE' },
  'okta-deactivate-zone': { op: 'deactivate', becomes: 'INACTIVE' },
};

export function zoneLifecycleHandler(command: string): Handler {
  const t = ZONE_TRANSITIONS[command]!;
  return async (ctx) => {
    const id = zoneIdArg(ctx.args);
    const z = (
      await ctx.okta.request<OktaZone>({ method: 'POST', path: `/api/v1/zones/{zoneId}/lifecycle/${t.op}`, pathParams: { zoneId: id }, idempotent: true })
    ).data;
    return zoneResult(`Okta network zone ${t.op}d: ${z?.name ?? id} (${z?.status ?? t.becomes})`, z);
  };
}

/** okta-delete-zone: Okta deletes only inactive zones, so an active one is deactivated first (and the result says so). */
export const deleteZone: Handler = async (ctx) => {
  const id = zoneIdArg(ctx.args);
  const zone = await getZoneById(ctx, id);
  let note = '';
  if (zone.status === 'ACTIVE') {
    await ctx.okta.request({ method: 'POST', path: '/api/v1/zones/{zoneId}/lifecycle/deactivate', pathParams: { zoneId: id }, idempotent: true });
    note = ' It was ACTIVE: it was deactivated first.';
  }
  await ctx.okta.request({ method: 'DELETE', path: '/api/v1/zones/{zoneId}', pathParams: { zoneId: id }, responseType: 'text' });
  return { readable: `Okta network zone ${zone.name} (${id}) was deleted.${note}`, raw: { id, name: zone.name, deleted: true } };
};
