import { parseWarRoomLine, prepareArgs, tokenizeWarRoom } from '../../integration/engine/args.js';
import { ArgumentError } from '../../integration/base/errors.js';
import { loadManifest } from '../../integration/engine/manifest.js';

const cmd = (n: string) => loadManifest().commands.get(n)!;

function argError(fn: () => unknown): ArgumentError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ArgumentError) return e;
    throw e;
  }
  throw new Error('expected an ArgumentError');
}

describe('war-room lines', () => {
  test('double quotes with escapes and backticks', () => {
    expect(tokenizeWarRoom('!okta-get-logs filter="eventType eq \\"user.session.start\\"" limit=5')).toEqual([
      '!okta-get-logs',
      'filter=eventType eq "user.session.start"',
      'limit=5',
    ]);
    expect(parseWarRoomLine('okta-list-groups filter=`type eq "OKTA_GROUP"` query=demisto')).toEqual({
      command: 'okta-list-groups',
      args: { filter: 'type eq "OKTA_GROUP"', query: 'demisto' },
      positional: [],
    });
  });

  test('a positional word fills the default argument', () => {
    const p = parseWarRoomLine('!okta-suspend-user alice@acme.com');
    expect(prepareArgs(cmd('okta-suspend-user'), p.args, p.positional)).toEqual({ username: 'alice@acme.com' });
  });

  test('an unterminated quote is a usage error', () => {
    expect(() => tokenizeWarRoom('okta-get-user username="alice')).toThrow(/unterminated/);
  });
});

describe('argument validation', () => {
  test('strings are coerced: numbers, booleans, enums case-insensitively', () => {
    expect(prepareArgs(cmd('okta-list-users'), { limit: '5', verbose: 'TRUE' })).toEqual({ limit: 5, verbose: true });
    expect(prepareArgs(cmd('okta-get-logs'), { sortOrder: 'descending' })).toMatchObject({ sortOrder: 'DESCENDING', limit: 100 });
  });

  test('a non-numeric limit names the argument and the rule', () => {
    const e = argError(() => prepareArgs(cmd('okta-list-users'), { limit: 'ten' }));
    expect(e.message).toBe('okta-list-users: argument limit must be a whole number');
    expect(e.argument).toBe('limit');
    expect(e.rule).toBe('type');
  });

  test('bounds, enums and lengths name the rule', () => {
    expect(argError(() => prepareArgs(cmd('okta-list-users'), { limit: '0' })).message).toMatch(/limit must be at least 1/);
    expect(argError(() => prepareArgs(cmd('okta-get-logs'), { sortOrder: 'SIDEWAYS' })).message).toMatch(/sortOrder must be one of ASCENDING, DESCENDING/);
    expect(argError(() => prepareArgs(cmd('okta-get-user'), { username: 'x'.repeat(5000) })).message).toMatch(/username is longer than 1024/);
    expect(argError(() => prepareArgs(cmd('okta-get-user'), { userId: '../../groups' })).rule).toBe('pattern');
  });

  test('unknown arguments are errors that suggest the closest known one', () => {
    const e = argError(() => prepareArgs(cmd('okta-get-user'), { usernme: 'a' }));
    expect(e.message).toBe('okta-get-user: unknown argument usernme (did you mean username?)');
  });

  test("XSOAR's platform arguments are accepted and dropped", () => {
    expect(prepareArgs(cmd('okta-get-logs'), { 'extend-context': 'X=', 'ignore-outputs': 'true', 'retry-count': '6', limit: '5' })).toEqual({
      limit: 5,
      sortOrder: 'ASCENDING',
    });
  });

  test('one of a group is required', () => {
    expect(argError(() => prepareArgs(cmd('okta-get-user'), {})).message).toBe('okta-get-user: one of username, userId, userEmail is required');
  });

  test('dry_run is accepted only by commands that change Okta', () => {
    expect(prepareArgs(cmd('okta-suspend-user'), { username: 'a', dry_run: 'true' })).toEqual({ username: 'a', dry_run: true });
    expect(argError(() => prepareArgs(cmd('okta-get-user'), { username: 'a', dry_run: 'true' })).rule).toBe('unknown');
  });
});
