import { jwtVerify } from 'jose';
import { ManualClock } from '../../../integration/base/clock.js';
import { CLIENT_ASSERTION_TYPE, createClientAssertion, tokenEndpoint } from '../../../integration/okta/auth/client-assertion.js';
import { loadSigningKey } from '../../../integration/okta/auth/keys.js';
import { decodeSegment, makeKey, type TestKey } from './helpers.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0, 789);
const IAT = Math.floor(NOW / 1000);
let ec: TestKey;
let rsa: TestKey;

beforeAll(async () => {
  [ec, rsa] = await Promise.all([makeKey('EC'), makeKey('RSA')]);
});

describe('private_key_jwt client assertion', () => {
  it('pins header and claims with a frozen clock, and verifies with the public key', async () => {
    const clock = new ManualClock(NOW);
    const key = loadSigningKey(ec.pkcs8, { keyId: 'kid-1' });
    const jwt = await createClientAssertion({
      key,
      clientId: '0oaCLIENT',
      tokenUrl: tokenEndpoint('https://acme.okta.com'),
      now: clock.now(),
      jti: 'fixed-jti',
    });
    expect(decodeSegment(jwt, 0)).toEqual({ alg: 'ES256', kid: 'kid-1' });
    expect(decodeSegment(jwt, 1)).toEqual({
      iss: '0oaCLIENT',
      sub: '0oaCLIENT',
      aud: 'https://acme.okta.com/oauth2/v1/token',
      iat: IAT,
      exp: IAT + 300,
      jti: 'fixed-jti',
    });
    const { payload, protectedHeader } = await jwtVerify(jwt, ec.publicKey, {
      algorithms: ['ES256'],
      issuer: '0oaCLIENT',
      subject: '0oaCLIENT',
      audience: 'https://acme.okta.com/oauth2/v1/token',
      currentDate: new Date(NOW),
    });
    expect(payload.jti).toBe('fixed-jti');
    expect(protectedHeader.typ).toBeUndefined();
  });

  it('omits kid when there is none and signs RS256 for RSA keys', async () => {
    const key = loadSigningKey(rsa.traditional);
    const jwt = await createClientAssertion({ key, clientId: 'c', tokenUrl: 'https://x.example/oauth2/v1/token', now: NOW });
    expect(decodeSegment(jwt, 0)).toEqual({ alg: 'RS256' });
    await jwtVerify(jwt, rsa.publicKey, { algorithms: ['RS256'], currentDate: new Date(NOW) });
  });

  it('uses a fresh UUID jti every time', async () => {
    const key = loadSigningKey(ec.pkcs8);
    const jtis = new Set<unknown>();
    for (let i = 0; i < 20; i++) {
      const jwt = await createClientAssertion({ key, clientId: 'c', tokenUrl: 'https://x.example/oauth2/v1/token', now: NOW });
      jtis.add(decodeSegment(jwt, 1).jti);
    }
    expect(jtis.size).toBe(20);
    for (const j of jtis) expect(j).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('never lets exp go more than 1 hour ahead', async () => {
    const key = loadSigningKey(ec.pkcs8);
    const jwt = await createClientAssertion({ key, clientId: 'c', tokenUrl: 'https://x.example/oauth2/v1/token', now: NOW, lifetimeSeconds: 86_400 });
    expect(decodeSegment(jwt, 1).exp).toBe(IAT + 3600);
  });

  it('exports the RFC 7523 assertion type', () => {
    expect(CLIENT_ASSERTION_TYPE).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  });
});
