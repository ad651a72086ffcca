import nock from 'nock';
import { dispatch } from '../../entry/index.js';
import { ManualClock } from '../../integration/base/clock.js';
import { MemoryStore } from '../../integration/state/store.js';
import { fixture, ORG, sswsParams } from '../helpers/fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

test('Okta.Metadata reports the bucket closest to being spent, not the one with the fewest requests left', async () => {
  const user = fixture<{ id: string }>('users/get-user-alice.json');
  const rate = (limit: number, remaining: number) => ({ 'x-rate-limit-limit': String(limit), 'x-rate-limit-remaining': String(remaining), 'x-rate-limit-reset': '1795400000' });
  nock(ORG)
    .get('/api/v1/users/alice@example.com')
    .reply(200, user, rate(2000, 100)) // 5 % left
    .post(`/api/v1/users/${user.id}/lifecycle/suspend`)
    .reply(200, {}, rate(50, 40)); // 80 % left, though fewer requests
  const { entries, exitCode } = await dispatch('okta-suspend-user', { username: 'alice@example.com' }, sswsParams(), { clock: new ManualClock(), state: new MemoryStore() });
  expect(exitCode).toBe(0);
  expect(entries[0]!.EntryContext!['Okta.Metadata(true)']).toEqual({ 'x-rate-limit-limit': 2000, 'x-rate-limit-remaining': 100, 'x-rate-limit-reset': 1795400000 });
});
