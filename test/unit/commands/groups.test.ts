import nock from 'nock';
import { ACCOUNT, fixture, makeUsers, nextLink, ORG, run, useNock } from './helpers.js';

useNock();

type Group = { id: string; profile: { name: string } };
const groups = () => fixture<Group[]>('groups/list-groups.json');
const WEST = '00g1emaKYZTWRYYRRTSK';
const GROUP_KEY = 'Okta.Group(val.ID && val.ID === obj.ID)';
const searchFor = (name: string) => ({ search: `profile.name eq "${name}"`, limit: '200' });

describe('okta-list-groups', () => {
  test("XSOAR's example: filter and q forwarded as given; Okta.Group in XSOAR's shape; the q= caveat is said", async () => {
    const filter = 'type eq "OKTA_GROUP" and lastUpdated lt "2019-04-30T00:00:00.000Z" and lastMembershipUpdated gt "2019-04-30T00:00:00.000Z"';
    const scope = nock(ORG).get('/api/v1/groups').query({ q: 'demisto', filter, limit: '200' }).reply(200, groups());
    const r = await run('okta-list-groups filter=`' + filter + '` query=demisto');
    scope.done();
    expect(r.exitCode).toBe(0);
    expect((r.ctx[GROUP_KEY] as unknown[])[0]).toEqual({
      ID: WEST,
      Created: '2015-02-06T10:11:28.000Z',
      ObjectClass: ['okta:user_group'],
      LastUpdated: '2015-10-05T19:16:43.000Z',
      LastMembershipUpdated: '2015-11-28T19:15:32.000Z',
      Type: 'OKTA_GROUP',
      Name: 'West Coast users',
      Description: 'All users West of The Rockies',
    });
    expect(r.ctx['Okta.GroupCursor(true)']).toBeUndefined();
    expect(r.e.HumanReadable).toMatch(/^### Okta groups \(2\)\n\|ID\|Name\|Description\|Type\|/);
    expect(r.e.HumanReadable).toContain('Okta does not page query= (q=) searches');
  });

  test('a full page returns the cursor that continues after its last group', async () => {
    const scope = nock(ORG).get('/api/v1/groups').query({ limit: '2' }).reply(200, groups(), nextLink('/api/v1/groups', '00garwpuyxHaWOkdV0g4', 2));
    const r = await run('okta-list-groups', { limit: '2' });
    scope.done();
    expect(r.ctx['Okta.GroupCursor(true)']).toEqual({ next: '00garwpuyxHaWOkdV0g4' });
    expect(r.e.HumanReadable).toContain('run okta-list-groups again with after=00garwpuyxHaWOkdV0g4');
  });

  test('limit=1500 pages: 1000, then the rest from exactly where Okta left off', async () => {
    const page = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ ...groups()[0], id: `00g${String(from + i).padStart(17, '0')}` }));
    const scope = nock(ORG)
      .get('/api/v1/groups')
      .query({ search: 'type eq "OKTA_GROUP"', limit: '1000' })
      .reply(200, page(1000, 0), nextLink('/api/v1/groups', 'g1000', 1000))
      .get('/api/v1/groups')
      .query({ after: 'g1000', limit: '500' })
      .reply(200, page(500, 1000), nextLink('/api/v1/groups', 'g1500', 1000));
    const r = await run('okta-list-groups', { search: 'type eq "OKTA_GROUP"', limit: '1500' });
    scope.done();
    expect((r.ctx[GROUP_KEY] as unknown[]).length).toBe(1500);
    expect(r.ctx['Okta.GroupCursor(true)']).toEqual({ next: 'g1500' });
  });
});

describe('okta-get-group-members', () => {
  test("XSOAR's example (groupName, limit=1, verbose): exact name lookup, then the members as Account", async () => {
    const scope = nock(ORG)
      .get('/api/v1/groups')
      .query(searchFor('West Coast users'))
      .reply(200, groups())
      .get(`/api/v1/groups/${WEST}/users`)
      .query({ limit: '1' })
      .reply(200, fixture('groups/group-members.json'), nextLink(`/api/v1/groups/${WEST}/users`, '00u118oQYT4TBTemp0g4', 1));
    const r = await run('okta-get-group-members groupName="West Coast users" limit=1 verbose=true');
    scope.done();
    expect(r.exitCode).toBe(0);
    expect(r.ctx[ACCOUNT]).toEqual([
      {
        ID: '00u118oQYT4TBTemp0g4',
        Username: 'alice.smith@example.com',
        Email: 'alice.smith@example.com',
        DisplayName: 'Alice Smith',
        Type: 'Okta',
        Status: 'ACTIVE',
        Created: '2022-04-04T15:56:05.000Z',
        PasswordChanged: '2022-04-04T16:00:22.000Z',
      },
    ]);
    expect(r.ctx['Okta.GroupMembersCursor(true)']).toEqual({ next: '00u118oQYT4TBTemp0g4' });
    expect(r.e.HumanReadable).toContain('### Okta user alice.smith@example.com: profile');
  });

  test('a group name that matches only as a prefix is not found: an error, and no member request', async () => {
    const scope = nock(ORG).get('/api/v1/groups').query(searchFor('West')).reply(200, []);
    const r = await run('okta-get-group-members', { groupName: 'West' });
    scope.done();
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toBe('okta-get-group-members: the group "West" was not found in Okta');
  });

  test('the exact name is looked for across every page of the search', async () => {
    const other = { ...groups()[1], profile: { ...groups()[1]!.profile, name: 'WEST COAST USERS (old)' } };
    const scope = nock(ORG)
      .get('/api/v1/groups')
      .query(searchFor('West Coast users'))
      .reply(200, [other], nextLink('/api/v1/groups', 'p2', 200))
      .get('/api/v1/groups')
      .query({ after: 'p2', limit: '200' })
      .reply(200, [groups()[0]])
      .get(`/api/v1/groups/${WEST}/users`)
      .query({ limit: '1000' })
      .reply(200, []);
    const r = await run('okta-get-group-members', { groupName: 'West Coast users' });
    scope.done();
    expect(r.e.HumanReadable).toBe(`The Okta group "West Coast users" (${WEST}) has no members`);
  });

  test('two groups with the same name are ambiguous: an error naming both ids', async () => {
    nock(ORG).get('/api/v1/groups').query(searchFor('West Coast users')).reply(200, [groups()[0], { ...groups()[0], id: '00gOTHER', type: 'APP_GROUP' }]);
    const r = await run('okta-get-group-members', { groupName: 'West Coast users' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/several Okta groups are named "West Coast users" \(00g1emaKYZTWRYYRRTSK OKTA_GROUP, 00gOTHER APP_GROUP\); use groupId/);
  });
});

describe('okta-get-groups', () => {
  test("XSOAR's example: the user's groups as Account.Group; no limit is sent (Okta's API takes none)", async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/testForDocs@test.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .get('/api/v1/users/00ub0oNGTSWTBKOLGLNR/groups')
      .query((q) => Object.keys(q).length === 0)
      .reply(200, fixture('groups/user-groups.json'));
    const r = await run('okta-get-groups username=testForDocs@test.com');
    scope.done();
    const acc = r.ctx[ACCOUNT] as { ID: string; Type: string; Group: Array<Record<string, unknown>> };
    expect(acc.ID).toBe('00ub0oNGTSWTBKOLGLNR');
    expect(acc.Type).toBe('Okta');
    expect(acc.Group.map((g) => [g.ID, g.Name, g.Type])).toEqual([
      ['00g1emaKYZTWRYYRRTSJ', 'Everyone', 'BUILT_IN'],
      [WEST, 'West Coast users', 'OKTA_GROUP'],
    ]);
    expect(r.ctx['Okta.UserGroupsCursor(true)']).toBeUndefined();
  });

  test('by userId: one request; limit cuts the list', async () => {
    const scope = nock(ORG).get('/api/v1/users/00ub0oNGTSWTBKOLGLNR/groups').reply(200, fixture('groups/user-groups.json'));
    const r = await run('okta-get-groups', { userId: '00ub0oNGTSWTBKOLGLNR', limit: '1' });
    scope.done();
    expect((r.ctx[ACCOUNT] as { Group: unknown[] }).Group).toHaveLength(1);
    expect(r.e.HumanReadable).toContain('cut at limit');
  });
});

describe('creating, updating and deleting groups', () => {
  test('okta-create-group: the profile is sent; OktaGroup (XSOAR) and Okta.Group are written', async () => {
    const scope = nock(ORG)
      .post('/api/v1/groups', { profile: { name: 'West Coast users', description: 'All users West of The Rockies' } })
      .reply(200, fixture('groups/create-group.json'));
    const r = await run('okta-create-group name="West Coast users" description="All users West of The Rockies"');
    scope.done();
    expect(r.ctx['OktaGroup(val.ID && val.ID === obj.ID)']).toEqual({ ID: WEST, Name: 'West Coast users', Description: 'All users West of The Rockies', Type: 'OKTA_GROUP' });
    expect((r.ctx[GROUP_KEY] as { ID: string }).ID).toBe(WEST);
  });

  test('okta-update-group: a new description keeps the name (Okta replaces the whole profile)', async () => {
    const scope = nock(ORG)
      .get(`/api/v1/groups/${WEST}`)
      .reply(200, fixture('groups/create-group.json'))
      .put(`/api/v1/groups/${WEST}`, { profile: { name: 'West Coast users', description: 'IR: contain' } })
      .reply(200, { ...fixture<Group>('groups/create-group.json'), profile: { name: 'West Coast users', description: 'IR: contain' } });
    const r = await run('okta-update-group', { groupId: WEST, description: 'IR: contain' });
    scope.done();
    expect(r.ctx[GROUP_KEY]).toMatchObject({ ID: WEST, Name: 'West Coast users', Description: 'IR: contain' });
  });

  test('okta-update-group needs something to change', async () => {
    const r = await run('okta-update-group', { groupId: WEST });
    expect(r.e.Contents).toBe('okta-update-group: one of name, description is required');
  });

  test('okta-delete-group by name: found exactly, then deleted', async () => {
    const scope = nock(ORG).get('/api/v1/groups').query(searchFor('West Coast users')).reply(200, groups()).delete(`/api/v1/groups/${WEST}`).reply(204);
    const r = await run('okta-delete-group', { groupName: 'West Coast users' });
    scope.done();
    expect(r.e.HumanReadable).toBe(`Okta group "West Coast users" (${WEST}) was deleted.`);
  });
});

describe('okta-add-to-group / okta-remove-from-group', () => {
  const DEMISTO = { ...groups()[0], id: '00gDEMISTO0000000001', profile: { name: 'Demisto', description: '' } };

  test("XSOAR's example (groupName=Demisto username=…): the group by exact name, the user by login, then PUT", async () => {
    const scope = nock(ORG)
      .get('/api/v1/groups')
      .query(searchFor('Demisto'))
      .reply(200, [DEMISTO])
      .get('/api/v1/users/testForDocs@test.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .put('/api/v1/groups/00gDEMISTO0000000001/users/00ub0oNGTSWTBKOLGLNR')
      .reply(204);
    const r = await run('okta-add-to-group groupName=Demisto username=testForDocs@test.com');
    scope.done();
    expect(r.exitCode).toBe(0);
    expect(r.ctx['Okta.GroupMembership(val.UserID && val.UserID === obj.UserID && val.Action === obj.Action)']).toEqual([
      { UserID: '00ub0oNGTSWTBKOLGLNR', Username: 'alice@example.com', Action: 'add to group "Demisto" (00gDEMISTO0000000001)', Result: 'done' },
    ]);
  });

  test("XSOAR's remove example (groupName=demisto, lower case): the one group whose name matches but for case", async () => {
    const scope = nock(ORG)
      .get('/api/v1/groups')
      .query(searchFor('demisto'))
      .reply(200, [DEMISTO])
      .get('/api/v1/users/testForDocs@test.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .delete('/api/v1/groups/00gDEMISTO0000000001/users/00ub0oNGTSWTBKOLGLNR')
      .reply(204);
    const r = await run('okta-remove-from-group groupName=demisto username=testForDocs@test.com');
    scope.done();
    expect(r.exitCode).toBe(0);
  });

  test('several users by id: no lookups; one failure is its own error entry, the others are done', async () => {
    const [a, b] = makeUsers(2) as Array<{ id: string }>;
    const scope = nock(ORG)
      .put(`/api/v1/groups/${WEST}/users/${a!.id}`)
      .reply(204)
      .put(`/api/v1/groups/${WEST}/users/${b!.id}`)
      .reply(404, fixture('errors/E0000007-user-not-found.json'));
    const r = await run('okta-add-to-group', { groupId: WEST, userId: `${a!.id},${b!.id}` });
    scope.done();
    expect(r.exitCode).toBe(1);
    expect(r.entries).toHaveLength(2);
    expect(r.e.HumanReadable).toContain('1 of 2 users done');
    expect(r.entries[1]).toMatchObject({ Type: 4 });
    expect(String(r.entries[1]!.Contents)).toContain(`okta-add-to-group: ${b!.id}: Okta answered HTTP 404`);
  });

  test('bulk lists are bounded: one name of more than 1024 characters, or more than 1000 users, is refused before any request', async () => {
    const long = await run('okta-add-to-group', { groupId: WEST, userEmail: `${'x'.repeat(2000)}@example.com` });
    expect(long.e.Contents).toBe('okta-add-to-group: userEmail is longer than 1024 characters');
    const many = await run('okta-add-to-group', { groupId: WEST, username: Array.from({ length: 1001 }, (_, i) => `u${i}`).join(',') });
    expect(many.e.Contents).toBe('okta-add-to-group: 1001 users named; one command acts on at most 1000 (split the list)');
  });

  test('a missing group stops everything before any user is touched', async () => {
    const scope = nock(ORG).get('/api/v1/groups').query(searchFor('Nope')).reply(200, []);
    const r = await run('okta-add-to-group', { groupName: 'Nope', username: 'alice@example.com' });
    scope.done();
    expect(r.e.Contents).toBe('okta-add-to-group: the group "Nope" was not found in Okta');
  });

  test('dry_run: the lookups happen, the PUT is only described', async () => {
    const scope = nock(ORG).get('/api/v1/groups').query(searchFor('Demisto')).reply(200, [DEMISTO]);
    const r = await run('okta-add-to-group', { groupName: 'Demisto', userId: '00ub0oNGTSWTBKOLGLNR', dry_run: 'true' });
    scope.done();
    expect(r.e.HumanReadable).toContain('|PUT|/api/v1/groups/00gDEMISTO0000000001/users/00ub0oNGTSWTBKOLGLNR||');
  });
});
