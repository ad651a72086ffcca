/**
 * The redaction layer on its own: known values in every encoding they travel in, the shapes
 * that are secrets whatever their value, keys named like secrets, and values the analyst
 * explicitly asked to see.
 */
import { inspect } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import { addSecret, clearSecrets, holdSecrets, isSecretKey, MASK, redact, redactString } from '../../../integration/base/redact.js';

afterEach(() => clearSecrets());

const TOKEN = '00abcdEFGHijklMNOPqrstuvWXyz0123456789-_SECRET';

describe('known values', () => {
  test('the API token is masked as is, percent-encoded, form-encoded and JSON-escaped', () => {
    const token = '00ab/cd+ef"gh ij0123456789';
    addSecret(token);
    for (const form of [token, encodeURIComponent(token), new URLSearchParams({ t: token }).toString().slice(2), JSON.stringify(token).slice(1, -1)]) {
      expect(redactString(`x ${form} y`)).toBe(`x ${MASK} y`);
    }
  });

  test('values shorter than 6 characters are not registered (they would mask ordinary words)', () => {
    addSecret('abc12');
    expect(redactString('abc12')).toBe('abc12');
  });

  test('every base64 line of a PEM private key is masked, also when the PEM came with literal \\n', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    addSecret(pem.replace(/\n/g, '\\n'));
    const lines = pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) expect(redactString(`key part: ${l}`)).toBe(`key part: ${MASK}`);
  });

  test('the private members of a JWK private key are masked', () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as Record<string, string>;
    addSecret(JSON.stringify(jwk));
    expect(redactString(`d is ${jwk.d}`)).toBe(`d is ${MASK}`);
  });

  test('JWTs are kept in a bounded set (the JWT shape masks the rest): a long-running process does not grow without end', () => {
    for (let i = 0; i < 5000; i++) addSecret(`eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiI${i}abcdef.c2lnbmF0dXJl${i}`);
    const t0 = Date.now();
    for (let i = 0; i < 2000; i++) redactString(`a short line ${i} with nothing secret in it`);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(redactString('eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiI0abcdef.c2lnbmF0dXJl0')).toBe(MASK);
  });

  test('held secrets (password arguments) are masked while held, from 4 characters, and forgotten on release', () => {
    const release = holdSecrets(['Pw9!', 'hunter2 with spaces']);
    expect(redactString('set Pw9! and hunter2+with+spaces and hunter2%20with%20spaces')).toBe(`set ${MASK} and ${MASK} and ${MASK}`);
    const again = holdSecrets(['Pw9!']);
    release();
    expect(redactString('Pw9!')).toBe(MASK); // still held by the second holder
    again();
    expect(redactString('Pw9!')).toBe('Pw9!');
  });
});

describe('shapes', () => {
  test.each([
    ['Authorization: SSWS 00abcdefghijklmnopqrstuvwxyz', `Authorization: SSWS ${MASK}`],
    ['authorization: ssws 00abcdefghijklmnopqrstuvwxyz', `authorization: ssws ${MASK}`],
    ['Bearer abc.def-123_456', `Bearer ${MASK}`],
    ['DPoP eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig', `DPoP ${MASK}`],
    ['x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln y', `x ${MASK} y`],
    ['client_assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln&scope=a', `client_assertion=${MASK}&scope=a`],
    ['{"password":"correct horse \\"battery\\""}', `{"password":"${MASK}"}`],
    ['{\\"newPassword\\":\\"correct horse\\"}', `{\\"newPassword\\":\\"${MASK}\\"}`],
    ['password=hunter2hunter2', `password=${MASK}`],
    ['{"tempPassword":"Xk29sLq0"}', `{"tempPassword":"${MASK}"}`],
    ['go to https://acme.okta.com/signin/reset-password/XE6wE17zmphl3KqAPFxO now', `go to https://acme.okta.com/signin/reset-password/${MASK} now`],
    ['https://acme.okta.com/welcome/XE6wE17zmphl3KqAPFxO', `https://acme.okta.com/welcome/${MASK}`],
    ['{"kty":"EC","d":"0123456789abcdefABCDEF_-xyz"}', `{"kty":"EC","d":"${MASK}"}`],
    ['{\\"d\\":\\"0123456789abcdefABCDEF_-xyz\\"}', `{\\"d\\":\\"${MASK}\\"}`],
  ])('%s', (input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  test('a PEM private key block is masked whole, also when cut off', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(redactString(`k=${pem}`)).toBe(`k=-----${MASK} PRIVATE KEY-----\n`);
    expect(redactString(pem.slice(0, 80))).toBe(`-----${MASK} PRIVATE KEY-----`);
  });

  test.each([
    'Okta asked for a DPoP proof; Bearer until Okta requires DPoP',
    'okta-set-password: argument password is required',
    'okta-expire-password: Okta answered HTTP 403 to POST /api/v1/users/00u1/lifecycle/expire_password',
    'Password requirements were not met: at least 8 characters',
    'Account.PasswordChanged',
  ])('no false positive on prose: %s', (text) => {
    expect(redactString(text)).toBe(text);
  });
});

describe('objects', () => {
  test('keys named like secrets are masked whole, nested objects and numbers included', () => {
    const out = redact({
      headers: { Authorization: 'SSWS x', 'X-Okta-Request-Id': 'abc' },
      credentials: { password: { value: 'correct horse battery staple' }, recovery_question: { question: 'pet?', answer: 'Rex' } },
      factor: { passCode: 123456 },
      resetPasswordUrl: 'https://acme.okta.com/signin/reset-password/XE6wE17zmphl3KqAPFxO',
      activationToken: 'XE6wE17zmphl3KqAPFxO',
      id: '00u1',
    });
    expect(out).toEqual({
      headers: { Authorization: MASK, 'X-Okta-Request-Id': 'abc' },
      credentials: { password: { value: MASK }, recovery_question: { question: 'pet?', answer: MASK } },
      factor: { passCode: MASK },
      resetPasswordUrl: MASK,
      activationToken: MASK,
      id: '00u1',
    });
  });

  test('isSecretKey ignores case, - and _', () => {
    for (const k of ['password', 'Password', 'temp_password', 'tempPassword', 'reset-password-url', 'client_assertion', 'DPoP', 'authorization']) expect(isSecretKey(k)).toBe(true);
    for (const k of ['passwordChanged', 'PasswordChanged', 'login', 'id', 'tag']) expect(isSecretKey(k)).toBe(false);
  });

  test('an Error keeps its name and message (redacted), never its stack', () => {
    addSecret(TOKEN);
    const e = Object.assign(new Error(`failed with SSWS ${TOKEN}`), { config: { headers: { Authorization: `SSWS ${TOKEN}` } } });
    const out = redact({ error: e }) as unknown as { error: Record<string, unknown> };
    expect(out.error.message).toBe(`failed with SSWS ${MASK}`);
    expect(out.error.stack).toBeUndefined();
    expect(inspect(out, { depth: 10 })).not.toContain(TOKEN);
  });

  test('cycles are copied, not followed forever', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const out = redact(a) as Record<string, unknown>;
    expect(out.self).toBe(out);
  });
});

describe('reveal: what the analyst explicitly asked to see', () => {
  const url = 'https://acme.okta.com/signin/reset-password/XE6wE17zmphl3KqAPFxO';
  const temp = 'Xk29sLq0';

  test('a revealed value stays in keys named like secrets and in text, everything else is masked', () => {
    addSecret(TOKEN);
    const value = { resetPasswordUrl: url, tempPassword: temp, other: `SSWS ${TOKEN}`, note: `link: ${url} pw: ${temp}` };
    expect(redact(value, { reveal: [url, temp] })).toEqual({ resetPasswordUrl: url, tempPassword: temp, other: `SSWS ${MASK}`, note: `link: ${url} pw: ${temp}` });
    expect(redact(value)).toEqual({ resetPasswordUrl: MASK, tempPassword: MASK, other: `SSWS ${MASK}`, note: `link: https://acme.okta.com/signin/reset-password/${MASK} pw: ${temp}` });
  });

  test('the key=value shape leaves a revealed value alone too', () => {
    expect(redactString(`{"tempPassword":"${temp}"}`, { reveal: [temp] })).toBe(`{"tempPassword":"${temp}"}`);
  });

  test('placeholder characters in the input cannot smuggle a revealed value elsewhere', () => {
    const out = redactString('\uE000x0\uE001 and \uE0000\uE001', { reveal: [url] });
    expect(out).not.toContain(url);
  });
});
