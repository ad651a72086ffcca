import nock from 'nock';
import { fixture, nextLink, ORG, run, useNock } from './helpers.js';

useNock();

const LOGS_KEY = 'Okta.Logs.Events(val.uuid && val.uuid === obj.uuid)';
const event = () => fixture<Record<string, unknown> & { uuid: string }>('logs/failed-login-event.json');

describe("the preset System Log commands: one handler, XSOAR's forced filters", () => {
  test.each([
    [
      'okta-get-failed-logins since="2019-04-30T00:00:00.000Z" limit=1',
      { filter: 'eventType eq "user.session.start" and outcome.result eq "FAILURE"', since: '2019-04-30T00:00:00.000Z', sortOrder: 'ASCENDING', limit: '1' },
    ],
    [
      'okta-get-group-assignments since="2019-04-30T00:00:00.000Z" limit=1',
      { filter: 'eventType eq "group.user_membership.add"', since: '2019-04-30T00:00:00.000Z', sortOrder: 'ASCENDING', limit: '1' },
    ],
    // XSOAR's line says February 30th; the time parser rolls it to March 1st, as JavaScript dates do.
    [
      'okta-get-application-assignments since="2019-04-30T00:00:00.000Z" until="2020-02-30T00:00:00.000Z" sortOrder=DESCENDING limit=1',
      { filter: 'eventType eq "application.user_membership.add"', since: '2019-04-30T00:00:00.000Z', until: '2020-03-01T00:00:00.000Z', sortOrder: 'DESCENDING', limit: '1' },
    ],
    [
      'okta-get-application-authentication since="2019-04-30T00:00:00.000Z" until="2020-02-30T00:00:00.000Z" limit=1',
      { filter: 'eventType eq "user.authentication.sso"', since: '2019-04-30T00:00:00.000Z', until: '2020-03-01T00:00:00.000Z', sortOrder: 'ASCENDING', limit: '1' },
    ],
  ])("XSOAR's example: %s", async (line, query) => {
    const scope = nock(ORG).get('/api/v1/logs').query(query).reply(200, [event()], nextLink('/api/v1/logs', '1763812800000_1', 1));
    const r = await run(line);
    scope.done();
    expect(r.exitCode).toBe(0);
    expect(r.ctx[LOGS_KEY]).toEqual([event()]);
    expect(r.ctx['Okta.LogsCursor(true)']).toEqual({ next: '1763812800000_1' });
  });

  test('an extra filter and query are AND-ed with the preset, never replace it', async () => {
    const scope = nock(ORG)
      .get('/api/v1/logs')
      .query({
        filter: '(eventType eq "user.session.start" and outcome.result eq "FAILURE") and (actor.alternateId eq "alice@example.com")',
        q: 'Amsterdam',
        sortOrder: 'ASCENDING',
        limit: '100',
      })
      .reply(200, []);
    const r = await run('okta-get-failed-logins', { filter: 'actor.alternateId eq "alice@example.com"', query: 'Amsterdam' });
    scope.done();
    expect(r.e.HumanReadable).toBe('No logs found');
  });

  test('the readable table of a failed sign-in', async () => {
    nock(ORG).get('/api/v1/logs').query(true).reply(200, [event()]);
    const r = await run('okta-get-failed-logins', { limit: '5' });
    expect(r.e.HumanReadable).toMatch(/^### Failed login events \(1\)\n\|Time\|Actor\|ActorAlternateId\|EventInfo\|EventOutcome\|/);
    expect(r.e.HumanReadable).toContain('|Alice Example (User)|alice@example.com|');
  });
});

describe('a user filter cannot step out of the preset', () => {
  test('unbalanced parentheses or an open quote are refused before any request', async () => {
    const { balancedOutsideQuotes } = await import('../../../integration/okta/logs.js');
    expect(balancedOutsideQuotes('actor.id eq "00u1" and (outcome.result eq "FAILURE")')).toBe(true);
    expect(balancedOutsideQuotes('target.displayName eq "a (b"')).toBe(true);
    expect(balancedOutsideQuotes('x eq "a\\" or (true"')).toBe(true);
    expect(balancedOutsideQuotes('x") or (true')).toBe(false);
    expect(balancedOutsideQuotes('x eq "open')).toBe(false);
    expect(balancedOutsideQuotes('(a eq "b"')).toBe(false);
  });
});
