import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ConfigError } from '../base/errors.js';
import { loadManifest, type ManifestParam } from './manifest.js';
import type { Params } from './types.js';
import { getValidator } from './validators.js';
import { DEFAULT_REDIRECT_URI, DEFAULT_SCOPES, type AuthMethod, type OktaConfig } from '../okta/config.js';

const require = createRequire(import.meta.url);

/** Environment variable for a parameter: its `env`, else OKTA_<NAME>. */
export function envName(p: ManifestParam): string {
  return p.env ?? `OKTA_${p.name.toUpperCase()}`;
}

/** XSOAR Okta v2 spellings accepted in a config file, mapped to ours. */
function applyXsoarAliases(src: Record<string, unknown>): Record<string, unknown> {
  const out = { ...src };
  const cred = out.credentials;
  if (cred && typeof cred === 'object' && out.apitoken === undefined) {
    const pw = (cred as Record<string, unknown>).password;
    if (typeof pw === 'string' && pw !== '') out.apitoken = pw;
  }
  delete out.credentials;
  if (out.use_oauth !== undefined && out.auth_method === undefined) {
    const v = String(out.use_oauth).toLowerCase();
    if (v === 'true') out.auth_method = 'oauth';
    else if (v === 'false') out.auth_method = 'api_token';
  }
  delete out.use_oauth;
  return out;
}

/** Reads a --config FILE.yml (or .json). Keys are parameter names. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let doc: unknown;
  try {
    doc = (require('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${file} must hold a mapping of parameter names to values`);
  return doc as Record<string, unknown>;
}

/**
 * Parameters from the environment (strongest), a config file, then the manifest defaults.
 * Secrets are never read from command-line flags; OKTA_PRIVATE_KEY_FILE names a key file.
 */
export function paramsFromSources(env: NodeJS.ProcessEnv, file?: Record<string, unknown>): Params {
  const { manifest } = loadManifest();
  const out: Params = { ...(file ? applyXsoarAliases(file) : {}) };
  for (const p of manifest.configuration) {
    const v = env[envName(p)];
    if (v !== undefined && v !== '') out[p.name] = v;
  }
  const keyFile = env.OKTA_PRIVATE_KEY_FILE;
  if (keyFile && !env.OKTA_PRIVATE_KEY) {
    try {
      out.private_key = readFileSync(keyFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read OKTA_PRIVATE_KEY_FILE ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 'private_key');
    }
  }
  return out;
}

/** The JSON Schema of the configuration parameters (from the manifest). */
export function configSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const p of loadManifest().manifest.configuration) properties[p.name] = p.schema ?? {};
  return { type: 'object', properties };
}

function coerceParam(p: ManifestParam, v: unknown): unknown {
  const t = p.schema?.type;
  if (typeof v !== 'string') {
    if (t === 'string' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
    return v;
  }
  const s = v.trim();
  if (t === 'boolean') {
    if (/^(true|yes|1|on)$/i.test(s)) return true;
    if (/^(false|no|0|off)$/i.test(s)) return false;
  }
  if ((t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return p.secret ? v : s;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Normalises the org URL (contract §2) or explains what is wrong with it. */
export function normaliseOrgUrl(raw: string): string {
  let s = raw.trim().replace(/\/+$/, '');
  if (/^[a-z0-9][a-z0-9-]*$/i.test(s)) s = `https://${s}.okta.com`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `https://${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ConfigError(`url is not a valid URL (set OKTA_URL to e.g. https://acme.okta.com)`, 'url');
  }
  if (u.username || u.password) throw new ConfigError('url must not contain credentials', 'url');
  if (u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) throw new ConfigError(`url must be the org address only, e.g. https://acme.okta.com (got a path or query)`, 'url');
  if (u.protocol === 'http:') {
    if (!LOOPBACK.test(u.hostname)) throw new ConfigError(`url must use https:// (http:// is allowed only for loopback hosts such as 127.0.0.1)`, 'url');
  } else if (u.protocol !== 'https:') throw new ConfigError(`url must use https://`, 'url');
  return u.origin;
}

/** Validates parameters and resolves them into an OktaConfig. Throws ConfigError naming the parameter. */
export function resolveConfig(input: Params): OktaConfig {
  const { manifest, params: known } = loadManifest();
  const src = applyXsoarAliases(input);
  const params: Params = {};
  for (const p of manifest.configuration) {
    let v = src[p.name];
    if (v === undefined || v === null || v === '') v = p.defaultvalue ?? undefined;
    if (v === undefined || v === null || v === '') continue;
    params[p.name] = coerceParam(p, v);
  }
  for (const k of Object.keys(src)) {
    if (!known.has(k) && src[k] !== undefined) throw new ConfigError(`unknown configuration parameter ${k}`, k);
  }
  const paramValidator = getValidator('config', loadManifest().hash, configSchema);
  if (!paramValidator(params)) {
    const e = paramValidator.errors![0]!;
    const name = e.instancePath.split('/')[1] ?? '';
    const p = known.get(name);
    const hint = p ? ` (${envName(p)})` : '';
    // Never echo a value: it may be a secret.
    throw new ConfigError(`configuration parameter ${name}${hint} ${e.message ?? 'is invalid'}${e.keyword === 'enum' ? `: ${(e.params as { allowedValues: string[] }).allowedValues.join(', ')}` : ''}`, name);
  }
  if (typeof params.url !== 'string') throw new ConfigError('url is not set: set OKTA_URL (e.g. https://acme.okta.com) or url in --config', 'url');
  const origin = normaliseOrgUrl(params.url);
  // Contract §2: a client id and a private key mean a service app, a client id alone an analyst's sign-in.
  const authMethod: AuthMethod = (params.auth_method as AuthMethod | undefined) ?? (params.client_id ? (params.private_key ? 'oauth' : 'user') : 'api_token');
  const cfg: OktaConfig = {
    origin,
    authMethod,
    scopes: String(params.scopes ?? DEFAULT_SCOPES.join(' '))
      .split(/[\s,]+/)
      .filter(Boolean),
    dpop: (params.dpop as OktaConfig['dpop']) ?? 'auto',
    insecure: params.insecure === true,
    proxy: parseProxy(params.proxy),
    maxRetries: Number(params.max_retries ?? 4),
    timeoutMs: Number(params.timeout_seconds ?? 60) * 1000,
    maxWaitMs: Number(params.max_wait_seconds ?? 300) * 1000,
    maxApiCapacity: Number(params.max_api_capacity ?? 100),
    maxConcurrency: Number(params.max_concurrency ?? 8),
    params,
  };
  if (authMethod === 'api_token') {
    if (typeof params.apitoken !== 'string' || !params.apitoken.trim())
      throw new ConfigError('API token is missing: set OKTA_API_TOKEN (or use OAuth: OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE)', 'apitoken');
    cfg.apiToken = params.apitoken.trim().replace(/^SSWS\s+/i, '');
  } else if (authMethod === 'user') {
    if (!params.client_id)
      throw new ConfigError("auth_method user needs client_id (OKTA_CLIENT_ID): the Client ID of the analysts' OIDC app", 'client_id');
    checkOktaScopes(cfg.scopes);
    cfg.clientId = String(params.client_id);
    if (typeof params.client_secret === 'string' && params.client_secret.trim()) cfg.clientSecret = params.client_secret.trim();
    cfg.redirectUri = normaliseRedirectUri(String(params.redirect_uri ?? DEFAULT_REDIRECT_URI));
    cfg.loginTimeoutMs = Number(params.login_timeout_seconds ?? 300) * 1000;
  } else {
    const missing = [!params.client_id && 'client_id (OKTA_CLIENT_ID)', !params.private_key && 'private_key (OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE)'].filter(Boolean);
    if (missing.length) throw new ConfigError(`OAuth 2.0 needs ${missing.join(' and ')}`, String(missing[0]).split(' ')[0]);
    checkOktaScopes(cfg.scopes);
    cfg.clientId = String(params.client_id);
    cfg.privateKey = String(params.private_key);
    if (params.key_id) cfg.keyId = String(params.key_id);
    if (params.jwt_algorithm) cfg.jwtAlgorithm = String(params.jwt_algorithm);
  }
  return cfg;
}

function checkOktaScopes(scopes: string[]): void {
  if (!scopes.length) throw new ConfigError('scopes is empty: OAuth needs at least one scope', 'scopes');
  for (const s of scopes) if (!/^okta\.[A-Za-z]+\.(read|manage)$/.test(s)) throw new ConfigError(`scopes: "${s}" is not an Okta API scope (okta.<resource>.read|manage)`, 'scopes');
}

/**
 * The sign-in redirect URI (contract §2): http:// on a loopback host, with a path, no query,
 * fragment or credentials. Kept character for character otherwise: Okta compares it exactly.
 */
export function normaliseRedirectUri(raw: string): string {
  const s = raw.trim();
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ConfigError(`redirect_uri (OKTA_REDIRECT_URI) is not a URL; expected e.g. ${DEFAULT_REDIRECT_URI}`, 'redirect_uri');
  }
  if (u.protocol !== 'http:' || !LOOPBACK.test(u.hostname))
    throw new ConfigError(
      `redirect_uri (OKTA_REDIRECT_URI) must be an http:// address on this machine's loopback (127.0.0.1, localhost or [::1]), e.g. ${DEFAULT_REDIRECT_URI}: okta-soar login listens there for the browser`,
      'redirect_uri',
    );
  if (u.username || u.password || u.search || u.hash)
    throw new ConfigError('redirect_uri (OKTA_REDIRECT_URI) must not carry credentials, a query or a fragment', 'redirect_uri');
  return s;
}

function parseProxy(v: unknown): boolean | string {
  if (v === undefined || v === true) return true;
  if (v === false) return false;
  const s = String(v).trim();
  if (/^(true|yes|1)$/i.test(s)) return true;
  if (/^(false|no|0)$/i.test(s)) return false;
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError('proxy must be true, false, or a proxy URL such as http://proxy.internal:3128', 'proxy');
  }
  return s;
}
