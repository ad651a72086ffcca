import { generateKeyPairSync } from 'node:crypto';
import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { dispatch } from '../../../entry/index.js';
import { MemoryStore } from '../../../integration/state/store.js';
import { ACCOUNT, fixture, ORG, run, useNock } from './helpers.js';

useNock();

describe('okta-list-user-roles', () => {
  test("a user's admin roles as Account.Role", async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .get('/api/v1/users/00ub0oNGTSWTBKOLGLNR/roles')
      .reply(200, fixture('roles/user-roles.json'));
    const r = await run('okta-list-user-roles alice@example.com');
    scope.done();
    const acc = r.ctx[ACCOUNT] as { ID: string; Role: Array<Record<string, unknown>> };
    expect(acc.ID).toBe('00ub0oNGTSWTBKOLGLNR');
    expect(acc.Role.map((x) => x.Type)).toEqual(['APP_ADMIN', 'HELP_DESK_ADMIN', 'ORG_ADMIN', 'API_ACCESS_MANAGEMENT_ADMIN']);
    expect(acc.Role[0]).toEqual({
      ID: 'IFIFAX2BIRGUSTQ',
      Label: 'Application administrator',
      Type: 'APP_ADMIN',
      Status: 'ACTIVE',
      AssignmentType: 'USER',
      Created: '2019-02-06T16:17:40.000Z',
      LastUpdated: '2019-02-06T16:17:40.000Z',
    });
    expect(r.e.HumanReadable).toMatch(/^### Okta admin roles of alice@example.com \(4\)\n\|Label\|Type\|Status\|/);
  });

  test('no admin role is said plainly', async () => {
    nock(ORG).get('/api/v1/users/00ub0oNGTSWTBKOLGLNR/roles').reply(200, []);
    const r = await run('okta-list-user-roles', { userId: '00ub0oNGTSWTBKOLGLNR' });
    expect(r.e.HumanReadable).toBe('00ub0oNGTSWTBKOLGLNR has no Okta admin roles.');
  });

  test('under OAuth it needs okta.roles.read, and says so before any request', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const r = await run('okta-list-user-roles', { userId: '00ub0oNGTSWTBKOLGLNR' }, { params: { url: ORG, client_id: '0oa1testclient', private_key: pem } });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/needs the Okta API scope okta.roles.read/);
  });
});

describe('okta-auth-reset', () => {
  test('with an API token there is nothing cached: the XSOAR message all the same', async () => {
    const r = await run('okta-auth-reset');
    expect(r.exitCode).toBe(0);
    expect(r.e.HumanReadable).toBe('Authentication data cleared successfully.');
  });

  test('under OAuth the cached token is dropped: the next command mints a new one', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const params = { url: ORG, client_id: '0oa1testclient', private_key: pem, dpop: 'false' };
    const state = new MemoryStore();
    const clock = new ManualClock();
    let minted = 0;
    nock(ORG)
      .post('/oauth2/v1/token')
      .times(3)
      .reply(() => {
        minted++;
        return [200, { token_type: 'Bearer', expires_in: 3600, access_token: `at-${minted}-${'x'.repeat(30)}`, scope: 'okta.users.read okta.users.manage' }];
      })
      .get('/api/v1/users/alice@example.com')
      .times(3)
      .reply(200, fixture('users/get-user-alice.json'));
    const opts = { state, clock };
    await dispatch('okta-get-user', { username: 'alice@example.com' }, params, opts);
    await dispatch('okta-get-user', { username: 'alice@example.com' }, params, opts);
    expect(minted).toBe(1);
    const reset = await dispatch('okta-auth-reset', {}, params, opts);
    expect(reset.entries[0]!.HumanReadable).toBe('Authentication data cleared successfully.');
    await dispatch('okta-get-user', { username: 'alice@example.com' }, params, opts);
    expect(minted).toBe(2);
  });
});
