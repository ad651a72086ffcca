/**
 * What Okta's behaviour detection and risk engine write into a sign-in's debugData: the
 * `behaviors` and `risk` texts (key=value lists in braces, not JSON) that detection rules read.
 */

export interface Behaviours {
  newDevice: boolean;
  newIp: boolean;
  newGeo: boolean;
}

/** `{New Geo-Location=NEGATIVE, New Device=POSITIVE, …}` as Okta writes it. */
export function behaviorsText(positive: boolean | Behaviours): string {
  const p = typeof positive === 'boolean' ? { newDevice: positive, newIp: positive, newGeo: positive } : positive;
  const v = (b: boolean) => (b ? 'POSITIVE' : 'NEGATIVE');
  return `{New Geo-Location=${v(p.newGeo)}, New Device=${v(p.newDevice)}, New IP=${v(p.newIp)}, New State=${v(p.newGeo)}, New Country=${v(p.newGeo)}, Velocity=${v(p.newGeo)}, New City=${v(p.newGeo)}}`;
}

/** `{level=LOW}`, or with the reasons Okta gives for a higher level. */
export function riskText(level: 'LOW' | 'MEDIUM' | 'HIGH'): string {
  return level === 'LOW' ? '{level=LOW}' : `{reasons=Anomalous Device, Anomalous Location, level=${level}}`;
}

const KNOWN = Object.freeze({ behaviors: behaviorsText(false), risk: riskText('LOW'), threatSuspected: 'false' });
const UNKNOWN = Object.freeze({ behaviors: behaviorsText(true), risk: riskText('HIGH'), threatSuspected: 'false' });

/**
 * The debugData of a seeded sign-in: from one of the user's own clients nothing is new and the
 * risk is low; from an attacker's client everything is new and the risk high.
 */
export function signInDebugData(fromKnownClient: boolean): Readonly<Record<string, string>> {
  return fromKnownClient ? KNOWN : UNKNOWN;
}
