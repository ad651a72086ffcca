import { normaliseOrgUrl, paramsFromSources, resolveConfig } from '../../integration/engine/config.js';
import { ConfigError } from '../../integration/base/errors.js';

describe('configuration', () => {
  test('org URLs: bare names, trailing slashes, https only except loopback', () => {
    expect(normaliseOrgUrl('acme')).toBe('https://acme.okta.com');
    expect(normaliseOrgUrl('https://acme.okta.com/')).toBe('https://acme.okta.com');
    expect(normaliseOrgUrl('acme.oktapreview.com')).toBe('https://acme.oktapreview.com');
    expect(normaliseOrgUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(normaliseOrgUrl('http://localhost:8080/')).toBe('http://localhost:8080');
    expect(() => normaliseOrgUrl('http://acme.okta.com')).toThrow(/https:\/\/.*loopback/);
    expect(() => normaliseOrgUrl('https://acme.okta.com/api/v1')).toThrow(/org address only/);
    expect(() => normaliseOrgUrl('ftp://acme.okta.com')).toThrow(ConfigError);
  });

  test('API token mode needs a token, and says where to set it', () => {
    expect(() => resolveConfig({ url: 'acme' })).toThrow(/OKTA_API_TOKEN/);
  });

  test('OAuth is chosen when a client id and a key are set (a client id alone is an analyst sign-in); a missing key is named', () => {
    expect(resolveConfig({ url: 'acme', client_id: '0oa1' }).authMethod).toBe('user');
    expect(() => resolveConfig({ url: 'acme', auth_method: 'oauth', client_id: '0oa1' })).toThrow(/private_key/);
    expect(() => resolveConfig({ url: 'acme', use_oauth: true, client_id: '0oa1' })).toThrow(/private_key/);
    const c = resolveConfig({ url: 'acme', client_id: '0oa1', private_key: 'x' });
    expect(c.authMethod).toBe('oauth');
    expect(c.scopes).toHaveLength(11);
  });

  test("XSOAR's credentials and use_oauth names are accepted", () => {
    const c = resolveConfig({ url: 'acme', credentials: { identifier: '', password: 'tok123456' } });
    expect(c.apiToken).toBe('tok123456');
    expect(resolveConfig({ url: 'acme', use_oauth: 'true', client_id: 'c1', private_key: 'k' }).authMethod).toBe('oauth');
  });

  test('environment beats the config file; every parameter has OKTA_<NAME>', () => {
    const p = paramsFromSources({ OKTA_URL: 'env-org', OKTA_MAX_RETRIES: '2', OKTA_FETCH_FILTER: 'eventType eq "x"' }, { url: 'file-org', apitoken: 't0k3n!!' });
    expect(p).toMatchObject({ url: 'env-org', apitoken: 't0k3n!!', max_retries: '2', fetch_query_filter: 'eventType eq "x"' });
    expect(resolveConfig(p).maxRetries).toBe(2);
  });

  test('bad values name the parameter without echoing the value', () => {
    expect(() => resolveConfig({ url: 'acme', apitoken: 't', max_retries: 'lots' })).toThrow(/max_retries \(OKTA_MAX_RETRIES\) must be integer/);
    expect(() => resolveConfig({ url: 'acme', apitoken: 't', dpop: 'maybe' })).toThrow(/dpop.*auto, true, false/);
    expect(() => resolveConfig({ url: 'acme', apitoken: 't', frobnicate: 1 })).toThrow(/unknown configuration parameter frobnicate/);
  });
});
