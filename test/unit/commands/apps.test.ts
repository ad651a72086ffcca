import nock from 'nock';
import { fixture, nextLink, ORG, run, useNock } from './helpers.js';

useNock();

const SAML = '0oa1gjh63g214q0Hq0g4';
const APP_KEY = 'Okta.Application(val.ID && val.ID === obj.ID)';
const ASSIGN_KEY = 'Okta.AppAssignment(val.UserID && val.UserID === obj.UserID && val.Action === obj.Action)';

describe('okta-list-apps', () => {
  test('Okta.Application (as XSOAR Okta IAM) with the cursor after the last application', async () => {
    const scope = nock(ORG).get('/api/v1/apps').query({ filter: 'status eq "ACTIVE"', limit: '2' }).reply(200, fixture('apps/list-apps.json'), nextLink('/api/v1/apps', '0oa7vicdkRNrz59R80w6', 2));
    const r = await run('okta-list-apps', { filter: 'status eq "ACTIVE"', limit: '2' });
    scope.done();
    expect(r.ctx[APP_KEY]).toEqual([
      { ID: SAML, Name: 'testorgone_customsaml20app_1', Label: 'Custom Saml 2.0 App', Status: 'ACTIVE', SignOnMode: 'SAML_2_0', Created: '2016-08-09T20:12:19.000Z', LastUpdated: '2016-08-09T20:12:19.000Z' },
      { ID: '0oa7vicdkRNrz59R80w6', Name: 'workday', Label: 'hrportal2', Status: 'ACTIVE', SignOnMode: 'SAML_2_0', Created: '2021-05-17T23:10:49.000Z', LastUpdated: '2021-05-17T23:10:50.000Z' },
    ]);
    expect(r.ctx['Okta.ApplicationCursor(true)']).toEqual({ next: '0oa7vicdkRNrz59R80w6' });
    expect(r.e.HumanReadable).toMatch(/^### Okta applications \(2\)\n\|ID\|Label\|Name\|Status\|SignOnMode\|/);
  });
});

describe('okta-list-app-users', () => {
  test('the app by exact label (q= is a prefix match, filtered), then its users with their cursor', async () => {
    const scope = nock(ORG)
      .get('/api/v1/apps')
      .query({ q: 'Custom Saml 2.0 App', limit: '200' })
      .reply(200, fixture('apps/list-apps.json'))
      .get(`/api/v1/apps/${SAML}/users`)
      .query({ limit: '1' })
      .reply(200, fixture('apps/app-users.json'), nextLink(`/api/v1/apps/${SAML}/users`, '00u1dnq5S0CfjlkpABCD', 1));
    const r = await run('okta-list-app-users appName="Custom Saml 2.0 App" limit=1');
    scope.done();
    expect(r.ctx['Okta.AppUser(val.AppID && val.AppID === obj.AppID && val.UserID === obj.UserID)']).toEqual([
      {
        AppID: SAML,
        UserID: '00u1dnq5S0CfjlkpABCD',
        UserName: 'saml.test@example.com',
        Email: 'saml.test@example.com',
        Scope: 'USER',
        Status: 'PROVISIONED',
        SyncState: 'SYNCHRONIZED',
        Created: '2024-01-31T18:25:01.000Z',
        LastUpdated: '2024-01-31T18:25:03.000Z',
      },
    ]);
    expect(r.ctx['Okta.AppUserCursor(true)']).toEqual({ next: '00u1dnq5S0CfjlkpABCD' });
  });
});

describe('assigning users to applications', () => {
  test('okta-assign-user-to-app: POST {id, scope: USER} for each user', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .post(`/api/v1/apps/${SAML}/users`, { id: '00ub0oNGTSWTBKOLGLNR', scope: 'USER' })
      .reply(200, { ...fixture<Record<string, unknown>>('apps/assign-user-to-app.json'), status: 'ACTIVE' });
    const r = await run('okta-assign-user-to-app', { appId: SAML, username: 'alice@example.com' });
    scope.done();
    expect(r.ctx[ASSIGN_KEY]).toEqual([{ UserID: '00ub0oNGTSWTBKOLGLNR', Username: 'alice@example.com', Action: `assign to application ${SAML}`, Result: 'done (ACTIVE)' }]);
  });

  test('okta-unassign-user-from-app: DELETE without an email to the user', async () => {
    const scope = nock(ORG).delete(`/api/v1/apps/${SAML}/users/00ub0oNGTSWTBKOLGLNR`).query({ sendEmail: 'false' }).reply(204);
    const r = await run('okta-unassign-user-from-app', { appId: SAML, userId: '00ub0oNGTSWTBKOLGLNR' });
    scope.done();
    expect(r.exitCode).toBe(0);
    expect(r.e.HumanReadable).toContain('|00ub0oNGTSWTBKOLGLNR|unassign from application 0oa1gjh63g214q0Hq0g4|done|');
  });
});

describe('okta-assign-group-to-app', () => {
  test('group and application by exact name, then PUT; the readable names both', async () => {
    const scope = nock(ORG)
      .get('/api/v1/groups')
      .query({ search: 'profile.name eq "West Coast users"', limit: '200' })
      .reply(200, fixture('groups/list-groups.json'))
      .get('/api/v1/apps')
      .query({ q: 'hrportal2', limit: '200' })
      .reply(200, fixture('apps/list-apps.json'))
      .put('/api/v1/apps/0oa7vicdkRNrz59R80w6/groups/00g1emaKYZTWRYYRRTSK', {})
      .reply(200, fixture('apps/assign-group-to-app.json'));
    const r = await run('okta-assign-group-to-app groupName="West Coast users" appName=hrportal2');
    scope.done();
    expect(r.e.HumanReadable).toBe('Group "West Coast users" (00g1emaKYZTWRYYRRTSK) was assigned to the Okta application "hrportal2" (0oa7vicdkRNrz59R80w6).');
    expect(r.ctx['Okta.AppGroupAssignment(val.AppID && val.AppID === obj.AppID && val.GroupID === obj.GroupID)']).toEqual({
      AppID: '0oa7vicdkRNrz59R80w6',
      GroupID: '00g1emaKYZTWRYYRRTSK',
      GroupName: 'West Coast users',
      AppLabel: 'hrportal2',
    });
  });

  test('an application that is not found is an error; nothing is sent to /apps/None', async () => {
    const none = nock(ORG).put(/\/api\/v1\/apps\/.*/).reply(200, {});
    const scope = nock(ORG).get('/api/v1/apps').query({ q: 'PA App', limit: '200' }).reply(200, fixture('apps/list-apps.json'));
    const r = await run('okta-assign-group-to-app', { groupId: '00g1emaKYZTWRYYRRTSK', appName: 'PA App' });
    scope.done();
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toBe('okta-assign-group-to-app: the application "PA App" was not found in Okta');
    expect(none.isDone()).toBe(false);
  });
});
