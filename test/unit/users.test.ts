import nock from 'nock';
import { dispatch } from '../../entry/index.js';
import { ManualClock } from '../../integration/base/clock.js';
import { MemoryStore } from '../../integration/state/store.js';
import { fixture, makeUsers, ORG, sswsParams, TOKEN } from '../helpers/fixtures.js';

const opts = () => ({ clock: new ManualClock(), state: new MemoryStore() });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('okta-get-user', () => {
  test('by login: one GET, SSWS auth, XSOAR Account context', async () => {
    const scope = nock(ORG, { reqheaders: { authorization: `SSWS ${TOKEN}`, accept: 'application/json', 'user-agent': /^okta-soar\// } })
      .get('/api/v1/users/alice@example.com')
      .reply(200, fixture('users/get-user-alice.json'), { 'x-rate-limit-limit': '2000', 'x-rate-limit-remaining': '1999', 'x-rate-limit-reset': '1763820000' });
    const { entries, exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, sswsParams(), opts());
    scope.done();
    expect(exitCode).toBe(0);
    expect(entries).toHaveLength(1);
    const e = entries[0]!;
    expect(e.Type).toBe(1);
    expect(e.EntryContext!['Account(val.ID && val.ID === obj.ID)']).toEqual({
      ID: '00ub0oNGTSWTBKOLGLNR',
      Username: 'alice@example.com',
      Email: 'alice@example.com',
      DisplayName: 'Alice Example',
      Type: 'Okta',
      Status: 'ACTIVE',
      Created: '2024-03-12T17:22:04.000Z',
      Activated: '2024-03-12T17:22:05.000Z',
      StatusChanged: '2024-03-12T17:22:05.000Z',
      PasswordChanged: '2026-05-30T12:31:09.000Z',
      Manager: 'Carol Manager',
      ManagerEmail: 'carol@example.com',
    });
    expect(e.EntryContext!['Okta.Metadata(true)']).toEqual({ 'x-rate-limit-limit': 2000, 'x-rate-limit-remaining': 1999, 'x-rate-limit-reset': 1763820000 });
    expect(e.HumanReadable).toMatch(/^### Okta user alice@example.com\n\|ID\|Login\|/);
  });

  test('by email: filter with the value escaped', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users')
      .query({ filter: 'profile.email eq "a\\"b@example.com"', limit: '2' })
      .reply(200, [fixture('users/get-user-alice.json')]);
    const { exitCode } = await dispatch('okta-get-user', { userEmail: 'a"b@example.com' }, sswsParams(), opts());
    scope.done();
    expect(exitCode).toBe(0);
  });

  test('a user that does not exist is a result, not an error (XSOAR parity)', async () => {
    nock(ORG).get('/api/v1/users/nobody@example.com').reply(404, fixture('errors/E0000007-user-not-found.json'));
    const { entries, exitCode } = await dispatch('okta-get-user', { username: 'nobody@example.com' }, sswsParams(), opts());
    expect(exitCode).toBe(0);
    expect(entries[0]).toMatchObject({ Type: 1, HumanReadable: "User 'nobody@example.com' was not found." });
  });

  test('an Okta error becomes an error entry naming status, errorCode and errorSummary', async () => {
    nock(ORG).get('/api/v1/users/alice@example.com').reply(401, fixture('errors/E0000011-invalid-token.json'));
    const { entries, exitCode } = await dispatch('okta-get-user', { username: 'alice@example.com' }, sswsParams(), opts());
    expect(exitCode).toBe(1);
    expect(entries[0]!.Type).toBe(4);
    expect(entries[0]!.Contents).toBe(
      'okta-get-user: Okta answered HTTP 401 to GET /api/v1/users/alice@example.com: E0000011 Invalid token provided [errorId oaeXoJLWbzdQKSmKu1m7iGbxQ]',
    );
    expect(JSON.stringify(entries)).not.toContain(TOKEN);
  });

  test('a malformed argument is an error entry naming it; nothing is sent', async () => {
    const { entries, exitCode } = await dispatch('okta-get-user', { userId: 'a/../../groups' }, sswsParams(), opts());
    expect(exitCode).toBe(1);
    expect(entries[0]!.Contents).toMatch(/argument userId does not have the expected form/);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('okta-list-users paging', () => {
  test('limit=450 returns 450 users from three pages; the cursor continues after the last one', async () => {
    const all = makeUsers(600);
    const page = (from: number, n: number) => all.slice(from, from + n);
    const link = (after: string, limit: number) => `<${ORG}/api/v1/users?after=${after}&limit=${limit}>; rel="next"`;
    const scope = nock(ORG)
      .get('/api/v1/users')
      .query({ limit: '200' })
      .reply(200, page(0, 200), { link: [`<${ORG}/api/v1/users?limit=200>; rel="self"`, link('c200', 200)] as unknown as string })
      .get('/api/v1/users')
      .query({ after: 'c200', limit: '200' })
      .reply(200, page(200, 200), { link: link('c400', 200) })
      .get('/api/v1/users')
      .query({ after: 'c400', limit: '50' })
      .reply(200, page(400, 50), { link: link('c450', 200) });
    const { entries, exitCode } = await dispatch('okta-list-users', { limit: '450' }, sswsParams(), opts());
    scope.done();
    expect(exitCode).toBe(0);
    const accounts = entries[0]!.EntryContext!['Account(val.ID && val.ID === obj.ID)'] as Array<{ ID: string }>;
    expect(accounts).toHaveLength(450);
    expect(new Set(accounts.map((a) => a.ID)).size).toBe(450);
    expect(accounts[449]!.ID).toBe(all[449]!.id);
    expect(entries[0]!.EntryContext!['Okta.User(val.tag)']).toEqual({ tag: 'c450' });
    expect(entries[0]!.HumanReadable).toContain('### tag: c450');
  });

  test('a next link to another host is refused, and no credential goes there', async () => {
    const evil = nock('https://evil.example').get(/.*/).reply(200, []);
    nock(ORG).get('/api/v1/users').query(true).reply(200, makeUsers(2), { link: '<https://evil.example/api/v1/users?after=x>; rel="next"' });
    const { entries, exitCode } = await dispatch('okta-list-users', { limit: '5' }, sswsParams(), opts());
    expect(exitCode).toBe(1);
    expect(entries[0]!.Contents).toMatch(/refused to send credentials to https:\/\/evil.example/);
    expect(evil.isDone()).toBe(false);
  });
});
