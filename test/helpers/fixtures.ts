import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A realistic Okta body from test_data/ (secrets and hostnames scrubbed). */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(path.join(root, 'test_data', name), 'utf8')) as T;
}

export const ORG = 'https://example.okta.com';
export const TOKEN = '00abcdEFGHijklMNOPqrstuvWXyz0123456789-_SECRET';

/** Parameters for an SSWS org at ORG. */
export function sswsParams(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: ORG, apitoken: TOKEN, ...extra };
}

/** N users shaped like Okta's, numbered from `start`. */
export function makeUsers(n: number, start = 0): Array<Record<string, unknown>> {
  const base = fixture<Record<string, unknown>>('users/get-user-alice.json');
  return Array.from({ length: n }, (_, i) => {
    const k = start + i;
    const id = `00u${String(k).padStart(17, '0')}`;
    return {
      ...base,
      id,
      profile: { ...(base.profile as object), login: `user${k}@example.com`, email: `user${k}@example.com`, firstName: 'User', lastName: String(k) },
    };
  });
}
