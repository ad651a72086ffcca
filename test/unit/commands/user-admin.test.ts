import nock from 'nock';
import { ACCOUNT, fixture, ORG, run, useNock } from './helpers.js';

useNock();

const ISAAC = '00ub0oNGTSWTBKOLGLNR';
const LIFECYCLE = 'Okta.Lifecycle(val.UserID && val.UserID === obj.UserID && val.Action === obj.Action)';

describe('okta-create-user', () => {
  test("XSOAR's example line: profile, password and recovery question in Okta's body; Account out; no secret echoed", async () => {
    const scope = nock(ORG)
      .post('/api/v1/users', {
        profile: { firstName: 'test', lastName: 'that', email: 'testForDocs@test.com', login: 'testForDocs@test.com' },
        credentials: { password: { value: 'Pa55word!' }, recovery_question: { question: 'whats is your favourite integration', answer: 'Okta of course' } },
      })
      .query((q) => Object.keys(q).length === 0)
      .reply(200, fixture('users/create-user-with-password.json'));
    const r = await run(
      'okta-create-user email=testForDocs@test.com firstName=test lastName=that login=testForDocs@test.com password=Pa55word! passwordQuestion="whats is your favourite integration" passwordAnswer="Okta of course"',
    );
    scope.done();
    expect(r.exitCode).toBe(0);
    expect(r.ctx[ACCOUNT]).toEqual({
      ID: ISAAC,
      Username: 'isaac.brock@example.com',
      Email: 'isaac.brock@example.com',
      DisplayName: 'Isaac Brock',
      Type: 'Okta',
      Status: 'ACTIVE',
      Created: '2013-07-02T21:36:25.344Z',
      PasswordChanged: '2013-07-02T21:36:25.344Z',
    });
    expect(r.e.HumanReadable).toMatch(/^### Okta user created: isaac.brock@example.com\n/);
    expect(JSON.stringify(r.entries)).not.toMatch(/Pa55word!|Okta of course/);
  });

  test('custom attributes through profile (JSON), merged with the named ones; groupIds, activate=false, a provider', async () => {
    const scope = nock(ORG)
      .post('/api/v1/users', {
        profile: { employeeType: 'contractor', costCenter: 'IR-7', firstName: 'Isaac', lastName: 'Brock', email: 'isaac.brock@example.com', login: 'isaac.brock@example.com' },
        credentials: { provider: { type: 'FEDERATION', name: 'FEDERATION' } },
        groupIds: ['00g1emaKYZTWRYYRRTSK', '00garwpuyxHaWOkdV0g4'],
      })
      .query({ activate: 'false', provider: 'true' })
      .reply(200, { ...fixture<Record<string, unknown>>('users/create-user-with-password.json'), status: 'STAGED' });
    const r = await run('okta-create-user', {
      firstName: 'Isaac',
      lastName: 'Brock',
      email: 'isaac.brock@example.com',
      login: 'isaac.brock@example.com',
      profile: '{"employeeType":"contractor","costCenter":"IR-7"}',
      groupIds: '00g1emaKYZTWRYYRRTSK, 00garwpuyxHaWOkdV0g4',
      activate: 'false',
      providerType: 'FEDERATION',
    });
    scope.done();
    expect((r.ctx[ACCOUNT] as { Status: string }).Status).toBe('STAGED');
  });

  test('the required four may come from profile; missing ones are named before any request', async () => {
    const r = await run('okta-create-user', { profile: '{"firstName":"Isaac","login":"isaac@example.com"}' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toBe('okta-create-user: argument lastName, email are required (named, or inside profile)');
  });

  test('the same attribute named and in profile must agree', async () => {
    const r = await run('okta-create-user', { firstName: 'A', lastName: 'B', email: 'a@b.c', login: 'a@b.c', profile: '{"firstName":"Z"}' });
    expect(r.e.Contents).toBe('okta-create-user: profile.firstName and argument firstName disagree; give it once');
  });

  test('dry_run shows the request without the password', async () => {
    const r = await run('okta-create-user', { firstName: 'A', lastName: 'B', email: 'a@b.c', login: 'a@b.c', password: 'Sup3r-S3cret-Pw', dry_run: 'true' });
    expect(r.exitCode).toBe(0);
    expect(r.e.HumanReadable).toContain('|POST|/api/v1/users|');
    expect(JSON.stringify(r.entries)).not.toContain('Sup3r-S3cret-Pw');
  });
});

describe('okta-update-user', () => {
  test("XSOAR's example: a partial update of the given attribute only (login is not rewritten); Account out", async () => {
    const scope = nock(ORG)
      .post('/api/v1/users/testForDocs@test.com', { profile: { firstName: 'First Name Updated' } })
      .reply(200, { ...fixture<Record<string, unknown>>('users/update-user.json') });
    const r = await run('okta-update-user username=testForDocs@test.com firstName="First Name Updated"');
    scope.done();
    expect(r.exitCode).toBe(0);
    expect((r.ctx[ACCOUNT] as { ID: string }).ID).toBe(ISAAC);
    expect(r.e.HumanReadable).toMatch(/^### Okta user updated: isaac.brock@example.com\n\|Attribute\|Value\|\n\|---\|---\|\n\|firstName\|Isaac\|/);
  });

  test('by email: looked up first; custom attributes in profile', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users')
      .query({ filter: 'profile.email eq "isaac.brock@example.com"', limit: '2' })
      .reply(200, [fixture('users/update-user.json')])
      .post(`/api/v1/users/${ISAAC}`, { profile: { riskTier: 'high' } })
      .reply(200, fixture('users/update-user.json'));
    const r = await run('okta-update-user', { userEmail: 'isaac.brock@example.com', profile: '{"riskTier":"high"}' });
    scope.done();
    expect(r.exitCode).toBe(0);
  });

  test('a user that does not exist is a clear error', async () => {
    nock(ORG).post('/api/v1/users/nobody@example.com').reply(404, fixture('errors/E0000007-user-not-found.json'));
    const r = await run('okta-update-user', { username: 'nobody@example.com', title: 'x' });
    expect(r.e.Contents).toBe('okta-update-user: user nobody@example.com was not found in Okta');
  });

  test('nothing to update is refused before any request', async () => {
    const r = await run('okta-update-user', { username: 'alice@example.com' });
    expect(r.e.Contents).toMatch(/^okta-update-user: nothing to update/);
  });
});

describe('okta-delete-user', () => {
  test("XSOAR's example: an ACTIVE user is deactivated first, then deleted, and the result says so", async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/testForDocs@test.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .post('/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/deactivate')
      .reply(200, {})
      .delete('/api/v1/users/00ub0oNGTSWTBKOLGLNR')
      .reply(204);
    const r = await run('okta-delete-user username=testForDocs@test.com');
    scope.done();
    expect(r.ctx[LIFECYCLE]).toEqual([{ UserID: '00ub0oNGTSWTBKOLGLNR', Username: 'alice@example.com', Action: 'delete', Result: 'deleted (it was ACTIVE: deactivated first)' }]);
  });

  test('a DEPROVISIONED user is deleted at once', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/00ub0oNGTSWTBKOLGLNR')
      .reply(200, { ...fixture<Record<string, unknown>>('users/get-user-alice.json'), status: 'DEPROVISIONED' })
      .delete('/api/v1/users/00ub0oNGTSWTBKOLGLNR')
      .reply(204);
    const r = await run('okta-delete-user', { userId: '00ub0oNGTSWTBKOLGLNR' });
    scope.done();
    expect(r.e.HumanReadable).toContain('|deleted|');
  });
});
