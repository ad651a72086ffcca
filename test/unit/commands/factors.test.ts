import nock from 'nock';
import { ManualClock } from '../../../integration/base/clock.js';
import { ACCOUNT, fixture, ORG, run, useNock } from './helpers.js';

useNock();

const ALICE = '00ub0oNGTSWTBKOLGLNR';
const PUSH = 'opfh52xcuft3J4uZc0g3';
/** Okta's own example transaction ids: a plain one and a v2 one with a dot. */
const TX_PATH = `/api/v1/users/${ALICE}/factors/${PUSH}/transactions/v2mst.GldKV5VxTrifyeZmWSQguA`;
const POLL_URL = `${ORG}${TX_PATH}`;

/** Okta's push answers, re-pointed at Alice and this org. */
const answer = (name: string) =>
  JSON.parse(
    JSON.stringify(fixture(`factors/${name}.json`))
      .replace(/00u15s1KDETTQMQYABRL/g, ALICE)
      .replace(/transactions\/mst1eiHghhPxf0yhp0g/g, 'transactions/v2mst.GldKV5VxTrifyeZmWSQguA'),
  ) as Record<string, unknown>;

describe('okta-get-user-factors', () => {
  test("XSOAR's example (username): Account.Factor; enrolment secrets never leave", async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/factor@test.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .get(`/api/v1/users/${ALICE}/factors`)
      .reply(200, fixture('factors/list-factors.json'));
    const r = await run('okta-get-user-factors username=factor@test.com');
    scope.done();
    const acc = r.ctx[ACCOUNT] as { ID: string; Factor: Array<Record<string, unknown>> };
    expect(acc.ID).toBe(ALICE);
    expect(acc.Factor[0]).toEqual({
      ID: 'ufs2bysphxKODSZKWVCT',
      FactorType: 'question',
      Provider: 'OKTA',
      VendorName: 'OKTA',
      Status: 'ACTIVE',
      Profile: { question: 'favorite_art_piece', questionText: 'What is your favorite piece of art?' },
      Created: '2014-04-15T18:10:06.000Z',
      LastUpdated: '2014-04-15T18:10:06.000Z',
    });
    expect(acc.Factor.map((f) => f.Status)).toEqual(['ACTIVE', 'PENDING_ACTIVATION', 'ACTIVE']);
    expect(JSON.stringify(r.entries)).not.toContain('HE64TMLL2IUZW2ZLB');
    expect(r.e.HumanReadable).toMatch(/^### Okta factors of alice@example.com \(3\)\n\|ID\|FactorType\|Provider\|/);
    expect(r.e.HumanReadable).toContain('|ufs2bysphxKODSZKWVCT|question|OKTA|OKTA|ACTIVE|questionText: What is your favorite piece of art?|');
    expect(r.e.HumanReadable).toContain('|sms2gt8gzgEBPUWBIFHN|sms|OKTA||ACTIVE|phoneNumber: +1-555-415-1337|');
  });

  test('no factors: the XSOAR text', async () => {
    nock(ORG).get(`/api/v1/users/${ALICE}/factors`).reply(200, []);
    const r = await run('okta-get-user-factors', { userId: ALICE });
    expect(r.e.HumanReadable).toBe('No Factors found');
  });
});

describe('resetting factors', () => {
  test("okta-reset-factor, XSOAR's example: one DELETE by ids", async () => {
    const scope = nock(ORG).delete('/api/v1/users/00ufufhqits3y78Ju0h7/factors/ufsq7cvptfbjQa72c0h7').reply(204);
    const r = await run('okta-reset-factor factorId=ufsq7cvptfbjQa72c0h7 userId=00ufufhqits3y78Ju0h7');
    scope.done();
    expect(r.e.HumanReadable).toMatch(/^Factor: ufsq7cvptfbjQa72c0h7 deleted/);
  });

  test('okta-reset-factors: every factor, for each user', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, fixture('users/get-user-alice.json'))
      .post(`/api/v1/users/${ALICE}/lifecycle/reset_factors`)
      .reply(200, {});
    const r = await run('okta-reset-factors alice@example.com');
    scope.done();
    expect(r.ctx['Okta.Lifecycle(val.UserID && val.UserID === obj.UserID && val.Action === obj.Action)']).toEqual([
      { UserID: ALICE, Username: 'alice@example.com', Action: 'reset factors', Result: 'done (every factor removed: the user must enroll again)' },
    ]);
  });
});

describe('okta-verify-push-factor', () => {
  const verify = () => nock(ORG).post(`/api/v1/users/${ALICE}/factors/${PUSH}/verify`).reply(201, answer('verify-push-waiting'));

  test('polls every polling_time seconds until the user answers; sleeps on the injected clock', async () => {
    const scope = verify().get(TX_PATH).reply(200, answer('transaction-waiting')).get(TX_PATH).reply(200, answer('transaction-success'));
    const r = await run('okta-verify-push-factor', { userId: ALICE, factorId: PUSH });
    scope.done();
    expect(r.clock.slept).toEqual([5000, 5000]);
    expect(r.ctx[ACCOUNT]).toEqual({ ID: ALICE, VerifyPushResult: 'SUCCESS' });
    expect(r.e.HumanReadable).toBe(`Push sent to ${ALICE}: SUCCESS (after 2 polls).`);
  });

  test('REJECTED is reported as Okta says it', async () => {
    verify().get(TX_PATH).reply(200, answer('transaction-rejected'));
    const r = await run('okta-verify-push-factor', { userId: ALICE, factorId: PUSH, polling_time: '1' });
    expect(r.ctx[ACCOUNT]).toEqual({ ID: ALICE, VerifyPushResult: 'REJECTED' });
  });

  test('no answer in polling_time × max_polling_calls: TIMEOUT, said honestly, with the URL to check later', async () => {
    const scope = verify().get(TX_PATH).times(3).reply(200, answer('transaction-waiting'));
    const r = await run('okta-verify-push-factor', { userId: ALICE, factorId: PUSH, polling_time: '2', max_polling_calls: '3' });
    scope.done();
    expect(r.clock.slept).toEqual([2000, 2000, 2000]);
    expect(r.ctx[ACCOUNT]).toEqual({ ID: ALICE, VerifyPushResult: 'TIMEOUT' });
    expect(r.ctx['Okta.PollingStatusURL']).toBe(POLL_URL);
    expect(r.e.HumanReadable).toContain('no answer within 6 s (3 polls, 2 s apart), so the result is TIMEOUT. Okta still reported WAITING');
  });

  test('slow answers from Okta eat into the budget: the waits never add up to more than asked, no poll starts after it', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const starts: number[] = [];
    const scope = verify()
      .get(TX_PATH)
      .times(2)
      .reply(() => {
        starts.push(clock.now() - start);
        clock.advance(1500); // each poll takes 1.5 s
        return [200, answer('transaction-waiting')];
      });
    const r = await run('okta-verify-push-factor', { userId: ALICE, factorId: PUSH, polling_time: '2', max_polling_calls: '3' }, { clock });
    scope.done();
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(6000);
    expect(Math.max(...starts)).toBeLessThanOrEqual(6000);
    expect(r.ctx[ACCOUNT]).toEqual({ ID: ALICE, VerifyPushResult: 'TIMEOUT' });
  });

  test('polling=false: no wait; the polling URL for okta-verify-mfa-status, and the number-matching challenge', async () => {
    nock(ORG)
      .post(`/api/v1/users/${ALICE}/factors/${PUSH}/verify`)
      .reply(201, { ...answer('verify-push-waiting'), _embedded: { challenge: { correctAnswer: 72 } } });
    const r = await run('okta-verify-push-factor', { userId: ALICE, factorId: PUSH, polling: 'false' });
    expect(r.clock.slept).toEqual([]);
    expect(r.ctx).toMatchObject({ [ACCOUNT]: { ID: ALICE, VerifyPushResult: 'WAITING' }, 'Okta.PollingStatusURL': POLL_URL });
    expect(r.e.HumanReadable).toContain('Okta Verify asks 00ub0oNGTSWTBKOLGLNR to pick the number 72.');
    expect(r.e.HumanReadable).toContain(`!okta-verify-mfa-status polling_url="${POLL_URL}"`);
  });

  test("a poll link off the org (or off the transaction's shape) is refused, even from Okta's answer", async () => {
    nock(ORG)
      .post(`/api/v1/users/${ALICE}/factors/${PUSH}/verify`)
      .reply(201, { factorResult: 'WAITING', _links: { poll: { href: `${ORG}/api/v1/users/${ALICE}/lifecycle/deactivate` } } });
    const r = await run('okta-verify-push-factor', { userId: ALICE, factorId: PUSH, polling_time: '1' });
    expect(r.exitCode).toBe(1);
    expect(r.e.Contents).toMatch(/refused a URL that is not of the expected operation/);
  });
});

describe('okta-verify-mfa-status', () => {
  test("a factor transaction URL on the org: one GET; Okta.FactorResult", async () => {
    const scope = nock(ORG).get(TX_PATH).reply(200, answer('transaction-success'));
    const r = await run('okta-verify-mfa-status', { polling_url: POLL_URL });
    scope.done();
    expect(r.ctx['Okta.FactorResult(val.ID && val.ID === obj.ID)']).toEqual({ ID: PUSH, factorResult: 'SUCCESS', UserID: ALICE });
  });

  test.each([
    ['another host', `https://evil.example${TX_PATH}`],
    ['the org over http', `http://example.okta.com${TX_PATH}`],
    ['another operation', `${ORG}/api/v1/users/${ALICE}/lifecycle/deactivate`],
    ['a factor, not a transaction', `${ORG}/api/v1/users/${ALICE}/factors/${PUSH}`],
    ['a path that climbs', `${ORG}/api/v1/users/${ALICE}/factors/${PUSH}/transactions/%2e%2e`],
    ['an encoded slash', `${ORG}/api/v1/users/${ALICE}/factors/${PUSH}/transactions/a%2Fb`],
    ['a query string', `${POLL_URL}?redirect=https://evil.example`],
    ['credentials in the URL', `https://user:pw@example.okta.com${TX_PATH}`],
    ['not a URL', 'javascript:alert(1)'],
  ])('%s is refused before any request', async (_what, url) => {
    const anything = nock(/.*/).get(/.*/).reply(200, {});
    const r = await run('okta-verify-mfa-status', { polling_url: url });
    expect(r.exitCode).toBe(1);
    expect(String(r.e.Contents)).toMatch(/^okta-verify-mfa-status: (refused|argument polling_url)/);
    expect(anything.isDone()).toBe(false);
  });
});
