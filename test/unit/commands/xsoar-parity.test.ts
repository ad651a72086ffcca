/**
 * Drop-in compatibility with Cortex XSOAR's Okta v2, checked against XSOAR's own manifest, example
 * lines and playbook calls (../shared/reference/xsoar/, or $OKTA_XSOAR_REF).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWarRoomLine, prepareArgs } from '../../../integration/engine/args.js';
import { loadManifest, type ManifestCommand } from '../../../integration/engine/manifest.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const refDir = process.env.OKTA_XSOAR_REF ?? path.join(repoRoot, '..', 'shared', 'reference', 'xsoar');

interface XArg {
  name: string;
  required: boolean;
  default: boolean;
  defaultValue?: string | null;
  predefined?: string[] | null;
  isArray?: boolean;
}
interface XCommand {
  name: string;
  arguments: XArg[];
  outputs: Array<{ contextPath: string }>;
}
interface Invocation {
  playbook: string;
  task_id: string;
  command: string;
  args: Record<string, string | null>;
}

const xsoar = JSON.parse(readFileSync(path.join(refDir, 'okta-v2-commands.json'), 'utf8')) as { commands: XCommand[] };
const examples = readFileSync(path.join(refDir, 'okta-v2-command-examples.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
const playbooks = JSON.parse(readFileSync(path.join(refDir, 'okta-playbook-invocations.json'), 'utf8')) as { invocations: Invocation[] };
const { commands } = loadManifest();

/** Paths XSOAR's yml documents but its code never writes (README of reference/xsoar). */
const DOCUMENTED_TYPOS = new Set(['Okta.Logs.Event.actor.id']);

/** Defaults we change on purpose, and why (docs/commands.md repeats these). */
const DEFAULT_DEVIATIONS: Record<string, string> = {
  'okta-expire-password.hide_password': 'true: Okta-generated temporary passwords stay out of the war room unless asked for',
};

/** XSOAR-required arguments that may also come another way here, checked by the handler before any request. */
const REQUIRED_ELSEWHERE: Record<string, string> = {
  'okta-create-user.firstName': 'named, or inside profile',
  'okta-create-user.lastName': 'named, or inside profile',
  'okta-create-user.email': 'named, or inside profile',
  'okta-create-user.login': 'named, or inside profile',
};

const ours = (name: string): ManifestCommand => {
  const c = commands.get(name);
  if (!c) throw new Error(`${name} is not in integration.yml`);
  return c;
};

test('the reference data is there (../shared/reference/xsoar or $OKTA_XSOAR_REF)', () => {
  expect(existsSync(refDir)).toBe(true);
  expect(xsoar.commands.length).toBe(34);
  expect(examples.length).toBe(29);
  expect(playbooks.invocations.length).toBe(7);
});

describe.each(xsoar.commands.map((c) => [c.name, c] as const))('%s', (name, x) => {
  test('exists in integration.yml', () => {
    expect(commands.has(name)).toBe(true);
  });

  test('declares every XSOAR argument', () => {
    const declared = new Set(ours(name).arguments.map((a) => a.name));
    expect(x.arguments.map((a) => a.name).filter((a) => !declared.has(a))).toEqual([]);
  });

  test('declares every XSOAR output path', () => {
    const declared = new Set(ours(name).outputs.map((o) => o.contextPath));
    expect(x.outputs.map((o) => o.contextPath).filter((p) => !DOCUMENTED_TYPOS.has(p) && !declared.has(p))).toEqual([]);
  });

  test('keeps isArray, the positional argument, and what is required', () => {
    const c = ours(name);
    const byName = new Map(c.arguments.map((a) => [a.name, a]));
    for (const xa of x.arguments) {
      const a = byName.get(xa.name)!;
      if (xa.isArray) expect({ arg: xa.name, isArray: a.isArray }).toEqual({ arg: xa.name, isArray: true });
      if (xa.default) expect({ arg: xa.name, default: a.default }).toEqual({ arg: xa.name, default: true });
      // XSOAR's required user/zone arguments may be given another way here (requireOneOf), never be optional.
      if (xa.required) {
        const covered = a.required === true || (c.requireOneOf ?? []).some((g) => g.includes(xa.name)) || !!REQUIRED_ELSEWHERE[`${name}.${xa.name}`];
        expect({ arg: xa.name, covered }).toEqual({ arg: xa.name, covered: true });
      }
    }
  });

  test('keeps XSOAR default values (deviations are listed and explained)', () => {
    const byName = new Map(ours(name).arguments.map((a) => [a.name, a]));
    for (const xa of x.arguments) {
      if (xa.defaultValue === undefined || xa.defaultValue === null) continue;
      const key = `${name}.${xa.name}`;
      const mine = byName.get(xa.name)!.defaultValue;
      if (DEFAULT_DEVIATIONS[key]) expect(String(mine)).not.toBe(xa.defaultValue);
      else expect({ arg: key, defaultValue: String(mine) }).toEqual({ arg: key, defaultValue: xa.defaultValue });
    }
  });

  test('accepts every XSOAR predefined value', () => {
    const c = ours(name);
    for (const xa of x.arguments) {
      for (const v of xa.predefined ?? []) {
        // Validate the one argument alone (a synthetic command, so nothing else is required).
        const one: ManifestCommand = { ...c, name: `${c.name}#${xa.name}`, requireOneOf: undefined, arguments: c.arguments.filter((a) => a.name === xa.name).map((a) => ({ ...a, required: false })) };
        expect(() => prepareArgs(one, { [xa.name]: v })).not.toThrow();
      }
    }
  });
});

describe("XSOAR's example command lines (command_examples.txt) validate unchanged", () => {
  test.each(examples)('%s', (line) => {
    const parsed = parseWarRoomLine(line);
    expect(() => prepareArgs(ours(parsed.command), parsed.args, parsed.positional)).not.toThrow();
  });
});

describe("XSOAR's playbook calls validate unchanged", () => {
  /** Plausible values for the playbooks' ${…} placeholders, as XSOAR would substitute them. */
  const CONTEXT: Record<string, unknown> = {
    'inputs.UserEmail': 'alice@example.com',
    'inputs.ASN': '13335',
    'inputs.ZoneID': 'nzowc1U5Jh5xuAK0o0g3',
    'Okta.Zone.id': 'nzowc1U5Jh5xuAK0o0g3',
    TimeLast1DayTimeNow: '2026-11-21T12:00:00Z',
    TimeLast1WeekTimeNow: '2026-11-15T12:00:00Z',
    CurrentTimeTimeNow: '2026-11-22T12:00:00Z',
    AllowedCIDRs: ['192.0.2.0/24', '198.51.100.7/32'],
  };
  const substitute = (v: string | null, ctx: Record<string, unknown>): unknown => {
    if (v === null) return null;
    const whole = /^\$\{([^}]+)\}$/.exec(v);
    if (whole) return ctx[whole[1]!];
    return v.replace(/\$\{([^}]+)\}/g, (_m, k: string) => String(ctx[k]));
  };
  const argsOf = (inv: Invocation, ctx = CONTEXT) => Object.fromEntries(Object.entries(inv.args).map(([k, v]) => [k, substitute(v, ctx)]));

  test.each(playbooks.invocations.map((i) => [`${i.playbook} task ${i.task_id}: ${i.command}`, i] as const))('%s', (_label, inv) => {
    const args = argsOf(inv);
    for (const v of Object.values(args)) if (typeof v === 'string') expect(v).not.toMatch(/\$\{/);
    expect(() => prepareArgs(ours(inv.command), args)).not.toThrow();
  });

  test('the platform arguments (extend-context, ignore-outputs, retry-*) are left to the platform', () => {
    const inv = playbooks.invocations.find((i) => i.task_id === '12')!;
    const prepared = prepareArgs(ours('okta-get-logs'), argsOf(inv));
    expect(Object.keys(prepared).sort()).toEqual(['filter', 'limit', 'since', 'sortOrder', 'until']);
  });

  test('Allow IP task 38 passes ZoneID and zoneID: both spellings are accepted (and must agree at run time)', () => {
    const inv = playbooks.invocations.find((i) => i.task_id === '38')!;
    expect(prepareArgs(ours('okta-get-zone'), argsOf(inv))).toEqual({ zoneID: 'nzowc1U5Jh5xuAK0o0g3', ZoneID: 'nzowc1U5Jh5xuAK0o0g3' });
  });

  test('Allow IP task 39: the AllowedCIDRs list arrives as gatewayIPs; the empty proxyIPs and zoneName are ignored', () => {
    const inv = playbooks.invocations.find((i) => i.task_id === '39')!;
    expect(prepareArgs(ours('okta-update-zone'), argsOf(inv))).toEqual({ zoneID: 'nzowc1U5Jh5xuAK0o0g3', gatewayIPs: ['192.0.2.0/24', '198.51.100.7/32'], updateType: 'OVERRIDE' });
  });

  /*
   * Task 42 passes limit=${inputs.ASN}: the ASN, not a count (an upstream playbook bug). We run it as
   * written: an ASN that is a whole number up to 100000 is taken as the most events to return (Okta
   * then pages up to that many); a larger ASN (many are: 396982 …) exceeds limit's maximum and the task
   * fails with a clear argument error before any request, which the playbook tolerates
   * (continueonerror: true). An empty ASN input leaves limit unset (default 100).
   */
  test('User Investigation task 42 (limit=${inputs.ASN}): what happens, honestly', () => {
    const inv = playbooks.invocations.find((i) => i.task_id === '42')!;
    const cmd = ours('okta-get-logs');
    expect(prepareArgs(cmd, argsOf(inv, { ...CONTEXT, 'inputs.ASN': '13335' })).limit).toBe(13335);
    expect(() => prepareArgs(cmd, argsOf(inv, { ...CONTEXT, 'inputs.ASN': '396982' }))).toThrow('okta-get-logs: argument limit must be at most 100000');
    expect(prepareArgs(cmd, { ...argsOf(inv), limit: '' }).limit).toBe(100);
  });
});
