import type { Handler } from '../integration/engine/command.js';
import { ArgumentError } from '../integration/base/errors.js';
import { tableToMarkdown } from '../integration/engine/results.js';
import { compact } from './common.js';
import { eachItem, notFoundAs, readEachUser, rowResults } from './rows.js';

interface OktaDevice {
  id: string;
  status: string;
  created?: string;
  lastUpdated?: string;
  profile?: { displayName?: string; platform?: string; model?: string; osVersion?: string; serialNumber?: string; managed?: boolean; registered?: boolean; [k: string]: unknown };
}

interface OktaUserDevice {
  created?: string;
  deviceUserId?: string;
  device: OktaDevice;
}

const DEVICE_KEY = 'Okta.Device(val.ID && val.ID === obj.ID && val.UserID === obj.UserID)';
const DEVICE_HEADERS = ['Username', 'ID', 'Name', 'Platform', 'Status', 'Managed', 'Model', 'OSVersion', 'Enrolled'];

/** okta-list-user-devices: the devices each user named has enrolled (a device nobody ordered is worth a look). */
export const listUserDevices: Handler = async (ctx) => {
  const { items, failures } = await readEachUser(ctx, async (user) => {
    const res = await ctx.okta.request<OktaUserDevice[]>({ method: 'GET', path: '/api/v1/users/{userId}/devices', pathParams: { userId: user.id } });
    return Array.isArray(res.data) ? res.data : [];
  });
  const rows = items.map(({ user, item }) =>
    compact({
      ID: item.device?.id,
      UserID: user.id,
      Username: user.login,
      Name: item.device?.profile?.displayName,
      Platform: item.device?.profile?.platform,
      Status: item.device?.status,
      Managed: item.device?.profile?.managed,
      Registered: item.device?.profile?.registered,
      Model: item.device?.profile?.model,
      OSVersion: item.device?.profile?.osVersion,
      SerialNumber: item.device?.profile?.serialNumber,
      Enrolled: item.created,
      LastUpdated: item.device?.lastUpdated,
    }),
  );
  const main = rows.length
    ? { readable: tableToMarkdown(`Okta devices (${rows.length})`, rows, DEVICE_HEADERS), raw: items.map((i) => ({ userId: i.user.id, ...i.item })), context: { [DEVICE_KEY]: rows } }
    : { readable: 'No devices found in Okta for these users.', raw: [] };
  return [main, ...failures];
};

interface DeviceTransition {
  op: 'suspend' | 'deactivate';
  becomes: string;
  /** Statuses the transition starts from; the one it ends in is "already", the rest an error. */
  from: string[];
  /** The rule: deactivating a deactivated device is a mistake worth an error, not a no-op. */
  alreadyIsError: boolean;
}

export const DEVICE_TRANSITIONS: Record<string, DeviceTransition> = {
  'okta-suspend-device': { op: 'suspend', becomes: 'SUSPENDED', from: ['ACTIVE'], alreadyIsError: false },
  'okta-deactivate-device': { op: 'deactivate', becomes: 'DEACTIVATED', from: ['ACTIVE', 'SUSPENDED'], alreadyIsError: true },
};

/** Suspending and deactivating devices: one mechanic, configured by data. Each device is read first (its name, its status). */
export function deviceLifecycleHandler(command: string): Handler {
  const t = DEVICE_TRANSITIONS[command]!;
  return async (ctx) => {
    const ids = [...new Set((ctx.args.deviceId as string[] | undefined) ?? [])];
    if (!ids.length) throw new ArgumentError('deviceId is required', 'deviceId', 'required');
    const rows = await eachItem(
      ctx,
      ids,
      'devices',
      async (id) => {
        let d: OktaDevice;
        try {
          d = (await ctx.okta.request<OktaDevice>({ method: 'GET', path: '/api/v1/devices/{deviceId}', pathParams: { deviceId: id } })).data;
        } catch (e) {
          throw notFoundAs(e, `device ${id}`);
        }
        const base = compact({ ID: id, Name: d.profile?.displayName, Platform: d.profile?.platform, Action: t.op });
        if (d.status === t.becomes) return { ...base, Result: `already ${d.status}`, ok: !t.alreadyIsError };
        if (!t.from.includes(d.status)) return { ...base, Result: `the device is ${d.status}: Okta can ${t.op} only a device that is ${t.from.join(' or ')}`, ok: false };
        // Okta refuses a repeated transition, so a retry cannot act twice.
        await ctx.okta.request({ method: 'POST', path: `/api/v1/devices/{deviceId}/lifecycle/${t.op}`, pathParams: { deviceId: id }, responseType: 'text', idempotent: true });
        return { ...base, Result: `done (${d.status} → ${t.becomes})`, ok: true };
      },
      (id, message) => ({ ID: id, Action: t.op, Result: message, ok: false }),
    );
    const done = rows.filter((r) => r.ok).length;
    return rowResults(ctx, `Okta ${t.op} device: ${done} of ${rows.length} done`, 'Okta.DeviceLifecycle(val.ID && val.ID === obj.ID && val.Action === obj.Action)', rows, ['ID', 'Name', 'Platform', 'Action', 'Result'], (r) => r.Name ?? r.ID);
  };
}
