import nock from 'nock';
import { ACCOUNT, fixture, ORG, run, useNock } from './helpers.js';

useNock();

const ALICE = '00ub0oNGTSWTBKOLGLNR';
const alice = () => fixture<Record<string, unknown>>('users/get-user-alice.json');
const TEMP = 'F46gy7X4';
const LIFECYCLE = 'Okta.Lifecycle(val.UserID && val.UserID === obj.UserID && val.Action === obj.Action)';

describe('okta-set-password', () => {
  test("XSOAR's example: one POST with Okta's password body; the password is never echoed", async () => {
    const scope = nock(ORG)
      .post('/api/v1/users/testForDocs@test.com', { credentials: { password: { value: 'N3wPa55word!' } } })
      .reply(200, alice());
    const r = await run('okta-set-password username=testForDocs@test.com password=N3wPa55word!');
    scope.done();
    expect(r.exitCode).toBe(0);
    expect(r.e.HumanReadable).toBe('alice@example.com password was last changed on 2026-05-30T12:31:09.000Z.');
    expect((r.ctx[ACCOUNT] as { ID: string }).ID).toBe(ALICE);
    expect(JSON.stringify(r.entries)).not.toContain('N3wPa55word!');
  });

  test('temporary_password=true: the password set must be changed at the next sign-in (expire_password keeps it)', async () => {
    const scope = nock(ORG)
      .post('/api/v1/users/alice@example.com', { credentials: { password: { value: 'N3wPa55word!' } } })
      .reply(200, alice())
      .post(`/api/v1/users/${ALICE}/lifecycle/expire_password`)
      .query((q) => Object.keys(q).length === 0)
      .reply(200, { ...alice(), status: 'PASSWORD_EXPIRED' });
    const r = await run('okta-set-password', { username: 'alice@example.com', password: 'N3wPa55word!', temporary_password: 'true' });
    scope.done();
    expect(r.e.HumanReadable).toContain('must change it at the next sign-in (status PASSWORD_EXPIRED)');
    expect((r.ctx[ACCOUNT] as { Status: string }).Status).toBe('PASSWORD_EXPIRED');
  });

  test('the password is required and never echoed in the error either', async () => {
    const r = await run('okta-set-password', { username: 'alice@example.com' });
    expect(r.e.Contents).toBe('okta-set-password: argument password is required');
  });
});

describe('okta-expire-password', () => {
  test("XSOAR's example (temporary_password=false): expire_password; Account shows PASSWORD_EXPIRED", async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/4x1xh5rl@test.com')
      .reply(200, alice())
      .post(`/api/v1/users/${ALICE}/lifecycle/expire_password`)
      .reply(200, { ...fixture<Record<string, unknown>>('passwords/expire-password.json'), id: ALICE });
    const r = await run('okta-expire-password username="4x1xh5rl@test.com" temporary_password="false"');
    scope.done();
    expect(r.exitCode).toBe(0);
    expect(r.ctx[ACCOUNT]).toEqual([expect.objectContaining({ ID: ALICE, Status: 'PASSWORD_EXPIRED', Type: 'Okta' })]);
    expect(r.ctx[LIFECYCLE]).toEqual([{ UserID: ALICE, Username: 'alice@example.com', Action: 'password expiry', Result: 'done (PASSWORD_EXPIRED)' }]);
  });

  test('temporary_password=true: the temporary password Okta generates is hidden by default, everywhere', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, alice())
      .post(`/api/v1/users/${ALICE}/lifecycle/expire_password_with_temp_password`)
      .query({ revokeSessions: 'false' })
      .reply(200, fixture('passwords/expire-password-with-temp-password.json'));
    const r = await run('okta-expire-password', { username: 'alice@example.com', temporary_password: 'true' });
    scope.done();
    expect(JSON.stringify(r.entries)).not.toContain(TEMP);
    expect(r.e.HumanReadable).toContain('Okta generated a temporary password, not shown');
    expect(r.e.HumanReadable).toContain('hide_password=false');
    expect(r.ctx[LIFECYCLE]).toEqual([expect.objectContaining({ Result: 'done (PASSWORD_EXPIRED; temporary password hidden)' })]);
  });

  test('hide_password=false shows it, in the readable table and the raw result, not in context', async () => {
    nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, alice())
      .post(`/api/v1/users/${ALICE}/lifecycle/expire_password_with_temp_password`)
      .query({ revokeSessions: 'true' })
      .reply(200, fixture('passwords/expire-password-with-temp-password.json'));
    const r = await run('okta-expire-password', { username: 'alice@example.com', temporary_password: 'true', revoke_session: 'true', hide_password: 'false' });
    expect(r.e.HumanReadable).toContain(`### Okta temporary passwords\n|Username|UserID|Temporary Password|\n|---|---|---|\n|alice@example.com|${ALICE}|${TEMP}|`);
    expect(JSON.stringify(r.e.Contents)).toContain(TEMP);
    expect(JSON.stringify(r.ctx)).not.toContain(TEMP);
    expect(r.ctx[LIFECYCLE]).toEqual([expect.objectContaining({ Result: 'done (PASSWORD_EXPIRED; temporary password below; sessions revoked)' })]);
  });

  test('revoke_session=true without a temporary password: expire_password, then the sessions', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, alice())
      .post(`/api/v1/users/${ALICE}/lifecycle/expire_password`)
      .reply(200, { ...alice(), status: 'PASSWORD_EXPIRED' })
      .delete(`/api/v1/users/${ALICE}/sessions`)
      .reply(204);
    const r = await run('okta-expire-password', { username: 'alice@example.com', revoke_session: 'true' });
    scope.done();
    expect(r.ctx[LIFECYCLE]).toEqual([expect.objectContaining({ Result: 'done (PASSWORD_EXPIRED; sessions revoked)' })]);
  });
});

describe('okta-reset-password', () => {
  test('sendEmail=true by default: Okta emails the link', async () => {
    const scope = nock(ORG)
      .get('/api/v1/users/alice@example.com')
      .reply(200, alice())
      .post(`/api/v1/users/${ALICE}/lifecycle/reset_password`)
      .query({ sendEmail: 'true' })
      .reply(200, {});
    const r = await run('okta-reset-password alice@example.com');
    scope.done();
    expect(r.ctx[LIFECYCLE]).toEqual([{ UserID: ALICE, Username: 'alice@example.com', Action: 'password reset', Result: 'done (reset email sent)' }]);
  });

  test('sendEmail=false: the one-time reset link is hidden unless reveal_url=true', async () => {
    const link = fixture<{ resetPasswordUrl: string }>('passwords/reset-password.json').resetPasswordUrl;
    const reply = () => nock(ORG).get('/api/v1/users/alice@example.com').reply(200, alice()).post(`/api/v1/users/${ALICE}/lifecycle/reset_password`).query({ sendEmail: 'false' }).reply(200, { resetPasswordUrl: link });
    reply();
    const hidden = await run('okta-reset-password', { username: 'alice@example.com', sendEmail: 'false' });
    expect(JSON.stringify(hidden.entries)).not.toContain(link);
    expect(hidden.e.HumanReadable).toContain('Okta generated a reset link, not shown');
    reply();
    const shown = await run('okta-reset-password', { username: 'alice@example.com', sendEmail: 'false', reveal_url: 'true' });
    expect(shown.e.HumanReadable).toContain(`|alice@example.com|${ALICE}|${link}|`);
  });
});
