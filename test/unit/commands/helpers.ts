/** Shared set-up for the command-family tests: dispatch through the whole pipeline against nock. */
import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch, type RunOptions } from '../../../entry/index.js';
import { parseWarRoomLine } from '../../../integration/engine/args.js';
import { MemoryStore } from '../../../integration/state/store.js';
import type { Entry } from '../../../integration/engine/types.js';
import { sswsParams } from '../../helpers/fixtures.js';

export { fixture, makeUsers, ORG, sswsParams, TOKEN } from '../../helpers/fixtures.js';

export const ACCOUNT = 'Account(val.ID && val.ID === obj.ID)';

/** nock off the network for the whole file; every test starts clean. */
export function useNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());
}

export interface Ran {
  entries: Entry[];
  exitCode: 0 | 1 | 2;
  clock: ManualClock;
  /** The first entry. */
  e: Entry;
  ctx: Record<string, unknown>;
}

/** Runs a command with war-room style string arguments (or a whole `!command a=b` line). */
export async function run(nameOrLine: string, args: Record<string, unknown> = {}, opts: RunOptions & { params?: Record<string, unknown> } = {}): Promise<Ran> {
  let name = nameOrLine;
  let raw = args;
  let positional: string[] | undefined;
  if (/\s/.test(nameOrLine)) {
    const p = parseWarRoomLine(nameOrLine);
    name = p.command;
    raw = { ...p.args, ...args };
    positional = p.positional;
  }
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const { params, ...rest } = opts;
  const out = await dispatch(name, raw, params ?? sswsParams(), { state: new MemoryStore(), positional, ...rest, clock });
  return { ...out, clock, e: out.entries[0]!, ctx: out.entries[0]?.EntryContext ?? {} };
}

/** Okta's Link header for a next page on ORG. */
export function nextLink(path: string, after: string, limit: number): { link: string } {
  return { link: `<https://example.okta.com${path}?after=${encodeURIComponent(after)}&limit=${limit}>; rel="next"` };
}
