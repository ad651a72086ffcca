import { ConfigError } from '../base/errors.js';
import type { Clock } from '../base/clock.js';
import type { OktaConfig } from './config.js';
import { addSecret } from '../base/redact.js';
import type { StateStore } from '../state/store.js';
import { OktaHttpClient } from './client.js';
import { createTransport } from './transport.js';
import type { AuthProvider, Transport } from './types.js';
import type { OktaObserver } from './observer.js';
import { createSswsAuth } from './auth/ssws.js';

export const USER_AGENT = 'okta-soar/0.1.0';

export interface ClientDeps {
  clock: Clock;
  state: StateStore;
  transport?: Transport;
  debug?: (line: string) => void;
  warn?: (line: string) => void;
  /** Sees the client's answers, waits and token mints (serve's metrics). */
  observer?: OktaObserver;
}

export interface BuiltClient {
  client: OktaHttpClient;
  auth: AuthProvider;
  close(): void;
}

/** Builds the auth provider and client for a configuration. OAuth code (and jose) loads only when used. */
export async function buildClient(cfg: OktaConfig, deps: ClientDeps): Promise<BuiltClient> {
  const own = deps.transport ? undefined : createTransport({ proxy: cfg.proxy, insecure: cfg.insecure });
  const transport = deps.transport ?? own!;
  if (cfg.insecure) {
    const msg = 'insecure=true: TLS certificates are not verified, so anyone on the network path can read and change Okta traffic. For a private CA or a TLS-inspecting proxy, set NODE_EXTRA_CA_CERTS to its CA certificate instead.';
    if (deps.warn) deps.warn(msg);
    else process.emitWarning(msg, { code: 'OKTA_SOAR_INSECURE' });
  }
  let auth: AuthProvider;
  if (cfg.authMethod === 'api_token') {
    if (!cfg.apiToken) throw new ConfigError('API token is missing', 'apitoken');
    addSecret(cfg.apiToken);
    auth = createSswsAuth(cfg.apiToken);
  } else if (cfg.authMethod === 'user') {
    addSecret(cfg.clientSecret);
    const { createUserAuth } = await import('./auth/user.js');
    auth = createUserAuth({
      origin: cfg.origin,
      clientId: cfg.clientId!,
      ...(cfg.clientSecret ? { clientSecret: cfg.clientSecret } : {}),
      scopes: cfg.scopes,
      dpop: cfg.dpop,
      transport,
      state: deps.state,
      clock: deps.clock,
      timeoutMs: cfg.timeoutMs,
      userAgent: USER_AGENT,
      ...(deps.warn ? { warn: deps.warn } : {}),
      ...(deps.debug ? { debug: deps.debug } : {}),
      onSecret: addSecret,
    });
  } else {
    addSecret(cfg.privateKey);
    const { createOAuthAuth } = await import('./auth/oauth.js');
    auth = await createOAuthAuth({
      origin: cfg.origin,
      clientId: cfg.clientId!,
      privateKey: cfg.privateKey!,
      keyId: cfg.keyId,
      algorithm: cfg.jwtAlgorithm,
      scopes: cfg.scopes,
      dpop: cfg.dpop,
      transport,
      timeoutMs: cfg.timeoutMs,
      maxWaitMs: cfg.maxWaitMs,
      userAgent: USER_AGENT,
      state: deps.state,
      clock: deps.clock,
      warn: deps.warn,
      onSecret: addSecret,
      observer: deps.observer,
    });
  }
  const client = new OktaHttpClient({
    origin: cfg.origin,
    auth,
    transport,
    clock: deps.clock,
    state: deps.state,
    userAgent: USER_AGENT,
    maxRetries: cfg.maxRetries,
    timeoutMs: cfg.timeoutMs,
    maxWaitMs: cfg.maxWaitMs,
    maxApiCapacity: cfg.maxApiCapacity,
    maxConcurrency: cfg.maxConcurrency,
    debug: deps.debug,
    warn: deps.warn,
    observer: deps.observer,
  });
  return { client, auth, close: () => own?.close() };
}
